// Command raftcompare measures LineraDB's Raft against etcd raft in one
// process and prints a Markdown table: entries per second applied on all
// three members, the ratio LineraDB/etcd, CPU, allocations and messages per
// entry. Runs of the two implementations alternate so machine noise hits
// both; each cell is the median run.
//
//	cd bench && go run ./cmd/raftcompare -entries 200000 -runs 5
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/bench/raftbench"
)

func main() {
	entries := flag.Int("entries", 200_000, "entries applied on all members per run")
	inflight := flag.Int("inflight", 1024, "proposals in flight")
	sizes := flag.String("sizes", "16,256", "comma-separated entry sizes in bytes")
	runs := flag.Int("runs", 5, "runs per implementation and size (median reported)")
	seed := flag.Uint64("seed", 1, "seed for LineraDB's election randomness")
	perMsg := flag.Int("max-entries-per-msg", 0, "LineraDB MaxEntriesPerMsg (0: its default)")
	flag.Parse()
	if err := run(*entries, *inflight, *sizes, *runs, *seed, *perMsg); err != nil {
		fmt.Fprintln(os.Stderr, "raftcompare:", err)
		os.Exit(1)
	}
}

func run(entries, inflight int, sizesFlag string, runs int, seed uint64, perMsg int) error {
	sizes, err := parseSizes(sizesFlag)
	if err != nil {
		return err
	}
	load0 := loadAverage()
	cpu0, err := raftbench.ReadCPUTimes()
	if err != nil {
		return err
	}
	fmt.Printf("raftcompare: entries=%d inflight=%d runs=%d seed=%d %s GOMAXPROCS=%d\n\n",
		entries, inflight, runs, seed, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Println("| size | impl | entries/s (median) | min–max | ours/etcd | CPU µs/entry (median) | ours/etcd by CPU | allocs/entry | B/entry | msgs/entry |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, size := range sizes {
		byImpl, err := measureSize(size, entries, inflight, runs, seed, perMsg)
		if err != nil {
			return err
		}
		base := baseline{
			entriesPerSecond: median(byImpl[raftbench.ImplEtcd]).EntriesPerSecond(),
			cpuPerEntry:      medianCPUPerEntry(byImpl[raftbench.ImplEtcd]),
		}
		for _, impl := range raftbench.Impls {
			printRow(size, impl, byImpl[impl], base)
		}
	}
	cpu1, err := raftbench.ReadCPUTimes()
	if err != nil {
		return err
	}
	fmt.Printf("\nsteal during the runs: %.1f %% of CPU time; load average before %s, after %s\n",
		raftbench.StealPercent(cpu0, cpu1), load0, loadAverage())
	return nil
}

// measureSize alternates the implementations run by run (and which goes
// first) so drifting machine load is shared fairly.
func measureSize(size, entries, inflight, runs int, seed uint64, perMsg int) (map[raftbench.Impl][]raftbench.Result, error) {
	out := map[raftbench.Impl][]raftbench.Result{}
	for k := range runs {
		order := slices.Clone(raftbench.Impls)
		if k%2 == 1 {
			slices.Reverse(order)
		}
		for _, impl := range order {
			opts := raftbench.Options{Impl: impl, EntrySizeBytes: size, InflightMax: inflight, Seed: seed, MaxEntriesPerMsg: perMsg}
			res, err := raftbench.Measure(opts, entries)
			if err != nil {
				return nil, err
			}
			out[impl] = append(out[impl], res)
		}
	}
	return out, nil
}

// baseline is etcd's median figures for one entry size.
type baseline struct {
	entriesPerSecond float64
	cpuPerEntry      float64
}

// printRow prints one implementation's medians. The CPU ratio is the one
// to trust when other processes compete for the cores: wall-clock
// throughput then measures the scheduler as much as the code.
func printRow(size int, impl raftbench.Impl, rs []raftbench.Result, base baseline) {
	cpu := medianCPUPerEntry(rs)
	m := median(rs)
	lo, hi := rs[0].EntriesPerSecond(), rs[len(rs)-1].EntriesPerSecond()
	fmt.Printf("| %d | %s | %s | %s–%s | %.2f | %.2f | %.2f | %.1f | %.0f | %.2f |\n",
		size, impl, thousands(m.EntriesPerSecond()), thousands(lo), thousands(hi),
		m.EntriesPerSecond()/base.entriesPerSecond,
		cpu, base.cpuPerEntry/cpu,
		m.PerEntry(float64(m.Allocs)),
		m.PerEntry(float64(m.AllocBytes)),
		m.PerEntry(float64(m.Stats.Messages)))
}

// median sorts rs by throughput (in place) and returns the middle run.
func median(rs []raftbench.Result) raftbench.Result {
	slices.SortFunc(rs, func(a, b raftbench.Result) int {
		switch x, y := a.EntriesPerSecond(), b.EntriesPerSecond(); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return rs[len(rs)/2]
}

// medianCPUPerEntry returns the median CPU microseconds per entry.
func medianCPUPerEntry(rs []raftbench.Result) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r.PerEntry(float64(r.CPU.Nanoseconds()) / 1e3)
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bad size %q: %w", f, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func thousands(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
