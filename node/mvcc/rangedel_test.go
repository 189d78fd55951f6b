package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
)

// rangeDelLog renders the range-deletion log at the latest state as
// "index:[start,end) ..." (end "∞" when unbounded).
func (h *harness) rangeDelLog() string {
	h.t.Helper()
	it, err := h.s.db.NewIter(&lsm.IterOptions{LowerBound: []byte(sysRangeDelPrefix), UpperBound: rangeDelLogEnd()})
	if err != nil {
		h.t.Fatal(err)
	}
	defer it.Close()
	var b strings.Builder
	for ok := it.First(); ok; ok = it.Next() {
		rs, err := decodeRanges(it.Value())
		if err != nil {
			h.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d:", binary.BigEndian.Uint64(it.Key()[len(sysRangeDelPrefix):]))
		for _, r := range rs {
			end := "∞"
			if r.End != nil {
				end = string(r.End)
			}
			fmt.Fprintf(&b, "[%s,%s)", r.Start, end)
		}
		b.WriteString(" ")
	}
	return b.String()
}

func (h *harness) deleteRange(start, end string) Outcome {
	h.t.Helper()
	r, b := h.begin()
	var e []byte
	if end != "" {
		e = []byte(end)
	}
	b.Add(Write{Kind: WriteDeleteRange, Key: []byte(start), End: e})
	return h.commit(r, b, kv.Serializable)
}

func bigKey(i int) []byte { return fmt.Appendf(nil, "t/%08d", i) }

// loadKeys commits keys [from, to) in one transaction.
func (h *harness) loadKeys(from, to int) {
	h.t.Helper()
	r, b := h.begin()
	for i := from; i < to; i++ {
		if err := b.Add(Write{Kind: WritePut, Key: bigKey(i), Value: []byte("x")}); err != nil {
			h.t.Fatal(err)
		}
	}
	if out := h.commit(r, b, kv.Serializable); out != OutcomeCommitted {
		h.t.Fatalf("load [%d,%d): %v", from, to, out)
	}
}

// TestDeleteRangeOverManyKeys is the crash loop pgbench found: a
// TRUNCATE of 70,000 rows used to become one tombstone per key, an LSM
// batch over its op limit, and a panic while applying a committed entry —
// again at every replay. It is now one range tombstone; the replay after
// a crash applies it again without trouble.
func TestDeleteRangeOverManyKeys(t *testing.T) {
	const keys = 70_000
	h := newHarness(t, Options{LSM: lsm.Options{MemtableSizeBytes: 1 << 20, SSTableSizeBytes: 1 << 20, BlockCacheSizeBytes: 1 << 20}})
	h.loadKeys(0, keys/2)
	h.loadKeys(keys/2, keys)
	if err := h.s.Flush(); err != nil {
		t.Fatal(err)
	}
	before := h.s.NewReader()
	if out := h.deleteRange("t/", "t0"); out != OutcomeCommitted {
		t.Fatalf("truncate: %v", out)
	}
	after := h.s.NewReader()
	if got, err := before.Scan([]byte("t/"), []byte("t0"), 0, false); err != nil || len(got) != keys {
		t.Fatalf("before the truncate: %d keys, %v", len(got), err)
	}
	if got, err := after.Scan([]byte("t/"), []byte("t0"), 0, false); err != nil || len(got) != 0 {
		t.Fatalf("after the truncate: %d keys, %v", len(got), err)
	}
	before.Close()
	after.Close()
	if c := h.s.Counters(); c.RangeDeletes != 1 {
		t.Fatalf("counters %+v", c)
	}
	want, err := h.s.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	// Crash before the truncate is durable, reopen, replay it.
	h.fs.Crash()
	s, err := Open(h.fs, "db", h.opts)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	h.replayFrom(s.DurableApplied())
	if got, _ := s.Checksum(); got != want {
		t.Fatalf("checksum after replay %x, want %x", got, want)
	}
	if err := s.CompactAll(); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Checksum(); got != want {
		t.Fatalf("checksum after compaction %x, want %x", got, want)
	}
}

// replayFrom applies the logged entries after index from to h.s.
func (h *harness) replayFrom(from uint64) {
	h.t.Helper()
	for i := from; i < h.index; i++ {
		var err error
		if c := h.log[i]; c == nil {
			err = h.s.ApplyEmpty(i + 1)
		} else {
			_, err = h.s.ApplyCommit(i+1, c)
		}
		if err != nil {
			h.t.Fatal(err)
		}
	}
}

// TestReadsAcrossRangeDeletion: a key deleted by a range and written again
// later reads correctly at versions before, between and after, also once
// flushes and compactions have rewritten the tables under open readers.
func TestReadsAcrossRangeDeletion(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("k", "1", "m", "1")
	v1 := h.s.NewReader()
	h.deleteRange("a", "z")
	v2 := h.s.NewReader()
	h.put("k", "2")
	v3 := h.s.NewReader()
	for i := range 50 { // enough churn to flush the tiny memtable often
		h.put(fmt.Sprintf("pad%02d", i), strings.Repeat("p", 200))
	}
	if err := h.s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := h.s.CompactAll(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		r          *Reader
		k, m, scan string
	}{
		{v1, "1", "1", "k=1 m=1 "},
		{v2, "<none>", "<none>", ""},
		{v3, "2", "<none>", "k=2 "},
	} {
		if got := getAt(t, tc.r, "k"); got != tc.k {
			t.Errorf("k at %d: %s, want %s", tc.r.Version(), got, tc.k)
		}
		if got := getAt(t, tc.r, "m"); got != tc.m {
			t.Errorf("m at %d: %s, want %s", tc.r.Version(), got, tc.m)
		}
		if got := scanStr(tc.r.Scan([]byte("k"), []byte("n"), 0, false)); got != tc.scan {
			t.Errorf("scan at %d: %q, want %q", tc.r.Version(), got, tc.scan)
		}
		if got := scanStr(tc.r.Scan([]byte("k"), []byte("n"), 0, true)); got != reverseScanStr(tc.scan) {
			t.Errorf("reverse scan at %d: %q", tc.r.Version(), got)
		}
		tc.r.Close()
	}
}

func reverseScanStr(s string) string {
	parts := strings.Fields(s)
	slices.Reverse(parts)
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " ") + " "
}

// TestRangeDeletionConflicts: validation sees a concurrent range deletion
// through the log, for read keys, read ranges and (snapshot isolation)
// written keys; deletions that do not overlap, or that the reader already
// saw, do not conflict.
func TestRangeDeletionConflicts(t *testing.T) {
	type step func(h *harness, r *Reader, b *TxnBuffer)
	get := func(k string) step {
		return func(h *harness, r *Reader, b *TxnBuffer) { b.Get(r, []byte(k)) }
	}
	scan := func(s, e string) step {
		return func(h *harness, r *Reader, b *TxnBuffer) { b.Scan(r, []byte(s), []byte(e), 0, false) }
	}
	for _, tc := range []struct {
		name     string
		iso      kv.Isolation
		read     step
		del      [2]string
		write    string
		want     Outcome
		hidePut  bool // the key is written after the read version, then range-deleted
		delFirst bool // the deletion happened before the read version
	}{
		{name: "read key covered", read: get("k"), del: [2]string{"a", "z"}, want: OutcomeSerialization},
		{name: "read key outside", read: get("k"), del: [2]string{"l", "z"}, want: OutcomeCommitted},
		{name: "read key at range end", read: get("k"), del: [2]string{"a", "k"}, want: OutcomeCommitted},
		{name: "read absent key covered", read: get("nope"), del: [2]string{"a", "z"}, want: OutcomeSerialization},
		{name: "read range overlapped", read: scan("j", "l"), del: [2]string{"k", "kz"}, want: OutcomeSerialization},
		{name: "read range overlapped unbounded", read: scan("j", "l"), del: [2]string{"b", ""}, want: OutcomeSerialization},
		{name: "read range disjoint", read: scan("j", "l"), del: [2]string{"l", "z"}, want: OutcomeCommitted},
		{name: "deleted before the read version", read: get("k"), del: [2]string{"a", "z"}, delFirst: true, want: OutcomeCommitted},
		{name: "written then range-deleted after the read version", read: get("q"), del: [2]string{"p", "r"}, hidePut: true, want: OutcomeSerialization},
		{name: "si write-write on a range-deleted key", iso: kv.SnapshotIsolation, read: get("k"), write: "k", del: [2]string{"a", "z"}, want: OutcomeSerialization},
		{name: "si write outside the deleted range", iso: kv.SnapshotIsolation, read: get("k"), write: "y", del: [2]string{"a", "k"}, want: OutcomeCommitted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.put("k", "1", "m", "1")
			if tc.delFirst {
				h.deleteRange(tc.del[0], tc.del[1])
			}
			r, b := h.begin()
			tc.read(h, r, b)
			if tc.write != "" {
				b.Add(Write{Kind: WritePut, Key: []byte(tc.write), Value: []byte("w")})
			} else {
				b.Add(Write{Kind: WritePut, Key: []byte("out"), Value: []byte("w")})
			}
			if tc.hidePut {
				h.put("q", "1")
			}
			if !tc.delFirst {
				if out := h.deleteRange(tc.del[0], tc.del[1]); out != OutcomeCommitted {
					t.Fatalf("concurrent delete-range: %v", out)
				}
			}
			if out := h.commit(r, b, tc.iso); out != tc.want {
				t.Fatalf("got %v, want %v (log %q)", out, tc.want, h.rangeDelLog())
			}
		})
	}
}

// TestRangeDeletionLogPruned: records below the horizon go at the pruning
// entries, the same way on every replica, and a commit at the horizon is
// still validated against the deletions it must see.
func TestRangeDeletionLogPruned(t *testing.T) {
	const retained = 50
	h := newHarness(t, Options{RetainedVersions: retained})
	h.put("k", "1")
	h.deleteRange("a", "b") // index 2
	r, b := h.begin()
	b.Get(r, []byte("k"))
	b.Add(Write{Kind: WritePut, Key: []byte("x"), Value: []byte("1")})
	for h.index < retained {
		h.applyEntry(nil)
	}
	h.deleteRange("k", "l") // index retained+1
	if got := h.rangeDelLog(); got != "2:[a,b) 51:[k,l) " {
		t.Fatalf("log %q", got)
	}
	// r's read version (3) is still inside the window at the next index.
	if out := h.commit(r, b, kv.Serializable); out != OutcomeSerialization {
		t.Fatalf("commit at the horizon: %v", out)
	}
	for h.index%dedupGCEveryEntries != dedupGCEveryEntries-1 {
		h.applyEntry(nil)
	}
	h.applyEntry(nil) // a pruning entry: horizon 64-50 = 14
	if got := h.rangeDelLog(); got != "51:[k,l) " {
		t.Fatalf("log after pruning %q", got)
	}
}

// TestChecksumIndependentOfCompaction applies the same random log (range
// deletions included) to two stores, one of which flushes and compacts
// all the time: their logical checksums agree at every step.
func TestChecksumIndependentOfCompaction(t *testing.T) {
	seed := uint64(7)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	a := newHarness(t, Options{RetainedVersions: 40})
	b := newHarness(t, Options{RetainedVersions: 40})
	for i := range 400 {
		c := randomCommit(rng, a.s, uint64(i))
		outA, outB := a.applyEntry(c), b.applyEntry(c)
		if outA != outB {
			t.Fatalf("entry %d: outcomes %v and %v", a.index, outA, outB)
		}
		if rng.IntN(5) == 0 {
			if err := b.s.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := b.s.CompactAll(); err != nil {
				t.Fatal(err)
			}
		}
		ca, err1 := a.s.Checksum()
		cb, err2 := b.s.Checksum()
		if err1 != nil || err2 != nil || ca != cb {
			t.Fatalf("entry %d: checksums %x %x (%v %v)", a.index, ca, cb, err1, err2)
		}
	}
	if a.s.Counters().RangeDeletes == 0 {
		t.Fatal("no range deletions in the workload")
	}
}

// naiveEffects applies writes one by one to a map: the reference for
// effects.
func naiveEffects(writes []Write, keys []string) map[string]string {
	state := map[string]string{}
	for _, w := range writes {
		switch w.Kind {
		case WritePut:
			state[string(w.Key)] = "put:" + string(w.Value)
		case WriteDelete:
			state[string(w.Key)] = "del"
		case WriteDeleteRange:
			for _, k := range keys {
				if inRange([]byte(k), w.Key, w.End) {
					state[k] = "range"
				}
			}
		}
	}
	return state
}

// TestEffectsMatchesProgramOrder compares effects with applying the writes
// one at a time, over random programs on a small key space.
func TestEffectsMatchesProgramOrder(t *testing.T) {
	seed := uint64(11)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	keys := []string{"a", "b", "c", "d", "e", "f", "g"}
	key := func() []byte { return []byte(keys[rng.IntN(len(keys))]) }
	for iter := range 3000 {
		var writes []Write
		for range rng.IntN(10) {
			switch rng.IntN(4) {
			case 0:
				var end []byte
				if rng.IntN(4) != 0 {
					end = key()
				}
				writes = append(writes, Write{Kind: WriteDeleteRange, Key: key(), End: end})
			case 1:
				writes = append(writes, Write{Kind: WriteDelete, Key: key()})
			default:
				writes = append(writes, Write{Kind: WritePut, Key: key(), Value: fmt.Appendf(nil, "%d", rng.IntN(9))})
			}
		}
		want := naiveEffects(writes, keys)
		points, ranges := effects(writes)
		for i := 1; i < len(ranges); i++ {
			if ranges[i-1].End == nil || bytes.Compare(ranges[i-1].End, ranges[i].Start) >= 0 {
				t.Fatalf("iter %d: ranges not sorted and disjoint: %q", iter, ranges)
			}
		}
		got := map[string]string{}
		for _, k := range keys {
			for _, r := range ranges {
				if inRange([]byte(k), r.Start, r.End) {
					got[k] = "range"
				}
			}
		}
		for _, w := range points {
			if w.Kind == WritePut {
				got[string(w.Key)] = "put:" + string(w.Value)
			} else {
				got[string(w.Key)] = "del"
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("iter %d: writes %v\neffects %v\nwant    %v", iter, writes, got, want)
		}
	}
}

// TestOversizedCommitAbortsAtApply: a commit over a per-commit limit (which
// gateways never propose) aborts the same way on every replica instead of
// panicking in the LSM; one at the limit commits.
func TestOversizedCommitAbortsAtApply(t *testing.T) {
	h := newHarness(t, Options{LSM: lsm.Options{MemtableSizeBytes: 1 << 20, SSTableSizeBytes: 1 << 20, BlockCacheSizeBytes: 1 << 20}})
	writes := func(n int) []Write {
		ws := make([]Write, 0, n)
		for i := range n - 1 {
			ws = append(ws, Write{Kind: WritePut, Key: bigKey(i), Value: []byte("x")})
		}
		return append(ws, Write{Kind: WriteDeleteRange, Key: []byte("z"), End: []byte("zz")})
	}
	seq := uint64(0)
	commit := func(ws []Write) *Commit {
		seq++
		return &Commit{ID: ReqID{Node: 1, Seq: seq}, ReadVersion: h.index, Writes: ws}
	}
	manyRanges := make([]Write, CommitRangeDeletesMax+1)
	for i := range manyRanges {
		manyRanges[i] = Write{Kind: WriteDeleteRange, Key: bigKey(2 * i), End: bigKey(2*i + 1)}
	}
	for _, c := range []*Commit{
		commit(writes(CommitWritesMax + 1)),
		commit(manyRanges),
		commit([]Write{{Kind: WritePut, Key: []byte("k"), Value: make([]byte, commitKeyBytesMax+1)}}),
		{ID: ReqID{Node: 1, Seq: 99}, ReadVersion: h.index, ReadKeys: [][]byte{make([]byte, commitKeyBytesMax+1)}, Writes: writes(1)},
	} {
		if err := c.CheckLimits(); !errors.Is(err, kv.ErrTooLarge) {
			t.Fatalf("CheckLimits: %v", err)
		}
		h.index++
		out, err := h.s.ApplyCommit(h.index, c)
		if err != nil || out != OutcomeTooLarge || !errors.Is(out.Err(), kv.ErrTooLarge) {
			t.Fatalf("oversized commit: %v %v", out, err)
		}
		h.log = append(h.log, c)
	}
	r := h.s.NewReader()
	if got := scanStr(r.Scan(nil, nil, 0, false)); got != "" {
		t.Fatalf("an oversized commit wrote %q", got)
	}
	r.Close()
	atLimit := commit(writes(CommitWritesMax))
	if err := atLimit.CheckLimits(); err != nil {
		t.Fatal(err)
	}
	h.index++
	if out, err := h.s.ApplyCommit(h.index, atLimit); err != nil || out != OutcomeCommitted {
		t.Fatalf("commit at the limit: %v %v", out, err)
	}
}

// TestLSMBatchHoldsCommitOpsMax proves lsmBatchOpsMax does not exceed the
// LSM's real limit: a batch of that many ops applies.
func TestLSMBatchHoldsCommitOpsMax(t *testing.T) {
	var b lsm.Batch
	for i := range lsmBatchOpsMax {
		b.Set(bigKey(i), nil)
	}
	h := newHarness(t, Options{})
	if err := h.s.db.Apply(&b, lsm.WriteOptions{Seq: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestRangeRecordDamageIsAnError(t *testing.T) {
	enc := encodeRanges([]Range{{Start: []byte("a"), End: []byte("b")}, {Start: []byte("c")}})
	if rs, err := decodeRanges(enc); err != nil || len(rs) != 2 || rs[1].End != nil {
		t.Fatalf("round trip: %q %v", rs, err)
	}
	for n := range enc {
		if _, err := decodeRanges(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if _, err := decodeRanges(append(bytes.Clone(enc), 1)); !errors.Is(err, ErrCorrupt) {
		t.Fatal("trailing byte accepted")
	}
}
