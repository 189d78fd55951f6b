package lsm

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"sort"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"pgregory.net/rapid"
)

// modelSnap is a snapshot of the DB and the model state it must show.
type modelSnap struct {
	s *Snapshot
	m map[string]string
}

// modelMachine drives the DB and a sorted-map model with the same ops.
type modelMachine struct {
	fs    *diskio.MemFS
	opts  Options
	db    *DB
	model map[string]string
	snaps []modelSnap
	cps   int
	// filter, when set, is a random soft-tombstone filter (filter_test.go)
	// installed on every DB the machine opens; horizon is its seq.
	filter  CompactionFilter
	horizon uint64
}

// open opens dir with the machine's options and filter.
func (mm *modelMachine) open(t *rapid.T, dir string) *DB {
	d, err := Open(mm.fs, dir, mm.opts)
	if err != nil {
		t.Fatal(err)
	}
	if mm.filter != nil {
		d.SetCompactionFilter(mm.filter)
		d.SetFilterHorizon(mm.horizon)
	}
	return d
}

// softDel writes a soft tombstone: a value the model reads as absent and
// the filter may drop.
func (mm *modelMachine) softDel(t *rapid.T) {
	k := modelKeys.Draw(t, "key")
	v := fmt.Sprintf("%s%d", softTomb, rapid.IntRange(0, 1000).Draw(t, "v"))
	if err := mm.db.Set([]byte(k), []byte(v), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	mm.model[k] = v
}

// raiseHorizon moves the filter horizon up to at most LastSeq+1.
func (mm *modelMachine) raiseHorizon(t *rapid.T) {
	if mm.filter == nil {
		t.Skip("no filter")
	}
	last := mm.db.LastSeq() + 1
	mm.horizon = max(mm.horizon, last-uint64(rapid.IntRange(0, int(min(last, 20))).Draw(t, "lag")))
	mm.db.SetFilterHorizon(mm.horizon)
}

// visible is the model as readers see it: soft tombstones are absent.
func visible(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !isSoftTomb([]byte(v)) {
			out[k] = v
		}
	}
	return out
}

var modelKeys = rapid.Custom(func(t *rapid.T) string {
	return fmt.Sprintf("k%02d", rapid.IntRange(0, 40).Draw(t, "k"))
})

func (mm *modelMachine) set(t *rapid.T) {
	k := modelKeys.Draw(t, "key")
	v := fmt.Sprintf("v%d", rapid.IntRange(0, 1<<20).Draw(t, "v"))
	if err := mm.db.Set([]byte(k), []byte(v), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	mm.model[k] = v
}

func (mm *modelMachine) del(t *rapid.T) {
	k := modelKeys.Draw(t, "key")
	if err := mm.db.Delete([]byte(k), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	delete(mm.model, k)
}

func (mm *modelMachine) deleteRange(t *rapid.T) {
	a, b := modelKeys.Draw(t, "start"), modelKeys.Draw(t, "end")
	if err := mm.db.DeleteRange([]byte(a), []byte(b), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for k := range mm.model {
		if a <= k && k < b {
			delete(mm.model, k)
		}
	}
}

// batch mixes ops on the same keys inside one seq, which the batch's
// normalization must resolve as if they were applied one by one.
func (mm *modelMachine) batch(t *rapid.T) {
	var b Batch
	n := rapid.IntRange(1, 6).Draw(t, "n")
	for range n {
		k := modelKeys.Draw(t, "key")
		switch rapid.IntRange(0, 2).Draw(t, "op") {
		case 0:
			v := fmt.Sprintf("b%d", rapid.IntRange(0, 1000).Draw(t, "v"))
			b.Set([]byte(k), []byte(v))
			mm.model[k] = v
		case 1:
			b.Delete([]byte(k))
			delete(mm.model, k)
		case 2:
			e := modelKeys.Draw(t, "end")
			b.DeleteRange([]byte(k), []byte(e))
			for mk := range mm.model {
				if k <= mk && mk < e {
					delete(mm.model, mk)
				}
			}
		}
	}
	if err := mm.db.Apply(&b, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (mm *modelMachine) snapshot(t *rapid.T) {
	if len(mm.snaps) >= 4 {
		t.Skip("enough snapshots")
	}
	mm.snaps = append(mm.snaps, modelSnap{mm.db.NewSnapshot(), maps.Clone(mm.model)})
}

func (mm *modelMachine) closeSnapshot(t *rapid.T) {
	if len(mm.snaps) == 0 {
		t.Skip("no snapshot")
	}
	i := rapid.IntRange(0, len(mm.snaps)-1).Draw(t, "i")
	mm.snaps[i].s.Close()
	mm.snaps = slices.Delete(mm.snaps, i, i+1)
}

func (mm *modelMachine) get(t *rapid.T) {
	k := modelKeys.Draw(t, "key")
	want, ok := mm.model, true
	var got []byte
	var err error
	if len(mm.snaps) > 0 && rapid.Bool().Draw(t, "atSnap") {
		s := mm.snaps[rapid.IntRange(0, len(mm.snaps)-1).Draw(t, "snap")]
		want = s.m
		got, err = s.s.Get([]byte(k))
	} else {
		got, err = mm.db.Get([]byte(k))
	}
	if err == nil && isSoftTomb(got) {
		got, err = nil, ErrNotFound
	}
	v, ok := visible(want)[k]
	if !ok {
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("get %q: got %q, %v; want not found", k, got, err)
		}
		return
	}
	if err != nil || string(got) != v {
		t.Fatalf("get %q: got %q, %v; want %q", k, got, err, v)
	}
}

func (mm *modelMachine) iterate(t *rapid.T) {
	var o IterOptions
	if rapid.Bool().Draw(t, "lower") {
		o.LowerBound = []byte(modelKeys.Draw(t, "lo"))
	}
	if rapid.Bool().Draw(t, "upper") {
		o.UpperBound = []byte(modelKeys.Draw(t, "hi"))
	}
	m := mm.model
	var it *Iterator
	var err error
	if len(mm.snaps) > 0 && rapid.Bool().Draw(t, "atSnap") {
		s := mm.snaps[rapid.IntRange(0, len(mm.snaps)-1).Draw(t, "snap")]
		m = s.m
		it, err = s.s.NewIter(&o)
	} else {
		it, err = mm.db.NewIter(&o)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	m = visible(m)
	keys := modelRange(m, o.LowerBound, o.UpperBound)
	walkIterator(t, softSkipIter{it}, m, keys, rapid.IntRange(1, 30).Draw(t, "steps"))
}

func modelRange(m map[string]string, lo, hi []byte) []string {
	var keys []string
	for k := range m {
		if (lo == nil || k >= string(lo)) && (hi == nil || k < string(hi)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// walkIterator makes random moves and checks each against the model's
// sorted keys.
func walkIterator(t *rapid.T, it iterLike, m map[string]string, keys []string, steps int) {
	pos := -1
	for range steps {
		var ok bool
		op := rapid.IntRange(0, 5).Draw(t, "move")
		switch op {
		case 0:
			ok, pos = it.First(), min(0, len(keys)-1)
		case 1:
			ok, pos = it.Last(), len(keys)-1
		case 2:
			k := modelKeys.Draw(t, "seek")
			ok, pos = it.SeekGE([]byte(k)), sort.SearchStrings(keys, k)
			if pos == len(keys) {
				pos = -1
			}
		case 3:
			k := modelKeys.Draw(t, "seek")
			ok, pos = it.SeekLT([]byte(k)), sort.SearchStrings(keys, k)-1
		case 4:
			ok = it.Next()
			if pos >= 0 {
				if pos++; pos == len(keys) {
					pos = -1
				}
			}
		case 5:
			ok = it.Prev()
			if pos >= 0 {
				pos--
			}
		}
		if err := it.Error(); err != nil {
			t.Fatalf("iterator error: %v", err)
		}
		if ok != (pos >= 0) || ok != it.Valid() {
			t.Fatalf("move %d: valid=%v, model position %d of %v", op, ok, pos, keys)
		}
		if ok && (string(it.Key()) != keys[pos] || string(it.Value()) != m[keys[pos]]) {
			t.Fatalf("move %d: at %q=%q, model %q=%q", op, it.Key(), it.Value(), keys[pos], m[keys[pos]])
		}
	}
}

func (mm *modelMachine) flush(t *rapid.T) {
	if err := mm.db.Flush(); err != nil {
		t.Fatal(err)
	}
}

func (mm *modelMachine) step(t *rapid.T) {
	if _, err := mm.db.Step(int64(rapid.IntRange(1, 4096).Draw(t, "budget"))); err != nil {
		t.Fatal(err)
	}
}

func (mm *modelMachine) compactAll(t *rapid.T) {
	if err := mm.db.CompactAll(); err != nil {
		t.Fatal(err)
	}
}

// reopen closes the DB (snapshots first) and opens it again: the WAL must
// give back every write, synced or not, since nothing crashed.
func (mm *modelMachine) reopen(t *rapid.T) {
	for _, s := range mm.snaps {
		s.s.Close()
	}
	mm.snaps = nil
	if err := mm.db.Close(); err != nil {
		t.Fatal(err)
	}
	mm.db = mm.open(t, "db")
}

// checkpoint copies the DB, opens the copy and compares everything.
func (mm *modelMachine) checkpoint(t *rapid.T) {
	mm.cps++
	dir := fmt.Sprintf("cp%d", mm.cps)
	if err := mm.db.Checkpoint(dir); err != nil {
		t.Fatal(err)
	}
	cp := mm.open(t, dir)
	defer cp.Close()
	checkContents(t, cp, mm.model)
}

func checkContents(t interface{ Fatalf(string, ...any) }, d *DB, want map[string]string) {
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatalf("iter: %v", err)
	}
	defer it.Close()
	got := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	got, want = visible(got), visible(want)
	if err := it.Error(); err != nil {
		t.Fatalf("iter: %v", err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("contents differ:\n got %v\nwant %v", got, want)
	}
}

func (mm *modelMachine) check(t *rapid.T) {
	if mm.db.current != nil {
		mm.db.current.checkInvariants()
	}
}

func randomModelOptions(t *rapid.T) Options {
	o := Options{
		MemtableSizeBytes:   int64(rapid.IntRange(256, 8192).Draw(t, "memtable")),
		SSTableSizeBytes:    int64(rapid.IntRange(256, 8192).Draw(t, "sstable")),
		LBaseMaxBytes:       int64(rapid.IntRange(1024, 16384).Draw(t, "lbase")),
		BlockCacheSizeBytes: int64(rapid.IntRange(1, 1<<16).Draw(t, "cache")),
		MaxOpenFiles:        rapid.IntRange(1, 16).Draw(t, "maxOpen"),
		L0CompactionTrigger: rapid.IntRange(1, 4).Draw(t, "l0trigger"),
		L0SlowdownTrigger:   rapid.IntRange(2, 12).Draw(t, "l0slowdown"),
		LevelSizeRatio:      rapid.IntRange(2, 10).Draw(t, "ratio"),
		CompactionStrategy:  rapid.SampledFrom([]string{StrategyLeveled, StrategySizeTiered}).Draw(t, "strategy"),
	}
	o.ManifestSizeBytesMax = int64(rapid.IntRange(64, 4096).Draw(t, "manifestMax"))
	return o
}

// TestModel is the model-based test: random ops against the DB and a
// sorted map (with copies for snapshots). Replay a failure with the
// -rapid.seed it prints.
func TestModel(t *testing.T) {
	// rapid's default of 30 steps per run rarely reaches the deeper
	// levels; an explicit -rapid.steps wins.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.steps" })
	if !explicit {
		flag.Set("rapid.steps", "200")
	}
	rapid.Check(t, func(t *rapid.T) {
		mm := &modelMachine{fs: diskio.NewMemFS(1), opts: randomModelOptions(t), model: map[string]string{}}
		if rapid.Bool().Draw(t, "filter") {
			mm.filter = randomSoftFilter(rapid.Uint64().Draw(t, "filterSeed"))
			if rapid.Bool().Draw(t, "eagerHorizon") {
				mm.horizon = SeqMax // everything is old enough to filter
			}
		}
		mm.db = mm.open(t, "db")
		defer func() { mm.db.Close() }()
		t.Repeat(map[string]func(*rapid.T){
			"set": mm.set, "del": mm.del, "softDel": mm.softDel, "raiseHorizon": mm.raiseHorizon, "deleteRange": mm.deleteRange, "batch": mm.batch,
			"snapshot": mm.snapshot, "closeSnapshot": mm.closeSnapshot,
			"get": mm.get, "iterate": mm.iterate,
			"flush": mm.flush, "step": mm.step, "compactAll": mm.compactAll,
			"reopen": mm.reopen, "checkpoint": mm.checkpoint,
			"": mm.check,
		})
	})
}

// iterLike is the part of Iterator walkIterator drives.
type iterLike interface {
	First() bool
	Last() bool
	SeekGE(key []byte) bool
	SeekLT(key []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() []byte
	Value() []byte
	Error() error
}

// softSkipIter reads an Iterator as the model does: soft tombstones are
// absent, so every move steps over them in its own direction.
type softSkipIter struct{ *Iterator }

func (s softSkipIter) fwd(ok bool) bool {
	for ok && isSoftTomb(s.Value()) {
		ok = s.Iterator.Next()
	}
	return ok
}

func (s softSkipIter) back(ok bool) bool {
	for ok && isSoftTomb(s.Value()) {
		ok = s.Iterator.Prev()
	}
	return ok
}

func (s softSkipIter) First() bool            { return s.fwd(s.Iterator.First()) }
func (s softSkipIter) Last() bool             { return s.back(s.Iterator.Last()) }
func (s softSkipIter) SeekGE(key []byte) bool { return s.fwd(s.Iterator.SeekGE(key)) }
func (s softSkipIter) SeekLT(key []byte) bool { return s.back(s.Iterator.SeekLT(key)) }
func (s softSkipIter) Next() bool             { return s.fwd(s.Iterator.Next()) }
func (s softSkipIter) Prev() bool             { return s.back(s.Iterator.Prev()) }
