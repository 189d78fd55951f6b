package raftlog

import (
	"errors"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

func arm(t *testing.T, fs *diskio.MemFS, r diskio.FaultRule) {
	t.Helper()
	if err := fs.Arm(r); err != nil {
		t.Fatal(err)
	}
}

func TestSyncEIOPoisons(t *testing.T) {
	fs := harshFS(t, 10)
	l, _ := mustOpen(t, fs, Options{})
	mustAppend(t, l, mkEntries(1, 6, 1))
	mustSync(t, l)
	mustAppend(t, l, mkEntries(6, 11, 1))
	arm(t, fs, diskio.FaultRule{Op: diskio.OpSync, Fault: diskio.FaultEIO, OnCall: 1})
	err := l.Sync()
	if !errors.Is(err, ErrPoisoned) || !errors.Is(err, diskio.ErrIO) {
		t.Fatalf("Sync with EIO: %v", err)
	}
	// No retrying a failed fsync: every later call is refused.
	if err := l.Sync(); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("second Sync: %v", err)
	}
	if err := l.Append(mkEntries(11, 12, 1)); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Append: %v", err)
	}
	if err := l.SetHardState(raft.HardState{Term: 1}); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("SetHardState: %v", err)
	}
	if _, err := l.Entries(1, 2, 0); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Entries: %v", err)
	}
	if _, err := l.Term(1); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Term: %v", err)
	}
	if err := l.Compact(raft.SnapshotMeta{Index: 1, Term: 1}); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Compact: %v", err)
	}
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{})
	checkEntries(t, l, mkEntries(1, 6, 1))
}

func TestWriteEIOPoisons(t *testing.T) {
	fs := harshFS(t, 11)
	l, _ := mustOpen(t, fs, Options{})
	mustAppend(t, l, mkEntries(1, 6, 1))
	arm(t, fs, diskio.FaultRule{Op: diskio.OpWrite, Fault: diskio.FaultEIO, OnCall: 1})
	if err := l.Sync(); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Sync with write EIO: %v", err)
	}
	if err := l.Sync(); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("second Sync: %v", err)
	}
}

func TestNoSpaceKeepsSyncedDataAndLogUsable(t *testing.T) {
	fs := harshFS(t, 12)
	l, _ := mustOpen(t, fs, Options{})
	mustAppend(t, l, mkEntries(1, 11, 1))
	mustSync(t, l)
	cfg := fs.Config()
	cfg.CapacityBytesMax = l.Size() + 100
	if err := fs.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, mkEntries(11, 31, 1))
	err := l.Sync()
	if !errors.Is(err, diskio.ErrNoSpace) || errors.Is(err, ErrPoisoned) {
		t.Fatalf("Sync out of space: %v", err)
	}
	// Space freed: the same Sync now succeeds; nothing was lost.
	cfg.CapacityBytesMax = 0
	if err := fs.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{})
	checkEntries(t, l, mkEntries(1, 31, 1))

	// Out of space for good, then a crash: the synced prefix is intact.
	cfg.CapacityBytesMax = l.Size() + 10
	if err := fs.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, mkEntries(31, 41, 1))
	if err := l.Sync(); !errors.Is(err, diskio.ErrNoSpace) {
		t.Fatalf("Sync out of space: %v", err)
	}
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{})
	checkEntries(t, l, mkEntries(1, 31, 1))
}

func TestNoSpaceOnRollover(t *testing.T) {
	fs := harshFS(t, 13)
	l, _ := mustOpen(t, fs, Options{SegmentSizeBytesMax: 200})
	mustAppend(t, l, mkEntries(1, 6, 1))
	arm(t, fs, diskio.FaultRule{Op: diskio.OpCreate, Fault: diskio.FaultNoSpace, OnCall: 1})
	err := l.Append(mkEntries(6, 20, 1))
	if !errors.Is(err, diskio.ErrNoSpace) || errors.Is(err, ErrPoisoned) {
		t.Fatalf("Append with ENOSPC on create: %v", err)
	}
	last := l.LastIndex()
	mustAppend(t, l, mkEntries(last+1, 25, 1))
	mustSync(t, l)
	fs.Crash()
	l, _ = mustOpen(t, fs, Options{SegmentSizeBytesMax: 200})
	checkEntries(t, l, mkEntries(1, 25, 1))
}

func TestTransientReadFaultsAreSurvived(t *testing.T) {
	if failures := transientReadRounds(t, Options{SegmentSizeBytesMax: 512}); failures != 0 {
		t.Fatalf("%d rounds failed", failures)
	}
}

// Broken variant: without re-reads, the same transient faults must make
// recovery fail or misjudge the log, or the test above proves nothing.
func TestTransientReadFaultsNeedRereads(t *testing.T) {
	if failures := transientReadRounds(t, Options{SegmentSizeBytesMax: 512, ReadRetriesMax: -1}); failures == 0 {
		t.Fatal("no round failed without re-reads: the fault rate is too low to test anything")
	}
}

// transientReadRounds builds a log, then opens and reads it back several
// times under transient read faults, counting the rounds that went wrong.
func transientReadRounds(t *testing.T, opts Options) (failures int) {
	fs := harshFS(t, 14)
	l, _ := mustOpen(t, fs, opts)
	want := mkEntries(1, 201, 1)
	mustAppend(t, l, want)
	if err := l.SetHardState(raft.HardState{Term: 1, Vote: 1, Commit: 200}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	if err := l.Compact(raft.SnapshotMeta{Index: 20, Term: 1}); err != nil {
		t.Fatal(err)
	}
	fs.Crash()
	arm(t, fs, diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: 0.05})
	arm(t, fs, diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultEIO, Probability: 0.02})
	for round := 0; round < 5; round++ {
		l, rec, err := Open(fs, testDir, opts)
		switch {
		case err != nil:
			t.Logf("round %d: Open: %v", round, err)
			failures++
			continue
		case rec.TornTail != nil:
			t.Logf("round %d: a transient read fault was taken for a torn tail: %v", round, rec.TornTail)
			failures++
			continue
		}
		got, err := l.Entries(l.FirstIndex(), l.LastIndex()+1, 0)
		if err == nil {
			err = sameEntries(got, want[20:])
		}
		if err != nil {
			t.Logf("round %d: %v", round, err)
			failures++
		}
		fs.CrashProcess()
	}
	t.Logf("faults fired: %v", fs.FaultCounts())
	return failures
}

// damageSegment flips one stored bit of the named segment at off.
func damageSegment(t *testing.T, fs diskio.FS, name string, off int64) {
	t.Helper()
	p := testDir + "/" + name
	data := readFile(t, fs, p)
	data[off] ^= 0x10
	writeFile(t, fs, p, data)
}

// buildLog makes a synced log of entries 1..n in segments of segBytes.
func buildLog(t *testing.T, seed uint64, n uint64, segBytes int64) (*diskio.MemFS, Options) {
	fs := harshFS(t, seed)
	opts := Options{SegmentSizeBytesMax: segBytes}
	l, _ := mustOpen(t, fs, opts)
	mustAppend(t, l, mkEntries(1, n+1, 1))
	if err := l.SetHardState(raft.HardState{Term: 1, Vote: 1, Commit: n / 2}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	fs.Crash()
	return fs, opts
}

func TestTornTailIsCut(t *testing.T) {
	fs, opts := buildLog(t, 15, 30, 400)
	segs := segmentFiles(t, fs)
	last := testDir + "/" + segs[len(segs)-1]
	good := readFile(t, fs, last)
	// A record that was being written when the power went: a plausible
	// header, half a body.
	torn := appendRecord(nil, encodeEntry(nil, mkEntries(31, 32, 1)[0]))
	writeFile(t, fs, last, append(append([]byte(nil), good...), torn[:len(torn)-5]...))
	l, rec := mustOpen(t, fs, opts)
	if rec.TornTail == nil || rec.TornTail.Offset != int64(len(good)) || !rec.TornTail.TornTail {
		t.Fatalf("torn tail %+v, want one at %d", rec.TornTail, len(good))
	}
	checkEntries(t, l, mkEntries(1, 31, 1))
	if got := readFile(t, fs, last); len(got) != len(good) {
		t.Fatalf("torn tail not cut: %d bytes, want %d", len(got), len(good))
	}
	mustAppend(t, l, mkEntries(31, 33, 1))
	mustSync(t, l)
	fs.Crash()
	l, rec = mustOpen(t, fs, opts)
	if rec.TornTail != nil {
		t.Fatalf("second open found %v", rec.TornTail)
	}
	checkEntries(t, l, mkEntries(1, 33, 1))
}

func TestGarbageTailIsCut(t *testing.T) {
	fs, opts := buildLog(t, 16, 10, 1<<20)
	segs := segmentFiles(t, fs)
	last := testDir + "/" + segs[len(segs)-1]
	good := readFile(t, fs, last)
	garbage := []byte(strings.Repeat("\xff\x13\x00\x00garbage", 20))
	writeFile(t, fs, last, append(append([]byte(nil), good...), garbage...))
	l, rec := mustOpen(t, fs, opts)
	if rec.TornTail == nil {
		t.Fatal("garbage tail not reported")
	}
	checkEntries(t, l, mkEntries(1, 11, 1))
}

func TestStoredFlipMidSegmentIsCorrupt(t *testing.T) {
	fs, opts := buildLog(t, 17, 20, 1<<20)
	segs := segmentFiles(t, fs)
	if len(segs) != 1 {
		t.Fatalf("want one segment, have %v", segs)
	}
	// Entry 5's record, with 15 valid records after it.
	rec := appendRecord(nil, encodeEntry(nil, mkEntries(1, 2, 1)[0]))
	off := int64(4*len(rec) + 12)
	damageSegment(t, fs, segs[0], off)
	_, _, err := Open(fs, testDir, opts)
	wantCorrupt(t, err, segs[0])
	var ce *CorruptError
	errors.As(err, &ce)
	if ce.Offset != int64(4*len(rec)) {
		t.Fatalf("corruption reported at %d, want %d", ce.Offset, 4*len(rec))
	}
}

func TestStoredFlipInSealedSegmentIsCorrupt(t *testing.T) {
	fs, opts := buildLog(t, 18, 30, 300)
	segs := segmentFiles(t, fs)
	if len(segs) < 3 {
		t.Fatalf("want several segments, have %v", segs)
	}
	// The very last byte of a sealed segment: its final record.
	data := readFile(t, fs, testDir+"/"+segs[1])
	damageSegment(t, fs, segs[1], int64(len(data)-1))
	_, _, err := Open(fs, testDir, opts)
	wantCorrupt(t, err, segs[1])
}

func TestMissingMiddleSegmentIsCorrupt(t *testing.T) {
	fs, opts := buildLog(t, 19, 30, 300)
	segs := segmentFiles(t, fs)
	if err := fs.Remove(testDir + "/" + segs[1]); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(fs, testDir, opts)
	wantCorrupt(t, err, segs[2])
	if !strings.Contains(err.Error(), "gap") {
		t.Fatalf("error does not say gap: %v", err)
	}
}

func TestMissingLastSegmentIsCorrupt(t *testing.T) {
	// Losing the newest segment loses entries the commit index vouches for.
	fs, opts := buildLog(t, 20, 30, 300)
	segs := segmentFiles(t, fs)
	l, _ := mustOpen(t, fs, opts)
	if err := l.SetHardState(raft.HardState{Term: 1, Vote: 1, Commit: 30}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, l)
	if err := l.Compact(raft.SnapshotMeta{Index: 2, Term: 1}); err != nil {
		t.Fatal(err)
	}
	fs.Crash()
	if err := fs.Remove(testDir + "/" + segs[len(segs)-1]); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(fs, testDir, opts)
	wantCorrupt(t, err, stateFileName)
}

func TestDamagedStateFileIsCorrupt(t *testing.T) {
	fs, opts := buildLog(t, 21, 30, 300)
	l, _ := mustOpen(t, fs, opts)
	if err := l.Compact(raft.SnapshotMeta{Index: 10, Term: 1}); err != nil {
		t.Fatal(err)
	}
	fs.Crash()
	p := testDir + "/" + stateFileName
	data := readFile(t, fs, p)
	data[len(data)-3] ^= 1
	writeFile(t, fs, p, data)
	_, _, err := Open(fs, testDir, opts)
	wantCorrupt(t, err, stateFileName)
}

func TestVerify(t *testing.T) {
	fs, _ := buildLog(t, 22, 30, 300)
	r, err := Verify(fs, testDir)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.FirstIndex != 1 || r.LastIndex != 30 || len(r.Files) < 3 || r.Records != 31 ||
		r.HardState.Commit != 15 || len(r.Problems) != 0 {
		t.Fatalf("good log:\n%s", r)
	}
	if r.Files[0].FirstIndex != 1 || r.Files[len(r.Files)-1].LastIndex != 30 {
		t.Fatalf("file ranges:\n%s", r)
	}

	// A torn tail is reported but is not corruption; Verify cuts nothing.
	segs := segmentFiles(t, fs)
	last := testDir + "/" + segs[len(segs)-1]
	good := readFile(t, fs, last)
	writeFile(t, fs, last, append(append([]byte(nil), good...), 7, 0, 0, 0, 1))
	r, err = Verify(fs, testDir)
	if err != nil || !r.OK() || len(r.Problems) != 1 || !r.Problems[0].TornTail {
		t.Fatalf("torn tail: %v\n%s", err, r)
	}
	if len(readFile(t, fs, last)) != len(good)+5 {
		t.Fatal("Verify changed the file")
	}

	damageSegment(t, fs, segs[1], 3)
	r, err = Verify(fs, testDir)
	if err != nil || r.OK() || r.Problems[0].File != segs[1] || r.Problems[0].Offset != 0 {
		t.Fatalf("corrupt log: %v\n%s", err, r)
	}
	if !strings.Contains(r.String(), "verdict: CORRUPT") {
		t.Fatalf("report:\n%s", r)
	}
}
