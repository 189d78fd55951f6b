package server

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/lineradb/lineradb/internal/config"
	"github.com/prometheus/client_golang/prometheus"
)

// The memory budget is what a server's configuration lets it hold: the
// LSM's memtables and block cache, work memory for every connection it
// admits, and a fixed allowance for everything no setting sizes. Start
// logs it, exports it, and makes it Go's soft memory limit, so the GC
// collects harder as the heap approaches it instead of letting GOGC's
// headroom (up to twice the live heap) carry the process past it.
const (
	// immutableMemtablesMax is passed to the LSM as its bound on full
	// memtables waiting for a flush, so the budget and the engine use the
	// same number (the LSM's own default is the same 2).
	immutableMemtablesMax = 2
	// runtimeAllowanceBytes is the fixed part: the binary's code and data,
	// the Go runtime's own structures, the goroutine stacks of the node
	// loop and listeners, pg_query's C heap, the Raft log entries not yet
	// applied, and the LSM's table index blocks and bloom filters of a
	// small database. An idle server on a fresh data directory is 18 MiB
	// resident (VmRSS); 48 MiB leaves room for the rest under load.
	runtimeAllowanceBytes = 48 << 20
	// fdsReservedMin are the descriptors a server needs besides client
	// connections and table readers: listeners, the WAL and manifest,
	// peers, the HTTP API, log files. With max_open_files they come off
	// RLIMIT_NOFILE before any is left for connections.
	fdsReservedMin = 64
	mib            = 1 << 20
)

// memoryBudget is the server's memory budget broken into its terms.
type memoryBudget struct {
	// MemtablesBytes is storage.memtable_size_mb × (1 + immutableMemtablesMax):
	// the mutable memtable and the full ones waiting for a flush.
	MemtablesBytes int64
	// BlockCacheBytes is storage.block_cache_size_mb.
	BlockCacheBytes int64
	// Connections is server.max_connections, capped at the connections the
	// file descriptor limit leaves room for.
	Connections int
	// WorkMemBytes is server.work_mem_mb, per connection.
	WorkMemBytes int64
	// RuntimeBytes is runtimeAllowanceBytes.
	RuntimeBytes int64
}

// newMemoryBudget computes the budget of cfg. fdLimit is RLIMIT_NOFILE's
// soft limit (0 when unknown: no cap).
func newMemoryBudget(cfg *config.Config, fdLimit uint64) memoryBudget {
	s := cfg.Storage
	b := memoryBudget{
		MemtablesBytes:  int64(s.MemtableSizeMB) * mib * (1 + immutableMemtablesMax),
		BlockCacheBytes: int64(s.BlockCacheSizeMB) * mib,
		Connections:     connectionsAllowed(cfg.Server.MaxConnections, s.MaxOpenFiles, fdLimit),
		WorkMemBytes:    int64(cfg.Server.WorkMemMB) * mib,
		RuntimeBytes:    runtimeAllowanceBytes,
	}
	b.check()
	return b
}

// connectionsAllowed is how many client connections can be open at once:
// max_connections, unless the descriptors left after the server's own
// (table readers, fdsReservedMin) are fewer — accept fails beyond them.
func connectionsAllowed(maxConnections, maxOpenFiles int, fdLimit uint64) int {
	if fdLimit == 0 {
		return maxConnections
	}
	reserved := uint64(maxOpenFiles) + fdsReservedMin
	if fdLimit <= reserved {
		return 0
	}
	return int(min(uint64(maxConnections), fdLimit-reserved))
}

// ConnectionsBytes is the per-connection term.
func (b memoryBudget) ConnectionsBytes() int64 { return int64(b.Connections) * b.WorkMemBytes }

// TotalBytes is the whole budget.
func (b memoryBudget) TotalBytes() int64 {
	return b.MemtablesBytes + b.BlockCacheBytes + b.ConnectionsBytes() + b.RuntimeBytes
}

// check asserts the terms validated configuration can produce: positive
// sizes (config rejects zero) and a total that did not overflow.
func (b memoryBudget) check() {
	if b.MemtablesBytes <= 0 || b.BlockCacheBytes <= 0 || b.WorkMemBytes <= 0 || b.RuntimeBytes <= 0 {
		panic(fmt.Sprintf("server: memory budget term not positive: %+v", b))
	}
	if b.Connections < 0 || b.TotalBytes() < b.MemtablesBytes+b.BlockCacheBytes+b.RuntimeBytes {
		panic(fmt.Sprintf("server: memory budget overflows: %+v", b))
	}
}

// goMemLimitEnv is the variable by which Go's runtime sets its soft memory
// limit at start; when it is set the operator's value wins.
const goMemLimitEnv = "GOMEMLIMIT"

// applyMemoryLimit makes budgetBytes Go's soft memory limit unless
// GOMEMLIMIT was given (envValue non-empty), in which case the runtime
// already applied that one. It returns the limit in force and where it
// came from.
func applyMemoryLimit(budgetBytes int64, envValue string) (limitBytes int64, source string) {
	if envValue != "" {
		return debug.SetMemoryLimit(-1), "env " + goMemLimitEnv + "=" + envValue
	}
	debug.SetMemoryLimit(budgetBytes)
	return budgetBytes, "memory budget"
}

// startMemory computes the budget, applies it as the soft memory limit,
// logs both and exports them.
func (s *Server) startMemory() {
	b := newMemoryBudget(s.cfg, fdSoftLimit())
	limit, source := applyMemoryLimit(b.TotalBytes(), os.Getenv(goMemLimitEnv))
	s.log.Info("memory budget", "total_mib", b.TotalBytes()/mib,
		"memtables_mib", b.MemtablesBytes/mib, "block_cache_mib", b.BlockCacheBytes/mib,
		"connections", b.Connections, "work_mem_mib", b.WorkMemBytes/mib, "connections_mib", b.ConnectionsBytes()/mib,
		"runtime_mib", b.RuntimeBytes/mib, "go_memory_limit_mib", limit/mib, "go_memory_limit_source", source)
	if b.Connections < s.cfg.Server.MaxConnections {
		s.log.Warn("the file descriptor limit (ulimit -n) admits fewer client connections than server.max_connections",
			"max_connections", s.cfg.Server.MaxConnections, "connections_possible", b.Connections)
	}
	s.m.reg.MustRegister(newMemoryCollector(b))
}

// fdSoftLimit is RLIMIT_NOFILE's soft limit (Go raises it to the hard
// limit at start-up); 0 if it cannot be read.
func fdSoftLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return r.Cur
}

// memoryCollector exports the budget, the soft limit in force and the
// process's peak resident memory. Current RSS and the Go heap come from
// the standard process and Go collectors (process_resident_memory_bytes,
// go_memstats_heap_*).
type memoryCollector struct {
	budget               memoryBudget
	budgetDesc, termDesc *prometheus.Desc
	limitDesc, peakDesc  *prometheus.Desc
}

func newMemoryCollector(b memoryBudget) *memoryCollector {
	return &memoryCollector{budget: b,
		budgetDesc: prometheus.NewDesc("lineradb_memory_budget_bytes",
			"The memory budget: memtables + block cache + connections × work_mem + the runtime allowance.", nil, nil),
		termDesc: prometheus.NewDesc("lineradb_memory_budget_term_bytes",
			"One term of the memory budget.", []string{"term"}, nil),
		limitDesc: prometheus.NewDesc("lineradb_memory_limit_bytes",
			"Go's soft memory limit in force (the budget, or GOMEMLIMIT).", nil, nil),
		peakDesc: prometheus.NewDesc("lineradb_process_resident_memory_peak_bytes",
			"Peak resident memory of the process (VmHWM).", nil, nil),
	}
}

func (c *memoryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.budgetDesc
	ch <- c.termDesc
	ch <- c.limitDesc
	ch <- c.peakDesc
}

func (c *memoryCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.budget
	ch <- prometheus.MustNewConstMetric(c.budgetDesc, prometheus.GaugeValue, float64(b.TotalBytes()))
	for _, t := range []struct {
		name  string
		bytes int64
	}{{"memtables", b.MemtablesBytes}, {"block_cache", b.BlockCacheBytes},
		{"connections", b.ConnectionsBytes()}, {"runtime", b.RuntimeBytes}} {
		ch <- prometheus.MustNewConstMetric(c.termDesc, prometheus.GaugeValue, float64(t.bytes), t.name)
	}
	ch <- prometheus.MustNewConstMetric(c.limitDesc, prometheus.GaugeValue, float64(debug.SetMemoryLimit(-1)))
	if peak, err := procStatusBytes("/proc/self/status", "VmHWM"); err == nil {
		ch <- prometheus.MustNewConstMetric(c.peakDesc, prometheus.GaugeValue, float64(peak))
	}
}

// procStatusBytes reads one "Name:  N kB" line of a /proc status file.
func procStatusBytes(path, field string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		return parseKB(rest)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no %s line", path, field)
}

// parseKB parses the value of a status line such as "  18000 kB".
func parseKB(s string) (int64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	if unit != "kB" {
		return 0, fmt.Errorf("status value %q is not in kB", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("status value %q is not a size", s)
	}
	return n << 10, nil
}
