package mvcc

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
)

// harness applies commits to a store one index at a time, as Raft would.
type harness struct {
	t     *testing.T
	fs    *diskio.MemFS
	s     *Store
	opts  Options
	index uint64
	seq   uint64
	log   []*Commit // log[i] is the entry at index i+1 (nil: empty entry)
}

func tinyLSM() lsm.Options {
	return lsm.Options{MemtableSizeBytes: 4 << 10, SSTableSizeBytes: 8 << 10, BlockCacheSizeBytes: 64 << 10}
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	if opts.LSM.MemtableSizeBytes == 0 {
		opts.LSM = tinyLSM()
	}
	fs := diskio.NewMemFS(1)
	s, err := Open(fs, "db", opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fs: fs, s: s, opts: opts}
	t.Cleanup(func() {
		if h.s != nil && h.s.OpenReaders() == 0 {
			h.s.Close()
		}
	})
	return h
}

// begin opens a transaction at the applied index.
func (h *harness) begin() (*Reader, *TxnBuffer) { return h.s.NewReader(), &TxnBuffer{} }

func (h *harness) commit(r *Reader, b *TxnBuffer, iso kv.Isolation) Outcome {
	h.t.Helper()
	h.seq++
	c := b.Commit(ReqID{Node: 1, Incarnation: 7, Seq: h.seq}, r.Version(), iso)
	r.Close()
	return h.applyEntry(c)
}

func (h *harness) applyEntry(c *Commit) Outcome {
	h.t.Helper()
	h.index++
	h.log = append(h.log, c)
	if c == nil {
		if err := h.s.ApplyEmpty(h.index); err != nil {
			h.t.Fatal(err)
		}
		return 0
	}
	// Round-trip through the codec, as replicas receive it.
	dc, err := DecodeCommit(c.Encode())
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := h.s.ApplyCommit(h.index, dc)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) put(pairs ...string) {
	h.t.Helper()
	r, b := h.begin()
	for i := 0; i < len(pairs); i += 2 {
		b.Add(Write{Kind: WritePut, Key: []byte(pairs[i]), Value: []byte(pairs[i+1])})
	}
	if out := h.commit(r, b, kv.Serializable); out != OutcomeCommitted {
		h.t.Fatalf("blind put: %v", out)
	}
}

func (h *harness) get(key string) string {
	h.t.Helper()
	r := h.s.NewReader()
	defer r.Close()
	return getAt(h.t, r, key)
}

func getAt(t *testing.T, r *Reader, key string) string {
	t.Helper()
	v, ok, err := r.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "<none>"
	}
	return string(v)
}

func scanStr(kvs []kv.KeyValue, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var buf bytes.Buffer
	for _, p := range kvs {
		fmt.Fprintf(&buf, "%s=%s ", p.Key, p.Value)
	}
	return buf.String()
}

func TestWriteSkewSerializableVsSnapshotIsolation(t *testing.T) {
	for _, tc := range []struct {
		iso  kv.Isolation
		skip bool
		want Outcome
	}{
		{kv.Serializable, false, OutcomeSerialization},
		{kv.SnapshotIsolation, false, OutcomeCommitted},
		// The canary: without the read-set check write skew commits.
		{kv.Serializable, true, OutcomeCommitted},
	} {
		h := newHarness(t, Options{SkipReadSetCheck: tc.skip})
		h.put("x", "1", "y", "1")
		r1, b1 := h.begin()
		r2, b2 := h.begin()
		b1.Get(r1, []byte("x"))
		b1.Get(r1, []byte("y"))
		b2.Get(r2, []byte("x"))
		b2.Get(r2, []byte("y"))
		b1.Add(Write{Kind: WritePut, Key: []byte("x"), Value: []byte("0")})
		b2.Add(Write{Kind: WritePut, Key: []byte("y"), Value: []byte("0")})
		if out := h.commit(r1, b1, tc.iso); out != OutcomeCommitted {
			t.Fatalf("first: %v", out)
		}
		if out := h.commit(r2, b2, tc.iso); out != tc.want {
			t.Fatalf("iso %v skip %v: second = %v, want %v", tc.iso, tc.skip, out, tc.want)
		}
	}
}

func TestLostUpdateAbortsUnderBothIsolations(t *testing.T) {
	for _, iso := range []kv.Isolation{kv.Serializable, kv.SnapshotIsolation} {
		h := newHarness(t, Options{})
		h.put("x", "1")
		r1, b1 := h.begin()
		r2, b2 := h.begin()
		b1.Get(r1, []byte("x"))
		b2.Get(r2, []byte("x"))
		b1.Add(Write{Kind: WritePut, Key: []byte("x"), Value: []byte("2")})
		b2.Add(Write{Kind: WritePut, Key: []byte("x"), Value: []byte("3")})
		if out := h.commit(r1, b1, iso); out != OutcomeCommitted {
			t.Fatal(out)
		}
		if out := h.commit(r2, b2, iso); out != OutcomeSerialization {
			t.Fatalf("iso %v: %v", iso, out)
		}
		if got := h.get("x"); got != "2" {
			t.Fatalf("x = %s", got)
		}
	}
}

func TestPhantomInReadRange(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("a", "1", "d", "4")
	r1, b1 := h.begin()
	if got := scanStr(b1.Scan(r1, []byte("a"), []byte("c"), 0, false)); got != "a=1 " {
		t.Fatalf("scan %q", got)
	}
	b1.Add(Write{Kind: WritePut, Key: []byte("z"), Value: []byte("n")})
	h.put("b", "2") // a phantom in [a, c)
	if out := h.commit(r1, b1, kv.Serializable); out != OutcomeSerialization {
		t.Fatalf("phantom not detected: %v", out)
	}
	// A write outside the observed part of a limited scan is no conflict.
	r2, b2 := h.begin()
	if got := scanStr(b2.Scan(r2, []byte("a"), nil, 1, false)); got != "a=1 " {
		t.Fatalf("limited scan %q", got)
	}
	b2.Add(Write{Kind: WritePut, Key: []byte("z"), Value: []byte("m")})
	h.put("c", "3")
	if out := h.commit(r2, b2, kv.Serializable); out != OutcomeCommitted {
		t.Fatalf("write beyond the limited scan conflicted: %v", out)
	}
}

func TestTooOld(t *testing.T) {
	h := newHarness(t, Options{RetainedVersions: 5})
	h.put("x", "1")
	r, b := h.begin()
	b.Add(Write{Kind: WritePut, Key: []byte("y"), Value: []byte("1")})
	for range 5 {
		h.applyEntry(nil)
	}
	if out := h.commit(r, b, kv.Serializable); out != OutcomeTooOld {
		t.Fatalf("got %v, want too old", out)
	}
	if !errors.Is(OutcomeTooOld.Err(), kv.ErrTooOld) || !errors.Is(OutcomeSerialization.Err(), kv.ErrSerialization) {
		t.Fatal("outcome errors")
	}
}

func TestDuplicateCommitIsSkipped(t *testing.T) {
	h := newHarness(t, Options{})
	r, b := h.begin()
	b.Add(Write{Kind: WritePut, Key: []byte("x"), Value: []byte("1")})
	c := b.Commit(ReqID{Node: 2, Incarnation: 3, Seq: 4}, r.Version(), kv.Serializable)
	r.Close()
	if out := h.applyEntry(c); out != OutcomeCommitted {
		t.Fatal(out)
	}
	h.put("x", "2")
	if out := h.applyEntry(c); out != OutcomeDuplicate {
		t.Fatalf("duplicate applied again: %v", out)
	}
	if got := h.get("x"); got != "2" {
		t.Fatalf("x = %s after a duplicate", got)
	}
}

func TestDeleteRangeTombstonesLiveKeysOnly(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("a", "1", "b", "2", "c", "3", "d", "4")
	r, b := h.begin()
	b.Add(Write{Kind: WritePut, Key: []byte("bb"), Value: []byte("x")})
	b.Add(Write{Kind: WriteDeleteRange, Key: []byte("b"), End: []byte("d")})
	b.Add(Write{Kind: WritePut, Key: []byte("c"), Value: []byte("new")})
	if got := scanStr(b.Scan(r, []byte("a"), nil, 0, false)); got != "a=1 c=new d=4 " {
		t.Fatalf("read-your-writes scan %q", got)
	}
	if got := scanStr(b.Scan(r, []byte("a"), nil, 2, true)); got != "d=4 c=new " {
		t.Fatalf("reverse limited scan %q", got)
	}
	old := h.s.NewReader()
	if out := h.commit(r, b, kv.Serializable); out != OutcomeCommitted {
		t.Fatal(out)
	}
	now := h.s.NewReader()
	defer now.Close()
	if got := scanStr(now.Scan(nil, nil, 0, false)); got != "a=1 c=new d=4 " {
		t.Fatalf("after: %q", got)
	}
	if got := scanStr(old.Scan(nil, nil, 0, false)); got != "a=1 b=2 c=3 d=4 " {
		t.Fatalf("old version: %q", got)
	}
	old.Close()
	// b and bb are under the range tombstone (no version left at the
	// latest state); c was rewritten after it, at the commit's version; a
	// and d are untouched.
	for key, want := range map[string]uint64{"a": 1, "b": 0, "bb": 0, "c": 2, "d": 1} {
		st, ok, err := h.s.latest([]byte(key))
		if err != nil || ok != (want != 0) || st.version != want || st.tombstone {
			t.Errorf("%s: %+v %v %v", key, st, ok, err)
		}
	}
	if got := h.rangeDelLog(); got != "2:[b,d) " {
		t.Fatalf("range-deletion log %q", got)
	}
}

// TestOldVersionsGCedBehindReaders writes one key many times with a large
// value: with no reader pinned, compaction keeps one version; a reader
// pinned at an old version keeps (and still reads) that one too.
func TestOldVersionsGCedBehindReaders(t *testing.T) {
	const valueBytes = 2 << 10
	usage := func(h *harness) int64 {
		if err := h.s.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := h.s.CompactAll(); err != nil {
			t.Fatal(err)
		}
		m := h.s.Metrics()
		return m.DiskUsageBytes
	}
	value := func(i int) string { return fmt.Sprintf("%04d", i) + string(bytes.Repeat([]byte{'v'}, valueBytes)) }
	write := func(h *harness, from, to int) {
		for i := from; i < to; i++ {
			h.put("k", value(i))
		}
	}
	free := newHarness(t, Options{})
	write(free, 0, 40)
	freeUsage := usage(free)

	pinned := newHarness(t, Options{})
	write(pinned, 0, 20)
	r := pinned.s.NewReader()
	write(pinned, 20, 40)
	pinnedUsage := usage(pinned)
	if got := getAt(t, r, "k"); got != value(19) {
		t.Fatalf("pinned reader sees %.8q", got)
	}
	r.Close()
	if freeUsage > 3*valueBytes {
		t.Fatalf("old versions not GCed: %d bytes for one live value", freeUsage)
	}
	if pinnedUsage < freeUsage+valueBytes {
		t.Fatalf("pinned version dropped: %d vs %d", pinnedUsage, freeUsage)
	}
}

// randomCommit builds a random transaction over a small key space.
func randomCommit(rng *rand.Rand, s *Store, seq uint64) *Commit {
	r := s.NewReader()
	defer r.Close()
	var b TxnBuffer
	key := func() []byte { return []byte{'k', byte('a' + rng.IntN(8))} }
	for range 1 + rng.IntN(4) {
		switch rng.IntN(6) {
		case 0:
			b.Get(r, key())
		case 1:
			b.Scan(r, key(), key(), rng.IntN(3), rng.IntN(2) == 0)
		case 2:
			b.Add(Write{Kind: WriteDelete, Key: key()})
		case 3:
			b.Add(Write{Kind: WriteDeleteRange, Key: key(), End: key()})
		default:
			b.Add(Write{Kind: WritePut, Key: key(), Value: fmt.Appendf(nil, "v%d", rng.IntN(100))})
		}
	}
	// Read a little behind, so some commits conflict.
	rv := r.Version() - min(r.Version(), uint64(rng.IntN(3)))
	return b.Commit(ReqID{Node: 1, Seq: seq}, rv, kv.Isolation(rng.IntN(2)))
}

// TestReplayAfterCrash applies a random log with flushes at random points,
// crashes the disk, reopens from DurableApplied, replays the tail and
// compares checksums at the same index.
func TestReplayAfterCrash(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 0))
			h := newHarness(t, Options{RetainedVersions: 50})
			h.fs.Configure(diskio.MemFSConfig{TearProbability: 0.5})
			for i := range 300 {
				if rng.IntN(10) == 0 {
					h.applyEntry(nil)
				} else {
					h.applyEntry(randomCommit(rng, h.s, uint64(i)))
				}
				if rng.IntN(40) == 0 {
					if err := h.s.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := h.s.Step(1 << 10); err != nil {
					t.Fatal(err)
				}
			}
			want, err := h.s.Checksum()
			if err != nil {
				t.Fatal(err)
			}
			wantCounters := h.s.Counters()
			h.fs.Crash()
			s, err := Open(h.fs, "db", h.opts)
			if err != nil {
				t.Fatal(err)
			}
			h.s = s
			from := s.DurableApplied()
			if from > h.index {
				t.Fatalf("durable %d beyond applied %d", from, h.index)
			}
			for i := from; i < h.index; i++ {
				c := h.log[i]
				var out Outcome
				if c == nil {
					err = s.ApplyEmpty(i + 1)
				} else {
					out, err = s.ApplyCommit(i+1, c)
				}
				if err != nil {
					t.Fatal(err)
				}
				_ = out
			}
			got, err := s.Checksum()
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("checksum after replay from %d: %x, want %x", from, got, want)
			}
			if wantCounters.Commits == 0 || wantCounters.AbortsSerialization == 0 {
				t.Fatalf("workload too tame: %+v", wantCounters)
			}
		})
	}
}

// TestChecksumDetectsDivergence proves the checksum can fail: one differing
// value at the same index changes it.
func TestChecksumDetectsDivergence(t *testing.T) {
	a, b := newHarness(t, Options{}), newHarness(t, Options{})
	a.put("x", "1")
	b.put("x", "2")
	ca, _ := a.s.Checksum()
	cb, _ := b.s.Checksum()
	if ca == cb {
		t.Fatal("different states, same checksum")
	}
}

func TestCommitCodecRejectsDamage(t *testing.T) {
	c := &Commit{
		ID: ReqID{1, 2, 3}, ReadVersion: 9, Isolation: kv.SnapshotIsolation,
		ReadKeys:   [][]byte{[]byte("a"), {}},
		ReadRanges: []Range{{Start: []byte("a"), End: nil}, {Start: []byte("b"), End: []byte("c")}},
		Writes: []Write{
			{Kind: WritePut, Key: []byte("k"), Value: []byte{}},
			{Kind: WriteDelete, Key: []byte("d")},
			{Kind: WriteDeleteRange, Key: []byte("e"), End: []byte("f")},
			{Kind: WriteDeleteRange, Key: []byte("g")},
		},
	}
	enc := c.Encode()
	got, err := DecodeCommit(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Encode(), enc) || got.ReadRanges[0].End != nil || got.Writes[0].Value == nil {
		t.Fatalf("round trip changed the commit: %+v", got)
	}
	for n := range enc {
		if _, err := DecodeCommit(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		bad := bytes.Clone(enc)
		bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		DecodeCommit(bad) // must not panic
	}
	if _, err := DecodeCommit(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatal("trailing byte accepted")
	}
}

func TestStoredValueDamageIsAnError(t *testing.T) {
	for _, b := range [][]byte{nil, {valueLive}, {9, 0, 0, 0, 0, 0, 0, 0, 1}, append(encodeValue(1, nil, true), 'x')} {
		if _, err := decodeValue(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%x accepted", b)
		}
	}
}

func TestInvalidReadVersionAborts(t *testing.T) {
	h := newHarness(t, Options{})
	c := &Commit{ID: ReqID{Seq: 1}, ReadVersion: 5, Writes: []Write{{Kind: WritePut, Key: []byte("x"), Value: []byte("1")}}}
	if out := h.applyEntry(c); out != OutcomeInvalid {
		t.Fatalf("read version above the index: %v", out)
	}
}
