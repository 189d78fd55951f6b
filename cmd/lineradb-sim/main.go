// Command lineradb-sim runs a simulation campaign from the command line and
// exits non-zero if any seed fails.
//
//	lineradb-sim -seeds 100          seeds seedbase..seedbase+99
//	lineradb-sim -seed 7 -v          replay one seed
//
// Until the Raft and database campaigns exist it runs the toy campaign.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/sim"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("lineradb-sim", flag.ContinueOnError)
	seeds := fs.Int("seeds", 20, "number of seeds to run, from -seedbase")
	seed := fs.Uint64("seed", 0, "run exactly this seed (implies -v)")
	seedBase := fs.Uint64("seedbase", 1, "first seed of the campaign")
	verbose := fs.Bool("v", false, "print one line per seed and the fault counters")
	broken := fs.Bool("broken-toy", false, "run a deliberately broken toy (nodes over-report) to see how a failure is reported")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	list := sim.SeedRange(*seedBase, max(*seeds, 0))
	if seedGiven(fs) {
		list, *verbose = []uint64{*seed}, true
	}
	if *verbose {
		fmt.Printf("lineradb-sim: toy campaign (gossip counter under swarm faults), %d seed(s)\n", len(list))
	}
	res := sim.RunSeeds(sim.CampaignConfig{
		Seeds:   list,
		Wall:    clock.Real{},
		Out:     os.Stdout,
		Verbose: *verbose,
		Replay: func(s uint64) string {
			if *broken {
				return fmt.Sprintf("go run ./cmd/lineradb-sim -broken-toy -seed %d", s)
			}
			return fmt.Sprintf("go run ./cmd/lineradb-sim -seed %d   (or: go test ./sim -run '^TestToy$' -seed=%d -v)", s, s)
		},
	}, func(s uint64) sim.SeedResult { return sim.RunToy(s, sim.ToyOptions{OverReport: *broken}) })
	if *verbose {
		fmt.Println("faults fired:", sim.CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}

func seedGiven(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "seed" })
	return given
}
