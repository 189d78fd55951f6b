package mvcc

import (
	"flag"
	"fmt"
	"github.com/lineradb/lineradb/diskio"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
)

// gcLSM keeps every table in L1 (L0 compacts at once, L1 never fills), so
// a compaction always reaches the bottom of the data it touches.
func gcLSM() lsm.Options {
	return lsm.Options{MemtableSizeBytes: 64 << 10, SSTableSizeBytes: 64 << 10, LBaseMaxBytes: 1 << 30,
		L0CompactionTrigger: 1, BlockCacheSizeBytes: 64 << 10}
}

func (h *harness) deleteKeys(keys ...string) {
	h.t.Helper()
	r, b := h.begin()
	for _, k := range keys {
		b.Add(Write{Kind: WriteDelete, Key: []byte(k)})
	}
	if out := h.commit(r, b, kv.Serializable); out != OutcomeCommitted {
		h.t.Fatalf("blind delete: %v", out)
	}
}

func (h *harness) settle() {
	h.t.Helper()
	if err := h.s.Flush(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.s.CompactAll(); err != nil {
		h.t.Fatal(err)
	}
}

// deleteManyWorkload writes nKeys keys, deletes them all, and moves the
// applied (and durable) index past the history window.
func deleteManyWorkload(h *harness, nKeys int) {
	var pairs, keys []string
	for i := range nKeys {
		k := fmt.Sprintf("key%05d", i)
		pairs = append(pairs, k, "value-"+k)
		keys = append(keys, k)
	}
	for i := 0; i < len(pairs); i += 200 {
		h.put(pairs[i:min(i+200, len(pairs))]...)
	}
	h.settle()
	for i := 0; i < len(keys); i += 100 {
		h.deleteKeys(keys[i:min(i+100, len(keys))]...)
	}
	for range h.opts.RetainedVersions + 1 {
		h.applyEntry(nil)
	}
	h.settle()
}

// TestTombstoneGCShrinksDisk: after deleting every key and compacting past
// the window, the tombstones are gone from disk; a store that keeps them
// holds them all. The logical checksum is the same for both, while the raw
// one (every stored entry) proves the two disks really differ.
func TestTombstoneGCShrinksDisk(t *testing.T) {
	const nKeys = 4000
	gc := newHarness(t, Options{LSM: gcLSM(), RetainedVersions: 10})
	keep := newHarness(t, Options{LSM: gcLSM(), RetainedVersions: 10, keepTombstones: true})
	deleteManyWorkload(gc, nKeys)
	deleteManyWorkload(keep, nKeys)

	gcM, keepM := gc.s.Metrics(), keep.s.Metrics()
	t.Logf("disk: %d bytes with tombstone GC, %d without; %d filtered", gcM.DiskUsageBytes, keepM.DiskUsageBytes, gcM.CompactionFilterDrops)
	if gcM.CompactionFilterDrops != nKeys || keepM.CompactionFilterDrops != 0 {
		t.Fatalf("filtered %d (gc) and %d (keep), want %d and 0", gcM.CompactionFilterDrops, keepM.CompactionFilterDrops, nKeys)
	}
	if gcM.DiskUsageBytes*4 > keepM.DiskUsageBytes {
		t.Fatalf("tombstone GC left %d bytes, against %d with every tombstone kept", gcM.DiskUsageBytes, keepM.DiskUsageBytes)
	}
	for _, h := range []*harness{gc, keep} {
		if got := h.get("key00042"); got != "<none>" {
			t.Fatalf("deleted key reads %q", got)
		}
	}
	gcSum, err1 := gc.s.Checksum()
	keepSum, err2 := keep.s.Checksum()
	if err1 != nil || err2 != nil || gcSum != keepSum {
		t.Fatalf("logical checksums %x and %x (%v, %v): must not depend on tombstone GC", gcSum, keepSum, err1, err2)
	}
	gcRaw, _ := gc.s.checksum(0)
	keepRaw, _ := keep.s.checksum(0)
	if gcRaw == keepRaw {
		t.Fatal("raw checksums agree: nothing was collected, so the comparison above proves nothing")
	}
}

// TestTombstoneGCWaitsForDurability: the GC horizon trails the durable
// applied index, not the applied one, so a tombstone a replay after a
// crash would still validate against stays until the entries past it are
// durable.
func TestTombstoneGCWaitsForDurability(t *testing.T) {
	h := newHarness(t, Options{LSM: gcLSM(), RetainedVersions: 5})
	h.put("k", "v")
	h.deleteKeys("k")
	deletedAt := h.index
	if err := h.s.Flush(); err != nil { // an L0 table, its compaction still to run
		t.Fatal(err)
	}
	for range 20 {
		h.applyEntry(nil) // applied moves far past the window; durable does not
	}
	if err := h.s.CompactAll(); err != nil {
		t.Fatal(err)
	}
	if st, ok, err := h.s.latest([]byte("k")); err != nil || !ok || !st.tombstone || st.version != deletedAt {
		t.Fatalf("tombstone of k: %+v %v %v; want it kept at version %d until durable moves", st, ok, err, deletedAt)
	}
	if n := h.s.Metrics().CompactionCount; n == 0 {
		t.Fatal("setup: no compaction ran while durable trailed applied")
	}
	h.settle()
	if _, ok, err := h.s.latest([]byte("k")); err != nil || ok {
		t.Fatalf("tombstone of k still stored (%v, %v) after durable moved past the window", ok, err)
	}
}

// TestTombstoneGCKeepsValidation: a commit whose read version is at the
// very edge of the window still conflicts with a delete after it, however
// much was compacted (no reader pins anything).
func TestTombstoneGCKeepsValidation(t *testing.T) {
	const window = 8
	h := newHarness(t, Options{LSM: gcLSM(), RetainedVersions: window})
	h.put("k", "v")
	r, b := h.begin()
	if _, _, err := b.Get(r, []byte("k")); err != nil {
		t.Fatal(err)
	}
	b.Add(Write{Kind: WritePut, Key: []byte("other"), Value: []byte("x")})
	rv := r.Version()
	r.Close()
	h.deleteKeys("k")
	for h.index+1 < rv+window {
		h.applyEntry(nil)
	}
	h.settle()
	if h.s.Horizon(h.index+1) != rv {
		t.Fatalf("setup: horizon %d, want the read version %d", h.s.Horizon(h.index+1), rv)
	}
	if out := h.applyEntry(b.Commit(ReqID{Node: 1, Seq: 999}, rv, kv.Serializable)); out != OutcomeSerialization {
		t.Fatalf("commit that read a key deleted after its read version: %v, want serialization", out)
	}
}

func TestDropOldTombstoneOnlyTombstones(t *testing.T) {
	for _, c := range []struct {
		key, value []byte
		seq        uint64
		drop       bool
	}{
		{userKey([]byte("a")), encodeValue(7, nil, true), 7, true},
		{userKey([]byte("a")), encodeValue(7, []byte("x"), false), 7, false},
		{userKey([]byte("a")), encodeValue(6, nil, true), 7, false}, // version disagrees with seq
		{[]byte(sysApplied), encodeValue(7, nil, true), 7, false},
		{userKey([]byte("a")), []byte{valueTombstone}, 7, false}, // corrupt: kept
		{nil, nil, 7, false},
	} {
		if got := dropOldTombstone(c.key, c.value, c.seq); got != c.drop {
			t.Errorf("dropOldTombstone(%q, %x, %d) = %v, want %v", c.key, c.value, c.seq, got, c.drop)
		}
	}
}

// TestTombstoneGCReplayDecidesTheSame: entries applied but not yet durable
// when a compaction runs are replayed after a crash, and must decide as
// they did the first time — which a tombstone dropped against the applied
// (rather than durable) index would break: the commit below read k before
// its deletion and must abort on replay too.
func TestTombstoneGCReplayDecidesTheSame(t *testing.T) {
	const window = 5
	h := newHarness(t, Options{LSM: gcLSM(), RetainedVersions: window})
	h.put("k", "v")
	r, b := h.begin()
	if _, _, err := b.Get(r, []byte("k")); err != nil {
		t.Fatal(err)
	}
	b.Add(Write{Kind: WritePut, Key: []byte("other"), Value: []byte("x")})
	rv := r.Version()
	r.Close()
	h.deleteKeys("k")
	if err := h.s.Flush(); err != nil {
		t.Fatal(err)
	}
	first := h.applyEntry(b.Commit(ReqID{Node: 1, Seq: 999}, rv, kv.Serializable))
	if first != OutcomeSerialization {
		t.Fatalf("setup: commit that read a deleted key: %v", first)
	}
	for range 3 * window {
		h.applyEntry(nil)
	}
	if err := h.s.CompactAll(); err != nil {
		t.Fatal(err)
	}
	want, err := h.s.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	h.fs.Crash()
	if h.s, err = Open(h.fs, "db", h.opts); err != nil {
		t.Fatal(err)
	}
	for i := h.s.DurableApplied(); i < h.index; i++ {
		if c := h.log[i]; c == nil {
			err = h.s.ApplyEmpty(i + 1)
		} else if out, aerr := h.s.ApplyCommit(i+1, c); aerr != nil || out != first {
			t.Fatalf("replayed commit at %d: %v, %v; first time %v", i+1, out, aerr, first)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, err := h.s.Checksum(); err != nil || got != want {
		t.Fatalf("checksum after replay %x (%v), want %x", got, err, want)
	}
}

var gcSeeds = flag.Int("mvcc.gcseeds", 20, "seeds for TestTombstoneGCCrashReplay")

// deleteHeavyCommit reads, writes and (most often) deletes a few of 16
// keys, at a read version a little behind the applied index.
func deleteHeavyCommit(rng *rand.Rand, s *Store, seq uint64) *Commit {
	r := s.NewReader()
	defer r.Close()
	var b TxnBuffer
	key := func() []byte { return fmt.Appendf(nil, "k%02d", rng.IntN(16)) }
	for range 1 + rng.IntN(4) {
		switch rng.IntN(5) {
		case 0, 1:
			b.Get(r, key())
		case 2:
			b.Add(Write{Kind: WritePut, Key: key(), Value: fmt.Appendf(nil, "v%d", seq)})
		default:
			b.Add(Write{Kind: WriteDelete, Key: key()})
		}
	}
	rv := r.Version() - min(r.Version(), uint64(rng.IntN(24)))
	return b.Commit(ReqID{Node: 1, Seq: seq}, rv, kv.Isolation(rng.IntN(2)))
}

// TestTombstoneGCCrashReplay is a randomized campaign for tombstone GC:
// a delete-heavy log under a small window, tiny memtables that flush and
// compact all the time, and power loss at random points; after each crash
// the replayed tail must decide exactly as it did, and reach the same
// checksum. It catches a GC horizon measured from the applied index
// instead of the durable one. Replay one seed:
// -run TestTombstoneGCCrashReplay/seedN; more seeds: -mvcc.gcseeds=N.
func TestTombstoneGCCrashReplay(t *testing.T) {
	var drops int64
	for seed := uint64(1); seed <= uint64(*gcSeeds); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x6763))
			// Memtables big enough that flushes are mostly the explicit,
			// rare ones, and compaction steps now and then: compactions
			// then start while the applied index runs well ahead of the
			// durable one, the case the GC horizon must get right.
			lsmOpts := lsm.Options{MemtableSizeBytes: int64(16<<10 + rng.IntN(32<<10)), SSTableSizeBytes: 4 << 10,
				L0CompactionTrigger: 1 + rng.IntN(2), BlockCacheSizeBytes: 64 << 10}
			h := newHarness(t, Options{LSM: lsmOpts, RetainedVersions: uint64(4 + rng.IntN(30))})
			h.fs.Configure(diskio.MemFSConfig{TearProbability: 0.5})
			var outcomes []Outcome
			for i := range 600 {
				var c *Commit
				if rng.IntN(8) != 0 {
					c = deleteHeavyCommit(rng, h.s, uint64(i))
				}
				outcomes = append(outcomes, h.applyEntry(c))
				if rng.IntN(25) == 0 {
					if err := h.s.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				if rng.IntN(12) == 0 {
					if _, err := h.s.Step(int64(1 + rng.IntN(16<<10))); err != nil {
						t.Fatal(err)
					}
				}
				if rng.IntN(100) == 0 {
					drops += h.s.Metrics().CompactionFilterDrops
					crashAndReplay(t, h, outcomes)
				}
			}
			drops += h.s.Metrics().CompactionFilterDrops
			crashAndReplay(t, h, outcomes)
		})
	}
	t.Logf("%d seeds, %d tombstones dropped", *gcSeeds, drops)
	if drops == 0 {
		t.Fatal("no tombstone was ever dropped: the campaign tests nothing")
	}
}

// crashAndReplay cuts the power, reopens, replays the log tail and checks
// every replayed outcome and the checksum against the first run.
func crashAndReplay(t *testing.T, h *harness, outcomes []Outcome) {
	t.Helper()
	want, err := h.s.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	h.fs.Crash()
	if h.s, err = Open(h.fs, "db", h.opts); err != nil {
		t.Fatal(err)
	}
	for i := h.s.DurableApplied(); i < h.index; i++ {
		if h.log[i] == nil {
			if err := h.s.ApplyEmpty(i + 1); err != nil {
				t.Fatal(err)
			}
			continue
		}
		out, err := h.s.ApplyCommit(i+1, h.log[i])
		if err != nil {
			t.Fatal(err)
		}
		if out != outcomes[i] {
			t.Fatalf("replayed entry %d: %v, first time %v", i+1, out, outcomes[i])
		}
	}
	if got, err := h.s.Checksum(); err != nil || got != want {
		t.Fatalf("checksum after replay at %d: %x (%v), want %x", h.index, got, err, want)
	}
}
