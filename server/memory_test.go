package server

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/internal/config"
)

func budgetConfig(memtableMB, cacheMB, maxConns, workMemMB, maxOpenFiles int) *config.Config {
	c := config.Default()
	c.Storage.MemtableSizeMB, c.Storage.BlockCacheSizeMB, c.Storage.MaxOpenFiles = memtableMB, cacheMB, maxOpenFiles
	c.Server.MaxConnections, c.Server.WorkMemMB = maxConns, workMemMB
	return c
}

func TestMemoryBudgetArithmetic(t *testing.T) {
	cases := []struct {
		name                       string
		memtable, cache, conns, wm int
		openFiles                  int
		fdLimit                    uint64
		wantConns                  int
		wantTotalMiB, wantConnsMiB int64
	}{
		// The defaults: 64 × 3 + 128 + 1000 × 4 + 48.
		{"defaults", 64, 128, 1000, 4, 1000, 0, 1000, 4368, 4000},
		// The measurement's: 64 × 3 + 128 + 110 × 4 + 48.
		{"pgbench 100 clients", 64, 128, 110, 4, 1000, 1 << 20, 110, 808, 440},
		// ulimit -n 1024 with 1000 table readers leaves no connection.
		{"no descriptors left", 64, 128, 1000, 4, 1000, 1024, 0, 368, 0},
		// 2000 - 1000 - 64 = 936 connections can be open at once.
		{"capped by ulimit -n", 1, 1, 1000, 2, 1000, 2000, 936, 3 + 1 + 1872 + 48, 1872},
		{"huge work_mem does not overflow", 1, 1, 1_000_000, config.WorkMemMBMax, 1, 0, 1_000_000,
			3 + 1 + 1_000_000*config.WorkMemMBMax + 48, 1_000_000 * config.WorkMemMBMax},
	}
	for _, c := range cases {
		b := newMemoryBudget(budgetConfig(c.memtable, c.cache, c.conns, c.wm, c.openFiles), c.fdLimit)
		if b.Connections != c.wantConns || b.TotalBytes() != c.wantTotalMiB*mib || b.ConnectionsBytes() != c.wantConnsMiB*mib {
			t.Errorf("%s: connections %d, total %d MiB, connections term %d MiB; want %d, %d, %d",
				c.name, b.Connections, b.TotalBytes()/mib, b.ConnectionsBytes()/mib, c.wantConns, c.wantTotalMiB, c.wantConnsMiB)
		}
	}
}

// TestMemoryBudgetCheckRejects proves the assertion can fail: a term of
// zero (which validation never lets through) panics.
func TestMemoryBudgetCheckRejects(t *testing.T) {
	for _, b := range []memoryBudget{
		{MemtablesBytes: 0, BlockCacheBytes: mib, WorkMemBytes: mib, RuntimeBytes: mib},
		{MemtablesBytes: mib, BlockCacheBytes: mib, WorkMemBytes: math.MaxInt64 / 2, Connections: 4, RuntimeBytes: mib},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("check accepted %+v", b)
				}
			}()
			b.check()
		}()
	}
}

// restoreMemoryLimit puts back the process's soft memory limit after a
// test that changed it.
func restoreMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
}

func TestApplyMemoryLimit(t *testing.T) {
	restoreMemoryLimit(t)
	if got, src := applyMemoryLimit(300*mib, ""); got != 300*mib || src != "memory budget" || debug.SetMemoryLimit(-1) != 300*mib {
		t.Errorf("budget: limit %d from %q, runtime has %d", got, src, debug.SetMemoryLimit(-1))
	}
	// GOMEMLIMIT was applied by the runtime at start; it stays in force.
	debug.SetMemoryLimit(123 * mib)
	if got, src := applyMemoryLimit(300*mib, "123MiB"); got != 123*mib || !strings.Contains(src, "GOMEMLIMIT=123MiB") ||
		debug.SetMemoryLimit(-1) != 123*mib {
		t.Errorf("env: limit %d from %q, runtime has %d", got, src, debug.SetMemoryLimit(-1))
	}
}

// TestStartAppliesMemoryLimit starts a server and reads the limit back
// from the runtime and from /metrics.
func TestStartAppliesMemoryLimit(t *testing.T) {
	restoreMemoryLimit(t)
	if v, ok := os.LookupEnv(goMemLimitEnv); ok {
		t.Skipf("%s=%s is set: the runtime's limit wins", goMemLimitEnv, v)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	env := []string{"LINERADB_RAFT_HEARTBEAT_INTERVAL_MS=20", "LINERADB_RAFT_ELECTION_TIMEOUT_MS=400",
		"LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=0", "LINERADB_STORAGE_MEMTABLE_SIZE_MB=1",
		"LINERADB_STORAGE_BLOCK_CACHE_SIZE_MB=1", "LINERADB_SERVER_MAX_CONNECTIONS=10",
		"LINERADB_SERVER_WORK_MEM_MB=2", "LINERADB_STORAGE_MAX_OPEN_FILES=10"}
	args := []string{"--listen-addr=127.0.0.1:0", "--http-addr=127.0.0.1:0", "--raft-addr=127.0.0.1:0",
		"--data-dir=" + filepath.Join(t.TempDir(), "d")}
	cfg, err := config.Load(args, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	// 1 MiB × 3 memtables + 1 MiB cache + 10 × 2 MiB + 48 MiB.
	const want = (3 + 1 + 20 + 48) * mib
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Fatalf("soft memory limit %d MiB, want the budget %d MiB", got/mib, want/mib)
	}
	_, _, httpAddr := srv.Addrs()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range []string{"lineradb_memory_budget_bytes ", "lineradb_memory_limit_bytes ",
		`lineradb_memory_budget_term_bytes{term="connections"} `, "process_resident_memory_bytes ",
		"go_memstats_heap_alloc_bytes ", "lineradb_process_resident_memory_peak_bytes "} {
		if !strings.Contains(string(body), "\n"+line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func TestProcStatusBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	os.WriteFile(path, []byte("Name:\tx\nVmHWM:\t   18000 kB\nVmRSS:\t17 MB\nVmData:\tlots kB\n"), 0o644)
	if n, err := procStatusBytes(path, "VmHWM"); err != nil || n != 18000<<10 {
		t.Errorf("VmHWM = %d, %v", n, err)
	}
	for _, bad := range []string{"VmRSS", "VmData", "VmSwap"} {
		if n, err := procStatusBytes(path, bad); err == nil {
			t.Errorf("%s: accepted as %d", bad, n)
		}
	}
}
