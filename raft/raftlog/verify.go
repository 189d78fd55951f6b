package raftlog

import (
	"fmt"
	"strings"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

// Report is what Verify found in a log directory. It is plain data so that
// `lineradb-admin verify-wal DIR` can print it or emit it as JSON.
type Report struct {
	Dir   string
	Files []FileReport // segments in index order
	// StateFile is true when the state file exists.
	StateFile bool
	HardState raft.HardState
	Snapshot  raft.SnapshotMeta
	// Records counts the records that parsed, in all segments.
	Records int
	// FirstIndex..LastIndex is the log Open would recover (empty when
	// LastIndex+1 == FirstIndex).
	FirstIndex, LastIndex uint64
	// Problems lists corruption, then any torn tail; a torn tail
	// is benign (Open cuts it), anything else makes Open fail.
	Problems []Problem
	// Unknown lists files in the directory that the log does not own.
	Unknown []string
}

// FileReport describes one segment file.
type FileReport struct {
	Name       string
	SizeBytes  int64
	Records    int
	Entries    int
	HardStates int
	// FirstIndex and LastIndex bound the entries that parsed; both are 0
	// when there are none.
	FirstIndex, LastIndex uint64
}

// OK reports whether Open would accept the directory: no problem other
// than a torn tail.
func (r Report) OK() bool {
	for _, p := range r.Problems {
		if !p.TornTail {
			return false
		}
	}
	return true
}

// String renders the report for a terminal, one fact per line, in a fixed
// order.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wal %s: %d segments, %d records, entries %d..%d\n",
		r.Dir, len(r.Files), r.Records, r.FirstIndex, r.LastIndex)
	fmt.Fprintf(&b, "hard state: term=%d vote=%d commit=%d\n", r.HardState.Term, r.HardState.Vote, r.HardState.Commit)
	fmt.Fprintf(&b, "snapshot: index=%d term=%d (state file: %t)\n", r.Snapshot.Index, r.Snapshot.Term, r.StateFile)
	for _, f := range r.Files {
		fmt.Fprintf(&b, "  %s: %d bytes, %d records, %d entries [%d..%d], %d hard states\n",
			f.Name, f.SizeBytes, f.Records, f.Entries, f.FirstIndex, f.LastIndex, f.HardStates)
	}
	for _, name := range r.Unknown {
		fmt.Fprintf(&b, "  unknown file: %s\n", name)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	verdict := "OK"
	if !r.OK() {
		verdict = "CORRUPT"
	}
	fmt.Fprintf(&b, "verdict: %s\n", verdict)
	return b.String()
}

// Verify walks every segment in dir, checks every record's checksum and
// the contiguity of indexes within and across segments, and the state
// file. It changes nothing: a torn tail is reported, not cut. The error is
// for a directory that cannot be read at all; damage is in the report.
func Verify(fs diskio.FS, dir string) (Report, error) {
	a, err := analyze(fs, dir, DefaultReadRetriesMax)
	if err != nil {
		return Report{}, err
	}
	r := Report{
		Dir:        dir,
		StateFile:  a.stateFound,
		HardState:  a.hardState.hs,
		Snapshot:   a.state.snapshot,
		FirstIndex: a.firstIndex,
		LastIndex:  a.lastIndex,
		Problems:   append([]Problem(nil), a.problems...),
		Unknown:    a.unknown,
	}
	if a.torn != nil {
		r.Problems = append(r.Problems, *a.torn)
	}
	for i := range a.segs {
		s := &a.segs[i]
		fr := FileReport{Name: s.name, SizeBytes: s.sizeBytes, Records: s.records,
			Entries: len(s.locs), HardStates: len(s.hardStates)}
		if len(s.locs) > 0 {
			fr.FirstIndex, fr.LastIndex = s.first, s.lastIndex()
		}
		r.Records += s.records
		r.Files = append(r.Files, fr)
	}
	return r, nil
}
