package raft

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func elect(t *testing.T, nw *network, id uint64) {
	t.Helper()
	nw.raft(id).Campaign()
	nw.stabilize()
	if nw.leader() != id {
		t.Fatalf("leader %d, want %d", nw.leader(), id)
	}
}

// ReadIndex on the leader needs a heartbeat round; on a follower it is
// forwarded; both answer with the leader's commit index.
func TestReadIndex(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.raft(1).Propose([]byte("a"))
	nw.stabilize()
	commit := nw.raft(1).log.committed
	if err := nw.raft(1).ReadIndex([]byte("L")); err != nil {
		t.Fatal(err)
	}
	nw.handleReady(1)
	if len(nw.apps[1].reads) != 0 {
		t.Fatalf("answered before the heartbeat round")
	}
	nw.stabilize()
	if err := nw.raft(3).ReadIndex([]byte("F")); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	for _, c := range []struct {
		id  uint64
		ctx string
	}{{1, "L"}, {3, "F"}} {
		rs := nw.apps[c.id].reads
		if len(rs) != 1 || string(rs[0].Context) != c.ctx || rs[0].Index != commit {
			t.Fatalf("node %d reads %+v, want index %d", c.id, rs, commit)
		}
	}
}

// A leader partitioned from the majority never answers a read.
func TestReadIndexNeedsQuorum(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.isolate(1)
	nw.raft(1).ReadIndex([]byte("x"))
	nw.tick(1, 5)
	nw.stabilize()
	if len(nw.apps[1].reads) != 0 {
		t.Fatalf("isolated leader answered a read: %+v", nw.apps[1].reads)
	}
}

// A new leader defers reads until it commits an entry of its term.
func TestReadIndexWaitsForTermCommit(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	// Elect 2, but hold back all appends so its no-op cannot commit.
	nw.filter = func(m *Message) bool { return m.Type != MsgApp }
	elect(t, nw, 2)
	if nw.raft(2).committedInTerm() {
		t.Fatal("setup: no-op committed")
	}
	nw.raft(2).ReadIndex([]byte("early"))
	nw.tick(2, 3)
	nw.stabilize()
	if len(nw.apps[2].reads) != 0 {
		t.Fatalf("answered before committing in term")
	}
	nw.filter = nil
	nw.tick(2, 3)
	nw.stabilize()
	if rs := nw.apps[2].reads; len(rs) != 1 || rs[0].Index != nw.raft(2).log.committed {
		t.Fatalf("reads %+v commit %d", rs, nw.raft(2).log.committed)
	}
}

func TestReadQueueBounded(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.MaxPendingReads = 2 })
	elect(t, nw, 1)
	nw.isolate(1)
	r := nw.raft(1)
	if r.ReadIndex(nil) != nil || r.ReadIndex(nil) != nil {
		t.Fatal("queue refused early")
	}
	if err := r.ReadIndex(nil); !errors.Is(err, ErrReadDropped) {
		t.Fatalf("third read: %v", err)
	}
}

// Lease reads answer without a round while a quorum acknowledged recent
// heartbeats, and stop once the lease (minus drift) runs out.
func TestLeaseRead(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) {
		c.CheckQuorum, c.LeaseReads, c.MaxClockDriftTicks = true, true, 2
	})
	elect(t, nw, 1)
	nw.tick(1, 1) // a heartbeat round stamps the lease
	nw.stabilize()
	sentBefore := nw.raft(1).counters.MessagesSent[MsgHeartbeat]
	nw.raft(1).ReadIndex([]byte("lease"))
	nw.handleReady(1)
	if len(nw.apps[1].reads) != 1 {
		t.Fatalf("lease read not answered at once")
	}
	if nw.raft(1).counters.MessagesSent[MsgHeartbeat] != sentBefore {
		t.Fatalf("lease read sent heartbeats")
	}
	// Isolated: after ElectionTicks-MaxClockDriftTicks the lease is gone.
	nw.isolate(1)
	nw.tick(1, 8)
	nw.raft(1).ReadIndex([]byte("late"))
	nw.handleReady(1)
	if len(nw.apps[1].reads) != 1 {
		t.Fatalf("read answered on an expired lease")
	}
}

func TestLeaderTransfer(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.PreVote, c.CheckQuorum = true, true })
	elect(t, nw, 1)
	// Make 3 lag so the leader must catch it up first.
	nw.cut[[2]uint64{1, 3}] = true
	nw.raft(1).Propose([]byte("a"))
	nw.stabilize()
	nw.heal()
	if err := nw.raft(1).TransferLeadership(3); err != nil {
		t.Fatal(err)
	}
	if err := nw.raft(1).Propose([]byte("b")); !errors.Is(err, ErrProposalDropped) {
		t.Fatalf("proposal during transfer: %v", err)
	}
	nw.stabilize()
	if nw.leader() != 3 {
		t.Fatalf("leader %d after transfer to 3", nw.leader())
	}
	if nw.raft(1).role != RoleFollower || nw.raft(1).lead != 3 {
		t.Fatalf("old leader: %v lead %d", nw.raft(1).role, nw.raft(1).lead)
	}
}

func TestLeaderTransferAbortsAfterTimeout(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.isolate(3)
	nw.raft(1).TransferLeadership(3)
	nw.tick(1, nw.raft(1).cfg.ElectionTicks)
	if r := nw.raft(1); r.leadTransferee != None || r.role != RoleLeader {
		t.Fatalf("transfer not aborted: transferee %d role %v", r.leadTransferee, r.role)
	}
	if err := nw.raft(1).Propose([]byte("after")); err != nil {
		t.Fatalf("proposal after abort: %v", err)
	}
}

// Adding a learner: it catches up without voting, then is promoted.
func TestAddLearnerAndPromote(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.addNode(4, nil, nil)
	if err := nw.raft(1).ProposeConfChange(ConfChange{Type: ConfAddLearner, NodeID: 4}); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	r4 := nw.raft(4)
	if !r4.conf.isLearner(4) || r4.log.committed != nw.raft(1).log.committed {
		t.Fatalf("learner 4: conf %v commit %d vs %d", r4.conf.confState(), r4.log.committed, nw.raft(1).log.committed)
	}
	// A learner does not count toward the quorum and never campaigns.
	if q := nw.raft(1).quorum(); q != 2 {
		t.Fatalf("quorum %d with a learner", q)
	}
	nw.tick(4, 100)
	if r4.role != RoleFollower {
		t.Fatalf("learner campaigned")
	}
	if err := nw.raft(1).ProposeConfChange(ConfChange{Type: ConfAddVoter, NodeID: 4}); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	for _, id := range nw.ids() {
		if !slices.Equal(nw.raft(id).conf.voters, []uint64{1, 2, 3, 4}) {
			t.Fatalf("node %d voters %v", id, nw.raft(id).conf.voters)
		}
	}
	if q := nw.raft(1).quorum(); q != 3 {
		t.Fatalf("quorum %d after promotion", q)
	}
}

// Only one uncommitted change at a time, and none before the leader
// committed an entry of its own term.
func TestConfChangeRules(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.isolate(2)
	nw.isolate(3)
	r := nw.raft(1)
	if err := r.ProposeConfChange(ConfChange{Type: ConfAddLearner, NodeID: 4}); err != nil {
		t.Fatal(err)
	}
	if err := r.ProposeConfChange(ConfChange{Type: ConfAddLearner, NodeID: 5}); !errors.Is(err, ErrConfChangePending) {
		t.Fatalf("second pending change: %v", err)
	}
	for _, cc := range []ConfChange{{Type: ConfRemoveNode, NodeID: 9}, {Type: ConfAddVoter, NodeID: 2}} {
		nw2 := newNetwork(t, 3, nil)
		elect(t, nw2, 1)
		if err := nw2.raft(1).ProposeConfChange(cc); !errors.Is(err, ErrInvalidConfChange) {
			t.Fatalf("%v: %v", cc, err)
		}
	}
	// New leader 2 whose no-op cannot commit yet.
	nw3 := newNetwork(t, 3, nil)
	elect(t, nw3, 1)
	nw3.filter = func(m *Message) bool { return m.Type != MsgApp }
	elect(t, nw3, 2)
	if err := nw3.raft(2).ProposeConfChange(ConfChange{Type: ConfAddLearner, NodeID: 4}); !errors.Is(err, ErrConfChangeTooEarly) {
		t.Fatalf("change before own-term commit: %v", err)
	}
	// The knob disables the rule (for the simulator's checker tests).
	nw3.raft(2).cfg.Testing.SkipConfChangeTermRule = true
	if err := nw3.raft(2).ProposeConfChange(ConfChange{Type: ConfAddLearner, NodeID: 4}); err != nil {
		t.Fatalf("knob on: %v", err)
	}
}

// Removing the leader: it commits the change, tells the others, steps
// down, and the rest elect a new leader among themselves.
func TestRemoveLeader(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	if err := nw.raft(1).ProposeConfChange(ConfChange{Type: ConfRemoveNode, NodeID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := nw.raft(1).Propose([]byte("x")); !errors.Is(err, ErrProposalDropped) {
		t.Fatalf("proposal while removing self: %v", err)
	}
	nw.stabilize()
	if nw.raft(1).role == RoleLeader {
		t.Fatal("removed leader still leads")
	}
	for _, id := range []uint64{2, 3} {
		if !slices.Equal(nw.raft(id).conf.voters, []uint64{2, 3}) {
			t.Fatalf("node %d voters %v", id, nw.raft(id).conf.voters)
		}
	}
	ok := nw.tickUntil(100, func() bool { l := nw.leader(); return l == 2 || l == 3 })
	if !ok {
		t.Fatalf("no new leader among 2, 3")
	}
	nw.tick(1, 100)
	if nw.raft(1).role != RoleFollower {
		t.Fatalf("removed node campaigns")
	}
}

// A follower behind the leader's compacted log gets a snapshot in chunks
// and then ordinary appends.
func TestSnapshotInChunks(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.SnapshotChunkBytes = 10; c.MaxSnapshotChunksInflight = 2 })
	elect(t, nw, 1)
	nw.isolate(3)
	for i := range 20 {
		nw.raft(1).Propose([]byte(fmt.Sprintf("value-%02d", i)))
	}
	nw.stabilize()
	if err := nw.compact(1); err != nil {
		t.Fatal(err)
	}
	if _, err := nw.raft(1).Compact(2); !errors.Is(err, ErrCompacted) {
		t.Fatalf("compacting behind the snapshot: %v", err)
	}
	nw.heal()
	maxInflight := 0
	nw.filter = func(m *Message) bool {
		if m.Type == MsgSnap {
			maxInflight = max(maxInflight, nw.raft(1).progress[3].snap.chunksInflight)
		}
		return true
	}
	nw.tickUntil(30, func() bool { return nw.apps[3].applied == nw.apps[1].applied })
	if got, want := nw.apps[3].sm, nw.apps[1].sm; !slices.EqualFunc(got, want, func(a, b Entry) bool { return string(a.Data) == string(b.Data) }) {
		t.Fatalf("state machines differ:\n%v\n%v", got, want)
	}
	if nw.raft(3).counters.SnapshotsInstalled != 1 {
		t.Fatalf("installed %d snapshots", nw.raft(3).counters.SnapshotsInstalled)
	}
	if maxInflight > 2 {
		t.Fatalf("%d chunks in flight > 2", maxInflight)
	}
	// It keeps replicating normally afterwards.
	nw.raft(1).Propose([]byte("after"))
	nw.stabilize()
	if sm := nw.apps[3].sm; string(sm[len(sm)-1].Data) != "after" {
		t.Fatalf("no replication after snapshot")
	}
}

// A lost chunk makes the follower ask for a restart from offset 0.
func TestSnapshotRestartsOnGap(t *testing.T) {
	nw := newNetwork(t, 3, func(c *Config) { c.SnapshotChunkBytes = 8; c.MaxSnapshotChunksInflight = 3 })
	elect(t, nw, 1)
	nw.isolate(3)
	for i := range 10 {
		nw.raft(1).Propose([]byte(fmt.Sprintf("v%02d", i)))
	}
	nw.stabilize()
	nw.compact(1)
	nw.heal()
	dropped := false
	nw.filter = func(m *Message) bool {
		if m.Type == MsgSnap && m.SnapOffset == 8 && !dropped {
			dropped = true
			return false
		}
		return true
	}
	nw.tickUntil(50, func() bool { return nw.apps[3].applied == nw.apps[1].applied })
	if !dropped || nw.apps[3].applied != nw.apps[1].applied {
		t.Fatalf("dropped=%v applied %d vs %d", dropped, nw.apps[3].applied, nw.apps[1].applied)
	}
	if nw.raft(1).counters.SnapshotRestarts == 0 {
		t.Fatalf("no restart after a gap")
	}
}

// verifierFunc adapts a function to SnapshotVerifier.
type verifierFunc func(meta SnapshotMeta, pending []SnapshotChunk) error

func (f verifierFunc) VerifySnapshot(meta SnapshotMeta, pending []SnapshotChunk) error {
	return f(meta, pending)
}

// A snapshot damaged on the way is rejected by the receiver's verifier and
// sent again from offset 0; the receiver installs the intact copy. Without
// the verifier the damaged bytes would be installed (the check below
// proves the damage is real).
func TestSnapshotRejectedByVerifierIsSentAgain(t *testing.T) {
	for _, verify := range []bool{true, false} {
		t.Run(fmt.Sprint("verify=", verify), func(t *testing.T) {
			var nw *network
			// The verifier's checksum: the sender's bytes (a test oracle).
			check := func(meta SnapshotMeta, pending []SnapshotChunk) error {
				got := slices.Clone(nw.apps[3].staged)
				for _, c := range pending {
					if c.Offset == 0 {
						got = nil
					}
					got = append(got, c.Data...)
				}
				if string(got) != string(nw.apps[1].snaps[meta.Index]) {
					return errors.New("snapshot bytes damaged")
				}
				return nil
			}
			nw = newNetwork(t, 3, func(c *Config) {
				c.SnapshotChunkBytes, c.MaxSnapshotChunksInflight = 8, 2
				if verify {
					c.SnapshotVerifier = verifierFunc(check)
				}
			})
			elect(t, nw, 1)
			nw.isolate(3)
			for i := range 10 {
				nw.raft(1).Propose([]byte(fmt.Sprintf("v%02d", i)))
			}
			nw.stabilize()
			nw.compact(1)
			nw.heal()
			damaged := false
			nw.filter = func(m *Message) bool {
				if m.Type == MsgSnap && m.SnapOffset == 8 && !damaged {
					damaged = true
					m.SnapData = slices.Clone(m.SnapData)
					m.SnapData[0] ^= 0x10
				}
				return true
			}
			nw.collect = !verify // the damaged install may not decode
			nw.tickUntil(60, func() bool { return nw.apps[3].applied == nw.apps[1].applied })
			same := slices.EqualFunc(nw.apps[3].sm, nw.apps[1].sm, func(a, b Entry) bool { return string(a.Data) == string(b.Data) })
			if !verify {
				if same && len(nw.violations) == 0 {
					t.Fatalf("the damaged snapshot was harmless: the test proves nothing")
				}
				return
			}
			if !damaged || !same || nw.apps[3].applied != nw.apps[1].applied {
				t.Fatalf("damaged=%v applied %d vs %d, state machines equal %v", damaged, nw.apps[3].applied, nw.apps[1].applied, same)
			}
			if got := nw.raft(3).counters.SnapshotsRejected; got != 1 {
				t.Fatalf("receiver rejected %d snapshots, want 1", got)
			}
			if nw.raft(1).counters.SnapshotRestarts == 0 {
				t.Fatalf("sender did not restart the rejected transfer")
			}
			if got := nw.raft(3).counters.SnapshotsInstalled; got != 1 {
				t.Fatalf("receiver installed %d snapshots, want 1", got)
			}
		})
	}
}

// Restart from durable state keeps term, vote, log and membership.
func TestRestartRecovers(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.raft(1).Propose([]byte("a"))
	nw.stabilize()
	nw.compact(2)
	nw.raft(1).Propose([]byte("b"))
	nw.stabilize()
	before := nw.raft(2).Status()
	// The commit index comes back as last synced (a commit-only hard
	// state is not synced) or the snapshot's, whichever is newer.
	commit := max(nw.apps[2].hsSynced.Commit, nw.apps[2].snap.Index)
	nw.restart(2)
	after := nw.raft(2).Status()
	if after.Term != before.Term || after.Commit != commit || after.LastIndex != before.LastIndex ||
		!slices.Equal(after.Conf.Voters, before.Conf.Voters) || after.SnapshotIndex != before.SnapshotIndex {
		t.Fatalf("restart lost state:\n%+v\n%+v", before, after)
	}
	// Corrupt recovered state is an error, not a panic.
	bad := []Recovered{
		{HardState: HardState{Term: 1, Commit: 5}, Entries: logOf(1, 1)},
		{HardState: HardState{Term: 1}, Entries: []Entry{{Term: 1, Index: 2}}},
		{HardState: HardState{Term: 1}, Entries: logOf(2)},
	}
	for i, rc := range bad {
		if _, err := New(nw.apps[2].cfg, rc); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("bad state %d: %v", i, err)
		}
	}
}

func TestStatus(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	st := nw.raft(1).Status()
	if st.Role != RoleLeader || len(st.Progress) != 3 || st.Counters.ElectionsWon != 1 {
		t.Fatalf("status %+v", st)
	}
	for i, p := range st.Progress {
		if p.ID != uint64(i+1) || p.Match != st.LastIndex {
			t.Fatalf("progress %+v", p)
		}
	}
	if st.Counters.MessagesSent[MsgApp] == 0 || nw.raft(2).Status().Counters.MessagesReceived[MsgApp] == 0 {
		t.Fatal("message counters not maintained")
	}
}

func TestConfigValidate(t *testing.T) {
	base := newNetwork(t, 1, nil).apps[1].cfg
	mods := []func(*Config){
		func(c *Config) { c.ID = 0 },
		func(c *Config) { c.Rand = nil },
		func(c *Config) { c.HeartbeatTicks = 10; c.ElectionTicks = 10 },
		func(c *Config) { c.LeaseReads = true },
		func(c *Config) { c.MaxClockDriftTicks = 10 },
		func(c *Config) { c.MaxEntriesPerMsg = maxDecodeEntries + 1 },
	}
	for i, mod := range mods {
		c := base
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("mod %d accepted: %v", i, err)
		}
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A single-voter group commits on its own (after persisting).
func TestSingleNode(t *testing.T) {
	nw := newNetwork(t, 1, nil)
	elect(t, nw, 1)
	nw.raft(1).Propose([]byte("solo"))
	nw.raft(1).ReadIndex([]byte("r"))
	nw.stabilize()
	if sm := nw.apps[1].sm; len(sm) != 1 || string(sm[0].Data) != "solo" {
		t.Fatalf("sm %v", sm)
	}
	if len(nw.apps[1].reads) != 1 {
		t.Fatalf("reads %v", nw.apps[1].reads)
	}
}

// The Ready/Advance contract: no input while a Ready is outstanding, and
// messages only appear together with the state they depend on.
func TestReadyContract(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	r := nw.raft(1)
	r.Campaign()
	rd := r.Ready()
	if rd.HardState.Term != 2 || rd.HardState.Vote != 1 || len(rd.Messages) != 2 || !rd.MustSync {
		t.Fatalf("campaign Ready: %+v", rd)
	}
	if err := r.Step(Message{From: 2, To: 1, Type: MsgVoteResp, Term: 2}); !errors.Is(err, ErrReadyOutstanding) {
		t.Fatalf("Step during Ready: %v", err)
	}
	if err := r.Propose(nil); !errors.Is(err, ErrReadyOutstanding) {
		t.Fatalf("Propose during Ready: %v", err)
	}
	if r.HasReady() {
		t.Fatal("HasReady while outstanding")
	}
	r.Advance(rd)
	if r.HasReady() {
		t.Fatal("work left after Advance")
	}
}

// A follower that receives a read-index request from a peer (which took it
// for the leader) must not relay it: the relay carries the follower's id,
// so the leader's answer would come back to the follower and be delivered
// as the follower's own read (sim seed 292: a stale read).
func TestFollowerDoesNotRelayPeerReadIndex(t *testing.T) {
	nw := newNetwork(t, 3, nil)
	elect(t, nw, 1)
	nw.raft(1).Propose([]byte("a"))
	nw.stabilize()
	if err := nw.raft(2).Step(Message{Type: MsgReadIndex, From: 3, To: 2, Context: []byte("from-3")}); err != nil {
		t.Fatal(err)
	}
	nw.stabilize()
	for _, id := range nw.ids() {
		for _, rs := range nw.apps[id].reads {
			if string(rs.Context) == "from-3" {
				t.Fatalf("node %d delivered node 3's read %+v as its own", id, rs)
			}
		}
	}
	if got := nw.raft(2).Status().Counters.ReadsDropped; got != 1 {
		t.Fatalf("ReadsDropped = %d, want 1", got)
	}
	// Node 3's own request, sent to the leader it knows, is still served.
	if err := nw.raft(3).ReadIndex([]byte("own-3")); err != nil {
		t.Fatal(err)
	}
	nw.tickUntil(5, func() bool { return len(nw.apps[3].reads) > 0 })
	if len(nw.apps[3].reads) != 1 || string(nw.apps[3].reads[0].Context) != "own-3" {
		t.Fatalf("node 3 reads %+v, want its own-3", nw.apps[3].reads)
	}
}
