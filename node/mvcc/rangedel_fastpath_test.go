package mvcc

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/node/kv"
)

var fastPathSeeds = flag.Int("mvcc.fastpathseeds", 20, "seeds for TestRangeDelFastPathDecidesTheSame")

// rangeDelHeavyCommit reads, scans, writes and range-deletes a few of 8
// keys at a read version up to 12 entries behind, so that read versions
// fall on both sides of recent range deletions.
func rangeDelHeavyCommit(rng *rand.Rand, s *Store, seq uint64) *Commit {
	r := s.NewReader()
	defer r.Close()
	var b TxnBuffer
	key := func() []byte { return []byte{'k', byte('a' + rng.IntN(8))} }
	for range 1 + rng.IntN(4) {
		switch rng.IntN(8) {
		case 0, 1:
			b.Get(r, key())
		case 2:
			b.Scan(r, key(), key(), rng.IntN(3), rng.IntN(2) == 0)
		case 3:
			b.Add(Write{Kind: WriteDelete, Key: key()})
		case 4:
			b.Add(Write{Kind: WriteDeleteRange, Key: key(), End: key()})
		default:
			b.Add(Write{Kind: WritePut, Key: key(), Value: fmt.Appendf(nil, "v%d", seq)})
		}
	}
	rv := r.Version() - min(r.Version(), uint64(rng.IntN(12)))
	return b.Commit(ReqID{Node: 1, Seq: seq}, rv, kv.Isolation(rng.IntN(2)))
}

// fastPathPair is the same log applied to a store with the range-deletion
// fast path and one that always scans the log.
type fastPathPair struct {
	t          *testing.T
	fast, slow *harness
	dirs       int // checkpoints installed so far (directory names)
	fastDir    string
}

func (p *fastPathPair) apply(c *Commit) {
	p.t.Helper()
	of, os := p.fast.applyEntry(c), p.slow.applyEntry(c)
	if of != os {
		p.t.Fatalf("entry %d: fast path %v, log scan %v", p.fast.index, of, os)
	}
}

// same asserts equal checksums and equal counters (RangeDeleteConflicts
// included: the fast path must not change which checks hit the log).
func (p *fastPathPair) same() {
	p.t.Helper()
	cf, err := p.fast.s.Checksum()
	if err != nil {
		p.t.Fatal(err)
	}
	cs, err := p.slow.s.Checksum()
	if err != nil {
		p.t.Fatal(err)
	}
	if cf != cs {
		p.t.Fatalf("at %d: checksum fast %x, scan %x", p.fast.index, cf, cs)
	}
}

// crash cuts the fast store's power, reopens it and replays the tail.
func (p *fastPathPair) crash() {
	p.t.Helper()
	h := p.fast
	h.fs.Crash()
	var err error
	if h.s, err = Open(h.fs, p.fastDir, h.opts); err != nil {
		p.t.Fatal(err)
	}
	p.checkBound()
	h.replayFrom(h.s.DurableApplied())
}

// install replaces the fast store with a fresh Store opened over a
// checkpoint, as a snapshot install does. The checkpoint is of the fast
// store itself (each harness crashes its own FS): its state is the slow
// store's at the same index, which same() checks.
func (p *fastPathPair) install() {
	p.t.Helper()
	p.dirs++
	dir := fmt.Sprintf("snap%d", p.dirs)
	if err := p.fast.s.Checkpoint(dir); err != nil {
		p.t.Fatal(err)
	}
	if err := p.fast.s.Close(); err != nil {
		p.t.Fatal(err)
	}
	s, err := Open(p.fast.fs, dir, p.fast.opts)
	if err != nil {
		p.t.Fatal(err)
	}
	p.fast.s, p.fastDir = s, dir
	p.checkBound()
	p.same()
}

// checkBound asserts that a freshly opened store's bound is exactly the
// log's newest index.
func (p *fastPathPair) checkBound() {
	p.t.Helper()
	want, err := p.fast.s.readNewestRangeDel()
	if err != nil {
		p.t.Fatal(err)
	}
	if got := p.fast.s.newestRangeDel; got != want {
		p.t.Fatalf("reopened at %d: newestRangeDel %d, log's newest %d", p.fast.s.Applied(), got, want)
	}
}

// TestRangeDelFastPathDecidesTheSame applies random range-deletion-heavy
// logs to two stores, one skipping the range-deletion log scan when no
// range deletion is newer than the read version and one always scanning,
// with crashes and snapshot installs of the first; every decision and
// checksum must agree. Replay one seed:
// -run TestRangeDelFastPathDecidesTheSame/seedN; more: -mvcc.fastpathseeds=N.
func TestRangeDelFastPathDecidesTheSame(t *testing.T) {
	var skipped, conflicts uint64
	for seed := uint64(1); seed <= uint64(*fastPathSeeds); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x7264))
			window := uint64(8 + rng.IntN(40))
			p := &fastPathPair{t: t, fastDir: "db",
				fast: newHarness(t, Options{RetainedVersions: window}),
				slow: newHarness(t, Options{RetainedVersions: window, scanRangeDelsAlways: true})}
			p.fast.fs.Configure(diskio.MemFSConfig{TearProbability: 0.5})
			for i := range 400 {
				var c *Commit
				if rng.IntN(6) != 0 {
					c = rangeDelHeavyCommit(rng, p.fast.s, uint64(i))
				}
				if c != nil && c.ReadVersion >= p.fast.s.newestRangeDel {
					skipped++
				}
				p.apply(c)
				switch rng.IntN(40) {
				case 0:
					if err := p.fast.s.Flush(); err != nil {
						t.Fatal(err)
					}
				case 1:
					p.crash()
				case 2:
					p.install()
				}
			}
			p.same()
			cf, cs := p.fast.s.Counters(), p.slow.s.Counters()
			conflicts += cs.RangeDeleteConflicts
			if cf.RangeDeleteConflicts > cs.RangeDeleteConflicts {
				t.Fatalf("fast path counted %d range conflicts, scan %d", cf.RangeDeleteConflicts, cs.RangeDeleteConflicts)
			}
		})
	}
	t.Logf("%d seeds: %d commits eligible for the fast path, %d range-deletion conflicts", *fastPathSeeds, skipped, conflicts)
	if skipped == 0 || conflicts == 0 {
		t.Fatal("the campaign never took the fast path or never hit the log: it tests nothing")
	}
}

// TestRangeDelBoundRecovered: the bound is the log's newest index after a
// crash and reopen and in a checkpoint; a store that forgot it (bound 0)
// would commit what the log says conflicts — the case the bound exists for.
func TestRangeDelBoundRecovered(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("a", "1", "b", "2")
	r, b := h.begin()
	if _, _, err := b.Get(r, []byte("a")); err != nil {
		t.Fatal(err)
	}
	b.Add(Write{Kind: WritePut, Key: []byte("c"), Value: []byte("3")})
	rv := r.Version()
	r.Close()
	if out := h.deleteRange("a", "b"); out != OutcomeCommitted {
		t.Fatalf("delete range: %v", out)
	}
	delIndex := h.index
	h.applyEntry(nil)
	if err := h.s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Checkpoint("ckpt"); err != nil {
		t.Fatal(err)
	}
	h.fs.Crash()
	var err error
	if h.s, err = Open(h.fs, "db", h.opts); err != nil {
		t.Fatal(err)
	}
	ck, err := Open(h.fs, "ckpt", h.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for name, s := range map[string]*Store{"reopened": h.s, "checkpoint": ck} {
		if s.newestRangeDel != delIndex {
			t.Fatalf("%s: newestRangeDel %d, want %d", name, s.newestRangeDel, delIndex)
		}
	}
	c := b.Commit(ReqID{Node: 1, Seq: 99}, rv, kv.Serializable)
	if out := h.applyEntry(c); out != OutcomeSerialization {
		t.Fatalf("commit that read a key range-deleted after its read version: %v", out)
	}
}
