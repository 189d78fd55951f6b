package raftlog

import (
	"errors"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

// harshFS is a MemFS whose crashes keep nothing unsynced: what a test
// synced is exactly what survives.
func harshFS(t *testing.T, seed uint64) *diskio.MemFS {
	fs := diskio.NewMemFS(seed)
	if err := fs.Configure(diskio.MemFSConfig{CrashMode: diskio.CrashLoseUnsynced}); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestRoundTrip(t *testing.T) {
	fs := harshFS(t, 1)
	l, rec := mustOpen(t, fs, Options{})
	if rec.FirstIndex != 1 || rec.LastIndex != 0 || !rec.HardState.IsEmpty() || rec.TornTail != nil {
		t.Fatalf("fresh log recovered %+v", rec)
	}
	want := mkEntries(1, 101, 1)
	want[7].Type = raft.EntryConfChange
	want[9].Data = nil
	mustAppend(t, l, want)
	hs := raft.HardState{Term: 1, Vote: 3, Commit: 90}
	if err := l.SetHardState(hs); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	// Appended after the last Sync: must not survive a harsh crash.
	mustAppend(t, l, mkEntries(101, 111, 1))
	fs.Crash()

	l, rec = mustOpen(t, fs, Options{})
	if rec.HardState != hs || rec.FirstIndex != 1 || rec.LastIndex != 100 {
		t.Fatalf("recovered %+v, want hs %+v and entries 1..100", rec, hs)
	}
	checkEntries(t, l, want)
	// The log keeps working after recovery.
	mustAppend(t, l, mkEntries(101, 121, 2))
	mustSync(t, l)
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{})
	checkEntries(t, l, append(want, mkEntries(101, 121, 2)...))
}

func TestEntriesMaxBytes(t *testing.T) {
	l, _ := mustOpen(t, harshFS(t, 1), Options{})
	mustAppend(t, l, mkEntries(1, 11, 1))
	one := uint64(entryBodyBytesMin + len(mkEntries(1, 2, 1)[0].Data))
	for _, tc := range []struct{ maxBytes, want uint64 }{{1, 1}, {one, 1}, {2*one + 1, 2}, {0, 10}} {
		got, err := l.Entries(1, 11, tc.maxBytes)
		if err != nil || uint64(len(got)) != tc.want {
			t.Fatalf("Entries(maxBytes=%d) = %d entries, %v; want %d", tc.maxBytes, len(got), err, tc.want)
		}
	}
	if _, err := l.Entries(5, 12, 0); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Entries past the end: %v", err)
	}
	if _, err := l.Term(11); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Term past the end: %v", err)
	}
}

func TestAppendRejectsBadInput(t *testing.T) {
	l, _ := mustOpen(t, harshFS(t, 1), Options{})
	mustAppend(t, l, mkEntries(1, 11, 2))
	if err := l.SetHardState(raft.HardState{Term: 2, Commit: 5}); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]raft.Entry{
		"gap":             mkEntries(13, 14, 2),
		"committed":       mkEntries(5, 6, 3),
		"term goes back":  mkEntries(11, 12, 1),
		"not contiguous":  {mkEntries(11, 12, 2)[0], mkEntries(13, 14, 2)[0]},
		"unknown type":    {{Term: 2, Index: 11, Type: 9}},
		"index zero base": mkEntries(0, 1, 2),
	}
	for name, es := range bad {
		if err := l.Append(es); err == nil {
			t.Errorf("%s: Append accepted %+v", name, es)
		}
	}
	if l.LastIndex() != 10 {
		t.Fatalf("rejected appends changed the log: last %d", l.LastIndex())
	}
	for name, hs := range map[string]raft.HardState{
		"term back":      {Term: 1, Commit: 5},
		"vote change":    {Term: 2, Vote: 1, Commit: 5},
		"commit back":    {Term: 2, Commit: 4},
		"commit too far": {Term: 2, Commit: 11},
	} {
		if name == "vote change" {
			if err := l.SetHardState(raft.HardState{Term: 2, Vote: 2, Commit: 5}); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.SetHardState(hs); err == nil {
			t.Errorf("%s: SetHardState accepted %+v", name, hs)
		}
	}
}

func TestConflictingSuffixTruncatedAcrossSegments(t *testing.T) {
	fs := harshFS(t, 2)
	opts := Options{SegmentSizeBytesMax: 256}
	l, _ := mustOpen(t, fs, opts)
	mustAppend(t, l, mkEntries(1, 41, 1))
	if err := l.SetHardState(raft.HardState{Term: 1, Vote: 1, Commit: 5}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	if n := len(segmentFiles(t, fs)); n < 5 {
		t.Fatalf("only %d segments; the test needs several", n)
	}
	// A hard state record after the cut point must survive the cut.
	if err := l.SetHardState(raft.HardState{Term: 2, Vote: 2, Commit: 6}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	mustAppend(t, l, mkEntries(12, 16, 2))
	want := append(mkEntries(1, 12, 1), mkEntries(12, 16, 2)...)
	checkEntries(t, l, want)
	mustSync(t, l)
	fs.Crash()

	l, rec := mustOpen(t, fs, opts)
	if rec.HardState != (raft.HardState{Term: 2, Vote: 2, Commit: 6}) {
		t.Fatalf("hard state %+v lost in the cut", rec.HardState)
	}
	checkEntries(t, l, want)
	// Cut exactly at a segment's first entry.
	s := l.segs[len(l.segs)-1]
	mustAppend(t, l, mkEntries(s.first, s.first+1, 3))
	mustSync(t, l)
	fs.Crash()
	l, _ = mustOpen(t, fs, opts)
	checkEntries(t, l, append(want[:s.first-1], mkEntries(s.first, s.first+1, 3)...))
}

func TestRolloverNamesSegmentsByFirstIndex(t *testing.T) {
	fs := harshFS(t, 3)
	opts := Options{SegmentSizeBytesMax: 200}
	l, _ := mustOpen(t, fs, opts)
	for i := uint64(1); i <= 30; i += 3 {
		mustAppend(t, l, mkEntries(i, i+3, 1))
		mustSync(t, l)
	}
	fs.Crash()
	l, _ = mustOpen(t, fs, opts)
	checkEntries(t, l, mkEntries(1, 31, 1))
	segs := segmentFiles(t, fs)
	if len(segs) != l.Stats().SegmentCount || len(segs) < 5 {
		t.Fatalf("%d segment files, stats say %d", len(segs), l.Stats().SegmentCount)
	}
	for i, s := range l.segs {
		if segs[i] != segmentName(s.first) {
			t.Fatalf("segment %d named %s, holds entries from %d", i, segs[i], s.first)
		}
	}
	if segs[0] != "0000000000000001.seg" {
		t.Fatalf("first segment %s", segs[0])
	}
}

func TestCompactDeletesWholeSegments(t *testing.T) {
	fs := harshFS(t, 4)
	opts := Options{SegmentSizeBytesMax: 256}
	l, _ := mustOpen(t, fs, opts)
	mustAppend(t, l, mkEntries(1, 61, 1))
	if err := l.SetHardState(raft.HardState{Term: 1, Vote: 1, Commit: 60}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	before := len(segmentFiles(t, fs))
	meta := raft.SnapshotMeta{Index: 30, Term: 1, Conf: raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}}
	if err := l.Compact(meta); err != nil {
		t.Fatal(err)
	}
	after := len(segmentFiles(t, fs))
	if after >= before {
		t.Fatalf("Compact kept all %d segments", before)
	}
	if l.segs[0].first > 31 || l.segs[0].next() <= 31 {
		t.Fatalf("first kept segment %d..%d does not hold entry 31", l.segs[0].first, l.segs[0].next()-1)
	}
	if _, err := l.Entries(30, 31, 0); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Entries(30): %v", err)
	}
	fs.Crash()
	l, rec := mustOpen(t, fs, opts)
	if rec.Snapshot.Index != 30 || rec.Snapshot.Term != 1 || len(rec.Snapshot.Conf.Voters) != 3 ||
		rec.Snapshot.Conf.Learners[0] != 4 || rec.FirstIndex != 31 {
		t.Fatalf("recovered %+v", rec)
	}
	if term, err := l.Term(30); err != nil || term != 1 {
		t.Fatalf("Term(snapshot) = %d, %v", term, err)
	}
	checkEntries(t, l, mkEntries(31, 61, 1))
	if rec.HardState.Commit != 60 {
		t.Fatalf("hard state %+v", rec.HardState)
	}
}

func TestCompactPastTheLogEmptiesIt(t *testing.T) {
	fs := harshFS(t, 5)
	opts := Options{SegmentSizeBytesMax: 256}
	l, _ := mustOpen(t, fs, opts)
	mustAppend(t, l, mkEntries(1, 21, 1))
	if err := l.SetHardState(raft.HardState{Term: 2, Vote: 2, Commit: 10}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	// A snapshot from a new leader, ahead of this follower's log.
	if err := l.Compact(raft.SnapshotMeta{Index: 100, Term: 2}); err != nil {
		t.Fatal(err)
	}
	if l.FirstIndex() != 101 || l.LastIndex() != 100 || len(segmentFiles(t, fs)) != 1 {
		t.Fatalf("after Compact: first %d last %d segments %v", l.FirstIndex(), l.LastIndex(), segmentFiles(t, fs))
	}
	mustAppend(t, l, mkEntries(101, 106, 2))
	if err := l.SetHardState(raft.HardState{Term: 2, Vote: 2, Commit: 103}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	fs.Crash()
	l, rec := mustOpen(t, fs, opts)
	checkEntries(t, l, mkEntries(101, 106, 2))
	if rec.HardState.Commit != 103 || rec.Snapshot.Index != 100 {
		t.Fatalf("recovered %+v", rec)
	}
}

func TestCompactConflictingSnapshotEmptiesLog(t *testing.T) {
	fs := harshFS(t, 6)
	l, _ := mustOpen(t, fs, Options{})
	mustAppend(t, l, mkEntries(1, 21, 1))
	mustSync(t, l)
	if err := l.Compact(raft.SnapshotMeta{Index: 15, Term: 3}); err != nil {
		t.Fatal(err)
	}
	checkEntries(t, l, nil)
	if l.FirstIndex() != 16 {
		t.Fatalf("first %d", l.FirstIndex())
	}
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{})
	checkEntries(t, l, nil)
	mustAppend(t, l, mkEntries(16, 18, 3))
	mustSync(t, l)
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{})
	checkEntries(t, l, mkEntries(16, 18, 3))
}

func TestCompactRejectsSnapshotBelowCommitThatConflicts(t *testing.T) {
	l, _ := mustOpen(t, harshFS(t, 7), Options{})
	mustAppend(t, l, mkEntries(1, 21, 1))
	if err := l.SetHardState(raft.HardState{Term: 1, Commit: 20}); err != nil {
		t.Fatal(err)
	}
	if err := l.Compact(raft.SnapshotMeta{Index: 10, Term: 5}); err == nil {
		t.Fatal("Compact accepted a snapshot that contradicts committed entries")
	}
	checkEntries(t, l, mkEntries(1, 21, 1))
}

func TestStatsAndSize(t *testing.T) {
	l, _ := mustOpen(t, harshFS(t, 8), Options{SegmentSizeBytesMax: 300})
	mustAppend(t, l, mkEntries(1, 21, 1))
	mustSync(t, l)
	st := l.Stats()
	if st.SizeBytes != l.Size() || st.SizeBytes == 0 || st.SegmentCount < 2 || st.LastIndex != 20 ||
		st.FirstIndex != 1 || st.Syncs == 0 || st.Fsyncs == 0 || st.BytesWritten != uint64(st.SizeBytes) {
		t.Fatalf("stats %+v, size %d", st, l.Size())
	}
}

func TestCloseThenUse(t *testing.T) {
	l, _ := mustOpen(t, harshFS(t, 9), Options{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(mkEntries(1, 2, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
}

func TestTermRaisedWhenBatchHardStateLost(t *testing.T) {
	fs := harshFS(t, 23)
	l, _ := mustOpen(t, fs, Options{})
	mustAppend(t, l, mkEntries(1, 4, 2))
	if err := l.SetHardState(raft.HardState{Term: 2, Vote: 1, Commit: 2}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	// A new leader's entries reached the disk, its batch's hard state
	// (term 3) did not.
	mustAppend(t, l, mkEntries(4, 6, 3))
	mustSync(t, l)
	fs.Crash()
	_, rec := mustOpen(t, fs, Options{})
	if want := (raft.HardState{Term: 3, Vote: raft.None, Commit: 2}); rec.HardState != want {
		t.Fatalf("recovered %+v, want %+v", rec.HardState, want)
	}
}

func TestAppendSkipsEntriesAlreadyHeld(t *testing.T) {
	fs := harshFS(t, 24)
	l, _ := mustOpen(t, fs, Options{})
	mustAppend(t, l, mkEntries(1, 11, 1))
	if err := l.SetHardState(raft.HardState{Term: 1, Commit: 8}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	fsyncs := l.Stats().Fsyncs
	// A leader resending entries this follower has, committed ones
	// included, plus one new: no cut, no error.
	mustAppend(t, l, mkEntries(5, 12, 1))
	if l.Stats().Fsyncs != fsyncs {
		t.Fatal("re-appending held entries cut the log")
	}
	// A real conflict below the commit index is refused.
	if err := l.Append(mkEntries(7, 9, 2)); err == nil {
		t.Fatal("Append truncated committed entries")
	}
	mustSync(t, l)
	checkEntries(t, l, mkEntries(1, 12, 1))
}
