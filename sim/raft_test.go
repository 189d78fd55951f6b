package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lineradb/lineradb/clock"
)

// raftQuickSeeds keeps the default `go test ./sim` fast; CI widens it with
// -seeds (make test runs -seeds=200).
const raftQuickSeeds = 12

// raftSeeds returns the seeds the flags ask for, the default quick set
// otherwise, and whether to be verbose.
func raftSeeds() ([]uint64, bool) {
	if flagSet("seed") || flagSet("seeds") {
		return campaignSeeds()
	}
	return SeedRange(*flagSeedBase, raftQuickSeeds), false
}

// runRaftReported runs one seed and, if porcupine rejected its history,
// writes the HTML visualization and names it in the failure.
func runRaftReported(t *testing.T, seed uint64, opts RaftOptions) raftRun {
	r := runRaft(seed, opts)
	if r.result.Failed != nil && r.lin != nil && !r.lin.OK {
		path, err := writeLinHTML(t, seed, r)
		if err != nil {
			r.result.Failed = fmt.Errorf("%w (porcupine HTML not written: %v)", r.result.Failed, err)
		} else {
			r.result.Failed = fmt.Errorf("%w; porcupine HTML: %s", r.result.Failed, path)
		}
	}
	return r
}

func writeLinHTML(t *testing.T, seed uint64, r raftRun) (string, error) {
	dir, err := os.MkdirTemp("", "lineradb-raft-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("seed-%d.html", seed))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := r.lin.WriteHTML(f); err != nil {
		return "", err
	}
	return path, nil
}

// TestRaft is the Raft simulation campaign:
//
//	go test ./sim -run TestRaft -seeds=200     200 seeds from -seedbase
//	go test ./sim -run TestRaft -seed=17 -v    replay one seed
func TestRaft(t *testing.T) {
	seeds, verbose := raftSeeds()
	res := RunSeeds(CampaignConfig{
		Seeds: seeds, Wall: clock.Real{}, Out: os.Stdout, Verbose: verbose,
		Replay: func(seed uint64) string { return fmt.Sprintf("go test ./sim -run TestRaft -seed=%d", seed) },
	}, func(seed uint64) SeedResult { return runRaftReported(t, seed, RaftOptions{}).result })
	if verbose {
		fmt.Println("counters:", CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		t.Fatalf("%d of %d seeds failed", res.Failed, res.Seeds)
	}
}
