package raft

import (
	"fmt"
	"testing"
)

// appsByFollower counts a Ready's MsgApps and their entries per follower.
func appsByFollower(rd Ready) (msgs, ents map[uint64]int) {
	msgs, ents = map[uint64]int{}, map[uint64]int{}
	for _, m := range rd.Messages {
		if m.Type == MsgApp {
			msgs[m.To]++
			ents[m.To] += len(m.Entries)
		}
	}
	return msgs, ents
}

// Proposals made between two Readies leave in one MsgApp per follower,
// split only by MaxEntriesPerMsg.
func TestProposalsBatchedPerReady(t *testing.T) {
	for _, perMsg := range []int{64, 4} {
		t.Run(fmt.Sprintf("perMsg=%d", perMsg), func(t *testing.T) {
			nw := newNetwork(t, 3, func(c *Config) { c.MaxEntriesPerMsg = perMsg })
			elect(t, nw, 1)
			r := nw.raft(1)
			for i := range 10 {
				if err := r.Propose([]byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			if !r.HasReady() {
				t.Fatal("no Ready after proposals")
			}
			rd := r.Ready()
			msgs, ents := appsByFollower(rd)
			wantMsgs := (10 + perMsg - 1) / perMsg
			for _, id := range []uint64{2, 3} {
				if msgs[id] != wantMsgs || ents[id] != 10 {
					t.Fatalf("follower %d: %d MsgApps with %d entries, want %d with 10", id, msgs[id], ents[id], wantMsgs)
				}
			}
			nw.persist(nw.apps[1], rd)
			nw.queue = append(nw.queue, rd.Messages...)
			nw.apply(nw.apps[1], rd)
			r.Advance(rd)
			nw.stabilize()
			for _, id := range nw.ids() {
				if got := len(nw.apps[id].sm); got != 10 {
					t.Fatalf("node %d applied %d entries, want 10", id, got)
				}
			}
		})
	}
}

// Acknowledgements that arrive between two Readies advance the commit
// index once, and the leader tells each follower once.
func TestCommitBroadcastBatchedPerReady(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	r := nw.raft(1)
	for i := range 3 {
		if err := r.Propose([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		// One Ready (hence one MsgApp per follower) per proposal.
		nw.handleReady(1)
	}
	// Followers answer every MsgApp; the leader steps all answers in.
	q := nw.queue
	nw.queue = nil
	for _, m := range q {
		nw.deliver(m)
	}
	nw.handleReady(2)
	nw.handleReady(3)
	acks := nw.queue
	nw.queue = nil
	if len(acks) != 6 {
		t.Fatalf("%d acknowledgements, want 6", len(acks))
	}
	for _, m := range acks {
		nw.deliver(m)
	}
	rd := r.Ready()
	msgs, _ := appsByFollower(rd)
	if msgs[2] != 1 || msgs[3] != 1 {
		t.Fatalf("commit broadcast: %v MsgApps per follower, want one each", msgs)
	}
	for _, m := range rd.Messages {
		if m.Type == MsgApp && m.Commit != r.log.lastIndex() {
			t.Fatalf("%v: commit %d, want %d", m, m.Commit, r.log.lastIndex())
		}
	}
	r.Advance(rd)
}

// Ready's Messages belong to the owner: the core reuses its outbox, but
// never the slice it handed out, so messages kept past Advance (queued for
// a slow link, say) do not change under the owner.
func TestReadyMessagesSurviveAdvance(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	r := nw.raft(1)
	var kept [][]Message
	var want [][]string
	for i := range 4 {
		if err := r.Propose([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		rd := r.Ready()
		kept = append(kept, rd.Messages)
		var s []string
		for _, m := range rd.Messages {
			s = append(s, m.String())
		}
		want = append(want, s)
		r.Advance(rd)
	}
	for i, msgs := range kept {
		for j, m := range msgs {
			if got := m.String(); got != want[i][j] {
				t.Fatalf("Ready %d message %d changed after Advance: %s, was %s", i, j, got, want[i][j])
			}
		}
	}
}
