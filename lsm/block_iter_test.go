package lsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// testBlockKeys returns n sorted internal keys with shared prefixes, so
// entries are delta-encoded, and a value per key.
func testBlockKeys(rng *rand.Rand, n int) (keys, vals [][]byte) {
	for i := range n {
		uk := fmt.Appendf(nil, "key-%06d", i*3)
		keys = append(keys, makeInternalKey(nil, uk, uint64(1+rng.IntN(1000)), KindSet))
		vals = append(vals, bytes.Repeat([]byte{byte(i)}, rng.IntN(20)))
	}
	return keys, vals
}

func buildTestBlock(keys, vals [][]byte) []byte {
	var bb blockBuilder
	for i := range keys {
		bb.add(keys[i], vals[i])
	}
	return append([]byte(nil), bb.finish()...)
}

// TestBlockIterMatchesKeys checks in-place decoding against the keys the
// block was built from: a full walk, and seeks to every key and between.
func TestBlockIterMatchesKeys(t *testing.T) {
	seed := uint64(1)
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, n := range []int{1, 2, 15, 16, 17, 33, 200} {
		keys, vals := testBlockKeys(rng, n)
		b, err := parseRawBlock(buildTestBlock(keys, vals))
		if err != nil {
			t.Fatalf("n=%d: parse: %v", n, err)
		}
		var it blockIter
		it.init(b)
		i := 0
		for ok := it.first(); ok; ok = it.next() {
			if !bytes.Equal(it.key, keys[i]) || !bytes.Equal(it.val, vals[i]) {
				t.Fatalf("n=%d entry %d: %s, want %s", n, i, formatKey(it.key), formatKey(keys[i]))
			}
			i++
		}
		if i != n || it.err != nil {
			t.Fatalf("n=%d: walked %d entries, err %v", n, i, it.err)
		}
		if !it.last() || !bytes.Equal(it.key, keys[n-1]) {
			t.Fatalf("n=%d: last is wrong", n)
		}
		for probe := range 3*n*3 + 3 {
			target := makeInternalKey(nil, fmt.Appendf(nil, "key-%06d", probe-1), 500, kindSeek)
			ge := sort.Search(n, func(i int) bool { return compareInternal(keys[i], target) >= 0 })
			if ok := it.seekGE(target); ok != (ge < n) || ok && !bytes.Equal(it.key, keys[ge]) {
				t.Fatalf("n=%d seekGE(%s): ok=%v at %s, want index %d", n, formatKey(target), ok, formatKey(it.key), ge)
			}
			if ok := it.seekLT(target); ok != (ge > 0) || ok && !bytes.Equal(it.key, keys[ge-1]) {
				t.Fatalf("n=%d seekLT(%s): ok=%v at %s, want index %d", n, formatKey(target), ok, formatKey(it.key), ge-1)
			}
		}
	}
}

// TestBlockIterRejectsMalformed: a restart array that does not fit or is
// out of order is refused at parse; damaged entries are refused as they
// are decoded; and random damage never panics.
func TestBlockIterRejectsMalformed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	keys, vals := testBlockKeys(rng, 40)
	good := buildTestBlock(keys, vals)
	restartsOff := len(good) - 4 - 4*3 // 40 entries: 3 restarts

	badCount := bytes.Clone(good)
	binary.LittleEndian.PutUint32(badCount[len(badCount)-4:], 1<<30)
	badOrder := bytes.Clone(good)
	binary.LittleEndian.PutUint32(badOrder[restartsOff+4:], 0)
	badFirst := bytes.Clone(good)
	binary.LittleEndian.PutUint32(badFirst[restartsOff:], 1)
	for name, data := range map[string][]byte{"count": badCount, "order": badOrder, "first": badFirst, "short": good[:3]} {
		if _, err := parseRawBlock(data); !errors.Is(err, errBlockFormat) {
			t.Errorf("%s: parse accepted a malformed restart array (%v)", name, err)
		}
	}

	// An entry claiming more key bytes than the block holds.
	badLen := bytes.Clone(good)
	badLen[1] = 0x7f // the first entry's unshared length
	b, err := parseRawBlock(badLen)
	if err != nil {
		t.Fatal(err)
	}
	var it blockIter
	it.init(b)
	if it.first() || !errors.Is(it.err, errBlockFormat) {
		t.Fatalf("decoding an overlong entry: valid=%v err=%v", it.valid, it.err)
	}

	seed := uint64(5)
	rng = rand.New(rand.NewPCG(seed, 6))
	for range 2000 {
		data := bytes.Clone(good)
		for range 1 + rng.IntN(4) {
			data[rng.IntN(restartsOff)] = byte(rng.Uint32())
		}
		b, err := parseRawBlock(data)
		if err != nil {
			continue
		}
		it.init(b)
		for ok := it.first(); ok; ok = it.next() {
		}
		it.seekGE(keys[rng.IntN(len(keys))])
		it.seekLT(keys[rng.IntN(len(keys))])
		it.last()
	}
	t.Logf("seed %d: 2000 damaged blocks decoded without a panic", seed)
}

// TestTableIterManyBlocks walks a table of many blocks through a small
// cache: forward scans (which switch to read-ahead), compaction iterators,
// seeks both ways, against the sorted keys.
func TestTableIterManyBlocks(t *testing.T) {
	fs := diskio.NewMemFS(1)
	rng := rand.New(rand.NewPCG(7, 8))
	keys, vals := testBlockKeys(rng, 20000)
	f, err := fs.Create("t.sst")
	if err != nil {
		t.Fatal(err)
	}
	w := newTableWriter(f, 10)
	for i := range keys {
		if err := w.add(keys[i], vals[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.finish(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, err = fs.Open("t.sst")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := openTable(f, 1, newBlockCache(16<<10))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.index) < 50 {
		t.Fatalf("only %d blocks", len(r.index))
	}
	for _, it := range []*tableIter{newTableIter(r), newCompactionTableIter(r)} {
		i := 0
		for it.First(); it.Valid(); it.Next() {
			if !bytes.Equal(it.Key(), keys[i]) || !bytes.Equal(it.Value(), vals[i]) {
				t.Fatalf("noCache=%v entry %d: %s, want %s", it.noCache, i, formatKey(it.Key()), formatKey(keys[i]))
			}
			i++
		}
		if i != len(keys) || it.Err() != nil {
			t.Fatalf("noCache=%v: scanned %d of %d, err %v", it.noCache, i, len(keys), it.Err())
		}
	}
	it := newTableIter(r)
	for range 3000 {
		p := rng.IntN(len(keys) + 2)
		target := makeInternalKey(nil, fmt.Appendf(nil, "key-%06d", p*3-2), 0, kindSeek)
		ge := sort.Search(len(keys), func(i int) bool { return compareInternal(keys[i], target) >= 0 })
		if rng.IntN(2) == 0 {
			it.SeekGE(target)
			for j := ge; j < min(ge+40, len(keys)); j++ { // long enough to read ahead
				if !it.Valid() || !bytes.Equal(it.Key(), keys[j]) {
					t.Fatalf("SeekGE(%s) then %d Next: at %s, want %s", formatKey(target), j-ge, formatKey(it.Key()), formatKey(keys[j]))
				}
				it.Next()
			}
		} else {
			it.SeekLT(target)
			if it.Valid() != (ge > 0) || ge > 0 && !bytes.Equal(it.Key(), keys[ge-1]) {
				t.Fatalf("SeekLT(%s): valid=%v, want index %d", formatKey(target), it.Valid(), ge-1)
			}
		}
	}
	if it.Last(); !it.Valid() || !bytes.Equal(it.Key(), keys[len(keys)-1]) {
		t.Fatal("Last is wrong")
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
}

// TestReadaheadDetectsCorruption flips a bit in a block that a scan reads
// through the read-ahead buffer: the scan must stop with a corruption
// error naming the table, not return the damaged entries.
func TestReadaheadDetectsCorruption(t *testing.T) {
	fs := diskio.NewMemFS(1)
	d := mustOpen(t, fs, Options{MemtableSizeBytes: 4 << 20})
	for i := range 5000 {
		if err := d.Set(fmt.Appendf(nil, "k%06d", i), bytes.Repeat([]byte("v"), 50), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	fm := d.current.levels[0][0]
	name := tableFileName("db", fm.fileNum)
	h, err := d.tc.acquire(fm.fileNum)
	if err != nil {
		t.Fatal(err)
	}
	// A value byte of the first entry of a block well past
	// sequentialLoadsMin: only the checksum can notice.
	off := h.r.index[len(h.r.index)/2].h.offset + 3 + 15 + 2
	h.release()
	d.Close()
	flipBit(t, fs, name, int64(off))
	d = mustOpen(t, fs, Options{})
	defer d.Close()
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	var ce *CorruptionError
	if !errors.As(it.Error(), &ce) || ce.File != name || n >= 5000 {
		t.Fatalf("scan over a damaged block: %d keys, error %v", n, it.Error())
	}
}
