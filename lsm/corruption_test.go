package lsm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// corruptionFixture is a closed DB with one table holding keys k0000..k0399
// (and one range tombstone), plus its expected contents.
func corruptionFixture(t *testing.T) (*diskio.MemFS, Options, map[string]string, string) {
	fs := diskio.NewMemFS(7)
	o := Options{MemtableSizeBytes: 1 << 20}
	d := mustOpen(t, fs, o)
	want := map[string]string{}
	for i := range 400 {
		k, v := fmt.Sprintf("k%04d", i), fmt.Sprintf("value-%d", i)
		if err := d.Set([]byte(k), []byte(v), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	if err := d.DeleteRange([]byte("k0100"), []byte("k0110"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 110; i++ {
		delete(want, fmt.Sprintf("k%04d", i))
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	files := d.current.files()
	if len(files) != 1 {
		t.Fatalf("want one table, have %d", len(files))
	}
	name := tableFileName("db", files[0].fileNum)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return fs, o, want, name
}

// flipBit rewrites a file with one bit inverted at off.
func flipBit(t *testing.T, fs diskio.FS, name string, off int64) {
	data, err := readFile(fs, name)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x10
	f, err := fs.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	f.Close()
}

// blockOffsets locates each kind of block in a table.
func blockOffsets(t *testing.T, fs diskio.FS, name string) map[string]int64 {
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := openTable(f, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int64{
		"data":       int64(r.index[0].h.offset) + 3,
		"data-crc":   int64(r.index[0].h.offset + r.index[0].h.length),
		"filter":     int64(r.handles[0].offset) + 1,
		"range-del":  int64(r.handles[1].offset) + 1,
		"properties": int64(r.handles[2].offset) + 1,
		"index":      int64(r.handles[3].offset) + 2,
		"footer":     int64(r.metaEnd) + 5,
		"magic":      int64(r.metaEnd) + footerLenBytes - 1,
	}
}

// checkNoWrongData reads every key and a full scan: each read must either
// return the right answer or a corruption error naming the file.
func checkNoWrongData(t *testing.T, d *DB, want map[string]string, file string) (errs int) {
	judge := func(what string, err error) {
		var ce *CorruptionError
		if !errors.As(err, &ce) || !strings.Contains(ce.File, file) {
			t.Fatalf("%s: error %v does not name %s as corrupt", what, err, file)
		}
		errs++
	}
	for i := range 400 {
		k := fmt.Sprintf("k%04d", i)
		got, err := d.Get([]byte(k))
		switch {
		case errors.Is(err, ErrNotFound):
			if _, ok := want[k]; ok {
				t.Fatalf("get %s: not found, want %q", k, want[k])
			}
		case err != nil:
			judge("get "+k, err)
		case string(got) != want[k]:
			t.Fatalf("get %s = %q, want %q", k, got, want[k])
		}
	}
	it, err := d.NewIter(nil)
	if err != nil {
		judge("new iter", err)
		return errs
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if want[string(it.Key())] != string(it.Value()) {
			t.Fatalf("scan: %q=%q is wrong", it.Key(), it.Value())
		}
		n++
	}
	if it.Error() != nil {
		judge("scan", it.Error())
	} else if n != len(want) {
		t.Fatalf("scan saw %d keys without error, want %d", n, len(want))
	}
	return errs
}

// TestCorruptTableBlocks flips a bit in each kind of table block: reads
// either succeed correctly or fail naming the file, never panic, and
// VerifySSTables reports the file as damaged.
func TestCorruptTableBlocks(t *testing.T) {
	fs0, _, _, name := corruptionFixture(t)
	offsets := blockOffsets(t, fs0, name)
	for _, kind := range []string{"data", "data-crc", "filter", "range-del", "properties", "index", "footer", "magic"} {
		t.Run(kind, func(t *testing.T) {
			fs, o, want, name := corruptionFixture(t)
			flipBit(t, fs, name, offsets[kind])
			rep, err := VerifySSTables(fs, "db")
			if err != nil {
				t.Fatal(err)
			}
			if d := rep.Damaged(); len(d) != 1 || d[0] != name {
				t.Fatalf("verify report names %v, want [%s]:\n%s", d, name, rep)
			}
			d, err := Open(fs, "db", o)
			if err != nil {
				t.Fatalf("open: %v", err) // tables are opened lazily
			}
			defer d.Close()
			if errs := checkNoWrongData(t, d, want, name); errs == 0 {
				t.Fatalf("flipping a bit in the %s block went unnoticed", kind)
			}
		})
	}
}

// TestVerifyIntact checks the verifier passes an undamaged directory.
func TestVerifyIntact(t *testing.T) {
	fs, _, _, _ := corruptionFixture(t)
	rep, err := VerifySSTables(fs, "db")
	if err != nil || len(rep.Damaged()) != 0 || len(rep.Files) != 1 {
		t.Fatalf("verify: %v\n%s", err, rep)
	}
}

// TestCorruptManifest damages the manifest: Open must fail naming it.
func TestCorruptManifest(t *testing.T) {
	fs, o, _, _ := corruptionFixture(t)
	cur, err := readFile(fs, "db/CURRENT")
	if err != nil {
		t.Fatal(err)
	}
	name := "db/" + strings.TrimSpace(string(cur))
	flipBit(t, fs, name, recordHeaderLenBytes+2)
	_, err = Open(fs, "db", o)
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.File != name {
		t.Fatalf("open with a damaged manifest: %v; want a corruption error naming %s", err, name)
	}
}

// TestCorruptWAL damages the first of several WAL records: Open must fail
// naming the log rather than silently dropping the synced records after it.
func TestCorruptWAL(t *testing.T) {
	fs := diskio.NewMemFS(3)
	d := mustOpen(t, fs, Options{})
	for i := range 10 {
		if err := d.Set([]byte(fmt.Sprintf("k%d", i)), []byte("v"), WriteOptions{Sync: true}); err != nil {
			t.Fatal(err)
		}
	}
	wal := logFileName("db", d.walNums[len(d.walNums)-1])
	d.Close()
	if n, torn, err := VerifyWAL(fs, wal); err != nil || n != 10 || torn != 0 {
		t.Fatalf("verify intact WAL: %d batches, %d torn bytes, %v", n, torn, err)
	}
	flipBit(t, fs, wal, recordHeaderLenBytes+3)
	if _, _, err := VerifyWAL(fs, wal); !errors.Is(err, ErrCorruption) {
		t.Fatalf("VerifyWAL on a damaged log: %v", err)
	}
	_, err := Open(fs, "db", Options{})
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.File != wal {
		t.Fatalf("open with a damaged WAL: %v; want a corruption error naming %s", err, wal)
	}
}

// TestBitFlipsOnRead injects bit flips into reads (the stored bytes stay
// intact): no wrong data, no panic, errors name the table.
func TestBitFlipsOnRead(t *testing.T) {
	fs, o, want, name := corruptionFixture(t)
	o.BlockCacheSizeBytes = 1 // re-read blocks so flips keep landing
	d, err := Open(fs, "db", o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := fs.Arm(diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: 0.2}); err != nil {
		t.Fatal(err)
	}
	errs := 0
	for range 20 {
		errs += checkNoWrongData(t, d, want, name)
	}
	if errs == 0 {
		t.Fatal("no read noticed an injected bit flip")
	}
}
