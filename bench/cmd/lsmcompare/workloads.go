package main

import (
	"fmt"
	"strings"
)

// kind is what a workload does; the child dispatches on it.
type kind int

const (
	kindFill kind = iota
	kindSync
	kindRead
	kindScan
)

// workload is one row of the report.
type workload struct {
	name       string // as -workloads spells it
	kind       kind
	batchKeys  int   // fill
	cacheBytes int64 // block cache of the engine for this workload
	goroutines int   // read
}

const (
	cacheSmallBytes = 8 << 20 // Pebble's default cache size
	cacheLargeBytes = 1 << 30
)

// workloads in the order they run: fill-100 prepares the data set that
// the read and scan workloads open.
var workloads = []workload{
	{name: "fill-1", kind: kindFill, batchKeys: 1, cacheBytes: cacheSmallBytes},
	{name: "fill-100", kind: kindFill, batchKeys: 100, cacheBytes: cacheSmallBytes},
	{name: "sync", kind: kindSync, batchKeys: 1, cacheBytes: cacheSmallBytes},
	{name: "read-8MiB-1", kind: kindRead, cacheBytes: cacheSmallBytes, goroutines: 1},
	{name: "read-8MiB-2", kind: kindRead, cacheBytes: cacheSmallBytes, goroutines: 2},
	{name: "read-1GiB-1", kind: kindRead, cacheBytes: cacheLargeBytes, goroutines: 1},
	{name: "read-1GiB-2", kind: kindRead, cacheBytes: cacheLargeBytes, goroutines: 2},
	{name: "scan", kind: kindScan, cacheBytes: cacheSmallBytes},
}

// prepWorkload is the fill whose data set the reads use.
const prepWorkload = "fill-100"

func findWorkload(name string) (workload, bool) {
	for _, w := range workloads {
		if w.name == name {
			return w, true
		}
	}
	return workload{}, false
}

// parseWorkloads reads -workloads: "all" or a comma-separated list.
func parseWorkloads(s string) ([]workload, error) {
	if s == "all" {
		return workloads, nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if _, ok := findWorkload(name); !ok {
			return nil, fmt.Errorf("unknown workload %q (want all or some of %s)", name, workloadNames())
		}
		want[name] = true
	}
	var out []workload
	for _, w := range workloads { // keep the canonical order
		if want[w.name] {
			out = append(out, w)
		}
	}
	return out, nil
}

func workloadNames() string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.name
	}
	return strings.Join(names, ",")
}

// needsData reports whether the workload reads the prepared data set.
func (w workload) needsData() bool { return w.kind == kindRead || w.kind == kindScan }

// title is the workload's row label in the report.
func (w workload) title(keys int64) string {
	switch w.kind {
	case kindFill:
		return fmt.Sprintf("fill %s random keys, batches of %d, no sync", countString(keys), w.batchKeys)
	case kindSync:
		return "single-key writes with sync"
	case kindRead:
		return fmt.Sprintf("random point reads, %s cache, %d goroutine%s", bytesString(w.cacheBytes), w.goroutines, plural(w.goroutines))
	case kindScan:
		return fmt.Sprintf("full scan (%s cache)", bytesString(w.cacheBytes))
	}
	return w.name
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func countString(n int64) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func bytesString(b int64) string {
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", b>>30)
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return fmt.Sprintf("%d B", b)
}
