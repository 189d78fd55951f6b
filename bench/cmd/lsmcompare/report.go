package main

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/lineradb/lineradb/bench/lsmbench"
)

// noise is a reading of the machine's load, taken around the whole run.
type noise struct {
	cpu  lsmbench.CPUTimes
	load float64
}

func readNoise() noise {
	cpu, _ := lsmbench.ReadCPUTimes()
	load, _ := lsmbench.LoadAverage()
	return noise{cpu, load}
}

// cell is the median run of one engine on one workload.
type cell struct {
	ok       bool
	med      measured
	min, max float64 // ops/s across runs
}

func medianCell(ms []measured) cell {
	if len(ms) == 0 {
		return cell{}
	}
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(a, b measured) int {
		return compareFloat(a.Run.OpsPerSecond(), b.Run.OpsPerSecond())
	})
	return cell{
		ok:  true,
		med: sorted[len(sorted)/2],
		min: sorted[0].Run.OpsPerSecond(), max: sorted[len(sorted)-1].Run.OpsPerSecond(),
	}
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

const (
	ours   = lsmbench.EngineLineraDB
	theirs = lsmbench.EnginePebble
)

// singleOwnerMark flags a ratio computed against LineraDB's one-goroutine
// figure because its DB is never read from two goroutines.
const singleOwnerMark = "†"

func printTable(out io.Writer, p parentArgs, results map[key][]measured) {
	fmt.Fprintln(out, "| workload | LineraDB ops/s | Pebble ops/s | ours/Pebble | CPU µs/op (ours / Pebble) | ours/Pebble by CPU | write amp (ours / Pebble) | write amp by wchar (ours / Pebble) | peak RSS MiB (ours / Pebble) |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	marked := false
	for _, w := range p.workloads {
		ourRuns, theirRuns := results[key{ours, w.name}], results[key{theirs, w.name}]
		o, t := medianCell(ourRuns), medianCell(theirRuns)
		ratio, cpuRatio := ratioString(o, t, "", ourRuns, theirRuns), cpuRatioString(o, t, "")
		if !o.ok && w.goroutines > 1 {
			oneRuns := results[key{ours, singleGoroutine(w).name}]
			if one := medianCell(oneRuns); one.ok && t.ok {
				ratio, marked = ratioString(one, t, singleOwnerMark, oneRuns, theirRuns), true
				cpuRatio = cpuRatioString(one, t, singleOwnerMark)
			}
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s / %s | %s | %s / %s | %s / %s | %s / %s |\n",
			w.title(p.child.Keys), opsString(o, w), opsString(t, w), ratio,
			cpuString(o), cpuString(t), cpuRatio, writeAmp(o, false), writeAmp(t, false),
			writeAmp(o, true), writeAmp(t, true), rssString(o), rssString(t))
	}
	if marked {
		fmt.Fprintf(out, "\n%s LineraDB's DB has one owner by design (no locks inside the core), so it is read from one goroutine only; the ratio compares its one-goroutine figure with Pebble's two.\n", singleOwnerMark)
	}
}

// singleGoroutine is the one-goroutine variant of a read workload.
func singleGoroutine(w workload) workload {
	for _, v := range workloads {
		if v.kind == w.kind && v.cacheBytes == w.cacheBytes && v.goroutines == 1 {
			return v
		}
	}
	return w
}

func opsString(c cell, w workload) string {
	if !c.ok {
		if w.goroutines > 1 {
			return "— (single owner)"
		}
		return "—"
	}
	s := thousands(c.med.Run.OpsPerSecond())
	if c.min != c.max {
		s += fmt.Sprintf(" (%s–%s)", thousands(c.min), thousands(c.max))
	}
	return s
}

// ratioString is the ratio of the medians, then, with several runs, the
// range of the per-run ratios: run k of one engine ran right next to run k
// of the other, so those pairs saw about the same machine load.
func ratioString(o, t cell, mark string, ourRuns, theirRuns []measured) string {
	if !o.ok || !t.ok || t.med.Run.OpsPerSecond() == 0 {
		return "—"
	}
	s := fmt.Sprintf("**%.2f**%s", o.med.Run.OpsPerSecond()/t.med.Run.OpsPerSecond(), mark)
	if lo, hi, ok := pairedRatios(ourRuns, theirRuns); ok {
		s += fmt.Sprintf(" (%.2f–%.2f)", lo, hi)
	}
	return s
}

// pairedRatios is the range of ours[k]/theirs[k] over runs k, when there
// are at least two runs on each side.
func pairedRatios(ourRuns, theirRuns []measured) (lo, hi float64, ok bool) {
	n := min(len(ourRuns), len(theirRuns))
	if n < 2 {
		return 0, 0, false
	}
	lo, hi = math.Inf(1), 0
	for k := range n {
		th := theirRuns[k].Run.OpsPerSecond()
		if th == 0 {
			return 0, 0, false
		}
		r := ourRuns[k].Run.OpsPerSecond() / th
		lo, hi = min(lo, r), max(hi, r)
	}
	return lo, hi, true
}

// cpuRatioString is Pebble's CPU per op over ours: like the throughput
// ratio, above 1 means LineraDB is ahead. It is steadier than wall-clock
// throughput under a shared machine's load, but it hides parallelism
// (Pebble's background goroutines are billed, not credited).
func cpuRatioString(o, t cell, mark string) string {
	if !o.ok || !t.ok || o.med.Run.CPUPerOp() == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f%s", float64(t.med.Run.CPUPerOp())/float64(o.med.Run.CPUPerOp()), mark)
}

func cpuString(c cell) string {
	if !c.ok || c.med.Run.Ops == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(c.med.Run.CPUPerOp().Nanoseconds())/1000)
}

// writeAmp divides bytes written (the engine's counters, or wchar) by
// the user bytes written.
func writeAmp(c cell, wchar bool) string {
	if !c.ok || c.med.UserBytes == 0 {
		return "—"
	}
	written := c.med.Counters.WrittenBytes()
	if wchar {
		written = c.med.WcharBytes
	}
	return fmt.Sprintf("%.2f", float64(written)/float64(c.med.UserBytes))
}

func rssString(c cell) string {
	if !c.ok {
		return "—"
	}
	return fmt.Sprintf("%.0f", float64(c.med.PeakRSSBytes)/(1<<20))
}

// thousands renders n rounded, with commas: 1234567.8 → "1,234,568".
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", math.Round(n))
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// noiseSummary reports hypervisor steal over the whole run and in the
// worst child, and the load average seen before the children.
func noiseSummary(n0, n1 noise, results map[key][]measured) string {
	stealMax, loadMin, loadMax := 0.0, math.Inf(1), 0.0
	for _, ms := range results {
		for _, m := range ms {
			stealMax = max(stealMax, m.stealPercent)
			loadMin, loadMax = min(loadMin, m.loadBefore), max(loadMax, m.loadBefore)
		}
	}
	if math.IsInf(loadMin, 1) {
		loadMin = 0
	}
	return fmt.Sprintf("noise: steal %.1f %% of CPU time over the run (worst child %.1f %%); 1-min load average %.1f before, %.1f after, %.1f–%.1f before each child (2 cores)",
		lsmbench.StealPercent(n0.cpu, n1.cpu), stealMax, n0.load, n1.load, loadMin, loadMax)
}
