package node

import (
	"errors"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/node/kv"
)

// TestAmbiguousWhenLeaderDiesMidFlight: a commit through a follower is
// forwarded to the leader, which appends it and dies before anyone learns
// the outcome. The follower must report ErrAmbiguous, never a failure.
func TestAmbiguousWhenLeaderDiesMidFlight(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c := newCluster(t, seed, 3, nil)
		lead := c.waitLeader()
		f := c.ids[0]
		if f == lead {
			f = c.ids[1]
		}
		txn, err := c.begin(f, kv.TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		txn.Put([]byte("x"), []byte("1"))
		var got error
		done := false
		c.nodes[f].Commit(txn, func(_ kv.CommitResult, e error) { got, done = e, true })
		c.deliver() // the leader receives the forwarded proposal and appends it
		c.crash(lead)
		c.runUntil("commit outcome", 1000, func() bool { return done })
		if !errors.Is(got, kv.ErrAmbiguous) {
			t.Fatalf("seed %d: commit with its leader killed mid-flight: %v, want ErrAmbiguous", seed, got)
		}
	}
}

func TestUnavailableWithoutLeaderIsNotAmbiguous(t *testing.T) {
	c := newCluster(t, 1, 3, nil)
	lead := c.waitLeader()
	f := c.ids[0]
	if f == lead {
		f = c.ids[1]
	}
	txn, err := c.begin(f, kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	txn.Put([]byte("x"), []byte("1"))
	// Isolate the follower until it forgets the leader (pre-vote rounds
	// fail, check-quorum is on the leader side), then commit.
	c.isolated[f] = true
	c.runUntil("follower to lose its leader", 2000, func() bool { return c.nodes[f].Status().Lead == 0 })
	_, err = c.commit(f, txn)
	if !errors.Is(err, kv.ErrUnavailable) && !errors.Is(err, kv.ErrAmbiguous) {
		t.Fatalf("commit with no leader: %v", err)
	}
}

// TestCanarySkipReadSetCheck: write skew commits with the knob and aborts
// without it.
func TestCanarySkipReadSetCheck(t *testing.T) {
	for _, knob := range []bool{false, true} {
		c := newCluster(t, 1, 3, func(cfg *Config) { cfg.Testing.SkipReadSetCheck = knob })
		c.waitLeader()
		if _, err := c.put(1, "x", "0"); err != nil {
			t.Fatal(err)
		}
		t1, _ := c.begin(1, kv.TxnOptions{})
		t2, _ := c.begin(2, kv.TxnOptions{})
		for _, txn := range []*Txn{t1, t2} {
			txn.Get([]byte("x"))
			txn.Put([]byte("x"), []byte("1"))
		}
		_, err1 := c.commit(1, t1)
		_, err2 := c.commit(2, t2)
		bothCommitted := err1 == nil && err2 == nil
		if bothCommitted != knob {
			t.Fatalf("SkipReadSetCheck=%v: lost update committed=%v (%v, %v)", knob, bothCommitted, err1, err2)
		}
	}
}

// TestCanaryReadsWithoutReadIndex: a partitioned replica serves a stale
// read with the knob (it misses a write acknowledged before the read
// began); without it, Begin fails rather than read stale data.
func TestCanaryReadsWithoutReadIndex(t *testing.T) {
	for _, knob := range []bool{false, true} {
		c := newCluster(t, 2, 3, func(cfg *Config) { cfg.Testing.ReadsWithoutReadIndex = knob })
		lead := c.waitLeader()
		stale := c.ids[0]
		if stale == lead {
			stale = c.ids[1]
		}
		c.isolated[stale] = true
		if _, err := c.put(lead, "x", "1"); err != nil {
			t.Fatal(err)
		}
		got, err := c.get(stale, "x")
		sawStale := err == nil && got != "1"
		if sawStale != knob {
			t.Fatalf("ReadsWithoutReadIndex=%v: stale read=%v (read %q, %v)", knob, sawStale, got, err)
		}
	}
}

// TestCanaryAckBeforeFsync: every node crashes losing its unsynced writes
// right after a write was acknowledged. With the knob the write is lost;
// without it, it survives.
func TestCanaryAckBeforeFsync(t *testing.T) {
	for _, knob := range []bool{false, true} {
		c := newCluster(t, 3, 3, func(cfg *Config) { cfg.Testing.AckBeforeFsync = knob })
		for _, fs := range c.fss {
			fs.Configure(diskio.MemFSConfig{CrashMode: diskio.CrashLoseUnsynced})
		}
		lead := c.waitLeader()
		if _, err := c.put(lead, "x", "1"); err != nil {
			t.Fatal(err)
		}
		for _, id := range c.ids {
			c.crash(id)
		}
		for _, id := range c.ids {
			c.restart(id)
		}
		lead = c.waitLeader()
		got, err := c.get(lead, "x")
		if err != nil {
			t.Fatal(err)
		}
		if lost := got != "1"; lost != knob {
			t.Fatalf("AckBeforeFsync=%v: acknowledged write lost=%v", knob, lost)
		}
	}
}

// TestFsyncFailureStopsNode: EIO on fsync of one node's raft log stops that
// node (no retry of a failed fsync); the others keep serving.
func TestFsyncFailureStopsNode(t *testing.T) {
	c := newCluster(t, 4, 3, nil)
	lead := c.waitLeader()
	victim := c.ids[0]
	if victim == lead {
		victim = c.ids[1]
	}
	c.fss[victim].Arm(diskio.FaultRule{Op: diskio.OpSync, Fault: diskio.FaultEIO, Probability: 1, PathPrefix: "n/raft"})
	if _, err := c.put(lead, "x", "1"); err != nil {
		t.Fatal(err)
	}
	c.runUntil("victim to stop", 200, func() bool { return c.nodes[victim].Stopped() != nil })
	if err := c.nodes[victim].Stopped(); !errors.Is(err, ErrStopped) || !errors.Is(err, diskio.ErrIO) {
		t.Fatalf("stop cause %v", err)
	}
	if st := c.nodes[victim].Status(); st.Stopped == nil {
		t.Fatal("status does not report the stop")
	}
	if role, term, lead := c.nodes[victim].RoleTerm(); role != 0 || term != 0 || lead != 0 {
		t.Fatalf("stopped node's RoleTerm: %v %d %d, want zero values as Status", role, term, lead)
	}
	if _, err := c.begin(victim, kv.TxnOptions{}); !errors.Is(err, kv.ErrUnavailable) {
		t.Fatalf("stopped node began a transaction: %v", err)
	}
	if _, err := c.put(lead, "y", "2"); err != nil {
		t.Fatalf("the rest of the cluster stopped serving: %v", err)
	}
}

// TestBitFlipOnReadStopsNode: a flipped bit on an LSM read is detected by
// checksums; the node stops rather than serve it.
func TestBitFlipOnReadStopsNode(t *testing.T) {
	c := newCluster(t, 5, 3, nil)
	lead := c.waitLeader()
	for i := range 200 {
		if _, err := c.put(lead, string(rune('a'+i%26))+string(rune('a'+i/26)), "some value to fill blocks"); err != nil {
			t.Fatal(err)
		}
	}
	reader := c.ids[0]
	c.nodes[reader].st.Flush()
	c.fss[reader].Arm(diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: 1, PathPrefix: "n/lsm-"})
	// Background compaction may meet the damage first; either way no
	// read may succeed.
	if txn, err := c.begin(reader, kv.TxnOptions{ReadOnly: true}); err == nil {
		kvs, err := txn.Scan(nil, nil, 0, false)
		if err == nil {
			t.Fatalf("scan over flipped bits succeeded with %d entries", len(kvs))
		}
	}
	if c.nodes[reader].Stopped() == nil {
		t.Fatal("node kept serving after detecting corruption")
	}
}
