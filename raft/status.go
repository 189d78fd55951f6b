package raft

import (
	"maps"
	"slices"
)

// Counters are cumulative event counts since the member was created. The
// server exports them as metrics; the simulator derives ratios such as
// messages per committed entry from them.
type Counters struct {
	ElectionsStarted     uint64
	ElectionsWon         uint64
	PreVotesStarted      uint64
	VotesIgnoredInLease  uint64
	CheckQuorumStepDowns uint64
	StaleMessages        uint64
	EntriesAppended      uint64
	AppendsRejected      uint64
	ProposalsDropped     uint64
	ReadsServed          uint64
	ReadsDropped         uint64
	TransfersStarted     uint64
	TransfersAborted     uint64
	// TransfersForwarded counts TransferLeadership calls a non-leader sent
	// on to the leader; TransfersDropped counts forwarded requests this
	// member received but could not act on (not the leader, bad target).
	TransfersForwarded   uint64
	TransfersDropped     uint64
	ConfChangesApplied   uint64
	ConfChangesSkipped   uint64
	Compactions          uint64
	SnapshotsSent        uint64
	SnapshotsInstalled   uint64
	SnapshotsUnavailable uint64
	SnapshotRestarts     uint64
	// SnapshotsRejected counts received snapshots the SnapshotVerifier
	// rejected (the sender restarts them).
	SnapshotsRejected uint64
	// MessagesSent and MessagesReceived are indexed by MessageType.
	MessagesSent     [msgTypeCount]uint64
	MessagesReceived [msgTypeCount]uint64
}

// PeerStatus is the leader's view of one member.
type PeerStatus struct {
	ID        uint64
	Match     uint64
	Next      uint64
	State     ProgressState
	IsLearner bool
	Inflight  int
	Active    bool
}

// Status is a point-in-time copy of a member's state for observability.
type Status struct {
	ID             uint64
	Term           uint64
	Vote           uint64
	Lead           uint64
	Role           Role
	Commit         uint64
	Applied        uint64
	LastIndex      uint64
	SnapshotIndex  uint64
	Conf           ConfState
	LeadTransferee uint64
	// Progress is filled on the leader only, sorted by ID.
	Progress []PeerStatus
	Counters Counters
}

// Status returns a copy of the member's state.
func (r *Raft) Status() Status {
	st := Status{
		ID: r.id, Term: r.term, Vote: r.vote, Lead: r.lead, Role: r.role,
		Commit: r.log.committed, Applied: r.log.applied, LastIndex: r.log.lastIndex(),
		SnapshotIndex: r.log.snapIndex, Conf: r.conf.confState(),
		LeadTransferee: r.leadTransferee, Counters: r.counters,
	}
	if r.role != RoleLeader {
		return st
	}
	ids := slices.Sorted(maps.Keys(r.progress))
	for _, id := range ids {
		pr := r.progress[id]
		st.Progress = append(st.Progress, PeerStatus{
			ID: id, Match: pr.Match, Next: pr.Next, State: pr.State,
			IsLearner: pr.IsLearner, Inflight: pr.ins.count(), Active: pr.RecentActive,
		})
	}
	return st
}

// ID returns the member's id.
func (r *Raft) ID() uint64 { return r.id }

// Role returns the member's current role.
func (r *Raft) Role() Role { return r.role }

// Lead returns the known leader or None.
func (r *Raft) Lead() uint64 { return r.lead }

// Term returns the current term.
func (r *Raft) Term() uint64 { return r.term }
