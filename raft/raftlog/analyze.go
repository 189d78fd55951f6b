package raftlog

import (
	"fmt"
	"sort"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

// analysis is everything a read-only pass over a log directory learns. Open
// acts on it (truncating a torn tail, finishing an interrupted compaction);
// Verify reports it.
type analysis struct {
	stateFound bool
	state      durableState
	tempFound  bool
	segs       []segmentScan
	unknown    []string // files that are neither segments nor state

	// hardState is the newest copy, from the stream or the state file.
	hardState hardStateRecord
	// problems are corruptions: Open refuses to serve when there is any.
	problems []Problem
	// torn is the torn tail of the last segment, if any.
	torn *Problem

	// The log as recovered: entries firstIndex..lastIndex (empty when
	// lastIndex+1 == firstIndex), and what Open must tidy.
	firstIndex, lastIndex uint64
	// reset means no segment can be kept in place: there is none, or the
	// entries on disk all lie at or below the snapshot, or they disagree
	// with it. Open rewrites the log as empty after the snapshot.
	reset bool
	// staleSegs counts leading segments wholly at or below the snapshot
	// that an interrupted Compact left behind.
	staleSegs int
}

// analyze reads a log directory without changing it. It returns an error
// only when the directory cannot be read; damage goes into the analysis.
func analyze(fs diskio.FS, dir string, retriesMax int) (*analysis, error) {
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("raftlog: list %s: %w", dir, err)
	}
	a := &analysis{}
	var segNames []string
	for _, name := range names {
		switch _, isSeg := parseSegmentName(name); {
		case isSeg:
			segNames = append(segNames, name)
		case name == stateFileName:
			a.stateFound = true
		case name == stateTempName:
			a.tempFound = true
		default:
			a.unknown = append(a.unknown, name)
		}
	}
	// Hex names of equal length sort in index order; List promises sorted
	// output, but the order matters too much to trust it unchecked.
	sort.Strings(segNames)
	if a.stateFound {
		if err := a.readState(fs, dir, retriesMax); err != nil {
			return nil, err
		}
	}
	for i, name := range segNames {
		s, err := scanSegment(fs, dir, name, retriesMax)
		if err != nil {
			return nil, err
		}
		a.segs = append(a.segs, s)
		a.judgeSegment(&a.segs[i], i == len(segNames)-1)
	}
	a.checkHardStates()
	a.checkContiguity()
	a.recoverRange()
	return a, nil
}

// readState decodes the state file, re-reading it when it does not decode
// in case the fault was in the read, not on the disk.
func (a *analysis) readState(fs diskio.FS, dir string, retriesMax int) error {
	f, err := fs.Open(joinPath(dir, stateFileName))
	if err != nil {
		return fmt.Errorf("raftlog: open state: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("raftlog: size of state: %w", err)
	}
	r := reader{file: f, sizeBytes: size}
	var derr error
	for attempt := 0; attempt <= retriesMax; attempt++ {
		buf, err := r.read(0, int(size))
		if err != nil {
			return err
		}
		st, err := decodeState(buf)
		if err == nil {
			a.state = st
			return nil
		}
		derr = err
	}
	a.problems = append(a.problems, Problem{File: stateFileName, Offset: 0, Reason: derr.Error()})
	return nil
}

// judgeSegment decides whether a segment's damage is a torn tail or
// corruption, and collects its problems.
func (a *analysis) judgeSegment(s *segmentScan, last bool) {
	a.problems = append(a.problems, s.problems...)
	d := s.damage
	switch {
	case d == nil:
	case !last:
		a.problems = append(a.problems, Problem{File: s.name, Offset: d.offset,
			Reason: fmt.Sprintf("bad record in a segment that is not the last: %v", d.reason)})
	case d.validAfterOffset >= 0:
		a.problems = append(a.problems, Problem{File: s.name, Offset: d.offset,
			Reason: fmt.Sprintf("bad record followed by a valid record at offset %d: %v", d.validAfterOffset, d.reason)})
	default:
		a.torn = &Problem{File: s.name, Offset: d.offset, TornTail: true,
			Reason: fmt.Sprintf("%d bytes after the last good record: %v", s.sizeBytes-d.offset, d.reason)}
	}
}

// checkHardStates picks the newest hard state. Versions only grow as
// records are appended, so any step down in stream order is damage.
func (a *analysis) checkHardStates() {
	a.hardState = a.state.hardState
	var prev uint64
	for _, s := range a.segs {
		for _, r := range s.hardStates {
			if r.version <= prev {
				a.problems = append(a.problems, Problem{File: s.name, Offset: -1,
					Reason: fmt.Sprintf("hard state version %d after version %d", r.version, prev)})
			}
			prev = r.version
			if r.version > a.hardState.version {
				a.hardState = r
			}
		}
	}
}

// checkContiguity checks how segments follow each other: each starts right
// after the previous one's last entry, except that a gap is allowed where
// everything before it lies under the snapshot (a Compact that was
// interrupted while deleting old segments). Only the last segment may hold
// no entry.
func (a *analysis) checkContiguity() {
	snapIndex := a.state.snapshot.Index
	for i := range a.segs {
		s := &a.segs[i]
		if len(s.locs) == 0 && i != len(a.segs)-1 {
			a.problems = append(a.problems, Problem{File: s.name, Offset: -1,
				Reason: "segment with no entries before the last segment"})
		}
		if i == 0 || len(a.segs[i-1].locs) == 0 {
			continue
		}
		want := a.segs[i-1].lastIndex() + 1
		switch {
		case s.first < want:
			a.problems = append(a.problems, Problem{File: s.name, Offset: -1,
				Reason: fmt.Sprintf("segment starts at %d, overlapping the previous one ending at %d", s.first, want-1)})
		case s.first > want && s.first > snapIndex+1:
			a.problems = append(a.problems, Problem{File: s.name, Offset: -1,
				Reason: fmt.Sprintf("gap: segment starts at %d, the previous one ends at %d", s.first, want-1)})
		}
	}
}

// recoverRange works out which entries survive the snapshot and what Open
// must tidy. It follows the rule Compact applies: entries after the
// snapshot are kept only if the log holds the snapshot's own index with
// the snapshot's term (or starts right after it).
func (a *analysis) recoverRange() {
	snap := a.state.snapshot
	a.firstIndex, a.lastIndex = snap.Index+1, snap.Index
	a.reset = a.keptRange()
	a.raiseTerm()
	if c := a.hardState.hs.Commit; c > a.lastIndex {
		a.problems = append(a.problems, Problem{File: stateFileName, Offset: -1,
			Reason: fmt.Sprintf("hard state commits %d but the log ends at %d", c, a.lastIndex)})
	}
}

// keptRange sets lastIndex and staleSegs from the segments, and reports
// whether none can be kept (a reset).
func (a *analysis) keptRange() (reset bool) {
	snap := a.state.snapshot
	if len(a.segs) == 0 {
		return true
	}
	term, haveSnapEntry := a.termOnDisk(snap.Index)
	switch {
	case snap.Index > 0 && haveSnapEntry && term != snap.Term:
		return true
	case snap.Index > 0 && haveSnapEntry:
	default:
		if lo, ok := a.firstEntryAbove(snap.Index); ok && lo != snap.Index+1 {
			a.problems = append(a.problems, Problem{File: a.segs[0].name, Offset: -1,
				Reason: fmt.Sprintf("gap: snapshot at %d, next entry on disk %d", snap.Index, lo)})
			return false
		}
	}
	last := &a.segs[len(a.segs)-1]
	next := last.first + uint64(len(last.locs))
	if next <= snap.Index {
		// The newest segment lies wholly under the snapshot.
		return true
	}
	a.lastIndex = next - 1
	for i := 0; i < len(a.segs)-1 && a.segs[i].lastIndex() <= snap.Index; i++ {
		a.staleSegs++
	}
	return false
}

// raiseTerm lifts the hard state's term to the last entry's (or the
// snapshot's) when a crash kept entries of a newer term but not the hard
// state record that followed them in the same batch. No vote in that term
// can have been sent: a vote leaves only after the Sync that makes its
// hard state durable, and durable hard state is never lost. So the term
// is raised with no vote, which is what the node durably knew.
func (a *analysis) raiseTerm() {
	lastTerm := a.state.snapshot.Term
	if a.lastIndex > a.state.snapshot.Index && !a.reset {
		lastTerm, _ = a.termOnDisk(a.lastIndex)
	}
	if hs := a.hardState.hs; lastTerm > hs.Term {
		a.hardState.hs = raft.HardState{Term: lastTerm, Vote: raft.None, Commit: hs.Commit}
	}
}

func (a *analysis) termOnDisk(index uint64) (uint64, bool) {
	for _, s := range a.segs {
		if index >= s.first && index < s.first+uint64(len(s.locs)) {
			return s.locs[index-s.first].term, true
		}
	}
	return 0, false
}

func (a *analysis) firstEntryAbove(index uint64) (uint64, bool) {
	for _, s := range a.segs {
		if len(s.locs) > 0 && s.lastIndex() > index {
			return max(s.first, index+1), true
		}
	}
	return 0, false
}

// corruptError turns the first problem into the error Open returns.
func (a *analysis) corruptError(dir string) error {
	if len(a.problems) == 0 {
		return nil
	}
	p := a.problems[0]
	err := &CorruptError{File: joinPath(dir, p.File), Offset: p.Offset, Reason: p.Reason}
	if len(a.problems) > 1 {
		return fmt.Errorf("%w (and %d more problems)", err, len(a.problems)-1)
	}
	return err
}
