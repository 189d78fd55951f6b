package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/lineradb/lineradb/bench/lsmbench"
)

// childArgs is what the parent passes to a child process: one engine, one
// workload, one directory.
type childArgs struct {
	Workload     string
	Engine       string
	Dir          string
	Keys         int64
	Seed         uint64
	StepRatio    int64
	Prepare      bool // fill only: afterwards compact Dir into one run for the reads
	SyncDuration time.Duration
	ReadDuration time.Duration
	ReadWarmup   time.Duration
	Scans        int
}

// result is one child's measurement, sent to the parent as JSON.
type result struct {
	Workload, Engine string
	Run              lsmbench.Run
	// UserBytes is records written × 116 (0 for read workloads).
	UserBytes int64
	// Counters are read after Settle, for write workloads.
	Counters lsmbench.Counters
	// WcharBytes is what the process passed to write(2) from the start of
	// the workload through Settle.
	WcharBytes   int64
	SettleWall   time.Duration
	PeakRSSBytes int64
}

// resultPrefix marks the child's result line on its stdout.
const resultPrefix = "LSMCOMPARE-RESULT "

func runChild(a childArgs) error {
	w, ok := findWorkload(a.Workload)
	if !ok {
		return fmt.Errorf("unknown workload %q", a.Workload)
	}
	cfg := lsmbench.Config{Dir: a.Dir, CacheBytes: w.cacheBytes, StepBytesPerWriteByte: a.StepRatio}
	e, err := lsmbench.Open(a.Engine, cfg)
	if err != nil {
		return err
	}
	res, err := measure(e, w, a)
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s on %s: %w", a.Workload, a.Engine, err)
	}
	if a.Prepare {
		if err := prepare(a, cfg); err != nil {
			return fmt.Errorf("prepare %s: %w", a.Engine, err)
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Printf("%s%s\n", resultPrefix, b)
	return nil
}

// measure runs the workload and settles; peak memory is read before any
// preparation so it belongs to the workload alone.
func measure(e lsmbench.Engine, w workload, a childArgs) (result, error) {
	res := result{Workload: w.name, Engine: a.Engine}
	wchar0, err := lsmbench.WrittenCharsBytes()
	if err != nil {
		return res, err
	}
	switch w.kind {
	case kindFill:
		res.Run, err = lsmbench.Fill(e, a.Seed, a.Keys, w.batchKeys)
	case kindSync:
		// Records after the data set's, so the keys are fresh.
		res.Run, err = lsmbench.SyncWrites(e, a.Seed, a.Keys, a.SyncDuration, a.Keys)
	case kindRead:
		res.Run, err = lsmbench.Reads(e, lsmbench.ReadSpec{
			Seed: a.Seed, Keys: a.Keys, Goroutines: w.goroutines,
			Warmup: a.ReadWarmup, Duration: a.ReadDuration, ReadSeed: a.Seed + 1,
		})
	case kindScan:
		res.Run, err = medianScan(e, a.Keys, a.Scans)
	}
	if err != nil {
		return res, err
	}
	if w.kind == kindFill || w.kind == kindSync {
		res.UserBytes = res.Run.Ops * lsmbench.RecordSizeBytes
		t0 := time.Now()
		if err := e.Settle(); err != nil {
			return res, err
		}
		res.SettleWall = time.Since(t0)
		res.Counters = e.Counters()
	}
	wchar1, err := lsmbench.WrittenCharsBytes()
	if err != nil {
		return res, err
	}
	res.WcharBytes = wchar1 - wchar0
	res.PeakRSSBytes, err = lsmbench.PeakRSSBytes()
	return res, err
}

// medianScan scans n times and returns the median scan.
func medianScan(e lsmbench.Engine, keys int64, n int) (lsmbench.Run, error) {
	runs := make([]lsmbench.Run, 0, n)
	for range max(1, n) {
		r, err := lsmbench.Scan(e, keys)
		if err != nil {
			return r, err
		}
		runs = append(runs, r)
	}
	slices.SortFunc(runs, func(a, b lsmbench.Run) int { return int(a.Wall - b.Wall) })
	return runs[len(runs)/2], nil
}

// prepare reopens the filled directory and compacts it into one sorted run.
func prepare(a childArgs, cfg lsmbench.Config) error {
	cfg.CompactToOneRun = true
	e, err := lsmbench.Open(a.Engine, cfg)
	if err != nil {
		return err
	}
	err = e.Compact()
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	return err
}

// exitChild reports a child's failure on stderr for the parent to relay.
func exitChild(err error) {
	fmt.Fprintln(os.Stderr, "lsmcompare child:", err)
	os.Exit(1)
}
