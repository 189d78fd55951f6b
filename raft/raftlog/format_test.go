package raftlog

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

func TestRecordRoundTrip(t *testing.T) {
	e := raft.Entry{Term: 7, Index: 42, Type: raft.EntryConfChange, Data: []byte("hello")}
	rec := appendRecord(nil, encodeEntry(nil, e))
	body, n, err := parseRecord(rec)
	if err != nil || n != len(rec) {
		t.Fatalf("parseRecord: %d, %v", n, err)
	}
	got, err := decodeEntry(body)
	if err != nil || sameEntries([]raft.Entry{got}, []raft.Entry{e}) != nil {
		t.Fatalf("decodeEntry = %+v, %v", got, err)
	}
	hs := hardStateRecord{version: 3, hs: raft.HardState{Term: 1, Vote: 2, Commit: 3}}
	body, _, err = parseRecord(appendRecord(nil, encodeHardState(nil, hs)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeHardState(body); err != nil || got != hs {
		t.Fatalf("decodeHardState = %+v, %v", got, err)
	}
	st := durableState{hardState: hs, snapshot: raft.SnapshotMeta{Index: 9, Term: 1,
		Conf: raft.ConfState{Voters: []uint64{1, 2}, Learners: []uint64{5}}}}
	got2, err := decodeState(encodeState(st))
	if err != nil || got2.hardState != hs || got2.snapshot.Index != 9 || len(got2.snapshot.Conf.Voters) != 2 ||
		got2.snapshot.Conf.Learners[0] != 5 {
		t.Fatalf("decodeState = %+v, %v", got2, err)
	}
}

// Every single-bit flip of a record must be caught by its checksum: the
// property the torn-tail and corruption rules stand on.
func TestEveryBitFlipIsDetected(t *testing.T) {
	rec := appendRecord(nil, encodeEntry(nil, raft.Entry{Term: 3, Index: 9, Data: []byte("some entry data")}))
	for bit := 0; bit < len(rec)*8; bit++ {
		bad := append([]byte(nil), rec...)
		bad[bit/8] ^= 1 << (bit % 8)
		if _, _, err := parseRecord(bad); err == nil {
			t.Fatalf("flip of bit %d not detected", bit)
		}
	}
	st := encodeState(durableState{snapshot: raft.SnapshotMeta{Index: 1, Term: 1}})
	for bit := 0; bit < len(st)*8; bit++ {
		bad := append([]byte(nil), st...)
		bad[bit/8] ^= 1 << (bit % 8)
		if _, err := decodeState(bad); err == nil {
			t.Fatalf("state flip of bit %d not detected", bit)
		}
	}
}

// Decoders get arbitrary bytes (torn tails, garbage, hostile files): they
// must return errors, never panic. Bodies are checked both bare and framed
// with a valid checksum, so the body decoders see the garbage too.
func TestDecodersNeverPanicOnGarbage(t *testing.T) {
	seed := uint64(0xdec0de)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	valid := [][]byte{
		encodeEntry(nil, raft.Entry{Term: 1, Index: 1, Data: []byte("x")}),
		encodeHardState(nil, hardStateRecord{version: 1}),
		encodeState(durableState{snapshot: raft.SnapshotMeta{Conf: raft.ConfState{Voters: []uint64{1}}}})[recordHeaderBytes:],
	}
	for i := 0; i < 20000; i++ {
		body := append([]byte(nil), valid[rng.IntN(len(valid))]...)
		for n := rng.IntN(4); n >= 0 && len(body) > 0; n-- {
			body[rng.IntN(len(body))] = byte(rng.Uint32())
		}
		body = body[:rng.IntN(len(body)+1)]
		if len(body) == 0 {
			continue
		}
		_, _ = decodeEntry(body)
		_, _ = decodeHardState(body)
		_ = decodable(body)
		_, _ = decodeState(appendRecord(nil, body))
		_, _, _ = parseRecord(body)
		_ = searchRecord(append(body, appendRecord(nil, body)...), 0)
	}
}

func TestSegmentNames(t *testing.T) {
	if got := segmentName(1); got != "0000000000000001.seg" {
		t.Fatalf("segmentName(1) = %s", got)
	}
	for _, bad := range []string{"state", "0000000000000000.seg", "000000000000001.seg", "000000000000000g.seg", "0000000000000001.sst"} {
		if _, ok := parseSegmentName(bad); ok {
			t.Errorf("parseSegmentName accepted %q", bad)
		}
	}
	if first, ok := parseSegmentName(segmentName(1 << 60)); !ok || first != 1<<60 {
		t.Fatalf("round trip of 1<<60: %d %v", first, ok)
	}
}

func BenchmarkAppendSync(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			fs := diskio.NewMemFS(1)
			l, _, err := Open(fs, testDir, Options{SegmentSizeBytesMax: 4 << 20})
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, 256)
			next := uint64(1)
			b.SetBytes(int64(batch * len(data)))
			for i := 0; i < b.N; i++ {
				es := make([]raft.Entry, batch)
				for j := range es {
					es[j] = raft.Entry{Term: 1, Index: next, Data: data}
					next++
				}
				if err := l.Append(es); err != nil {
					b.Fatal(err)
				}
				if err := l.Sync(); err != nil {
					b.Fatal(err)
				}
				if l.Size() > 64<<20 {
					if err := l.Compact(raft.SnapshotMeta{Index: next - 1, Term: 1}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
