// Command lineradb-sim runs a simulation campaign from the command line and
// exits non-zero if any seed fails.
//
//	lineradb-sim -seeds 10000                 the whole-database campaign
//	lineradb-sim -seed 7 -v                   replay one seed
//	lineradb-sim -campaign raft -seeds 1000   the Raft-only campaign
//	lineradb-sim -campaign toy -seeds 100     the simulator's toy protocol
//
// The db campaign is `go test ./sim -run TestSim`; a failing seed prints
// the command that replays it and, if porcupine rejected its register
// history, the path of the HTML visualization.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/internal/simreport"
	"github.com/lineradb/lineradb/sim"
)

// gcPercent matches the sim package's tests (sim/main_test.go): a seed's
// live heap is a few megabytes while it allocates hundreds, so the default
// GOGC of 100 spends about a third of the CPU collecting. GOGC in the
// environment wins.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("lineradb-sim", flag.ContinueOnError)
	campaign := fs.String("campaign", "db", "which campaign: db (the whole database), raft, or toy")
	seeds := fs.Int("seeds", 20, "number of seeds to run, from -seedbase")
	seed := fs.Uint64("seed", 0, "run exactly this seed (implies -v)")
	seedBase := fs.Uint64("seedbase", 1, "first seed of the campaign")
	verbose := fs.Bool("v", false, "print one line per seed and the fault counters")
	broken := fs.Bool("broken-toy", false, "run a deliberately broken toy (nodes over-report) to see how a failure is reported")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *broken {
		*campaign = "toy"
	}
	runSeed, replay, ok := campaignFuncs(*campaign, *broken)
	if !ok {
		fmt.Fprintf(os.Stderr, "lineradb-sim: unknown campaign %q (want db, raft or toy)\n", *campaign)
		return 2
	}
	list := sim.SeedRange(*seedBase, max(*seeds, 0))
	if seedGiven(fs) {
		list, *verbose = []uint64{*seed}, true
	}
	if *verbose {
		fmt.Printf("lineradb-sim: %s campaign, %d seed(s)\n", *campaign, len(list))
	}
	res := sim.RunSeeds(sim.CampaignConfig{
		Seeds: list, Wall: clock.Real{}, Out: os.Stdout, Verbose: *verbose, Replay: replay,
	}, runSeed)
	if *verbose {
		fmt.Println("counters:", sim.CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}

// campaignFuncs returns a campaign's per-seed runner and replay command.
func campaignFuncs(name string, broken bool) (func(uint64) sim.SeedResult, func(uint64) string, bool) {
	switch name {
	case "db":
		return runDB, func(s uint64) string {
			return fmt.Sprintf("go test ./sim -run TestSim -seed=%d   (or: go run ./cmd/lineradb-sim -seed %d)", s, s)
		}, true
	case "raft":
		return func(s uint64) sim.SeedResult { return sim.RunRaft(s, sim.RaftOptions{}) }, func(s uint64) string {
			return fmt.Sprintf("go test ./sim -run '^TestRaft$' -seed=%d -v   (or: go run ./cmd/lineradb-sim -campaign raft -seed %d)", s, s)
		}, true
	case "toy":
		return func(s uint64) sim.SeedResult { return sim.RunToy(s, sim.ToyOptions{OverReport: broken}) }, func(s uint64) string {
			if broken {
				return fmt.Sprintf("go run ./cmd/lineradb-sim -broken-toy -seed %d", s)
			}
			return fmt.Sprintf("go run ./cmd/lineradb-sim -campaign toy -seed %d   (or: go test ./sim -run '^TestToy$' -seed=%d -v)", s, s)
		}, true
	}
	return nil, nil, false
}

// runDB runs one seed of the database campaign and, on a porcupine
// failure, writes the HTML visualization and names it in the failure.
func runDB(seed uint64) sim.SeedResult {
	r := sim.RunDBReport(seed, sim.DBOptions{})
	if r.Result.Failed == nil || r.Lin == nil || r.Lin.OK {
		return r.Result
	}
	path, err := simreport.WriteHTML("", "lineradb-sim-", seed, r.Lin.WriteHTML)
	r.Result.Failed = simreport.Annotate(r.Result.Failed, "porcupine HTML", path, err)
	return r.Result
}

func seedGiven(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "seed" })
	return given
}
