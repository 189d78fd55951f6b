package memkv

import (
	"errors"
	"testing"

	"github.com/lineradb/lineradb/node/kv"
)

func mustBegin(t *testing.T, s *Store, opts kv.TxnOptions) kv.Txn {
	t.Helper()
	txn, err := s.Begin(opts)
	if err != nil {
		t.Fatal(err)
	}
	return txn
}

func put(t *testing.T, s *Store, pairs ...string) {
	t.Helper()
	txn := mustBegin(t, s, kv.TxnOptions{})
	for i := 0; i < len(pairs); i += 2 {
		if err := txn.Put([]byte(pairs[i]), []byte(pairs[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Commit(txn); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, txn kv.Txn, key string) string {
	t.Helper()
	v, ok, err := txn.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "<none>"
	}
	return string(v)
}

func scanKeys(t *testing.T, txn kv.Txn, start, end string, limit int, reverse bool) []string {
	t.Helper()
	var e []byte
	if end != "" {
		e = []byte(end)
	}
	kvs, err := txn.Scan([]byte(start), e, limit, reverse)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range kvs {
		out = append(out, string(p.Key)+"="+string(p.Value))
	}
	return out
}

func TestReadYourWritesAndSnapshot(t *testing.T) {
	s := New()
	put(t, s, "a", "1", "b", "2", "c", "3")
	txn := mustBegin(t, s, kv.TxnOptions{})
	put(t, s, "a", "changed") // after txn's read version: invisible to it
	if got := get(t, txn, "a"); got != "1" {
		t.Fatalf("snapshot read a = %s, want 1", got)
	}
	_ = txn.Put([]byte("d"), []byte("4"))
	_ = txn.Delete([]byte("b"))
	_ = txn.DeleteRange([]byte("c"), []byte("d"))
	got := scanKeys(t, txn, "", "", 0, false)
	want := []string{"a=1", "d=4"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("scan = %v, want %v", got, want)
	}
	if rev := scanKeys(t, txn, "", "", 1, true); len(rev) != 1 || rev[0] != "d=4" {
		t.Fatalf("reverse limited scan = %v", rev)
	}
}

// Write skew: two transactions each read both keys and write one. Under
// serializable one must abort; under snapshot isolation both commit.
func TestWriteSkewAbortsOnlyUnderSerializable(t *testing.T) {
	for _, tc := range []struct {
		iso       kv.Isolation
		wantAbort bool
	}{{kv.Serializable, true}, {kv.SnapshotIsolation, false}} {
		s := New()
		put(t, s, "x", "1", "y", "1")
		t1 := mustBegin(t, s, kv.TxnOptions{Isolation: tc.iso})
		t2 := mustBegin(t, s, kv.TxnOptions{Isolation: tc.iso})
		get(t, t1, "x")
		get(t, t1, "y")
		get(t, t2, "x")
		get(t, t2, "y")
		_ = t1.Put([]byte("x"), []byte("0"))
		_ = t2.Put([]byte("y"), []byte("0"))
		if _, err := s.Commit(t1); err != nil {
			t.Fatal(err)
		}
		_, err := s.Commit(t2)
		if gotAbort := errors.Is(err, kv.ErrSerialization); gotAbort != tc.wantAbort {
			t.Fatalf("isolation %d: second commit err = %v, want abort %v", tc.iso, err, tc.wantAbort)
		}
	}
}

func TestSnapshotIsolationRejectsWriteWriteConflict(t *testing.T) {
	s := New()
	put(t, s, "x", "1")
	t1 := mustBegin(t, s, kv.TxnOptions{Isolation: kv.SnapshotIsolation})
	t2 := mustBegin(t, s, kv.TxnOptions{Isolation: kv.SnapshotIsolation})
	_ = t1.Put([]byte("x"), []byte("2"))
	_ = t2.Put([]byte("x"), []byte("3"))
	if _, err := s.Commit(t1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(t2); !errors.Is(err, kv.ErrSerialization) {
		t.Fatalf("second writer err = %v, want ErrSerialization", err)
	}
}

// A phantom: a key inserted into a range another transaction scanned.
func TestPhantomInScannedRangeAborts(t *testing.T) {
	s := New()
	put(t, s, "k1", "a")
	t1 := mustBegin(t, s, kv.TxnOptions{})
	scanKeys(t, t1, "k", "l", 0, false)
	_ = t1.Put([]byte("summary"), []byte("1"))
	put(t, s, "k2", "b")
	if _, err := s.Commit(t1); !errors.Is(err, kv.ErrSerialization) {
		t.Fatalf("commit after phantom insert err = %v, want ErrSerialization", err)
	}
}

// A limited scan only reads up to its last key, so a write beyond it does
// not conflict.
func TestLimitedScanReadsOnlyWhatItReturned(t *testing.T) {
	s := New()
	put(t, s, "a", "1", "b", "2", "c", "3")
	t1 := mustBegin(t, s, kv.TxnOptions{})
	if got := scanKeys(t, t1, "a", "z", 2, false); len(got) != 2 {
		t.Fatalf("scan = %v", got)
	}
	_ = t1.Put([]byte("out"), []byte("x"))
	put(t, s, "c", "33")
	if _, err := s.Commit(t1); err != nil {
		t.Fatalf("commit err = %v, want success (c was never read)", err)
	}
}

func TestReadOnlyTooOldAndDone(t *testing.T) {
	s := New()
	put(t, s, "a", "1")
	ro := mustBegin(t, s, kv.TxnOptions{ReadOnly: true})
	if err := ro.Put([]byte("a"), []byte("2")); !errors.Is(err, kv.ErrReadOnly) {
		t.Fatalf("put in read-only txn err = %v", err)
	}
	old := mustBegin(t, s, kv.TxnOptions{})
	put(t, s, "a", "2")
	s.GC(s.CurrentVersion())
	if _, _, err := old.Get([]byte("a")); !errors.Is(err, kv.ErrTooOld) {
		t.Fatalf("read below the GC horizon err = %v, want ErrTooOld", err)
	}
	if _, err := s.Commit(ro); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ro); !errors.Is(err, kv.ErrTxnDone) {
		t.Fatalf("double commit err = %v", err)
	}
}

func TestVersionsAreOnePerCommit(t *testing.T) {
	s := New()
	for i := 1; i <= 3; i++ {
		txn := mustBegin(t, s, kv.TxnOptions{})
		_ = txn.Put([]byte("k"), []byte{byte(i)})
		res, err := s.Commit(txn)
		if err != nil || res.Version != uint64(i) {
			t.Fatalf("commit %d: version %d err %v", i, res.Version, err)
		}
	}
}
