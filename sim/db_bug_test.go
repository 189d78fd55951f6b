package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Open bugs the database campaign found in packages this campaign does not
// own (node, raft, lsm). Their seeds are in testdata/seeds/sim.txt as
// `sim-open <seed> <what>` lines, which TestRegression replays: the seed
// passes, or fails with its bug's signature (kept so CI stays green while
// the bug is open); any other failure is reported. A seed's trajectory
// shifts with any change to the code it runs (another package's timing,
// the swarm), so "passes now" does not prove a fix: after the fix, turn
// the line into `sim` and drop the entry here.
var dbOpenBugs = map[uint64]dbOpenBug{}

// dbOpenBug is one open bug: the failure text its seed shows, and what it is.
type dbOpenBug struct{ signature, what string }

func init() {
	regressionCampaigns["sim-open"] = runDBOpenBug
}

// runDBOpenBug replays an open bug's seed: it passes unless the seed fails
// with something other than its bug's signature.
func runDBOpenBug(seed uint64) SeedResult {
	bug, ok := dbOpenBugs[seed]
	if !ok {
		return SeedResult{Seed: seed, Failed: fmt.Errorf("sim-open seed %d has no entry in dbOpenBugs (db_bug_test.go)", seed)}
	}
	r := RunDB(seed, DBOptions{})
	if r.Failed != nil && strings.Contains(r.Failed.Error(), bug.signature) {
		r.Failed = nil
	}
	return r
}

// TestSimOpenBugs replays each open bug's seed and says whether it still
// reproduces: `go test ./sim -run TestSimOpenBugs -v` lists what is open.
func TestSimOpenBugs(t *testing.T) {
	seeds := make([]uint64, 0, len(dbOpenBugs))
	//detlint:ordered collected seeds are sorted below
	for seed := range dbOpenBugs {
		seeds = append(seeds, seed)
	}
	slices.Sort(seeds)
	for _, seed := range seeds {
		bug := dbOpenBugs[seed]
		r := RunDB(seed, DBOptions{})
		switch {
		case r.Failed == nil:
			t.Logf("seed %d passes now (fixed, or its trajectory moved): %s", seed, bug.what)
		case strings.Contains(r.Failed.Error(), bug.signature):
			t.Logf("seed %d still reproduces: %s\n\t%v", seed, bug.what, r.Failed)
		default:
			t.Errorf("seed %d fails in a new way: %v", seed, r.Failed)
		}
	}
}
