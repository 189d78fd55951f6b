package raft

import "slices"

// SoftState is volatile state worth reporting when it changes.
type SoftState struct {
	Lead uint64
	Role Role
}

// Ready is the batch of work the core hands to its owner. Handle it in the
// order of doc.go's contract, then call Advance(rd).
//
// Entries, CommittedEntries and the Entries of Messages are not copies:
// they share the core's in-memory log. Treat them as read-only. They stay
// valid after Advance, because the core never rewrites an entry in place
// (truncation and compaction move the log to a fresh array).
type Ready struct {
	// SoftState is non-nil when the role or the known leader changed.
	SoftState *SoftState
	// HardState must be persisted if non-empty (it changed).
	HardState HardState
	// Entries must be appended durably, first replacing any stored entries
	// at index >= Entries[0].Index.
	Entries []Entry
	// SnapshotChunks are received snapshot pieces to stage durably, in
	// order; a chunk at offset 0 restarts staging.
	SnapshotChunks []SnapshotChunk
	// Snapshot is non-nil when a received snapshot is complete: install the
	// staged state, and make the durable log start after Snapshot.Index,
	// before applying CommittedEntries.
	Snapshot *SnapshotMeta
	// CommittedEntries are to be applied to the state machine in order.
	CommittedEntries []Entry
	// Messages are to be sent only after everything above is durable.
	Messages []Message
	// ReadStates answer ReadIndex requests.
	ReadStates []ReadState
	// ConfState is non-nil when the membership changed (a conf change
	// committed or a snapshot was installed).
	ConfState *ConfState
	// MustSync is true when HardState, Entries or the snapshot need an
	// fsync before Messages go out and CommittedEntries are applied. It is
	// true whenever HardState.Commit reaches a membership change that no
	// earlier Ready's commit reached, so a membership change is durable
	// before anything acts on it (see mustSync).
	MustSync bool
}

func (r *Raft) softState() SoftState { return SoftState{Lead: r.lead, Role: r.role} }

// HasReady reports whether Ready would return any work. It builds the
// MsgApps queued since the last Ready (see replication.go), so the batch
// it reports is the one Ready returns.
func (r *Raft) HasReady() bool {
	if r.outstanding {
		return false
	}
	r.flushAppends()
	switch {
	case r.softState() != r.prevSoft, r.hardState() != r.prevHard:
		return true
	case len(r.msgs) > 0, len(r.readStates) > 0, len(r.chunks) > 0:
		return true
	case r.installed != nil, r.confChanged:
		return true
	case r.log.lastIndex() > r.log.stable:
		return true
	}
	return r.log.committed > r.log.handed
}

// Ready collects pending work. Until Advance(rd) the core refuses input.
func (r *Raft) Ready() Ready {
	assert(!r.outstanding, "Ready called twice without Advance")
	r.flushAppends()
	rd := Ready{
		Entries:        r.log.between(r.log.stable+1, r.log.lastIndex()),
		SnapshotChunks: r.chunks,
		Snapshot:       r.installed,
		Messages:       r.takeMessages(),
		ReadStates:     r.readStates,
	}
	if r.softState() != r.prevSoft {
		// A fresh variable in the branch: taking the address of one
		// declared in the if statement would heap-allocate it on every
		// Ready, changed or not.
		ss := r.softState()
		rd.SoftState = &ss
	}
	if hs := r.hardState(); hs != r.prevHard {
		rd.HardState = hs
	}
	if r.log.committed > r.log.handed {
		rd.CommittedEntries = r.log.between(r.log.handed+1, r.log.committed)
	}
	if r.confChanged {
		cs := r.conf.confState()
		rd.ConfState = &cs
	}
	rd.MustSync = r.mustSync(rd)
	r.readStates, r.chunks, r.installed, r.confChanged = nil, nil, nil, false
	r.outstanding = true
	return rd
}

// mustSync reports whether rd's durable state needs an fsync before its
// messages leave and its committed entries are applied: new entries, a
// new term or vote, snapshot state, or a commit that reaches a membership
// change for the first time. The last is there because membership takes
// effect at commit and is rebuilt at restart from the durable commit
// index: were that commit lost in a crash, the member would come back
// under the configuration before the change — one whose quorum may need a
// member that has since been removed and shut down (sim seed 11603). A
// commit that covers only normal entries may still be lost: the entries
// are durable on a quorum and the commit index is learned again.
func (r *Raft) mustSync(rd Ready) bool {
	// An empty HardState means "unchanged", not "term 0": comparing it
	// with the previous one would ask for an fsync on every heartbeat.
	hardChanged := !rd.HardState.IsEmpty() &&
		(rd.HardState.Term != r.prevHard.Term || rd.HardState.Vote != r.prevHard.Vote)
	return len(rd.Entries) > 0 || hardChanged || rd.Snapshot != nil || len(rd.SnapshotChunks) > 0 ||
		r.confEntryIndex > r.prevHard.Commit
}

// outboxRetainMsgsMax bounds the scratch outbox kept between Readies; a
// burst beyond it (a leader catching up many followers) is not retained.
const outboxRetainMsgsMax = 1024

// takeMessages returns the queued messages in a slice of exactly their
// number (one allocation per Ready, none for growth) and empties the
// outbox for reuse.
func (r *Raft) takeMessages() []Message {
	if len(r.msgs) == 0 {
		return nil
	}
	out := slices.Clone(r.msgs)
	if cap(r.msgs) > outboxRetainMsgsMax {
		r.msgs = nil
		return out
	}
	clear(r.msgs) // drop references to entries and payloads
	r.msgs = r.msgs[:0]
	return out
}

// Advance acknowledges that rd was handled per the contract: its entries
// and hard state are durable, its messages sent, its committed entries
// applied.
func (r *Raft) Advance(rd Ready) {
	assert(r.outstanding, "Advance without Ready")
	r.outstanding = false
	if rd.SoftState != nil {
		r.prevSoft = *rd.SoftState
	}
	if !rd.HardState.IsEmpty() {
		r.prevHard = rd.HardState
	}
	if n := len(rd.Entries); n > 0 {
		r.log.stable = max(r.log.stable, rd.Entries[n-1].Index)
	}
	if n := len(rd.CommittedEntries); n > 0 {
		last := rd.CommittedEntries[n-1].Index
		r.log.applied, r.log.handed = last, last
	}
	if r.role == RoleLeader {
		// Our own entries count toward commit only once durable.
		if pr := r.progress[r.id]; pr != nil && pr.maybeUpdate(r.log.stable) {
			r.maybeCommit()
		}
	}
	r.checkInvariants()
}
