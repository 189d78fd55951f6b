package raft

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Membership changes, one server at a time (thesis §4.1) with the fix for
// the bug found after publication: a leader proposes a change only after it
// has committed an entry of its own term, and only while no other change is
// uncommitted. A change takes effect on every member when its entry
// COMMITS (not when appended, not when applied): the configuration is a
// pure function of (snapshot conf, committed log prefix), so truncating an
// uncommitted suffix never has to undo one, and restart rebuilds it from
// the recovered commit index.

// ConfChangeType says what a ConfChange does.
type ConfChangeType uint8

const (
	// ConfAddVoter adds a voter, or promotes a learner to voter.
	ConfAddVoter ConfChangeType = iota + 1
	// ConfAddLearner adds a non-voting member that receives the log.
	ConfAddLearner
	// ConfRemoveNode removes a voter or learner.
	ConfRemoveNode
)

// ConfChange is the payload of an EntryConfChange entry.
type ConfChange struct {
	Type   ConfChangeType
	NodeID uint64
}

func (cc ConfChange) String() string {
	names := map[ConfChangeType]string{ConfAddVoter: "add-voter", ConfAddLearner: "add-learner", ConfRemoveNode: "remove"}
	n, ok := names[cc.Type]
	if !ok {
		n = fmt.Sprintf("conf(%d)", cc.Type)
	}
	return fmt.Sprintf("%s %d", n, cc.NodeID)
}

// confChangeVersion prefixes the encoding so it can evolve.
const confChangeVersion = 1

// Encode returns the entry payload for cc.
func (cc ConfChange) Encode() []byte {
	b := []byte{confChangeVersion, byte(cc.Type)}
	return binary.AppendUvarint(b, cc.NodeID)
}

// DecodeConfChange parses an EntryConfChange payload.
func DecodeConfChange(b []byte) (ConfChange, error) {
	if len(b) < 3 || b[0] != confChangeVersion {
		return ConfChange{}, fmt.Errorf("%w: conf change header", ErrInvalidConfChange)
	}
	cc := ConfChange{Type: ConfChangeType(b[1])}
	id, n := binary.Uvarint(b[2:])
	if n <= 0 || 2+n != len(b) {
		return ConfChange{}, fmt.Errorf("%w: conf change node id", ErrInvalidConfChange)
	}
	cc.NodeID = id
	if cc.Type < ConfAddVoter || cc.Type > ConfRemoveNode || id == None {
		return ConfChange{}, fmt.Errorf("%w: %v", ErrInvalidConfChange, cc)
	}
	return cc, nil
}

// membership is the configuration in force, as of log index `index`.
// Invariant: voters and learners are sorted, duplicate-free, disjoint;
// all is their sorted union. The slices are never modified once built (a
// change builds new ones), so members() can share all without copying.
type membership struct {
	voters   []uint64
	learners []uint64
	all      []uint64
	index    uint64
}

func newMembership(cs ConfState) membership {
	m := membership{voters: slices.Clone(cs.Voters), learners: slices.Clone(cs.Learners)}
	slices.Sort(m.voters)
	slices.Sort(m.learners)
	m.voters = slices.Compact(m.voters)
	m.learners = slices.Compact(m.learners)
	return m.withAll()
}

// withAll returns m with its member list rebuilt from voters and learners.
// Broadcasts walk the member list on every proposal and acknowledgement,
// so it is computed here, once per configuration change.
func (m membership) withAll() membership {
	m.all = append(slices.Clone(m.voters), m.learners...)
	slices.Sort(m.all)
	return m
}

func (m membership) isVoter(id uint64) bool {
	_, ok := slices.BinarySearch(m.voters, id)
	return ok
}

func (m membership) isLearner(id uint64) bool {
	_, ok := slices.BinarySearch(m.learners, id)
	return ok
}

// members returns voters and learners, sorted. The slice is shared:
// callers must not modify it.
func (m membership) members() []uint64 { return m.all }

func (m membership) confState() ConfState {
	return ConfState{Voters: slices.Clone(m.voters), Learners: slices.Clone(m.learners)}
}

// apply returns the membership after cc; it reports an error if cc makes
// no sense against m (such entries are skipped identically everywhere).
func (m membership) apply(cc ConfChange) (membership, error) {
	out := membership{index: m.index}
	del := func(s []uint64, id uint64) []uint64 {
		return slices.DeleteFunc(slices.Clone(s), func(x uint64) bool { return x == id })
	}
	ins := func(s []uint64, id uint64) []uint64 {
		s = append(slices.Clone(s), id)
		slices.Sort(s)
		return s
	}
	switch cc.Type {
	case ConfAddVoter:
		if m.isVoter(cc.NodeID) {
			return m, fmt.Errorf("%w: %d is already a voter", ErrInvalidConfChange, cc.NodeID)
		}
		out.voters, out.learners = ins(m.voters, cc.NodeID), del(m.learners, cc.NodeID)
	case ConfAddLearner:
		if m.isVoter(cc.NodeID) || m.isLearner(cc.NodeID) {
			return m, fmt.Errorf("%w: %d is already a member", ErrInvalidConfChange, cc.NodeID)
		}
		out.voters, out.learners = slices.Clone(m.voters), ins(m.learners, cc.NodeID)
	case ConfRemoveNode:
		if !m.isVoter(cc.NodeID) && !m.isLearner(cc.NodeID) {
			return m, fmt.Errorf("%w: %d is not a member", ErrInvalidConfChange, cc.NodeID)
		}
		out.voters, out.learners = del(m.voters, cc.NodeID), del(m.learners, cc.NodeID)
		if len(out.voters) == 0 {
			return m, fmt.Errorf("%w: cannot remove the last voter", ErrInvalidConfChange)
		}
	default:
		return m, fmt.Errorf("%w: %v", ErrInvalidConfChange, cc)
	}
	return out.withAll(), nil
}

// ProposeConfChange proposes a membership change (on the leader) or
// forwards it to the leader, which enforces the rules.
func (r *Raft) ProposeConfChange(cc ConfChange) error {
	if r.role == RoleLeader {
		if err := r.checkConfChange(Entry{Type: EntryConfChange, Data: cc.Encode()}); err != nil {
			return err
		}
	}
	return r.propose(Entry{Type: EntryConfChange, Data: cc.Encode()})
}

// checkConfChange enforces, on the leader, the rules that keep
// single-server changes safe.
func (r *Raft) checkConfChange(e Entry) error {
	cc, err := DecodeConfChange(e.Data)
	if err != nil {
		return err
	}
	if r.pendingConfIndex > r.log.committed {
		return ErrConfChangePending
	}
	if t, _ := r.log.term(r.log.committed); t != r.term && !r.cfg.Testing.SkipConfChangeTermRule {
		return ErrConfChangeTooEarly
	}
	if _, err := r.conf.apply(cc); err != nil {
		return err
	}
	return nil
}

// lastConfIndex returns the index of the last conf change entry in the
// uncommitted tail, or the commit index if there is none.
func (r *Raft) lastConfIndex() uint64 {
	tail := r.log.from(r.log.committed + 1)
	for i := len(tail) - 1; i >= 0; i-- {
		if tail[i].Type == EntryConfChange {
			return tail[i].Index
		}
	}
	return r.log.committed
}

// removingSelf reports whether the pending (uncommitted) conf change
// removes this leader. While it does, the leader accepts no proposals: its
// log must end at the removal entry so that, once it steps down, some
// remaining member holds everything it holds and can win an election. (If
// it held uncommitted entries nobody else has, its refusals to vote for
// less up-to-date candidates could block every election forever.)
func (r *Raft) removingSelf() bool {
	if r.pendingConfIndex <= r.log.committed {
		return false
	}
	e := r.log.from(r.pendingConfIndex)[0]
	cc, err := DecodeConfChange(e.Data)
	return err == nil && cc.Type == ConfRemoveNode && cc.NodeID == r.id
}

// applyConfChangesTo activates the conf changes in (conf.index, i].
func (r *Raft) applyConfChangesTo(i uint64) {
	if i <= r.conf.index {
		return
	}
	for _, e := range r.log.from(r.conf.index + 1) {
		if e.Index > i {
			break
		}
		if e.Type == EntryConfChange {
			r.applyConfEntry(e)
		}
	}
	r.conf.index = i
}

func (r *Raft) applyConfEntry(e Entry) {
	cc, err := DecodeConfChange(e.Data)
	if err != nil {
		r.counters.ConfChangesSkipped++
		return
	}
	next, err := r.conf.apply(cc)
	if err != nil {
		r.counters.ConfChangesSkipped++
		return
	}
	next.index = e.Index
	r.conf = next
	r.confChanged = true
	r.confEntryIndex = e.Index
	r.counters.ConfChangesApplied++
	if r.role == RoleLeader {
		r.leaderOnConfChange(cc)
	}
}

// leaderOnConfChange updates progress tracking after a membership change.
func (r *Raft) leaderOnConfChange(cc ConfChange) {
	if cc.Type == ConfRemoveNode && cc.NodeID == r.id {
		// Removed leader: send the commit of our removal (queued by
		// setCommit) while we still track followers, then step down; the
		// rest elect a leader among themselves.
		r.flushAppends()
		r.becomeFollower(r.term, None)
		return
	}
	switch cc.Type {
	case ConfRemoveNode:
		delete(r.progress, cc.NodeID)
		if r.leadTransferee == cc.NodeID {
			r.leadTransferee = None
		}
	case ConfAddVoter, ConfAddLearner:
		if pr := r.progress[cc.NodeID]; pr != nil {
			pr.IsLearner = r.conf.isLearner(cc.NodeID)
		} else {
			r.addProgress(cc.NodeID)
			r.queueAppend(cc.NodeID, true)
		}
	}
}

// confAt returns the configuration in force at index i (snapIndex <= i <=
// committed): the snapshot's, plus the committed changes up to i.
func (r *Raft) confAt(i uint64) ConfState {
	m := newMembership(r.snap.Conf)
	for _, e := range r.log.from(r.log.firstIndex()) {
		if e.Index > i {
			break
		}
		if e.Type != EntryConfChange {
			continue
		}
		if cc, err := DecodeConfChange(e.Data); err == nil {
			if next, err := m.apply(cc); err == nil {
				m = next
			}
		}
	}
	return m.confState()
}
