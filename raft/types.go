package raft

// The types shared by the consensus core (package raft) and its durable log
// (package raft/raftlog). They are plain data: the core never does I/O, and
// the log never interprets what it stores.

// None is the zero node ID: "no leader", "voted for nobody".
const None uint64 = 0

// EntryType says how the state machine above Raft should treat an entry.
type EntryType uint8

const (
	// EntryNormal carries an application command in Data.
	EntryNormal EntryType = iota
	// EntryNoop is appended by a new leader to commit entries of earlier
	// terms (Raft paper §5.4.2); Data is empty and the application skips it.
	EntryNoop
	// EntryConfChange carries an encoded membership change in Data.
	EntryConfChange
)

// Entry is one record of the replicated log.
type Entry struct {
	Term  uint64
	Index uint64
	Type  EntryType
	Data  []byte
}

// HardState is what must be durable before any message that depends on it
// leaves the node: the current term, the vote cast in it, and the commit
// index (persisted so a restart need not replay from zero; it may lag).
type HardState struct {
	Term   uint64
	Vote   uint64
	Commit uint64
}

// IsEmpty reports whether hs is the zero HardState.
func (hs HardState) IsEmpty() bool { return hs == HardState{} }

// ConfState is the membership of the group. Voters and Learners are sorted
// and disjoint.
type ConfState struct {
	Voters   []uint64
	Learners []uint64
}

// SnapshotMeta identifies a snapshot: the last log position it includes and
// the membership in force there. The snapshot's data belongs to the state
// machine (an LSM checkpoint in LineraDB) and travels separately.
type SnapshotMeta struct {
	Index uint64
	Term  uint64
	Conf  ConfState
}
