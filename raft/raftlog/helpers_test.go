package raftlog

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

const testDir = "node1/wal"

// mkEntries makes entries lo..hi-1 with the given term and data that names
// them, so a misplaced entry is visible in a failure.
func mkEntries(lo, hi, term uint64) []raft.Entry {
	var out []raft.Entry
	for i := lo; i < hi; i++ {
		out = append(out, raft.Entry{Term: term, Index: i, Type: raft.EntryNormal,
			Data: []byte(fmt.Sprintf("entry-%d-term-%d", i, term))})
	}
	return out
}

func mustOpen(t *testing.T, fs diskio.FS, opts Options) (*Log, Recovered) {
	t.Helper()
	l, rec, err := Open(fs, testDir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l, rec
}

func mustAppend(t *testing.T, l *Log, es []raft.Entry) {
	t.Helper()
	if err := l.Append(es); err != nil {
		t.Fatalf("Append(%d..): %v", es[0].Index, err)
	}
}

func mustSync(t *testing.T, l *Log) {
	t.Helper()
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// checkEntries asserts that the log holds exactly want, read back from
// disk in one call and one entry at a time.
func checkEntries(t *testing.T, l *Log, want []raft.Entry) {
	t.Helper()
	if len(want) == 0 {
		if l.LastIndex()+1 != l.FirstIndex() {
			t.Fatalf("log not empty: first %d last %d", l.FirstIndex(), l.LastIndex())
		}
		return
	}
	if l.FirstIndex() != want[0].Index || l.LastIndex() != want[len(want)-1].Index {
		t.Fatalf("log spans %d..%d, want %d..%d", l.FirstIndex(), l.LastIndex(), want[0].Index, want[len(want)-1].Index)
	}
	got, err := l.Entries(l.FirstIndex(), l.LastIndex()+1, 0)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if err := sameEntries(got, want); err != nil {
		t.Fatal(err)
	}
	for _, e := range want {
		term, err := l.Term(e.Index)
		if err != nil || term != e.Term {
			t.Fatalf("Term(%d) = %d, %v; want %d", e.Index, term, err, e.Term)
		}
	}
}

func sameEntries(got, want []raft.Entry) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.Term != w.Term || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) {
			return fmt.Errorf("entry %d: got {index %d term %d type %d data %s}, want {index %d term %d type %d data %s}", i,
				g.Index, g.Term, g.Type, short(g.Data), w.Index, w.Term, w.Type, short(w.Data))
		}
	}
	return nil
}

// readFile returns a file's current content.
func readFile(t *testing.T, fs diskio.FS, name string) []byte {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	size, _ := f.Size()
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, 0); err != nil && size > 0 {
		t.Fatalf("read %s: %v", name, err)
	}
	return buf
}

// writeFile replaces a file's content durably: how a test stores damage.
func writeFile(t *testing.T, fs diskio.FS, name string, data []byte) {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync %s: %v", name, err)
	}
	f.Close()
	if err := fs.SyncDir(testDir); err != nil {
		t.Fatalf("syncdir: %v", err)
	}
}

func segmentFiles(t *testing.T, fs diskio.FS) []string {
	t.Helper()
	names, err := fs.List(testDir)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var segs []string
	for _, n := range names {
		if _, ok := parseSegmentName(n); ok {
			segs = append(segs, n)
		}
	}
	return segs
}

func wantCorrupt(t *testing.T, err error, file string) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CorruptError", err)
	}
	if file != "" && ce.File != testDir+"/"+file {
		t.Fatalf("corrupt file %q, want %q (err %v)", ce.File, testDir+"/"+file, err)
	}
}

// short renders data for a failure message without flooding it.
func short(data []byte) string {
	if len(data) <= 16 {
		return fmt.Sprintf("%q", data)
	}
	return fmt.Sprintf("%q...(%d bytes)", data[:16], len(data))
}
