package raftbench

import (
	"math"
	"testing"
)

func TestStealPercent(t *testing.T) {
	a := CPUTimes{Steal: 10, Total: 1000}
	b := CPUTimes{Steal: 60, Total: 2000}
	if got := StealPercent(a, b); math.Abs(got-5) > 1e-9 {
		t.Fatalf("steal %.3f %%, want 5 %%", got)
	}
	if got := StealPercent(b, a); got != 0 {
		t.Fatalf("steal across a counter going backwards: %.3f, want 0", got)
	}
}

func TestMeasureReportsPerEntryFigures(t *testing.T) {
	res, err := Measure(Options{Impl: ImplLineraDB, EntrySizeBytes: 16}, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Entries != 2000 || res.Wall <= 0 || res.EntriesPerSecond() <= 0 {
		t.Fatalf("result %+v", res)
	}
	if _, err := ReadCPUTimes(); err != nil {
		t.Logf("no /proc/stat here: %v", err)
	}
}
