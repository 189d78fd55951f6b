package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/lineradb/lineradb/server"
)

// fakeStatfsEnv names a file holding "FREE TOTAL" (bytes) that replaces
// statfs for the disk guard. It exists for the integration test of
// read-only mode; it is deliberately not a LINERADB_* setting.
const fakeStatfsEnv = "LINERADBTEST_STATFS_FILE"

func fakeStatfsFromEnv(env []string) server.StatfsFunc {
	var name string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, fakeStatfsEnv+"="); ok {
			name = v
		}
	}
	if name == "" {
		return nil
	}
	return func(string) (uint64, uint64, error) {
		b, err := os.ReadFile(name)
		if err != nil {
			return 0, 0, err
		}
		var free, total uint64
		if _, err := fmt.Sscan(string(b), &free, &total); err != nil {
			return 0, 0, fmt.Errorf("%s: %v", name, err)
		}
		return free, total, nil
	}
}
