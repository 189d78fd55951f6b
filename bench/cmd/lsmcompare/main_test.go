package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/bench/lsmbench"
)

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.6: "1,234,568", -4321: "-4,321"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseWorkloads(t *testing.T) {
	all, err := parseWorkloads("all")
	if err != nil || len(all) != len(workloads) {
		t.Fatalf("all: %d workloads, %v", len(all), err)
	}
	got, err := parseWorkloads("scan, fill-1")
	if err != nil || len(got) != 2 || got[0].name != "fill-1" || got[1].name != "scan" {
		t.Fatalf("got %+v, %v; want fill-1 then scan", got, err)
	}
	if _, err := parseWorkloads("fill-1,bogus"); err == nil {
		t.Fatal("accepted an unknown workload")
	}
	if _, err := parseEngines("pebble,rocksdb"); err == nil {
		t.Fatal("accepted an unknown engine")
	}
	if e, err := parseEngines("pebble,pebble"); err != nil || len(e) != 1 {
		t.Fatalf("duplicates: %v, %v", e, err)
	}
}

func TestParseResult(t *testing.T) {
	out := []byte("noise\n" + resultPrefix + `{"Workload":"scan","Engine":"pebble","Run":{"Ops":7,"Wall":1000000000,"CPU":0}}` + "\n")
	r, err := parseResult(out)
	if err != nil || r.Workload != "scan" || r.Run.Ops != 7 || r.Run.Wall != time.Second {
		t.Fatalf("got %+v, %v", r, err)
	}
	for _, bad := range []string{"", "no result\n", resultPrefix + "{broken\n"} {
		if _, err := parseResult([]byte(bad)); err == nil {
			t.Errorf("parseResult(%q) accepted bad output", bad)
		}
	}
}

func fakeResult(engine, wl string, ops int64, wall time.Duration) measured {
	return measured{result: result{Workload: wl, Engine: engine, Run: lsmbench.Run{Ops: ops, Wall: wall, CPU: wall}, PeakRSSBytes: 64 << 20}}
}

func TestPrintTable(t *testing.T) {
	wl, _ := parseWorkloads("fill-100,read-8MiB-1,read-8MiB-2")
	p := parentArgs{workloads: wl, child: childArgs{Keys: 1_000_000}}
	fill := fakeResult(ours, "fill-100", 1000, time.Second)
	fill.UserBytes, fill.Counters.WALBytes, fill.WcharBytes = 100, 250, 300
	results := map[key][]measured{
		{ours, "fill-100"}:      {fill, fakeResult(ours, "fill-100", 3000, time.Second), fakeResult(ours, "fill-100", 2000, time.Second)},
		{theirs, "fill-100"}:    {fakeResult(theirs, "fill-100", 4000, time.Second), fakeResult(theirs, "fill-100", 2000, time.Second), fakeResult(theirs, "fill-100", 8000, time.Second)},
		{ours, "read-8MiB-1"}:   {fakeResult(ours, "read-8MiB-1", 500, time.Second)},
		{theirs, "read-8MiB-1"}: {fakeResult(theirs, "read-8MiB-1", 1000, time.Second)},
		{theirs, "read-8MiB-2"}: {fakeResult(theirs, "read-8MiB-2", 2000, time.Second)},
	}
	var b bytes.Buffer
	printTable(&b, p, results)
	out := b.String()
	for _, want := range []string{
		// Paired ratios: 1000/4000, 3000/2000, 2000/8000.
		"| fill 1M random keys, batches of 100, no sync | 2,000 (1,000–3,000) | 4,000 (2,000–8,000) | **0.50** (0.25–1.50) |",
		"| random point reads, 8 MiB cache, 1 goroutine | 500 | 1,000 | **0.50** |",
		"| random point reads, 8 MiB cache, 2 goroutines | — (single owner) | 2,000 | **0.25**† |",
		"| 64 / 64 |",
		"| 500.00 / 250.00 | 0.50 |", // CPU per op of the medians: ours 1 s / 2,000 ops, Pebble 1 s / 4,000 ops
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The median run of fill-100 is the 2,000 ops/s one, whose counters
	// are zero; check the write amp of a single-run cell instead.
	if got := writeAmp(medianCell([]measured{fill}), false); got != "2.50" {
		t.Errorf("write amp %s, want 2.50", got)
	}
	if got := writeAmp(medianCell([]measured{fill}), true); got != "3.00" {
		t.Errorf("wchar write amp %s, want 3.00", got)
	}
}

// TestEndToEnd runs the whole command on a tiny data set, children
// included (they are this test binary re-executed, so the child flags
// must reach runChild: see TestMain).
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	a := childArgs{Keys: 2000, Seed: 3, StepRatio: 8, SyncDuration: 50 * time.Millisecond,
		ReadDuration: 50 * time.Millisecond, ReadWarmup: 10 * time.Millisecond, Scans: 1}
	p := parentArgs{child: a, workloads: workloads, engines: lsmbench.Engines, runs: 1, root: t.TempDir(), progress: io.Discard}
	results, err := runAll(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range workloads {
		for _, e := range lsmbench.Engines {
			ms := results[key{e, w.name}]
			if w.goroutines > 1 && lsmbench.SingleOwner(e) {
				if len(ms) != 0 {
					t.Errorf("%s ran %s", e, w.name)
				}
				continue
			}
			if len(ms) != 1 || ms[0].Run.Ops == 0 || ms[0].PeakRSSBytes == 0 {
				t.Errorf("%s/%s: results %+v", e, w.name, ms)
			}
			if w.kind == kindFill && ms[0].UserBytes != a.Keys*lsmbench.RecordSizeBytes {
				t.Errorf("%s/%s: user bytes %d", e, w.name, ms[0].UserBytes)
			}
		}
	}
}
