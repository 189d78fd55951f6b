package sim

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/lineradb/lineradb/clock"
)

// Campaign flags, shared by every campaign test in this package:
//
//	go test ./sim -run TestToy -seed=7 -v   replay one seed, verbosely
//	go test ./sim -run TestToy -seeds=1000  run seeds seedbase..seedbase+999
var (
	flagSeed     = flag.Uint64("seed", 0, "run exactly this seed, verbosely")
	flagSeeds    = flag.Int("seeds", 0, "run this many seeds from -seedbase (default: a quick campaign)")
	flagSeedBase = flag.Uint64("seedbase", defaultSeedBase, "first seed of a -seeds campaign")
)

// defaultSeedBase is fixed so a plain `go test ./sim` always runs the same
// seeds; CI widens coverage with -seeds and -seedbase.
const defaultSeedBase = 1

// quickSeeds keeps the default `go test ./sim` fast.
const quickSeeds = 100

// flagSet reports whether the named flag was given on the command line, so
// -seed=0 still counts as a request for seed 0.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// campaignSeeds returns the seeds the flags ask for and whether to be
// verbose.
func campaignSeeds() ([]uint64, bool) {
	if flagSet("seed") {
		return []uint64{*flagSeed}, true
	}
	if flagSet("seeds") {
		return SeedRange(*flagSeedBase, *flagSeeds), testing.Verbose()
	}
	return SeedRange(*flagSeedBase, quickSeeds), false
}

// runCampaign runs the flag-selected seeds through run, prints per-seed
// lines when replaying, the summary line always, and fails t on any failed
// seed. testName is the test that replays a seed.
func runCampaign(t *testing.T, testName string, run func(seed uint64) SeedResult) CampaignResult {
	t.Helper()
	seeds, verbose := campaignSeeds()
	res := RunSeeds(CampaignConfig{
		Seeds:   seeds,
		Wall:    clock.Real{},
		Out:     os.Stdout,
		Verbose: verbose,
		Replay: func(seed uint64) string {
			return fmt.Sprintf("go test ./sim -run '^%s$' -seed=%d -v", testName, seed)
		},
	}, run)
	if verbose {
		fmt.Println("counters:", CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		t.Fatalf("%d of %d seeds failed", res.Failed, res.Seeds)
	}
	return res
}
