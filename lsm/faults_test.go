package lsm

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// TestSyncFailurePoisons: EIO on fsync stops the DB accepting writes, with
// ErrPoisoned wrapping the cause, and no later Sync is attempted as a
// retry. Reads keep working; after reopen the synced data is there.
func TestSyncFailurePoisons(t *testing.T) {
	fs := diskio.NewMemFS(5)
	d := mustOpen(t, fs, Options{})
	if err := d.Set([]byte("a"), []byte("1"), WriteOptions{Sync: true}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Arm(diskio.FaultRule{Op: diskio.OpSync, Fault: diskio.FaultEIO, OnCall: 1}); err != nil {
		t.Fatal(err)
	}
	err := d.Set([]byte("b"), []byte("2"), WriteOptions{Sync: true})
	if !errors.Is(err, ErrPoisoned) || !errors.Is(err, diskio.ErrIO) {
		t.Fatalf("write whose fsync failed: %v; want ErrPoisoned wrapping EIO", err)
	}
	syncs := fs.Calls(diskio.OpSync)
	for _, op := range []func() error{
		func() error { return d.Set([]byte("c"), []byte("3"), WriteOptions{Sync: true}) },
		d.Flush,
		func() error { _, err := d.Step(1 << 20); return err },
	} {
		if err := op(); !errors.Is(err, ErrPoisoned) || !errors.Is(err, diskio.ErrIO) {
			t.Fatalf("op after poisoning: %v; want ErrPoisoned wrapping EIO", err)
		}
	}
	if fs.Calls(diskio.OpSync) != syncs {
		t.Fatal("a poisoned DB synced again")
	}
	mustGet(t, d, "a", "1")
	d.Close()
	fs.Crash()
	d = mustOpen(t, fs, Options{})
	defer d.Close()
	mustGet(t, d, "a", "1")
}

// TestNoSpace: ENOSPC while writing a table gives a clear error; earlier
// data stays intact and readable, and the DB works once space returns.
func TestNoSpace(t *testing.T) {
	fs := diskio.NewMemFS(6)
	o := Options{DisableWAL: true}
	d := mustOpen(t, fs, o)
	want := map[string]string{}
	put := func(i int) error {
		k, v := fmt.Sprintf("k%04d", i), fmt.Sprintf("v%d", i)
		if err := d.Set([]byte(k), []byte(v), WriteOptions{}); err != nil {
			return err
		}
		want[k] = v
		return nil
	}
	for i := range 100 {
		if err := put(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	durable := d.DurableSeq()
	for i := 100; i < 200; i++ {
		if err := put(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Arm(diskio.FaultRule{Op: diskio.OpWrite, Fault: diskio.FaultNoSpace, Probability: 1, PathPrefix: "db/"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); !errors.Is(err, diskio.ErrNoSpace) {
		t.Fatalf("flush on a full disk: %v; want ENOSPC", err)
	}
	if d.DurableSeq() != durable {
		t.Fatal("a failed flush advanced DurableSeq")
	}
	if err := compareContents(d, want); err != nil {
		t.Fatalf("after ENOSPC: %v", err)
	}
	fs.DisarmAll()
	if err := d.Flush(); err != nil {
		t.Fatalf("flush after space returned: %v", err)
	}
	d.Close()
	fs.Crash()
	d = mustOpen(t, fs, o)
	defer d.Close()
	if err := compareContents(d, want); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestRaftDurableSeq: under Raft (no WAL, caller seqs) a flush records the
// applied index, recovered at open as DurableSeq; unflushed writes are gone
// and the caller replays them with the same seqs.
func TestRaftDurableSeq(t *testing.T) {
	fs := diskio.NewMemFS(8)
	o := Options{DisableWAL: true}
	d := mustOpen(t, fs, o)
	if err := d.Set([]byte("a"), []byte("1"), WriteOptions{Seq: 10}); err != nil {
		t.Fatal(err)
	}
	if err := d.Set([]byte("a"), []byte("0"), WriteOptions{Seq: 10}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("reused seq: %v", err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Set([]byte("b"), []byte("2"), WriteOptions{Seq: 12}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	fs.Crash()
	d = mustOpen(t, fs, o)
	defer d.Close()
	if d.DurableSeq() != 10 || d.LastSeq() != 10 {
		t.Fatalf("DurableSeq %d LastSeq %d, want 10", d.DurableSeq(), d.LastSeq())
	}
	mustGet(t, d, "a", "1")
	mustGet(t, d, "b", "")
	if err := d.Set([]byte("b"), []byte("2"), WriteOptions{Seq: 12}); err != nil {
		t.Fatalf("replaying seq 12: %v", err)
	}
	mustGet(t, d, "b", "2")
}
