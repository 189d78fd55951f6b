package lsmbench

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

const testSeed = 42

func TestKeysDistinctAndDeterministic(t *testing.T) {
	seen := make(map[string]int64)
	for i := range int64(100_000) {
		k := AppendKey(nil, testSeed, i)
		if len(k) != KeySizeBytes {
			t.Fatalf("key %d has %d bytes", i, len(k))
		}
		if j, dup := seen[string(k)]; dup {
			t.Fatalf("records %d and %d share key %x", j, i, k)
		}
		seen[string(k)] = i
	}
	v1, v2 := AppendValue(nil, testSeed, 7), AppendValue(nil, testSeed, 7)
	if len(v1) != ValueSizeBytes || !bytes.Equal(v1, v2) {
		t.Fatalf("value 7 not deterministic or wrong size: %d bytes", len(v1))
	}
	if bytes.Equal(v1, AppendValue(nil, testSeed, 8)) || bytes.Equal(v1, AppendValue(nil, testSeed+1, 7)) {
		t.Fatal("values of different records are equal")
	}
}

type kv struct{ k, v string }

// contents opens name in dir, checks every record of [0, n) and a few
// absent keys by Get, and returns the scanned contents.
func contents(t *testing.T, e Engine, n int64) []kv {
	t.Helper()
	for i := range n {
		got, found, err := e.Get(AppendKey(nil, testSeed, i), nil)
		if err != nil || !found || !bytes.Equal(got, AppendValue(nil, testSeed, i)) {
			t.Fatalf("%s: get record %d: found=%v err=%v", e.Name(), i, found, err)
		}
	}
	for i := n; i < n+100; i++ {
		if _, found, err := e.Get(AppendKey(nil, testSeed, i), nil); found || err != nil {
			t.Fatalf("%s: absent record %d: found=%v err=%v", e.Name(), i, found, err)
		}
	}
	var all []kv
	if _, err := e.Scan(func(k, v []byte) error {
		all = append(all, kv{string(k), string(v)})
		return nil
	}); err != nil {
		t.Fatalf("%s: scan: %v", e.Name(), err)
	}
	return all
}

// TestEnginesAgree runs the write workloads' code paths on both engines
// and checks they hold the same data: before compaction, after it, and
// after a reopen.
func TestEnginesAgree(t *testing.T) {
	const n = 3000
	scans := map[string][][]kv{}
	for _, name := range Engines {
		dir := t.TempDir()
		cfg := Config{Dir: dir, CacheBytes: 1 << 20, CompactToOneRun: true}
		e, err := Open(name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Fill(e, testSeed, n/2, 1); err != nil {
			t.Fatal(err)
		}
		if err := writeRecords(e, testSeed, n/2, n/2, 100, false); err != nil {
			t.Fatal(err)
		}
		r, err := SyncWrites(e, testSeed, n, time.Minute, 10)
		if err != nil || r.Ops != 10 {
			t.Fatalf("%s: sync writes: %d ops, %v", name, r.Ops, err)
		}
		scans[name] = append(scans[name], contents(t, e, n+10))
		if err := e.Compact(); err != nil {
			t.Fatal(err)
		}
		scans[name] = append(scans[name], contents(t, e, n+10))
		if c := e.Counters(); c.WALBytes < (n+10)*RecordSizeBytes || c.WrittenBytes() <= c.WALBytes {
			t.Fatalf("%s: counters %+v do not account for the writes", name, c)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		e, err = Open(name, Config{Dir: dir, CacheBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		scans[name] = append(scans[name], contents(t, e, n+10))
		if run, err := Scan(e, n+10); err != nil || run.Ops != n+10 {
			t.Fatalf("%s: Scan: %d ops, %v", name, run.Ops, err)
		}
		if _, err := Reads(e, ReadSpec{Seed: testSeed, Keys: n + 10, Goroutines: 1, Duration: time.Millisecond}); err != nil {
			t.Fatalf("%s: Reads: %v", name, err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ours, theirs := scans[EngineLineraDB], scans[EnginePebble]
	for phase := range ours {
		if len(ours[phase]) != n+10 {
			t.Fatalf("phase %d: lineradb scanned %d keys, want %d", phase, len(ours[phase]), n+10)
		}
		if fmt.Sprint(ours[phase]) != fmt.Sprint(theirs[phase]) {
			t.Fatalf("phase %d: the engines' scans differ", phase)
		}
	}
}

// corrupting wraps an engine and damages one value in every Get and Scan,
// to show that the read workloads reject wrong data.
type corrupting struct{ Engine }

func (c corrupting) Get(key, dst []byte) ([]byte, bool, error) {
	v, found, err := c.Engine.Get(key, dst)
	if found && len(v) > 0 {
		v[len(v)-1] ^= 1
	}
	return v, found, err
}

func (c corrupting) Scan(fn func(k, v []byte) error) (int64, error) {
	n, err := c.Engine.Scan(func(k, v []byte) error { return fn(k, v[1:]) })
	return n, err
}

// dropping hides every other key from a scan.
type dropping struct{ Engine }

func (d dropping) Scan(fn func(k, v []byte) error) (int64, error) {
	var seen int64
	return d.Engine.Scan(func(k, v []byte) error {
		seen++
		if seen%2 == 0 {
			return nil
		}
		return fn(k, v)
	})
}

func TestWorkloadsRejectWrongData(t *testing.T) {
	e, err := Open(EngineLineraDB, Config{Dir: t.TempDir(), CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := Fill(e, testSeed, 500, 50); err != nil {
		t.Fatal(err)
	}
	spec := ReadSpec{Seed: testSeed, Keys: 500, Goroutines: 1, Duration: time.Millisecond}
	if _, err := Reads(corrupting{e}, spec); err == nil {
		t.Error("Reads accepted corrupted values")
	}
	wrongSeed := spec
	wrongSeed.Seed++
	if _, err := Reads(e, wrongSeed); err == nil {
		t.Error("Reads accepted a data set that was never written")
	}
	if _, err := Scan(corrupting{e}, 500); err == nil {
		t.Error("Scan accepted short values")
	}
	if _, err := Scan(e, 501); err == nil {
		t.Error("Scan accepted a wrong key count")
	}
	if _, err := Scan(dropping{e}, 500); err == nil {
		t.Error("Scan accepted missing keys")
	}
	two := spec
	two.Goroutines = 2
	if _, err := Reads(e, two); err == nil {
		t.Error("Reads ran two goroutines on a single-owner engine")
	}
}

func TestOpenUnknownEngine(t *testing.T) {
	if _, err := Open("rocksdb", Config{Dir: t.TempDir()}); err == nil {
		t.Fatal("Open accepted an unknown engine")
	}
}

func TestParseCPUTimes(t *testing.T) {
	const stat = "cpu  100 5 50 800 10 1 2 32 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
	got, err := ParseCPUTimes(stat)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steal != 32 || got.Total != 1000 {
		t.Fatalf("got %+v, want steal 32 of 1000", got)
	}
	if p := StealPercent(CPUTimes{Steal: 2, Total: 100}, CPUTimes{Steal: 12, Total: 200}); p != 10 {
		t.Fatalf("steal %.1f%%, want 10%%", p)
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 3", "cpu 1 2 x 4 5 6 7 8"} {
		if _, err := ParseCPUTimes(bad); err == nil {
			t.Errorf("ParseCPUTimes(%q) accepted a malformed line", bad)
		}
	}
}

func TestProcReadings(t *testing.T) {
	if rss, err := PeakRSSBytes(); err != nil || rss <= 0 {
		t.Fatalf("PeakRSSBytes = %d, %v", rss, err)
	}
	if w, err := WrittenCharsBytes(); err != nil || w < 0 {
		t.Fatalf("WrittenCharsBytes = %d, %v", w, err)
	}
	if _, err := procField("/proc/self/status", "NoSuchField:", 1); err == nil {
		t.Fatal("procField found a field that does not exist")
	}
}

func TestSingleOwnerMatchesConcurrent(t *testing.T) {
	for _, name := range Engines {
		e, err := Open(name, Config{Dir: t.TempDir(), CacheBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if SingleOwner(name) == e.Concurrent() {
			t.Errorf("%s: SingleOwner=%v but Concurrent=%v", name, SingleOwner(name), e.Concurrent())
		}
		e.Close()
	}
}
