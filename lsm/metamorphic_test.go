package lsm

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

var metaSeed = flag.Uint64("lsm.metaseed", 0, "seed for TestMetamorphic (0: a fixed set)")

// metaOp is one operation of the metamorphic log.
type metaOp struct {
	kind       string // set, sdel, del, delrange, get, scan, rscan, snap, snapget, snapclose, flush, step, reopen
	key, end   string
	value      string
	budgetByte int64
}

func (o metaOp) String() string {
	return fmt.Sprintf("%s %s %s %s %d", o.kind, o.key, o.end, o.value, o.budgetByte)
}

func genMetaOps(rng *rand.Rand, n int) []metaOp {
	key := func() string { return fmt.Sprintf("k%03d", rng.IntN(150)) }
	kinds := []string{"set", "set", "set", "set", "sdel", "del", "delrange", "get", "get", "scan", "rscan",
		"snap", "snapget", "snapclose", "flush", "step", "step", "reopen"}
	ops := make([]metaOp, n)
	for i := range ops {
		o := metaOp{kind: kinds[rng.IntN(len(kinds))], key: key(), end: key(), budgetByte: int64(1 + rng.IntN(1<<14))}
		o.value = fmt.Sprintf("v%d-%s", i, strings.Repeat("x", rng.IntN(40)))
		if o.kind == "sdel" { // a soft tombstone (filter_test.go): read as absent
			o.kind, o.value = "set", fmt.Sprintf("%s%d", softTomb, i)
		}
		ops[i] = o
	}
	return ops
}

// metaFilter is the compaction filter of an option set: nil, or a random
// soft-tombstone filter with the horizon trailing the last seq by lagSeqs.
type metaFilter struct {
	filter  CompactionFilter
	lagSeqs uint64
}

// runMeta applies ops under one option set and returns the observable
// output: every read's result, line by line, soft tombstones read as
// absent.
func runMeta(t *testing.T, ops []metaOp, o Options, mf metaFilter) []string {
	out, _ := runMetaCounting(t, ops, o, mf)
	return out
}

// runMetaCounting is runMeta that also returns the entries the filter
// dropped.
func runMetaCounting(t *testing.T, ops []metaOp, o Options, mf metaFilter) (out []string, drops int64) {
	fs := diskio.NewMemFS(1)
	d := mustOpen(t, fs, o)
	d.SetCompactionFilter(mf.filter)
	var snaps []*Snapshot
	emit := func(s string) { out = append(out, s) }
	for i, op := range ops {
		var err error
		switch op.kind {
		case "set":
			err = d.Set([]byte(op.key), []byte(op.value), WriteOptions{})
		case "del":
			err = d.Delete([]byte(op.key), WriteOptions{})
		case "delrange":
			err = d.DeleteRange([]byte(op.key), []byte(op.end), WriteOptions{})
		case "get":
			v, gerr := softGet(d.Get, op.key)
			emit(fmt.Sprintf("%d get %s = %q %v", i, op.key, v, gerr))
		case "scan", "rscan":
			emit(fmt.Sprintf("%d %s", i, metaScan(t, d.NewIter, op)))
		case "snap":
			snaps = append(snaps, d.NewSnapshot())
		case "snapget":
			if len(snaps) > 0 {
				s := snaps[len(snaps)-1]
				v, gerr := softGet(s.Get, op.key)
				emit(fmt.Sprintf("%d snapget %s = %q %v", i, op.key, v, gerr))
				emit(fmt.Sprintf("%d %s", i, metaScan(t, s.NewIter, op)))
			}
		case "snapclose":
			if len(snaps) > 0 {
				snaps[0].Close()
				snaps = snaps[1:]
			}
		case "flush":
			err = d.Flush()
		case "step":
			_, err = d.Step(op.budgetByte)
		case "reopen":
			for _, s := range snaps {
				s.Close()
			}
			snaps = nil
			drops += d.Metrics().CompactionFilterDrops
			if err = d.Close(); err == nil {
				d, err = Open(fs, "db", o)
			}
			if err == nil {
				d.SetCompactionFilter(mf.filter)
			}
		}
		if err != nil {
			t.Fatalf("op %d (%v): %v", i, op, err)
		}
		if mf.filter != nil && d.LastSeq() > mf.lagSeqs {
			d.SetFilterHorizon(d.LastSeq() - mf.lagSeqs)
		}
	}
	drops += d.Metrics().CompactionFilterDrops
	d.Close()
	return out, drops
}

func metaScan(t *testing.T, newIter func(*IterOptions) (*Iterator, error), op metaOp) string {
	lo, hi := op.key, op.end
	if lo > hi {
		lo, hi = hi, lo
	}
	it, err := newIter(&IterOptions{LowerBound: []byte(lo), UpperBound: []byte(hi)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var b strings.Builder
	emit := func() {
		if !isSoftTomb(it.Value()) {
			fmt.Fprintf(&b, "%s=%s ", it.Key(), it.Value())
		}
	}
	if op.kind == "rscan" {
		for ok := it.Last(); ok; ok = it.Prev() {
			emit()
		}
	} else {
		for ok := it.First(); ok; ok = it.Next() {
			emit()
		}
	}
	if it.Error() != nil {
		t.Fatal(it.Error())
	}
	return op.kind + " [" + lo + "," + hi + ") " + b.String()
}

// softGet reads key as the soft-tombstone convention does.
func softGet(get func([]byte) ([]byte, error), key string) ([]byte, error) {
	v, err := get([]byte(key))
	if err == nil && isSoftTomb(v) {
		return nil, ErrNotFound
	}
	return v, err
}

// metaFilters gives each option set but the first (the base, unfiltered)
// a random filter and horizon lag.
func metaFilters(rng *rand.Rand, n int) []metaFilter {
	out := make([]metaFilter, n)
	for i := 1; i < n; i++ {
		out[i] = metaFilter{filter: randomSoftFilter(rng.Uint64()), lagSeqs: uint64(rng.IntN(50))}
	}
	return out
}

// metaOptionSets are the configurations whose outputs must agree.
func metaOptionSets(rng *rand.Rand) []Options {
	sets := []Options{
		{}, // defaults: everything stays in the memtable
		{MemtableSizeBytes: 512, SSTableSizeBytes: 512, LBaseMaxBytes: 2048, L0CompactionTrigger: 2, BlockCacheSizeBytes: 1, MaxOpenFiles: 1},
		{MemtableSizeBytes: 4096, SSTableSizeBytes: 8192, CompactionStrategy: StrategySizeTiered},
		{MemtableSizeBytes: 1024, SSTableSizeBytes: 1024, CompactionStrategy: StrategySizeTiered, L0CompactionTrigger: 2, BloomFilterBitsPerKey: 1},
	}
	for range 2 { // and random ones
		sets = append(sets, Options{
			MemtableSizeBytes:   int64(256 + rng.IntN(8192)),
			SSTableSizeBytes:    int64(256 + rng.IntN(8192)),
			LBaseMaxBytes:       int64(1024 + rng.IntN(16384)),
			L0CompactionTrigger: 1 + rng.IntN(4),
			LevelSizeRatio:      2 + rng.IntN(9),
			BlockCacheSizeBytes: int64(1 + rng.IntN(1<<16)),
			MaxOpenFiles:        1 + rng.IntN(10),
			CompactionStrategy:  []string{StrategyLeveled, StrategySizeTiered}[rng.IntN(2)],
		})
	}
	return sets
}

// TestMetamorphic runs one generated op log under several option sets and
// requires identical read results. Replay: -lsm.metaseed=N.
func TestMetamorphic(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
	if *metaSeed != 0 {
		seeds = []uint64{*metaSeed}
	}
	for _, seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 0x6d657461))
		ops := genMetaOps(rng, 1500)
		sets := metaOptionSets(rng)
		filters := metaFilters(rng, len(sets))
		base := runMeta(t, ops, sets[0], filters[0])
		var drops int64
		for i, o := range sets[1:] {
			got, n := runMetaCounting(t, ops, o, filters[i+1])
			drops += n
			if len(got) != len(base) {
				t.Fatalf("seed %d: option set %d (%+v) gave %d outputs, base %d", seed, i+1, o, len(got), len(base))
			}
			for j := range got {
				if got[j] != base[j] {
					t.Fatalf("seed %d: option set %d (%+v) differs at output %d:\n got %s\nbase %s\nreplay: go test ./lsm -run TestMetamorphic -lsm.metaseed=%d",
						seed, i+1, o, j, got[j], base[j], seed)
				}
			}
		}
		t.Logf("seed %d: %d ops, %d outputs agree across %d option sets (%d entries filtered)", seed, len(ops), len(base), len(sets), drops)
	}
}

// TestMetamorphicCatchesBrokenCompaction proves the comparison can fail:
// a compaction that drops deletions too early resurrects old values.
func TestMetamorphicCatchesBrokenCompaction(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 0x6d657461))
	ops := genMetaOps(rng, 1500)
	base := runMeta(t, ops, Options{}, metaFilter{})
	broken := Options{MemtableSizeBytes: 512, SSTableSizeBytes: 512, LBaseMaxBytes: 2048, L0CompactionTrigger: 2}
	broken.brokenDropDeletes = true
	got := runMeta(t, ops, broken, metaFilter{})
	for j := range got {
		if got[j] != base[j] {
			t.Logf("caught at output %d: %s vs %s", j, got[j], base[j])
			return
		}
	}
	t.Fatal("the metamorphic test did not notice deletions dropped too early")
}

// TestMetamorphicCatchesBrokenFilter proves the filtered runs are checked:
// a filter consulted over older surviving versions resurrects them.
func TestMetamorphicCatchesBrokenFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 0x6d657461))
	ops := genMetaOps(rng, 1500)
	base := runMeta(t, ops, Options{}, metaFilter{})
	broken := Options{MemtableSizeBytes: 512, SSTableSizeBytes: 512, LBaseMaxBytes: 2048, L0CompactionTrigger: 2}
	broken.brokenFilterAnywhere = true
	got := runMeta(t, ops, broken, metaFilter{filter: dropSoftTombs})
	for j := range got {
		if got[j] != base[j] {
			t.Logf("caught at output %d: %s vs %s", j, got[j], base[j])
			return
		}
	}
	t.Fatal("the metamorphic test did not notice a filter that resurrects old values")
}
