package raft

import (
	"fmt"
	"slices"
	"testing"
)

func terms(r *Raft) []uint64 {
	var ts []uint64
	for i := r.log.firstIndex(); i <= r.log.lastIndex(); i++ {
		t, _ := r.log.term(i)
		ts = append(ts, t)
	}
	return ts
}

// Figure 7 of the Raft paper: followers with missing entries (a, b),
// extra uncommitted entries (c, d) and both (e, f) all converge to the
// leader's log.
func TestFigure7LogRepair(t *testing.T) {
	voters := []uint64{1, 2, 3, 4, 5, 6, 7}
	leader := []uint64{1, 1, 1, 4, 4, 5, 5, 6, 6, 6}
	states := map[uint64]Recovered{
		1: recoveredLog(7, 3, voters, leader...),
		2: recoveredLog(6, 3, voters, 1, 1, 1, 4, 4, 5, 5, 6, 6),
		3: recoveredLog(4, 3, voters, 1, 1, 1, 4),
		4: recoveredLog(6, 3, voters, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
		5: recoveredLog(7, 3, voters, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
		6: recoveredLog(4, 3, voters, 1, 1, 1, 4, 4, 4, 4),
		7: recoveredLog(3, 3, voters, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3),
	}
	for _, small := range []bool{false, true} {
		nw := newNetworkFrom(t, states, func(c *Config) {
			if small {
				c.MaxEntriesPerMsg, c.MaxInflightMsgs = 1, 2
			}
		})
		// Votes from 2, 3, 6, 7 (their logs are not more up to date).
		nw.raft(1).Campaign()
		nw.stabilize()
		if nw.leader() != 1 || nw.raft(1).term != 8 {
			t.Fatalf("leader %d term %d", nw.leader(), nw.raft(1).term)
		}
		want := append(slices.Clone(leader), 8)
		for _, id := range nw.ids() {
			if got := terms(nw.raft(id)); !slices.Equal(got, want) {
				t.Fatalf("small=%v node %d log %v, want %v", small, id, got, want)
			}
			if nw.raft(id).log.committed != 11 {
				t.Fatalf("node %d commit %d", id, nw.raft(id).log.committed)
			}
		}
		// Fast backtracking: f (node 7) diverges over 8 entries in three
		// terms; the hints must repair it in a few round trips.
		if rej := nw.raft(7).counters.AppendsRejected; rej > 4 {
			t.Fatalf("node 7 rejected %d appends; backtracking is not fast", rej)
		}
	}
}

// figure8 sets up the paper's Figure 8 (c): S1 leads term 4 and index 2
// (term 2) sits on S1, S2, S3 — a majority — while the term-4 entry has not
// replicated. It returns the network with S1 still leader.
func figure8(t *testing.T, skipRule bool) *network {
	voters := []uint64{1, 2, 3, 4, 5}
	states := map[uint64]Recovered{
		1: recoveredLog(3, 1, voters, 1, 2),
		2: recoveredLog(3, 1, voters, 1, 2),
		3: recoveredLog(3, 1, voters, 1),
		4: recoveredLog(3, 1, voters, 1),
		5: recoveredLog(3, 1, voters, 1, 3),
	}
	nw := newNetworkFrom(t, states, func(c *Config) {
		c.MaxEntriesPerMsg = 1
		c.Testing.SkipFigure8Rule = skipRule
	})
	nw.collect = true
	nw.isolate(5)
	nw.cut[[2]uint64{1, 4}] = true // 2/2 reaches S2 and S3 only
	// Only the term-2 entry replicates: strip term-4 entries in flight.
	nw.filter = func(m *Message) bool {
		m.Entries = slices.DeleteFunc(slices.Clone(m.Entries), func(e Entry) bool { return e.Term == 4 })
		return true
	}
	nw.raft(1).Campaign()
	nw.stabilize()
	nw.tick(1, 3)
	nw.stabilize()
	if nw.leader() != 1 || nw.raft(1).term != 4 {
		t.Fatalf("setup: leader %d term %d", nw.leader(), nw.raft(1).term)
	}
	if !nw.raft(3).log.matchTerm(2, 2) {
		t.Fatalf("setup: S3 lacks 2/2: %v", terms(nw.raft(3)))
	}
	return nw
}

func TestFigure8(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skipRule=%v", skip), func(t *testing.T) {
			nw := figure8(t, skip)
			committed := nw.raft(1).log.committed
			if !skip && committed != 1 {
				t.Fatalf("previous-term entry committed by counting: commit %d", committed)
			}
			if skip && committed != 2 {
				t.Fatalf("knob on: commit %d, want 2", committed)
			}
			// (d): S1 crashes, S5 wins with S2, S3, S4 and overwrites index 2.
			nw.heal()
			nw.isolate(1)
			nw.filter = nil
			for range 3 {
				if nw.raft(5).role != RoleLeader {
					nw.raft(5).Campaign()
					nw.stabilize()
				}
			}
			if nw.leader() != 5 {
				t.Fatalf("S5 did not win: leader %d", nw.leader())
			}
			if got := terms(nw.raft(4)); got[1] != 3 {
				t.Fatalf("S4 log %v: S5 did not replicate its index 2", got)
			}
			if skip && len(nw.violations) == 0 {
				t.Fatalf("knob on: expected a state machine safety violation")
			}
			if !skip && len(nw.violations) != 0 {
				t.Fatalf("violations: %v", nw.violations)
			}
		})
	}
}

// Flow control: with a slow (isolated) follower the leader never has more
// than MaxInflightMsgs appends outstanding to it.
func TestFlowControlBoundsInflight(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.MaxInflightMsgs = 3; c.MaxEntriesPerMsg = 1 })
	nw.raft(1).Campaign()
	nw.stabilize()
	nw.cut[[2]uint64{1, 3}] = true
	for i := range 20 {
		if err := nw.raft(1).Propose([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		nw.stabilize()
		pr := nw.raft(1).progress[3]
		if pr.ins.count() > 3 {
			t.Fatalf("inflight %d > 3", pr.ins.count())
		}
	}
	if pr := nw.raft(1).progress[3]; pr.State != StateReplicate || !pr.ins.full() {
		t.Fatalf("follower 3: state %v inflight %d", pr.State, pr.ins.count())
	}
	// Healing lets it catch up through heartbeat-driven recovery.
	nw.heal()
	if !nw.tickUntil(50, func() bool { return nw.raft(3).log.committed == nw.raft(1).log.committed }) {
		t.Fatalf("follower 3 did not catch up: %d vs %d", nw.raft(3).log.committed, nw.raft(1).log.committed)
	}
}

// Inflight bytes are bounded too.
func TestFlowControlBytes(t *testing.T) {
	in := newInflights(100, 10)
	in.add(1, 6)
	if in.full() {
		t.Fatal("full too early")
	}
	in.add(2, 6)
	if !in.full() {
		t.Fatal("byte limit not enforced")
	}
	in.freeLE(1)
	if in.full() || in.count() != 1 || in.sizeBytes != 6 {
		t.Fatalf("after free: count %d bytes %d", in.count(), in.sizeBytes)
	}
}

// Batching: one MsgApp carries many entries, bounded by MaxEntriesPerMsg.
func TestBatching(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.MaxEntriesPerMsg = 4 })
	nw.raft(1).Campaign()
	nw.stabilize()
	nw.isolate(2)
	for i := range 10 {
		nw.raft(1).Propose([]byte(fmt.Sprint(i)))
	}
	nw.stabilize()
	nw.heal()
	nw.tick(1, 1)
	maxEnts := 0
	for round := 0; round < 50 && (len(nw.queue) > 0 || nw.raft(1).HasReady()); round++ {
		for _, m := range nw.queue {
			if m.Type == MsgApp {
				maxEnts = max(maxEnts, len(m.Entries))
			}
		}
		q := nw.queue
		nw.queue = nil
		for _, m := range q {
			nw.deliver(m)
		}
		for _, id := range nw.ids() {
			nw.handleReady(id)
		}
	}
	if maxEnts != 4 {
		t.Fatalf("largest batch %d, want 4", maxEnts)
	}
	if nw.raft(2).log.committed != nw.raft(1).log.committed {
		t.Fatalf("follower 2 commit %d vs %d", nw.raft(2).log.committed, nw.raft(1).log.committed)
	}
}

func TestProposalForwardingAndDrops(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	if err := nw.raft(2).Propose([]byte("x")); err != ErrNoLeader {
		t.Fatalf("no leader: got %v", err)
	}
	nw.raft(1).Campaign()
	nw.stabilize()
	if err := nw.raft(2).Propose([]byte("fwd")); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	found := false
	for _, e := range nw.apps[3].sm {
		found = found || string(e.Data) == "fwd"
	}
	if !found {
		t.Fatalf("forwarded proposal not applied on 3: %v", nw.apps[3].sm)
	}
}
