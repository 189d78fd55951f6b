package raft

import (
	"slices"
	"testing"
)

// Membership takes effect at commit and a restart rebuilds it from the
// durable commit index, so the commit of a membership change must be
// durable before anything acts on it (sim seed 11603).

// removeFollower has leader 1 of a fresh two-voter group commit an entry
// of its term and then the removal of 2; it returns the removal's index.
func removeFollower(t *testing.T, nw *network) uint64 {
	t.Helper()
	elect(t, nw, 1)
	if err := nw.raft(1).ProposeConfChange(ConfChange{Type: ConfRemoveNode, NodeID: 2}); err != nil {
		t.Fatal(err)
	}
	removal := nw.raft(1).log.lastIndex()
	nw.stabilize()
	if r := nw.raft(1); !slices.Equal(r.conf.voters, []uint64{1}) || r.log.committed < removal {
		t.Fatalf("removal not committed: voters %v commit %d", r.conf.voters, r.log.committed)
	}
	return removal
}

// Voters {1, 2}; leader 1 removes 2 and the removal commits; 2 is shut
// down for good; 1 crashes and restarts from what it synced. It must come
// back as the sole voter and lead again: before the fix the commit of the
// removal was never synced, 1 restarted under {1, 2} and campaigned for
// 2's vote forever.
func TestRemovalCommitSurvivesCrash(t *testing.T) {
	nw := newNetwork(t, 2, nil)
	removal := removeFollower(t, nw)
	nw.down[2] = true // decommissioned
	nw.restart(1)
	r := nw.raft(1)
	if r.log.committed < removal || !slices.Equal(r.conf.voters, []uint64{1}) {
		t.Fatalf("restarted with commit %d (removal at %d) under voters %v", r.log.committed, removal, r.conf.voters)
	}
	if !nw.tickUntil(100, func() bool { return nw.leader() == 1 }) {
		t.Fatalf("sole voter 1 did not lead again: role %v term %d voters %v", r.role, r.term, r.conf.voters)
	}
	if err := nw.raft(1).Propose([]byte("after")); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	if sm := nw.apps[1].sm; len(sm) == 0 || string(sm[len(sm)-1].Data) != "after" {
		t.Fatalf("proposal after restart not applied: %v", sm)
	}
}

// The restart check in the test network must catch a membership that
// regresses: drop the synced commit back below the removal by hand.
func TestRestartCatchesConfRegression(t *testing.T) {
	nw := newNetwork(t, 2, nil)
	removal := removeFollower(t, nw)
	nw.collect = true
	nw.apps[1].hsSynced.Commit = removal - 1
	nw.restart(1)
	if len(nw.violations) != 1 {
		t.Fatalf("violations %q, want the regressed membership", nw.violations)
	}
}

// MustSync covers exactly the commit-only Readies that reach a membership
// change, on the leader and on followers; a commit of normal entries alone
// still goes unsynced.
func TestMustSyncOnConfChangeCommit(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.addNode(4, nil, nil)
	type key struct {
		id   uint64
		conf bool
	}
	commitOnly := map[key]int{}
	var unsynced []string
	watch := func() {
		for _, id := range nw.ids() {
			a := nw.apps[id]
			for a.r.HasReady() {
				prev := a.r.prevHard
				rd := a.r.Ready()
				if !rd.HardState.IsEmpty() && rd.HardState.Commit > prev.Commit && len(rd.Entries) == 0 &&
					rd.HardState.Term == prev.Term && rd.HardState.Vote == prev.Vote {
					conf := false
					for _, e := range rd.CommittedEntries {
						conf = conf || e.Type == EntryConfChange
					}
					commitOnly[key{id, conf}]++
					if conf != rd.MustSync {
						unsynced = append(unsynced, entryString(rd.CommittedEntries[0]))
					}
				}
				nw.persist(a, rd)
				nw.queue = append(nw.queue, rd.Messages...)
				nw.apply(a, rd)
				a.r.Advance(rd)
			}
		}
		q := nw.queue
		nw.queue = nil
		for _, m := range q {
			nw.deliver(m)
		}
	}
	if err := nw.raft(1).ProposeConfChange(ConfChange{Type: ConfAddLearner, NodeID: 4}); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		watch()
	}
	if err := nw.raft(1).Propose([]byte("x")); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		watch()
	}
	if len(unsynced) > 0 {
		t.Fatalf("commit-only Readies with MustSync wrong (true iff a conf change commits): %v", unsynced)
	}
	// The leader and both followers saw the learner's addition commit
	// alone, and the normal entry's commit alone.
	for _, id := range []uint64{1, 2, 3} {
		if commitOnly[key{id, true}] == 0 || commitOnly[key{id, false}] == 0 {
			t.Fatalf("node %d: commit-only Readies %v; the test no longer covers both cases", id, commitOnly)
		}
	}
}

// verify rejects a membership change in force beyond the commit index.
func TestVerifyRejectsConfBeyondCommit(t *testing.T) {
	nw := newNetwork(t, 2, nil)
	removeFollower(t, nw)
	r := nw.raft(1)
	if err := r.verify(); err != nil {
		t.Fatal(err)
	}
	r.confEntryIndex = r.log.committed + 1
	if err := r.verify(); err == nil {
		t.Fatal("verify accepted a conf change in force beyond the commit")
	}
}

// A Ready that carries only messages (a leader's heartbeats) changes
// nothing durable, so it must not ask for an fsync.
func TestHeartbeatOnlyReadyNeedsNoSync(t *testing.T) {
	r := &Raft{prevHard: HardState{Term: 3, Vote: 1, Commit: 7}}
	if r.mustSync(Ready{Messages: []Message{{Type: MsgHeartbeat}}}) {
		t.Fatal("a Ready with only messages asked for an fsync")
	}
	if !r.mustSync(Ready{HardState: HardState{Term: 4, Vote: 0, Commit: 7}}) {
		t.Fatal("a new term must be synced")
	}
	if !r.mustSync(Ready{HardState: HardState{Term: 3, Vote: 2, Commit: 7}}) {
		t.Fatal("a changed vote must be synced")
	}
	if r.mustSync(Ready{HardState: HardState{Term: 3, Vote: 1, Commit: 8}}) {
		t.Fatal("a commit-only advance (no membership change) needs no fsync")
	}
}
