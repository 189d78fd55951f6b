package raft

import (
	"math/rand/v2"
	"testing"
)

func mustLeader(t *testing.T, nw *network) uint64 {
	t.Helper()
	if !nw.tickUntil(200, func() bool { return nw.leader() != None }) {
		t.Fatalf("no leader elected")
	}
	return nw.leader()
}

func TestElectionBasic(t *testing.T) {
	for _, pv := range []bool{false, true} {
		nw := newNetwork(t, 3, func(c *Config) { c.PreVote = pv })
		if err := nw.raft(1).Campaign(); err != nil {
			t.Fatal(err)
		}
		nw.stabilize()
		if nw.leader() != 1 {
			t.Fatalf("prevote=%v: leader %d, want 1", pv, nw.leader())
		}
		for _, id := range nw.ids() {
			r := nw.raft(id)
			if r.term != 2 || r.lead != 1 {
				t.Fatalf("prevote=%v: node %d term %d lead %d", pv, id, r.term, r.lead)
			}
			// Bootstrap entries 1..3 and the leader's no-op at 4.
			if r.log.committed != 4 {
				t.Fatalf("node %d commit %d, want 4", id, r.log.committed)
			}
		}
	}
}

func TestElectionByTimeoutSingleLeaderPerTerm(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		nw := newNetwork(t, 5, func(c *Config) { c.Rand = rand.New(rand.NewPCG(seed*31+c.ID, seed)) })
		mustLeader(t, nw)
		leaders := 0
		for _, id := range nw.ids() {
			if nw.raft(id).role == RoleLeader {
				leaders++
			}
		}
		if leaders != 1 {
			t.Fatalf("seed %d: %d leaders", seed, leaders)
		}
	}
}

// A split vote: two candidates in the same term each get only their own
// vote; nobody wins that term and a later timeout resolves it.
func TestSplitVote(t *testing.T) {
	nw := newNetwork(t, 4, nil)
	// 1 and 2 campaign at term 2; 3 votes for 1, 4 votes for 2.
	nw.raft(1).Campaign()
	nw.raft(2).Campaign()
	nw.handleReady(1)
	nw.handleReady(2)
	var rest []Message
	for _, m := range nw.queue {
		switch {
		case m.From == 1 && m.To == 3, m.From == 2 && m.To == 4:
			nw.deliver(m)
		default:
			rest = append(rest, m)
		}
	}
	nw.queue = nil
	for _, m := range rest {
		nw.deliver(m) // 1<->2 reject each other; 3,4 already voted
	}
	nw.stabilize()
	if l := nw.leader(); l != None {
		t.Fatalf("split vote elected %d", l)
	}
	if nw.raft(1).role != RoleCandidate || nw.raft(2).role != RoleCandidate {
		t.Fatalf("roles %v %v", nw.raft(1).role, nw.raft(2).role)
	}
	l := mustLeader(t, nw)
	if nw.raft(l).term < 3 {
		t.Fatalf("leader term %d, want >= 3", nw.raft(l).term)
	}
}

// Without pre-vote a partitioned node keeps bumping its term and disrupts
// the cluster when it returns; with pre-vote it does not.
func TestPreVotePreventsDisruption(t *testing.T) {
	for _, pv := range []bool{false, true} {
		nw := newNetwork(t, 3, func(c *Config) { c.PreVote = pv })
		nw.raft(1).Campaign()
		nw.stabilize()
		nw.isolate(3)
		for range 50 {
			nw.tick(3, 1)
			nw.stabilize()
		}
		nw.raft(1).Propose([]byte("x"))
		nw.stabilize()
		nw.heal()
		term := nw.raft(1).term
		// 3 rejoins: its (pre-)votes reach 1 and 2.
		nw.tick(3, 30)
		nw.stabilize()
		disrupted := nw.raft(1).term != term
		if pv && disrupted {
			t.Fatalf("pre-vote: leader's term moved %d -> %d", term, nw.raft(1).term)
		}
		if !pv && !disrupted {
			t.Fatalf("no pre-vote: expected the rejoining node to disrupt")
		}
	}
}

// Check-quorum: a leader cut off from the majority steps down within an
// election timeout.
func TestCheckQuorumStepDown(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.CheckQuorum = true; c.PreVote = true })
	nw.raft(1).Campaign()
	nw.stabilize()
	nw.isolate(1)
	nw.tick(1, 2*nw.raft(1).cfg.ElectionTicks+1)
	if r := nw.raft(1); r.role == RoleLeader {
		t.Fatalf("isolated leader did not step down")
	}
	if nw.raft(1).counters.CheckQuorumStepDowns != 1 {
		t.Fatalf("counter %d", nw.raft(1).counters.CheckQuorumStepDowns)
	}
	// Without check-quorum it stays leader.
	nw2 := newNetwork(t, 3, nil)
	nw2.raft(1).Campaign()
	nw2.stabilize()
	nw2.isolate(1)
	nw2.tick(1, 50)
	if nw2.raft(1).role != RoleLeader {
		t.Fatalf("leader without check-quorum stepped down")
	}
}

// A stale leader learns the new term from any response and steps down.
func TestStaleLeaderStepsDown(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.CheckQuorum = true; c.PreVote = true })
	nw.raft(1).Campaign()
	nw.stabilize()
	nw.isolate(1)
	l := mustLeaderExcept(t, nw, 1)
	nw.heal()
	nw.tick(1, 1) // heartbeat at the stale term
	nw.stabilize()
	if nw.raft(1).role == RoleLeader {
		t.Fatalf("stale leader still leads")
	}
	if nw.raft(1).term != nw.raft(l).term {
		t.Fatalf("terms %d vs %d", nw.raft(1).term, nw.raft(l).term)
	}
}

func mustLeaderExcept(t *testing.T, nw *network, old uint64) uint64 {
	t.Helper()
	ok := nw.tickUntil(300, func() bool {
		for _, id := range nw.ids() {
			if id != old && nw.raft(id).role == RoleLeader {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no new leader")
	}
	for _, id := range nw.ids() {
		if id != old && nw.raft(id).role == RoleLeader {
			return id
		}
	}
	return None
}

// Vote rules: one vote per term, and only for an up-to-date log.
func TestVoteRules(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	r := nw.raft(2)
	r.Step(Message{From: 1, To: 2, Type: MsgVote, Term: 5, Index: 3, LogTerm: 1})
	nw.handleReady(2)
	r.Step(Message{From: 3, To: 2, Type: MsgVote, Term: 5, Index: 3, LogTerm: 1})
	nw.handleReady(2)
	// Behind log: refused even in a new term.
	r.Step(Message{From: 3, To: 2, Type: MsgVote, Term: 6, Index: 2, LogTerm: 1})
	nw.handleReady(2)
	want := []bool{false, true, true} // granted, rejected, rejected
	if len(nw.queue) != 3 {
		t.Fatalf("queue %v", nw.queue)
	}
	for i, m := range nw.queue {
		if m.Type != MsgVoteResp || m.Reject != want[i] {
			t.Fatalf("response %d: %v", i, m)
		}
	}
}

func TestUnknownAndMalformedMessages(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	nw.raft(1).Campaign()
	nw.stabilize()
	r := nw.raft(1)
	bad := []Message{
		{From: 2, To: 9, Type: MsgApp, Term: 2},
		{From: 0, To: 1, Type: MsgApp, Term: 2},
		{From: 2, To: 1, Type: MessageType(200), Term: 2},
		{From: 2, To: 1, Type: MsgProp, Term: 3},
		{From: 2, To: 1, Type: MsgApp, Term: 3, Index: 5, Entries: []Entry{{Index: 9, Term: 3}}},
	}
	for _, m := range bad {
		if err := r.Step(m); err == nil {
			t.Fatalf("accepted malformed %v", m)
		}
	}
	// Well-formed messages from strangers are absorbed without panics.
	ok := []Message{
		{From: 42, To: 1, Type: MsgAppResp, Term: 2, Index: 100},
		{From: 42, To: 1, Type: MsgHeartbeatResp, Term: 2},
		{From: 42, To: 1, Type: MsgSnapResp, Term: 2, SnapOffset: 5},
		{From: 42, To: 1, Type: MsgVoteResp, Term: 2},
		{From: 42, To: 1, Type: MsgApp, Term: 1},
		{From: 42, To: 1, Type: MsgTimeoutNow, Term: 2},
	}
	for _, m := range ok {
		if err := r.Step(m); err != nil {
			t.Fatalf("step %v: %v", m, err)
		}
		nw.handleReady(1)
	}
	if r.role != RoleLeader {
		t.Fatalf("leader disturbed: %v", r.role)
	}
}
