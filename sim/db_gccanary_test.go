package sim

import (
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node"
)

// dbGCDeep forces a GC seed (see drawDBDeletes: deletes on, a history
// window of a few tens of entries, tiny memtables, skewed register
// writes, so tombstones fall below the GC horizon) on a DEEP tree: a 2 KiB
// L1 and 1 KiB tables push data down to L2 and beyond, so a compaction
// often meets a tombstone whose older versions sit in a table outside it.
//
// The depth is the point. The swarm's own GC seeds keep L1 the bottom
// level (an L1 target of 64–512 KiB, far above a seed's data), and a
// leveled L0 compaction takes all of L0 and every overlapping L1 table,
// so no older version is ever outside the compaction; and open snapshots
// older than the GC horizon are released (they are below the window), so
// every tombstone asked about is in the newest stripe. There the filter's
// safety checks never refuse anything: the broken filter drops exactly
// what the correct one does, and the default campaign cannot tell them
// apart.
func dbGCDeep(c *dbConfig) {
	c.work.enabled[dbWorkRegister] = true
	c.work.deletePct = max(c.work.deletePct, 20)
	c.work.regKeys = max(c.work.regKeys, 5)
	c.work.rangeKeysMax = max(c.work.rangeKeysMax, 1)
	c.work.regSkewed = true
	c.retainedVersions = 4 + c.retainedVersions%20
	c.memtableBytes = min(c.memtableBytes, 2<<10)
	c.l0Trigger = min(c.l0Trigger, 2)
	c.lBaseBytes = 2 << 10
	c.sstableBytes = 1 << 10
}

// TestSimCanaryBrokenTombstoneGC: a compaction filter that drops old
// tombstones without the LSM's safety checks uncovers the values they
// deleted. Seeds run with the knob until porcupine (a get that finds a
// value after its delete) or the replica checksums catch it; every seed
// run must pass without the knob, and its tombstone GC must have dropped
// something there (the seeds really exercise GC, so the catch is the
// knob's doing, not a broken shape).
func TestSimCanaryBrokenTombstoneGC(t *testing.T) {
	knobs := node.TestingKnobs{BrokenTombstoneGC: true}
	for seed := uint64(1); seed <= dbCanarySeedsMax; seed++ {
		ctl := RunDB(seed, DBOptions{tune: dbGCDeep})
		if ctl.Failed != nil {
			t.Fatalf("seed %d fails without the canary: %v", seed, ctl.Failed)
		}
		if counterValue(ctl, "db.lsm_filter_drops") == 0 {
			t.Fatalf("seed %d: tombstone GC dropped nothing without the canary; dbGCDeep no longer makes GC seeds", seed)
		}
		r := RunDB(seed, DBOptions{Knobs: knobs, tune: dbGCDeep})
		if r.Failed == nil {
			continue
		}
		msg := r.Failed.Error()
		if !strings.Contains(msg, "not linearizable") && !strings.Contains(msg, "replicas diverged") {
			t.Fatalf("seed %d failed, but not by porcupine or the checksums: %v", seed, r.Failed)
		}
		t.Logf("caught at seed %d (seeds 1..%d pass without the knob): %v", seed, seed, r.Failed)
		return
	}
	t.Fatalf("canary %+v not caught in %d seeds", knobs, dbCanarySeedsMax)
}

// counterValue is the run's count of the named counter (0 if absent).
func counterValue(r SeedResult, name string) uint64 {
	for _, c := range r.Counters {
		if c.Name == name {
			return c.Count
		}
	}
	return 0
}
