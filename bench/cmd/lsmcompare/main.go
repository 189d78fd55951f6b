// Command lsmcompare measures LineraDB's LSM against Pebble v1.1.5 with the
// same workloads on a real disk and prints a Markdown table: ops/s for
// both, the ratio ours/Pebble, CPU per op, write amplification and peak
// memory. Every (engine, workload) runs in a fresh child process (the
// command re-executes itself with -child) so peak RSS is the workload's
// own; engines alternate which goes first. Workloads and how LineraDB's
// background work is paced are described in package lsmbench.
//
//	cd bench && go run ./cmd/lsmcompare                 # full size: 1M keys, 10 s sync, 10 s reads
//	cd bench && go run ./cmd/lsmcompare -keys 100000 -sync-duration 2s -read-duration 2s
//
// To profile one engine on one workload, run a child by hand (reads and
// scans need a directory prepared by a fill-100 child with -prepare):
//
//	go run ./cmd/lsmcompare -child fill-100 -engine lineradb -dbdir /tmp/x -prepare -cpuprofile cpu.out -memprofile mem.out
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"
)

type parentArgs struct {
	child     childArgs // the fields every child shares
	workloads []workload
	engines   []string
	runs      int
	root      string
	keep      bool
	progress  io.Writer // one line per child; os.Stderr
}

func main() {
	var a childArgs
	flag.Int64Var(&a.Keys, "keys", 1_000_000, "records in the data set (fills write them all)")
	flag.Uint64Var(&a.Seed, "seed", 1, "data set seed: record i is a function of (seed, i)")
	flag.Int64Var(&a.StepRatio, "step-ratio", 8, "LineraDB: Step budget in compaction input bytes per user byte written")
	flag.DurationVar(&a.SyncDuration, "sync-duration", 10*time.Second, "how long the synced-write workload runs")
	flag.DurationVar(&a.ReadDuration, "read-duration", 10*time.Second, "how long each read workload is measured")
	flag.DurationVar(&a.ReadWarmup, "read-warmup", 2*time.Second, "reads before each read measurement, not counted")
	flag.IntVar(&a.Scans, "scans", 3, "full scans per scan workload (median reported)")
	wl := flag.String("workloads", "all", "comma-separated workloads: all or "+workloadNames())
	engines := flag.String("engines", "lineradb,pebble", "comma-separated engines")
	runs := flag.Int("runs", 1, "runs of every workload per engine (median reported)")
	root := flag.String("dir", "", "directory for the databases (default: a new temporary directory)")
	keep := flag.Bool("keep", false, "keep the databases after the run")
	child := flag.String("child", "", "internal: run one workload in this process")
	engine := flag.String("engine", "", "internal: the child's engine")
	dbDir := flag.String("dbdir", "", "internal: the child's database directory")
	prep := flag.Bool("prepare", false, "internal: the child compacts its fill for the reads")
	cpuProfile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the workload to this file")
	memProfile := flag.String("memprofile", "", "with -child: write an allocation profile to this file")
	flag.Parse()

	if *child != "" {
		a.Workload, a.Engine, a.Dir, a.Prepare = *child, *engine, *dbDir, *prep
		stop, err := startProfiles(*cpuProfile, *memProfile)
		if err == nil {
			err = runChild(a)
		}
		if serr := stop(); err == nil {
			err = serr
		}
		if err != nil {
			exitChild(err)
		}
		return
	}
	p := parentArgs{child: a, runs: *runs, root: *root, keep: *keep, progress: os.Stderr}
	var err error
	if p.workloads, err = parseWorkloads(*wl); err == nil {
		p.engines, err = parseEngines(*engines)
	}
	if err == nil {
		err = runParent(p)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lsmcompare:", err)
		os.Exit(1)
	}
}

func runParent(p parentArgs) error {
	if p.runs < 1 || p.child.Keys < 1 {
		return fmt.Errorf("-runs and -keys must be positive")
	}
	root, cleanup, err := dataRoot(p.root, p.keep)
	if err != nil {
		return err
	}
	defer cleanup()
	p.root = root
	noise0 := readNoise()
	fmt.Fprintf(p.progress, "lsmcompare: data in %s\n", root)
	results, err := runAll(p)
	if err != nil {
		return err
	}
	noise1 := readNoise()
	fmt.Printf("lsmcompare: keys=%d runs=%d seed=%d step-ratio=%d sync=%s reads=%s (+%s warm-up) %s GOMAXPROCS=%d\n\n",
		p.child.Keys, p.runs, p.child.Seed, p.child.StepRatio, p.child.SyncDuration, p.child.ReadDuration,
		p.child.ReadWarmup, runtime.Version(), runtime.GOMAXPROCS(0))
	printTable(os.Stdout, p, results)
	fmt.Printf("\n%s\n", noiseSummary(noise0, noise1, results))
	return nil
}
