package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/diskio"
)

// Canaries: each deliberately breaks one safety mechanism and requires the
// campaign to fail within canarySeedsMax seeds, for a safety reason (an
// invariant or porcupine, not liveness). A canary that stops failing means
// the checks went blind to that bug class.

// canarySeedsMax caps how many seeds a canary may take to fail.
const canarySeedsMax = 300

// tuneFigure8 narrows the fault mix to what the Figure 8 counterexample
// needs: leaders crashing or cut off with uncommitted entries, so logs
// diverge at the same index in different terms, and one entry per MsgApp
// with one in flight, so an old-term entry can reach a majority before the
// new leader's no-op does. Slow links (10 ms mean) widen every window the
// counterexample needs; at LAN latency it takes hundreds of seeds.
func tuneFigure8(c *raftConfig) {
	c.nodes = 3 + 2*(c.snapshotEvery%2)
	c.nemesis.Enabled = [faultKindCount]bool{}
	c.nemesis.Enabled[FaultCrash] = true
	c.nemesis.Enabled[FaultIsolate] = true
	c.nemesis.Enabled[FaultDrop] = true
	c.nemesis.DownMax = (c.nodes - 1) / 2
	c.nemesis.IntervalMean = 30 * time.Millisecond
	c.nemesis.EpisodeMax = 200 * time.Millisecond
	c.maxEntriesPerMsg, c.maxInflightMsgs = 1, 1
	c.electionTicks, c.tick = 5, 5*time.Millisecond
	c.net.LatencyMean, c.net.LatencyMax = 10*time.Millisecond, 40*time.Millisecond
	c.preVote, c.checkQuorum = false, false
	c.clients, c.thinkMean, c.keys = 5, 5*time.Millisecond, 3
	c.faults = raftFaultConfig{isolateLeader: true, crashLeader: true,
		intervalMean: 50 * time.Millisecond, episodeMax: 100 * time.Millisecond}
	c.workload = 10 * time.Second
}

// tuneAckBeforeFsync: frequent crashes that lose every unsynced write, and
// slow ticks, so an acknowledged batch is often lost before its late sync.
func tuneAckBeforeFsync(c *raftConfig) {
	c.nodes = 1 + 2*(c.snapshotEvery%2)
	c.nemesis.Enabled = [faultKindCount]bool{}
	c.nemesis.Enabled[FaultCrash] = true
	c.nemesis.DownMax = 1
	c.nemesis.IntervalMean = 50 * time.Millisecond
	c.nemesis.EpisodeMax = 100 * time.Millisecond
	c.disk.CrashMode = diskio.CrashLoseUnsynced
	c.disk.TearProbability = 1
	c.tick = 20 * time.Millisecond
	c.faults = raftFaultConfig{crashLeader: true, intervalMean: 200 * time.Millisecond, episodeMax: 100 * time.Millisecond}
	c.clients, c.thinkMean = 5, 5*time.Millisecond
}

// firstFailure runs seeds from 1 until one fails, up to canarySeedsMax.
func firstFailure(t *testing.T, opts RaftOptions) (uint64, error) {
	t.Helper()
	for seed := uint64(1); seed <= canarySeedsMax; seed++ {
		if r := runRaft(seed, opts); r.result.Failed != nil {
			return seed, r.result.Failed
		}
	}
	return 0, nil
}

func requireCaught(t *testing.T, opts RaftOptions) {
	t.Helper()
	seed, err := firstFailure(t, opts)
	if err == nil {
		t.Fatalf("broken Raft passed %d seeds: the campaign cannot see this bug", canarySeedsMax)
	}
	msg := err.Error()
	if !strings.Contains(msg, "raft safety") && !strings.Contains(msg, "linearizability") {
		t.Fatalf("seed %d failed, but not on a safety check: %v", seed, err)
	}
	t.Logf("caught at seed %d: %v", seed, err)
}

// requireClean: the same narrowed mix without the bug passes, so the
// canary's failure is the bug's doing, not the mix's.
func requireClean(t *testing.T, opts RaftOptions, seeds int) {
	t.Helper()
	for _, seed := range SeedRange(1, seeds) {
		if r := runRaft(seed, opts); r.result.Failed != nil {
			t.Fatalf("seed %d failed with no bug planted: %v", seed, r.result.Failed)
		}
	}
}

func TestRaftCanaryFigure8(t *testing.T) {
	requireCaught(t, RaftOptions{SkipFigure8Rule: true, tune: tuneFigure8})
	requireClean(t, RaftOptions{tune: tuneFigure8}, 10)
}

func TestRaftCanaryAckBeforeFsync(t *testing.T) {
	requireCaught(t, RaftOptions{AckBeforeFsync: true, tune: tuneAckBeforeFsync})
	requireClean(t, RaftOptions{tune: tuneAckBeforeFsync}, 10)
}

func TestRaftCanaryReadsWithoutReadIndex(t *testing.T) {
	seed, err := firstFailure(t, RaftOptions{ReadsWithoutReadIndex: true})
	if err == nil {
		t.Fatalf("stale local reads passed %d seeds", canarySeedsMax)
	}
	// Stale reads break no Raft invariant: only the client history can
	// show them.
	if !strings.Contains(err.Error(), "linearizability") {
		t.Fatalf("seed %d failed, but not on porcupine: %v", seed, err)
	}
	t.Logf("caught at seed %d: %v", seed, err)
	// The failure report names porcupine's visualization, and it exists.
	r := runRaftReported(seed, RaftOptions{ReadsWithoutReadIndex: true})
	msg := r.result.Failed.Error()
	i := strings.Index(msg, "porcupine HTML: ")
	if i < 0 {
		t.Fatalf("failure does not name the HTML visualization: %v", msg)
	}
	path := msg[i+len("porcupine HTML: "):]
	info, statErr := os.Stat(path)
	if statErr != nil || info.Size() == 0 {
		t.Fatalf("visualization %s: %v", path, statErr)
	}
	os.RemoveAll(filepath.Dir(path))
}
