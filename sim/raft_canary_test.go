package sim

import (
	"testing"
	"time"

	"github.com/lineradb/lineradb/diskio"
)

func tuneFig8(c *raftConfig) {
	c.nodes = 3 + 2*int(c.snapshotEvery%2)
	c.nemesis.Enabled = [faultKindCount]bool{}
	c.nemesis.Enabled[FaultCrash] = true
	c.nemesis.Enabled[FaultIsolate] = true
	c.nemesis.Enabled[FaultDrop] = true
	c.nemesis.DownMax = (c.nodes - 1) / 2
	c.nemesis.IntervalMean = 30 * time.Millisecond
	c.nemesis.EpisodeMax = 200 * time.Millisecond
	c.maxEntriesPerMsg = 1
	c.maxInflightMsgs = 1
	c.electionTicks = 5
	c.tick = 5 * time.Millisecond
	c.net.LatencyMean = 3 * time.Millisecond
	c.preVote, c.checkQuorum = false, false
	c.clients, c.thinkMean, c.keys = 5, 5*time.Millisecond, 3
	c.faults = raftFaultConfig{isolateLeader: true, intervalMean: 50 * time.Millisecond, episodeMax: 100 * time.Millisecond}
	c.workload = 10 * time.Second
}

func tuneAck(c *raftConfig) {
	c.nodes = 1 + 2*int(c.snapshotEvery%2)
	c.nemesis.Enabled = [faultKindCount]bool{}
	c.nemesis.Enabled[FaultCrash] = true
	c.nemesis.DownMax = 1
	c.nemesis.IntervalMean = 50 * time.Millisecond
	c.nemesis.EpisodeMax = 100 * time.Millisecond
	c.disk.CrashMode = diskio.CrashLoseUnsynced
	c.tick = 20 * time.Millisecond
	c.faults = raftFaultConfig{}
	c.clients, c.thinkMean = 5, 5*time.Millisecond
}

func TestRaftCanaryProbe(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts RaftOptions
	}{
		{"fig8", RaftOptions{SkipFigure8Rule: true, tune: tuneFig8}},
		{"fig8-control", RaftOptions{tune: tuneFig8}},
		{"ackfsync", RaftOptions{AckBeforeFsync: true, tune: tuneAck}},
		{"ack-control", RaftOptions{tune: tuneAck}},
	} {
		first := uint64(0)
		fails := 0
		start := time.Now()
		for seed := uint64(1); seed <= 100; seed++ {
			r := runRaft(seed, tc.opts)
			if r.result.Failed != nil {
				if first == 0 {
					first = seed
					t.Logf("%s: seed %d: %v", tc.name, seed, r.result.Failed)
				}
				fails++
			}
		}
		t.Logf("%s: first=%d fails=%d/100 in %v", tc.name, first, fails, time.Since(start))
	}
}
