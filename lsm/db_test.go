package lsm

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

func tinyOptions() Options {
	return Options{
		MemtableSizeBytes:   2 << 10,
		SSTableSizeBytes:    4 << 10,
		LBaseMaxBytes:       8 << 10,
		BlockCacheSizeBytes: 64 << 10,
		MaxOpenFiles:        8,
		L0CompactionTrigger: 2,
	}
}

func mustOpen(t testing.TB, fs diskio.FS, o Options) *DB {
	t.Helper()
	d, err := Open(fs, "db", o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return d
}

func mustGet(t *testing.T, d *DB, key string, want string) {
	t.Helper()
	got, err := d.Get([]byte(key))
	if want == "" {
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("get %q = %q, %v; want not found", key, got, err)
		}
		return
	}
	if err != nil || string(got) != want {
		t.Fatalf("get %q = %q, %v; want %q", key, got, err, want)
	}
}

func TestBasicReadWrite(t *testing.T) {
	for _, strategy := range []string{StrategyLeveled, StrategySizeTiered} {
		t.Run(strategy, func(t *testing.T) {
			fs := diskio.NewMemFS(1)
			o := tinyOptions()
			o.CompactionStrategy = strategy
			d := mustOpen(t, fs, o)
			for i := range 2000 {
				k := fmt.Sprintf("k%05d", i%500)
				if err := d.Set([]byte(k), []byte(fmt.Sprintf("v%d", i)), WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				if i%7 == 0 {
					if _, err := d.Step(1 << 10); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := d.DeleteRange([]byte("k00100"), []byte("k00200"), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := d.Delete([]byte("k00300"), WriteOptions{Sync: true}); err != nil {
				t.Fatal(err)
			}
			check := func(d *DB) {
				mustGet(t, d, "k00000", "v1500")
				mustGet(t, d, "k00150", "")
				mustGet(t, d, "k00300", "")
				mustGet(t, d, "k00499", "v1999")
				it, err := d.NewIter(nil)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for ok := it.First(); ok; ok = it.Next() {
					n++
				}
				if n != 399 {
					t.Fatalf("forward count %d want 399 (err %v)", n, it.Error())
				}
				n = 0
				for ok := it.Last(); ok; ok = it.Prev() {
					n++
				}
				if n != 399 {
					t.Fatalf("backward count %d want 399 (err %v)", n, it.Error())
				}
				if err := it.Close(); err != nil {
					t.Fatal(err)
				}
			}
			check(d)
			if err := d.CompactAll(); err != nil {
				t.Fatal(err)
			}
			check(d)
			t.Logf("%s", func() string { m := d.Metrics(); return m.String() }())
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			d = mustOpen(t, fs, o)
			check(d)
			d.Close()
		})
	}
}
