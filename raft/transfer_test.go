package raft

import (
	"errors"
	"testing"
)

// Leadership transfer requested on a follower: it forwards
// MsgTransferLeader to the leader, which runs the transfer as if called
// locally.

// takeSent hands out node id's Ready and returns its messages without
// delivering them, so a test can hold, drop or replay them.
func takeSent(nw *network, id uint64) []Message {
	nw.handleReady(id)
	sent := nw.queue
	nw.queue = nil
	return sent
}

func TestTransferForwardedFromFollower(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.PreVote, c.CheckQuorum = true, true })
	elect(t, nw, 1)
	if err := nw.raft(2).TransferLeadership(3); err != nil {
		t.Fatal(err)
	}
	sent := takeSent(nw, 2)
	if len(sent) != 1 || sent[0].Type != MsgTransferLeader || sent[0].To != 1 || sent[0].Index != 3 || sent[0].Term != nw.raft(2).term {
		t.Fatalf("follower sent %v, want one MsgTransferLeader to 1 for 3 at its term", sent)
	}
	nw.deliver(sent[0])
	if r := nw.raft(1); r.leadTransferee != 3 {
		t.Fatalf("leader did not start the transfer: transferee %d", r.leadTransferee)
	}
	if err := nw.raft(1).Propose([]byte("x")); !errors.Is(err, ErrProposalDropped) {
		t.Fatalf("proposal during a forwarded transfer: %v", err)
	}
	nw.stabilize()
	if nw.leader() != 3 {
		t.Fatalf("leader %d after forwarded transfer to 3", nw.leader())
	}
	if c := nw.raft(2).Status().Counters; c.TransfersForwarded != 1 {
		t.Fatalf("follower counted %d forwarded transfers", c.TransfersForwarded)
	}
	if c := nw.raft(1).Status().Counters; c.TransfersStarted != 1 || c.TransfersDropped != 0 {
		t.Fatalf("leader counters started=%d dropped=%d", c.TransfersStarted, c.TransfersDropped)
	}
}

// A follower may ask for leadership for itself (the runbook's "move the
// leader here").
func TestTransferForwardedToSelf(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	if err := nw.raft(2).TransferLeadership(2); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	if nw.leader() != 2 {
		t.Fatalf("leader %d after follower 2 asked for leadership", nw.leader())
	}
}

func TestTransferWithoutLeader(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.PreVote = true })
	nw.stabilize()
	if err := nw.raft(2).TransferLeadership(3); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("follower without a leader: %v, want ErrNoLeader", err)
	}
	// A (pre-)candidate knows no leader either.
	nw.raft(1).Campaign()
	if err := nw.raft(1).TransferLeadership(3); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("pre-candidate: %v, want ErrNoLeader", err)
	}
	for _, m := range append(takeSent(nw, 1), takeSent(nw, 2)...) {
		if m.Type == MsgTransferLeader {
			t.Fatalf("sent %v with no leader known", m)
		}
	}
}

// What the follower can judge locally fails at once and sends nothing.
func TestTransferForwardLocalChecks(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	r := nw.raft(2)
	if err := r.TransferLeadership(9); !errors.Is(err, ErrInvalidConfChange) {
		t.Fatalf("non-voter target: %v", err)
	}
	if err := r.TransferLeadership(None); !errors.Is(err, ErrInvalidConfChange) {
		t.Fatalf("no target: %v", err)
	}
	if err := r.TransferLeadership(1); err != nil {
		t.Fatalf("target already leads: %v", err)
	}
	if sent := takeSent(nw, 2); len(sent) != 0 {
		t.Fatalf("sent %v", sent)
	}
	if r.Status().Counters.TransfersForwarded != 0 {
		t.Fatalf("counted a forward that was not sent")
	}
}

// A forward that arrives after leadership moved on (delayed in the
// network) belongs to an old term and must not move leadership again.
func TestStaleTransferRequestDropped(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	if err := nw.raft(2).TransferLeadership(2); err != nil {
		t.Fatal(err)
	}
	held := takeSent(nw, 2)
	if err := nw.raft(1).TransferLeadership(3); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	if nw.leader() != 3 {
		t.Fatalf("leader %d, want 3", nw.leader())
	}
	// Replay the old request to both the old leader and the new one.
	for _, m := range held {
		nw.deliver(m)
		m.To = 3
		nw.deliver(m)
	}
	nw.stabilize()
	if nw.leader() != 3 || nw.raft(3).leadTransferee != None {
		t.Fatalf("stale request acted on: leader %d transferee %d", nw.leader(), nw.raft(3).leadTransferee)
	}
}

// A non-leader that receives a request at its own term drops it rather
// than relaying: leadership moved, the request is moot.
func TestTransferRequestToNonLeaderDropped(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	r := nw.raft(2)
	if err := r.Step(Message{From: 3, To: 2, Type: MsgTransferLeader, Term: r.term, Index: 3}); err != nil {
		t.Fatal(err)
	}
	if sent := takeSent(nw, 2); len(sent) != 0 {
		t.Fatalf("non-leader relayed or answered: %v", sent)
	}
	if r.Status().Counters.TransfersDropped != 1 {
		t.Fatalf("dropped = %d", r.Status().Counters.TransfersDropped)
	}
}

// The leader re-checks the target under its own configuration.
func TestTransferRequestForNonVoterDropped(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	r := nw.raft(1)
	if err := r.Step(Message{From: 2, To: 1, Type: MsgTransferLeader, Term: r.term, Index: 9}); err != nil {
		t.Fatal(err)
	}
	if r.leadTransferee != None || r.Status().Counters.TransfersDropped != 1 {
		t.Fatalf("transferee %d dropped %d", r.leadTransferee, r.Status().Counters.TransfersDropped)
	}
}

// Duplicated forwards (or operator retries) of the transfer already under
// way must not extend its deadline, or they could keep the leader refusing
// proposals for as long as they keep coming.
func TestRepeatedTransferKeepsDeadline(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.isolate(3)
	if err := nw.raft(2).TransferLeadership(3); err != nil {
		t.Fatal(err)
	}
	req := takeSent(nw, 2)
	if len(req) != 1 {
		t.Fatalf("sent %v", req)
	}
	nw.deliver(req[0])
	leader := nw.raft(1)
	nw.tick(1, leader.cfg.ElectionTicks-1)
	nw.deliver(req[0])
	if err := leader.TransferLeadership(3); err != nil {
		t.Fatal(err)
	}
	nw.tick(1, 1)
	if leader.leadTransferee != None {
		t.Fatalf("repeated request extended the transfer past its deadline")
	}
	if c := leader.Status().Counters; c.TransfersStarted != 1 || c.TransfersAborted != 1 {
		t.Fatalf("started %d aborted %d, want 1 and 1", c.TransfersStarted, c.TransfersAborted)
	}
}

func TestMalformedTransferRequest(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	r := nw.raft(1)
	bad := []Message{
		{From: 2, To: 1, Type: MsgTransferLeader, Term: r.term},           // no target
		{From: 2, To: 1, Type: MsgTransferLeader, Index: 3},               // no term
		{From: 1, To: 1, Type: MsgTransferLeader, Term: r.term, Index: 3}, // from self
	}
	for _, m := range bad {
		if err := r.Step(m); !errors.Is(err, ErrBadMessage) {
			t.Fatalf("accepted malformed %v: %v", m, err)
		}
	}
	if r.leadTransferee != None {
		t.Fatalf("malformed request started a transfer to %d", r.leadTransferee)
	}
}
