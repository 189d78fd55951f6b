package sim

import (
	"fmt"

	"github.com/lineradb/lineradb/raft"
)

// The Raft safety properties (Raft paper Figure 3), checked as they become
// observable — each Ready a node handles, each entry it applies — and after
// every kernel event. Every check is incremental: it looks at what changed,
// never rescans whole logs, so it can run on every event of every seed.
//
//   - Election safety: at most one leader per term, over the whole run
//     (leaderOf remembers every term's leader, across crashes).
//   - Log matching: an entry is identified by (index, term). The first
//     node to persist (i, t) records its content hash and the term of
//     entry i-1 in its log; every node persisting (i, t) later must agree
//     on both. By induction on i, two logs holding (i, t) are identical up
//     to i.
//   - Committed entries: committed[i] is the term of the entry committed at
//     i, recorded by the first node whose commit index passes i; every
//     node's committed prefix (as its commit index moves, and on restart)
//     must hold the same terms.
//   - Leader completeness: an entry committed in term T is in the log of
//     every leader of a term above T. The term an entry was committed in
//     is not observable, but it is at most the current term of any node
//     that already counts it committed, so commitTerm[i] keeps the least
//     such term seen, and leaders of terms above it are checked: when a
//     node becomes leader (every committed index it must hold), and when
//     an index is first seen committed (every live leader). A leader
//     elected late on votes granted long ago may lawfully lack entries
//     committed in later terms; the bound never asks it to hold them.
//   - State machine safety: every node applies the same entry at each
//     index and reaches the same state there (applied[i] holds the entry
//     hash and the state hash); an installed snapshot must equal the state
//     others reached by applying.
//   - Commit monotonicity: a node's commit index never decreases while it
//     runs; a restart starts from the persisted value.

type indexTerm struct{ index, term uint64 }

type entryRecord struct {
	hash, prevTerm uint64
}

type appliedRecord struct {
	set        bool
	entryKnown bool
	entryHash  uint64
	stateHash  uint64
}

type raftChecker struct {
	c *raftCluster
	// leaderOf and entries are only looked up, never iterated.
	leaderOf map[uint64]uint64
	entries  map[indexTerm]entryRecord
	// committed[i] is the term committed at index i; 0 means unknown
	// (below a snapshot nobody read back).
	committed []uint64
	// commitTerm[i] bounds from above the term entry i was committed in.
	commitTerm []uint64
	commitMax  uint64
	applied    []appliedRecord
}

func newRaftChecker(c *raftCluster) *raftChecker {
	return &raftChecker{
		c:        c,
		leaderOf: make(map[uint64]uint64),
		entries:  make(map[indexTerm]entryRecord),
	}
}

func (ch *raftChecker) fail(format string, args ...any) bool {
	ch.c.k.Fail(fmt.Errorf("raft safety: "+format, args...))
	return false
}

// eventCheck runs after every kernel event: election safety over every
// live node's current role. It is O(nodes).
func (ch *raftChecker) eventCheck() error {
	for _, n := range ch.c.nodes {
		if !n.live() || n.rn.Role() != raft.RoleLeader {
			continue
		}
		if !ch.noteLeader(n.id, n.rn.Term()) {
			return ch.c.k.Err()
		}
	}
	return nil
}

// noteLeader records that id leads term; false if another node did.
func (ch *raftChecker) noteLeader(id, term uint64) bool {
	if prev, ok := ch.leaderOf[term]; ok && prev != id {
		return ch.fail("election safety: nodes %d and %d both led term %d", prev, id, term)
	}
	if _, ok := ch.leaderOf[term]; !ok {
		ch.leaderOf[term] = id
		ch.c.onNewLeader(id, term)
	}
	return true
}

func entryHash(e raft.Entry) uint64 {
	h := newHasher()
	h.writeByte(byte(e.Type))
	h.writeBytes(e.Data)
	return h.sum
}

// onBoot checks a (re)started node's recovered committed prefix.
func (ch *raftChecker) onBoot(n *raftNode) bool {
	return ch.checkCommitted(n, n.log.Snapshot().Index, n.commit)
}

func (ch *raftChecker) onCrash(n *raftNode) {}

// onPersisted runs after a Ready's entries and hard state reached the log.
func (ch *raftChecker) onPersisted(n *raftNode, rd raft.Ready) bool {
	for i, e := range rd.Entries {
		prev := uint64(0)
		if i > 0 {
			prev = rd.Entries[i-1].Term
		} else if e.Index > 1 {
			t, err := n.log.Term(e.Index - 1)
			if err != nil {
				return ch.fail("node %d: no entry before appended %d: %v", n.id, e.Index, err)
			}
			prev = t
		}
		if !ch.noteEntry(n, e, prev) {
			return false
		}
	}
	if hs := rd.HardState; !hs.IsEmpty() && hs.Commit != n.commit {
		if hs.Commit < n.commit {
			return ch.fail("node %d: commit index fell from %d to %d", n.id, n.commit, hs.Commit)
		}
		if !ch.checkCommitted(n, n.commit+1, hs.Commit) {
			return false
		}
		n.commit = hs.Commit
	}
	if rd.SoftState != nil && rd.SoftState.Role == raft.RoleLeader {
		if !ch.noteLeader(n.id, n.rn.Term()) {
			return false
		}
		return ch.checkLeaderComplete(n)
	}
	return true
}

func (ch *raftChecker) noteEntry(n *raftNode, e raft.Entry, prevTerm uint64) bool {
	key := indexTerm{e.Index, e.Term}
	rec := entryRecord{hash: entryHash(e), prevTerm: prevTerm}
	got, ok := ch.entries[key]
	if !ok {
		ch.entries[key] = rec
		return true
	}
	if got != rec {
		return ch.fail("log matching: node %d holds entry %d/%d (prev term %d) unlike another node's (prev term %d)",
			n.id, e.Index, e.Term, prevTerm, got.prevTerm)
	}
	return true
}

// checkCommitted checks n's log at indexes lo..hi, which n now considers
// committed, against the global record, extending it.
func (ch *raftChecker) checkCommitted(n *raftNode, lo, hi uint64) bool {
	snap := n.log.Snapshot()
	for i := max(lo, snap.Index, 1); i <= hi; i++ {
		t, err := n.log.Term(i)
		if err != nil {
			return ch.fail("node %d: committed entry %d unreadable: %v", n.id, i, err)
		}
		if !ch.noteCommitted(n, i, t) {
			return false
		}
	}
	return true
}

func (ch *raftChecker) noteCommitted(n *raftNode, i, term uint64) bool {
	for uint64(len(ch.committed)) <= i {
		ch.committed = append(ch.committed, 0)
		ch.commitTerm = append(ch.commitTerm, 0)
	}
	observer := n.rn.Term()
	switch prev := ch.committed[i]; {
	case prev == 0:
		ch.committed[i], ch.commitTerm[i] = term, observer
		ch.commitMax = max(ch.commitMax, i)
		return ch.leadersHold(i)
	case prev != term:
		return ch.fail("committed entries differ: node %d committed term %d at index %d, earlier term %d",
			n.id, term, i, prev)
	}
	ch.commitTerm[i] = min(ch.commitTerm[i], observer)
	return true
}

// leadersHold checks a newly committed index against every live leader of
// a later term than it was committed in.
func (ch *raftChecker) leadersHold(i uint64) bool {
	for _, l := range ch.c.nodes {
		if l.live() && l.rn.Role() == raft.RoleLeader && l.rn.Term() > ch.commitTerm[i] {
			if !ch.leaderHolds(l, i) {
				return false
			}
		}
	}
	return true
}

// holds reports whether n's log (or snapshot) holds committed entry i.
func (ch *raftChecker) holds(n *raftNode, i uint64) bool {
	snap := n.log.Snapshot()
	switch {
	case i < snap.Index:
		return true
	case i == snap.Index:
		return snap.Term == ch.committed[i]
	case i > n.log.LastIndex():
		return false
	}
	t, err := n.log.Term(i)
	return err == nil && t == ch.committed[i]
}

// leaderHolds checks that leader l's log holds the committed entry at i.
func (ch *raftChecker) leaderHolds(l *raftNode, i uint64) bool {
	want := ch.committed[i]
	snap := l.log.Snapshot()
	switch {
	case i < snap.Index:
		return true // covered by its snapshot, checked at snap.Index
	case i == snap.Index:
		if snap.Term != want {
			return ch.fail("leader completeness: leader %d of term %d has snapshot %d/%d, committed term %d",
				l.id, l.rn.Term(), snap.Index, snap.Term, want)
		}
		return true
	case i > l.log.LastIndex():
		return ch.fail("leader completeness: leader %d of term %d lacks entry %d committed by term %d (its log ends at %d)",
			l.id, l.rn.Term(), i, ch.commitTerm[i], l.log.LastIndex())
	}
	t, err := l.log.Term(i)
	if err != nil || t != want {
		return ch.fail("leader completeness: leader %d of term %d holds term %d at index %d committed with term %d by term %d (%v)",
			l.id, l.rn.Term(), t, i, want, ch.commitTerm[i], err)
	}
	return true
}

// checkLeaderComplete: a new leader's log holds every entry committed in
// an earlier term than its own.
func (ch *raftChecker) checkLeaderComplete(n *raftNode) bool {
	term := n.rn.Term()
	late := false
	for i := max(n.log.Snapshot().Index, 1); i <= ch.commitMax; i++ {
		switch {
		case ch.committed[i] == 0:
		case ch.commitTerm[i] >= term:
			late = late || !ch.holds(n, i)
		case !ch.leaderHolds(n, i):
			return false
		}
	}
	if late {
		// The case the commit-term bound exists for: this leader lacks
		// an entry committed in its term or later. Counted so a campaign
		// shows it happens.
		ch.c.count("raft.check.late_leader")
	}
	return true
}

func (ch *raftChecker) appliedAt(i uint64) *appliedRecord {
	for uint64(len(ch.applied)) <= i {
		ch.applied = append(ch.applied, appliedRecord{})
	}
	return &ch.applied[i]
}

// onApply: every node applies the same entry at each index and reaches
// the same state.
func (ch *raftChecker) onApply(n *raftNode, e raft.Entry) bool {
	if e.Index > n.commit {
		return ch.fail("node %d applied %d beyond its commit %d", n.id, e.Index, n.commit)
	}
	if int(e.Index) < len(ch.committed) {
		if t := ch.committed[e.Index]; t != 0 && t != e.Term {
			return ch.fail("state machine safety: node %d applied term %d at %d, committed term %d", n.id, e.Term, e.Index, t)
		}
	}
	eh, sh := entryHash(e), n.kv.hash()
	rec := ch.appliedAt(e.Index)
	switch {
	case !rec.set:
		*rec = appliedRecord{set: true, entryKnown: true, entryHash: eh, stateHash: sh}
		ch.countConfChange(e)
	case rec.entryKnown && rec.entryHash != eh:
		return ch.fail("state machine safety: node %d applied a different entry at %d", n.id, e.Index)
	case rec.stateHash != sh:
		return ch.fail("state machine safety: node %d's state after %d differs from another node's", n.id, e.Index)
	default:
		if !rec.entryKnown {
			rec.entryKnown, rec.entryHash = true, eh
		}
	}
	return true
}

// onInstall: an installed snapshot equals the state reached by applying.
func (ch *raftChecker) onInstall(n *raftNode, meta raft.SnapshotMeta) bool {
	if meta.Index > n.commit {
		return ch.fail("node %d installed snapshot %d beyond its commit %d", n.id, meta.Index, n.commit)
	}
	sh := n.kv.hash()
	rec := ch.appliedAt(meta.Index)
	switch {
	case !rec.set:
		*rec = appliedRecord{set: true, stateHash: sh}
	case rec.stateHash != sh:
		return ch.fail("state machine safety: node %d installed snapshot %d whose state differs from the applied one", n.id, meta.Index)
	}
	return true
}

// countConfChange counts each membership change once, when first applied;
// the founding entries of term 1 are not changes.
func (ch *raftChecker) countConfChange(e raft.Entry) {
	if e.Type != raft.EntryConfChange || e.Term <= 1 {
		return
	}
	if cc, err := raft.DecodeConfChange(e.Data); err == nil {
		names := map[raft.ConfChangeType]string{
			raft.ConfAddVoter: "add_voter", raft.ConfAddLearner: "add_learner", raft.ConfRemoveNode: "remove",
		}
		ch.c.count("raft.conf_applied." + names[cc.Type])
	}
}
