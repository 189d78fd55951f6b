package main

import (
	"testing"
	"time"

	"github.com/lineradb/lineradb/bench/raftbench"
)

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 102960.4: "102,960", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("16, 256")
	if err != nil || len(got) != 2 || got[0] != 16 || got[1] != 256 {
		t.Fatalf("parseSizes: %v, %v", got, err)
	}
	for _, bad := range []string{"", "16,x", "16,,256"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestMedians(t *testing.T) {
	res := func(wallMs, cpuMs int) raftbench.Result {
		return raftbench.Result{
			Stats: raftbench.Stats{Entries: 1000},
			Wall:  time.Duration(wallMs) * time.Millisecond,
			CPU:   time.Duration(cpuMs) * time.Millisecond,
		}
	}
	rs := []raftbench.Result{res(30, 1), res(10, 5), res(20, 3)}
	if m := median(rs); m.Wall != 20*time.Millisecond {
		t.Errorf("median wall %v, want 20ms", m.Wall)
	}
	if c := medianCPUPerEntry(rs); c != 3 {
		t.Errorf("median CPU %.2f µs/entry, want 3", c)
	}
}
