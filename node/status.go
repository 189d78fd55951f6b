package node

import (
	"slices"

	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/mvcc"
	"github.com/lineradb/lineradb/raft"
)

// PeerStatus is the leader's view of one member (the server's /status).
type PeerStatus struct {
	ID        uint64
	Match     uint64
	Lag       uint64 // leader's last index − Match
	IsLearner bool
	Active    bool
}

// Status is a point-in-time copy of the replica's state.
type Status struct {
	ID             uint64
	Role           raft.Role
	Term           uint64
	Lead           uint64
	Commit         uint64
	Applied        uint64
	DurableApplied uint64
	LastIndex      uint64
	SnapshotIndex  uint64
	Voters         []uint64
	Learners       []uint64
	// Peers is filled on the leader only, sorted by id.
	Peers []PeerStatus
	// Stopped is the cause if the node stopped, else nil.
	Stopped error
}

// Status reports the replica's state. A stopped node reports only its id
// and the cause.
func (n *Node) Status() Status {
	s := Status{ID: n.cfg.ID, Stopped: n.stopped}
	if n.stopped != nil || n.rn == nil {
		return s
	}
	rs := n.rn.Status()
	s.Role, s.Term, s.Lead, s.Commit = rs.Role, rs.Term, rs.Lead, rs.Commit
	s.Applied, s.DurableApplied = n.st.Applied(), n.st.DurableApplied()
	s.LastIndex, s.SnapshotIndex = rs.LastIndex, n.snap.Index
	s.Voters, s.Learners = slices.Clone(rs.Conf.Voters), slices.Clone(rs.Conf.Learners)
	for _, p := range rs.Progress {
		s.Peers = append(s.Peers, PeerStatus{ID: p.ID, Match: p.Match, Lag: rs.LastIndex - min(p.Match, rs.LastIndex), IsLearner: p.IsLearner, Active: p.Active})
	}
	return s
}

// RoleTerm reports the replica's role, term and known leader without
// copying anything: the simulator asks every tick, and Status copies the
// membership and builds every peer's progress. A stopped node reports the
// zero values, as Status does.
func (n *Node) RoleTerm() (role raft.Role, term uint64, leader uint64) {
	if n.stopped != nil || n.rn == nil {
		return role, 0, 0
	}
	return n.rn.Role(), n.rn.Term(), n.rn.Lead()
}

// counters are the node's own cumulative counts.
type counters struct {
	beginsOK, beginsUnavailable                    uint64
	commitsOK, commitsSerialization, commitsTooOld uint64
	commitsAmbiguous, commitsUnavailable           uint64
	readOnlyCommits, commitsTooLarge               uint64
	snapshotsTaken, snapshotsInstalled             uint64
	badMessages, malformedEntries                  uint64
	foreignReadStates                              uint64
	snapshotsRejected, snapshotPackRetries         uint64
	logSyncsForLSM                                 uint64
}

// Metrics is the replica's metrics, for the server's /metrics and the
// simulator's coverage probes. Commit* count this node's own requests by
// outcome; Apply counts every entry applied, whoever proposed it.
type Metrics struct {
	BeginsOK, BeginsUnavailable uint64
	CommitsOK                   uint64
	CommitsSerialization        uint64
	CommitsTooOld               uint64
	CommitsAmbiguous            uint64
	CommitsUnavailable          uint64
	// CommitsTooLarge counts commits refused with kv.ErrTooLarge.
	CommitsTooLarge    uint64
	ReadOnlyCommits    uint64
	SnapshotsTaken     uint64
	SnapshotsInstalled uint64
	BadMessages        uint64
	MalformedEntries   uint64
	// ForeignReadStates counts read-index answers to requests this
	// incarnation did not issue (ignored).
	ForeignReadStates uint64
	// SnapshotsRejected counts received snapshots that failed
	// verification (the leader sends them again); SnapshotPackRetries
	// counts snapshots of our own packed again after verification found
	// damage read from this disk.
	SnapshotsRejected   uint64
	SnapshotPackRetries uint64
	// LogSyncsForLSM counts raft log fsyncs made because the LSM was about
	// to make applied entries durable while a commit was unsynced.
	LogSyncsForLSM uint64
	Apply          mvcc.Counters
	RaftLogBytes   int64
	LSM            lsm.Metrics
	Raft           raft.Counters
}

// Metrics returns the current metrics (storage figures are zero once the
// node has stopped).
func (n *Node) Metrics() Metrics {
	c := n.m
	m := Metrics{
		BeginsOK: c.beginsOK, BeginsUnavailable: c.beginsUnavailable,
		CommitsOK: c.commitsOK, CommitsSerialization: c.commitsSerialization, CommitsTooOld: c.commitsTooOld,
		CommitsAmbiguous: c.commitsAmbiguous, CommitsUnavailable: c.commitsUnavailable, ReadOnlyCommits: c.readOnlyCommits,
		CommitsTooLarge: c.commitsTooLarge,
		SnapshotsTaken:  c.snapshotsTaken, SnapshotsInstalled: c.snapshotsInstalled,
		BadMessages: c.badMessages, MalformedEntries: c.malformedEntries,
		ForeignReadStates: c.foreignReadStates,
		SnapshotsRejected: c.snapshotsRejected, SnapshotPackRetries: c.snapshotPackRetries,
		LogSyncsForLSM: c.logSyncsForLSM,
	}
	if n.stopped == nil && n.st != nil {
		m.Apply, m.LSM, m.RaftLogBytes = n.st.Counters(), n.st.Metrics(), n.log.Size()
		m.Raft = n.rn.Status().Counters
	}
	return m
}

// StateChecksum returns the applied index and a logical checksum of the
// replicated state there: replicas at the same applied index must agree.
func (n *Node) StateChecksum() (applied, sum uint64, err error) {
	if n.stopped != nil {
		return 0, 0, n.stopped
	}
	sum, err = n.st.Checksum()
	if err != nil {
		n.stop(err)
		n.runCallbacks()
	}
	return n.st.Applied(), sum, err
}

func sortU64(s []uint64) { slices.Sort(s) }
