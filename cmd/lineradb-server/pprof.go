//go:build pprof

package main

// Profiling endpoints for benchmarks: built only with `-tags pprof`, so a
// production binary never serves them. With LINERADBTEST_PPROF_ADDR set
// (host:port), net/http/pprof listens there on its own listener, apart
// from the API on --http-addr. Like LINERADBTEST_STATFS_FILE it is
// deliberately not a LINERADB_* setting. bench/pgbench.sh uses it.

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

const pprofAddrEnv = "LINERADBTEST_PPROF_ADDR"

func init() {
	addr := os.Getenv(pprofAddrEnv)
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintf(os.Stderr, "lineradb-server: %s=%s: %v\n", pprofAddrEnv, addr, err)
		}
	}()
}
