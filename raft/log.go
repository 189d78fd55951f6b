package raft

import "fmt"

// memLog is the core's in-memory copy of the log since the last snapshot.
// The durable copy lives in raft/raftlog; Ready hands out the suffix that is
// not yet durable (index > stable).
//
// Invariants:
//   - entries[i].Index == snapIndex+1+i, terms never decrease;
//   - snapIndex <= applied <= committed <= lastIndex();
//   - stable <= lastIndex(), snapIndex <= stable.
//
// Sharing: an element of the entries array is never written again once
// appended. Truncation caps the slice so the next append moves to a fresh
// array, and compaction moves the tail to a fresh array. So subslices of
// the log can be handed out without copying (MsgApp entries, Ready.Entries
// and Ready.CommittedEntries) and stay valid for as long as anyone holds
// them, whatever the log does next.
type memLog struct {
	snapIndex uint64
	snapTerm  uint64
	entries   []Entry
	// appendedSinceCompact counts entries appended since the last
	// compaction; it sizes the array compaction allocates for the next
	// cycle, so a steady workload appends without regrowing.
	appendedSinceCompact int
	committed            uint64
	// applied is the highest index the application acknowledged applying
	// (via Advance); handed is the highest index handed out in a Ready.
	applied uint64
	handed  uint64
	// stable is the highest index known durable (acknowledged by Advance).
	stable uint64
}

func (l *memLog) firstIndex() uint64 { return l.snapIndex + 1 }

func (l *memLog) lastIndex() uint64 { return l.snapIndex + uint64(len(l.entries)) }

func (l *memLog) lastTerm() uint64 {
	t, _ := l.term(l.lastIndex())
	return t
}

// term returns the term of entry i; ok is false if i is compacted away
// (below the snapshot) or beyond the last index.
func (l *memLog) term(i uint64) (uint64, bool) {
	switch {
	case i == l.snapIndex:
		return l.snapTerm, true
	case i < l.snapIndex || i > l.lastIndex():
		return 0, false
	}
	return l.entries[i-l.snapIndex-1].Term, true
}

func (l *memLog) matchTerm(i, t uint64) bool {
	lt, ok := l.term(i)
	return ok && lt == t
}

// isUpToDate reports whether a log ending at (index, term) is at least as
// up to date as ours (Raft §5.4.1).
func (l *memLog) isUpToDate(index, term uint64) bool {
	lt := l.lastTerm()
	return term > lt || (term == lt && index >= l.lastIndex())
}

// slice returns entries [lo, hi) bounded by maxCount and maxBytes; it
// always returns at least one entry when lo < hi so progress is possible.
// The caller guarantees lo > snapIndex. The result shares the log's array
// (see Sharing) and is capped, so appending to it cannot reach the log.
func (l *memLog) slice(lo, hi uint64, maxCount int, maxBytes uint64) []Entry {
	assert(lo > l.snapIndex, "slice below the snapshot")
	if hi > l.lastIndex()+1 {
		hi = l.lastIndex() + 1
	}
	if lo >= hi {
		return nil
	}
	src := l.entries[lo-l.snapIndex-1 : hi-l.snapIndex-1]
	var sizeBytes uint64
	n := 0
	for n < len(src) && n < maxCount {
		sizeBytes += uint64(len(src[n].Data))
		if n > 0 && sizeBytes > maxBytes {
			break
		}
		n++
	}
	return src[:n:n]
}

// between returns the entries [lo, hi] as a capped subslice shared with
// the log, for Ready. The caller guarantees snapIndex < lo <= hi+1 and
// hi <= lastIndex().
func (l *memLog) between(lo, hi uint64) []Entry {
	if lo > hi {
		return nil
	}
	assert(lo > l.snapIndex && hi <= l.lastIndex(), "between outside the log")
	return l.entries[lo-l.snapIndex-1 : hi-l.snapIndex : hi-l.snapIndex]
}

// from returns the in-memory entries [lo, lastIndex] without copying data,
// for reading inside the core only.
func (l *memLog) from(lo uint64) []Entry {
	if lo > l.lastIndex() {
		return nil
	}
	assert(lo > l.snapIndex, "from below the snapshot")
	return l.entries[lo-l.snapIndex-1:]
}

// append adds entries that directly follow the last index, with one
// append call for the whole batch.
func (l *memLog) append(ents ...Entry) {
	index, term := l.lastIndex(), l.lastTerm()
	for _, e := range ents {
		assert(e.Index == index+1, "append leaves a gap")
		assert(e.Term >= term, "append decreases term")
		index, term = e.Index, e.Term
	}
	l.entries = append(l.entries, ents...)
	l.appendedSinceCompact += len(ents)
}

// maybeAppend merges a leader's entries that follow prevIndex (already known
// to match). Entries already present with the same term are kept; the
// first conflicting entry truncates our suffix. It returns the last index
// the leader's message covers.
func (l *memLog) maybeAppend(prevIndex uint64, ents []Entry) uint64 {
	lastNew := prevIndex + uint64(len(ents))
	for i, e := range ents {
		if e.Index <= l.snapIndex {
			continue // already covered by our snapshot, hence committed
		}
		if l.matchTerm(e.Index, e.Term) {
			continue
		}
		if e.Index <= l.lastIndex() {
			l.truncateFrom(e.Index)
		}
		l.append(ents[i:]...)
		break
	}
	return lastNew
}

// truncateFrom drops entries at index >= i. Committed entries never go.
func (l *memLog) truncateFrom(i uint64) {
	if i <= l.committed {
		panic(fmt.Sprintf("raft: truncating committed entry %d (committed %d)", i, l.committed))
	}
	// Cap the slice: the replacing entries must go to a fresh array, since
	// the dropped ones may still be held by a Ready or an in-flight MsgApp.
	n := i - l.snapIndex - 1
	l.entries = l.entries[:n:n]
	if l.stable >= i {
		l.stable = i - 1
	}
	if l.handed >= i {
		l.handed = i - 1
	}
}

// conflictHint returns the hint a follower sends when the entry at
// prevIndex does not match: if the log is too short, (lastIndex+1, 0);
// otherwise the first index of the conflicting term and that term, so the
// leader can skip a whole term per round trip.
func (l *memLog) conflictHint(prevIndex uint64) (index, term uint64) {
	if prevIndex > l.lastIndex() {
		return l.lastIndex() + 1, 0
	}
	t, ok := l.term(prevIndex)
	if !ok {
		return l.committed + 1, 0
	}
	i := prevIndex
	for i > l.committed+1 && i > l.firstIndex() {
		pt, _ := l.term(i - 1)
		if pt != t {
			break
		}
		i--
	}
	return i, t
}

// lastIndexOfTerm returns the largest index <= atMost whose term is t, or
// 0 if we hold no such entry.
func (l *memLog) lastIndexOfTerm(t, atMost uint64) uint64 {
	if atMost > l.lastIndex() {
		atMost = l.lastIndex()
	}
	for i := atMost; i > l.snapIndex; i-- {
		it, _ := l.term(i)
		if it == t {
			return i
		}
		if it < t {
			return 0
		}
	}
	return 0
}

// commitTo raises committed; it never lowers it.
func (l *memLog) commitTo(i uint64) bool {
	if i <= l.committed {
		return false
	}
	assert(i <= l.lastIndex(), "commit beyond the last index")
	l.committed = i
	return true
}

// compact drops entries at index <= i, keeping i's term as the snapshot.
// The tail moves to a fresh array (the old one may be shared, and keeping
// it would keep the compacted payloads alive) sized for as many appends as
// the last cycle saw, so a steady workload does not regrow it from small.
func (l *memLog) compact(i uint64) {
	t, ok := l.term(i)
	assert(ok, "compact of an unknown index")
	tail := l.entries[i-l.snapIndex:]
	next := make([]Entry, len(tail), len(tail)+max(l.appendedSinceCompact, compactHeadroomEntriesMin))
	copy(next, tail)
	l.entries = next
	l.appendedSinceCompact = 0
	l.snapIndex, l.snapTerm = i, t
}

// compactHeadroomEntriesMin is the least spare capacity compaction leaves.
const compactHeadroomEntriesMin = 64

// restore replaces the whole log with a snapshot position.
func (l *memLog) restore(meta SnapshotMeta) {
	l.entries = nil
	l.snapIndex, l.snapTerm = meta.Index, meta.Term
	l.committed, l.applied, l.handed, l.stable = meta.Index, meta.Index, meta.Index, meta.Index
}

// check verifies the structural invariants; cheap enough for tests.
func (l *memLog) check() error {
	prevTerm := l.snapTerm
	for i, e := range l.entries {
		if e.Index != l.snapIndex+1+uint64(i) {
			return fmt.Errorf("entry %d has index %d", i, e.Index)
		}
		if e.Term < prevTerm {
			return fmt.Errorf("term decreases at %d", e.Index)
		}
		prevTerm = e.Term
	}
	switch {
	case l.applied > l.committed:
		return fmt.Errorf("applied %d > committed %d", l.applied, l.committed)
	case l.committed > l.lastIndex():
		return fmt.Errorf("committed %d > last %d", l.committed, l.lastIndex())
	case l.applied < l.snapIndex:
		return fmt.Errorf("applied %d < snapshot %d", l.applied, l.snapIndex)
	case l.stable > l.lastIndex() || l.stable < l.snapIndex:
		return fmt.Errorf("stable %d outside [%d, %d]", l.stable, l.snapIndex, l.lastIndex())
	case l.handed < l.applied || l.handed > l.committed:
		return fmt.Errorf("handed %d outside [applied %d, committed %d]", l.handed, l.applied, l.committed)
	}
	return nil
}

func assert(cond bool, msg string) {
	if !cond {
		panic("raft: invariant violated: " + msg)
	}
}
