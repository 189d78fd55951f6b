package lsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// TestMemtableOrder inserts keys chosen to defeat the 8-byte prefix (short
// keys, trailing zero bytes, long shared prefixes) into a memtable whose
// arena starts tiny and must grow, then checks order, seeks and gets
// against a sorted copy.
func TestMemtableOrder(t *testing.T) {
	seed := uint64(21)
	rng := rand.New(rand.NewPCG(seed, 1))
	m := newMemtable(1, newChunkPool(4096)) // 1 KiB chunks
	alphabet := []byte{0, 1, 'a', 'b', 0xff}
	var keys [][]byte
	for seq := uint64(1); seq <= 3000; seq++ {
		uk := make([]byte, rng.IntN(12))
		for i := range uk {
			uk[i] = alphabet[rng.IntN(len(alphabet))]
		}
		val := fmt.Appendf(nil, "v%d", seq)
		if rng.IntN(50) == 0 { // a node bigger than a chunk
			val = append(val, bytes.Repeat([]byte{'-'}, rng.IntN(5000))...)
		}
		m.add(uk, seq, KindSet, val)
		keys = append(keys, makeInternalKey(nil, uk, seq, KindSet))
	}
	sort.Slice(keys, func(i, j int) bool { return compareInternal(keys[i], keys[j]) < 0 })
	it := &memIter{m: m}
	i := 0
	for it.First(); it.Valid(); it.Next() {
		if !bytes.Equal(it.Key(), keys[i]) || string(bytes.TrimRight(it.Value(), "-")) != fmt.Sprintf("v%d", seqOf(keys[i])) {
			t.Fatalf("seed %d: entry %d is %s, want %s", seed, i, formatKey(it.Key()), formatKey(keys[i]))
		}
		i++
	}
	if i != len(keys) {
		t.Fatalf("seed %d: walked %d of %d", seed, i, len(keys))
	}
	for _, k := range keys[:500] {
		target := makeInternalKey(nil, userKeyOf(k), seqOf(k), kindSeek)
		ge := sort.Search(len(keys), func(i int) bool { return compareInternal(keys[i], target) >= 0 })
		if it.SeekGE(target); !it.Valid() || !bytes.Equal(it.Key(), keys[ge]) {
			t.Fatalf("seed %d: SeekGE(%s) wrong", seed, formatKey(target))
		}
		if it.SeekLT(target); it.Valid() != (ge > 0) || ge > 0 && !bytes.Equal(it.Key(), keys[ge-1]) {
			t.Fatalf("seed %d: SeekLT(%s) wrong", seed, formatKey(target))
		}
		if n := m.get(userKeyOf(k), target); n == 0 || !bytes.Equal(userKeyOf(m.key(n)), userKeyOf(k)) {
			t.Fatalf("seed %d: get(%q) missed", seed, userKeyOf(k))
		}
	}
	if m.sizeBytes != int64(m.used) || len(m.chunks) != (m.used+m.mask)>>m.shift {
		t.Fatalf("sizeBytes %d, used %d, %d chunk slots", m.sizeBytes, m.used, len(m.chunks))
	}
}

// TestMemtableArenaReuse: a flushed memtable's arena is reused only once
// no iterator reads it; an iterator opened before the flush keeps seeing
// its values while later writes fill a new memtable.
func TestMemtableArenaReuse(t *testing.T) {
	fs := diskio.NewMemFS(3)
	d := mustOpen(t, fs, Options{MemtableSizeBytes: 8 << 10})
	defer d.Close()
	put := func(from, to int, tag string) {
		for i := from; i < to; i++ {
			if err := d.Set(fmt.Appendf(nil, "k%05d", i), fmt.Appendf(nil, "%s%d", tag, i), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(0, 50, "a")
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	held := d.mem
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if held.chunks == nil {
		t.Fatal("the arena of a memtable an iterator reads was handed out for reuse")
	}
	put(0, 2000, "b") // several memtables, rotated and flushed
	if _, err := d.Step(1 << 20); err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if want := fmt.Sprintf("a%d", n); string(it.Value()) != want {
			t.Fatalf("old iterator at %s = %q, want %q", it.Key(), it.Value(), want)
		}
		n++
	}
	if n != 50 {
		t.Fatalf("old iterator saw %d keys, want 50", n)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if held.chunks != nil || len(d.chunks.chunks) == 0 {
		t.Fatal("closing the last iterator did not retire the flushed memtable's arena")
	}
	for i := 0; i < 2000; i += 97 {
		mustGet(t, d, fmt.Sprintf("k%05d", i), fmt.Sprintf("b%d", i))
	}
}
