package lsm

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

var (
	crashSeeds = flag.Int("lsm.crashseeds", 150, "seeds for TestCrash")
	crashSeed  = flag.Uint64("lsm.crashseed", 0, "replay one TestCrash seed")
)

// crashNow is panicked from the MemFS hook to cut the DB off mid-operation.
type crashNow struct{}

// crashRun drives one seed: random batches (some synced), flushes,
// compaction steps; power loss at a random FS operation (so inside a flush,
// a compaction, a manifest rotation...), then reopen and check. It returns
// an error rather than failing, so broken variants can assert failure.
type crashRun struct {
	seed   uint64
	rng    *rand.Rand
	fs     *diskio.MemFS
	opts   Options
	db     *DB
	raft   bool                         // DisableWAL and caller-supplied seqs
	states map[uint64]map[string]string // model state after each seq
	acked  uint64                       // every seq <= acked is durable
	seq    uint64                       // newest seq applied
	cur    map[string]string
}

func newCrashRun(seed uint64, broken func(*Options)) *crashRun {
	r := &crashRun{seed: seed, rng: rand.New(rand.NewPCG(seed, 0x63726173))}
	r.fs = diskio.NewMemFS(seed)
	r.fs.Configure(diskio.MemFSConfig{TearProbability: 0.5})
	r.raft = r.rng.IntN(3) == 0
	r.opts = Options{
		MemtableSizeBytes:    int64(256 + r.rng.IntN(2048)),
		SSTableSizeBytes:     int64(256 + r.rng.IntN(4096)),
		LBaseMaxBytes:        int64(1024 + r.rng.IntN(8192)),
		L0CompactionTrigger:  1 + r.rng.IntN(4),
		ManifestSizeBytesMax: int64(256 + r.rng.IntN(2048)),
		MaxOpenFiles:         1 + r.rng.IntN(8),
		DisableWAL:           r.raft,
		CompactionStrategy:   []string{StrategyLeveled, StrategySizeTiered}[r.rng.IntN(2)],
	}
	if broken != nil {
		broken(&r.opts)
	}
	r.states = map[uint64]map[string]string{0: {}}
	r.cur = map[string]string{}
	return r
}

func (r *crashRun) key() string { return fmt.Sprintf("k%03d", r.rng.IntN(60)) }

// op does one random operation; a crash may interrupt it by panic.
func (r *crashRun) op() error {
	switch n := r.rng.IntN(20); {
	case n < 14:
		return r.write()
	case n < 16:
		if err := r.db.Flush(); err != nil {
			return err
		}
		if r.raft {
			r.acked = r.db.DurableSeq()
		} else {
			r.acked = r.seq
		}
		return nil
	default:
		_, err := r.db.Step(int64(1 + r.rng.IntN(8192)))
		return err
	}
}

func (r *crashRun) write() error {
	var b Batch
	next := maps.Clone(r.cur)
	for range 1 + r.rng.IntN(4) {
		k := r.key()
		switch r.rng.IntN(6) {
		case 0:
			b.Delete([]byte(k))
			delete(next, k)
		case 1:
			e := r.key()
			b.DeleteRange([]byte(k), []byte(e))
			for mk := range next {
				if k <= mk && mk < e {
					delete(next, mk)
				}
			}
		default:
			v := fmt.Sprintf("%d-%d-%s", r.seed, r.seq+1, k)
			b.Set([]byte(k), []byte(v))
			next[k] = v
		}
	}
	o := WriteOptions{Sync: r.rng.IntN(4) == 0}
	if r.raft {
		o.Seq = r.seq + 1 + uint64(r.rng.IntN(3)) // raft indexes may skip (no-op entries)
	}
	seq := r.seq + 1
	if o.Seq != 0 {
		seq = o.Seq
	}
	// Record the state before the write can be (partly) durable.
	r.states[seq] = next
	if err := r.db.Apply(&b, o); err != nil {
		return err
	}
	r.seq, r.cur = seq, next
	if o.Sync && !r.raft {
		r.acked = seq
	}
	return nil
}

// runUntilCrash runs ops until the hook's crash fires; it reports whether a
// crash happened (rather than the op budget running out).
func (r *crashRun) runUntilCrash(opsMax int) (crashed bool, err error) {
	crashAt := 1 + r.rng.IntN(400)
	calls := 0
	r.fs.SetLatencyHook(func(diskio.Op, string) {
		if calls++; calls == crashAt {
			panic(crashNow{})
		}
	})
	defer r.fs.SetLatencyHook(nil)
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(crashNow); !ok {
				panic(p)
			}
			crashed = true
		}
	}()
	for range opsMax {
		if err := r.op(); err != nil {
			return false, err
		}
	}
	return false, nil
}

// recoverAndCheck reopens after the crash and checks the recovered state is
// the state after some seq k with acked <= k <= the newest seq attempted.
func (r *crashRun) recoverAndCheck() error {
	r.fs.Crash()
	db, err := Open(r.fs, "db", r.opts)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	r.db = db
	k := db.LastSeq()
	if r.raft && db.DurableSeq() != k {
		return fmt.Errorf("no-WAL reopen: LastSeq %d != DurableSeq %d", k, db.DurableSeq())
	}
	if k < r.acked {
		return fmt.Errorf("lost acknowledged writes: recovered seq %d < acked %d", k, r.acked)
	}
	want, ok := r.states[k]
	if !ok {
		return fmt.Errorf("recovered seq %d was never written", k)
	}
	if err := compareContents(db, want); err != nil {
		return fmt.Errorf("after recovering seq %d: %w", k, err)
	}
	// Continue from the recovered state: later seqs were never durable.
	for s := range r.states {
		if s > k {
			delete(r.states, s)
		}
	}
	r.seq, r.cur, r.acked = k, maps.Clone(want), k
	return nil
}

func compareContents(d *DB, want map[string]string) error {
	it, err := d.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	got := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		return err
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("contents differ:\n got %v\nwant %v", got, want)
	}
	for k, v := range want {
		g, err := d.Get([]byte(k))
		if err != nil || string(g) != v {
			return fmt.Errorf("get %q = %q, %v; want %q", k, g, err, v)
		}
	}
	return nil
}

// crashSeed runs several crash/recover cycles for one seed.
func runCrashSeed(seed uint64, broken func(*Options)) error {
	r := newCrashRun(seed, broken)
	db, err := Open(r.fs, "db", r.opts)
	if err != nil {
		return err
	}
	r.db = db
	for cycle := range 4 {
		crashed, err := r.runUntilCrash(300)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", cycle, err)
		}
		if !crashed {
			r.db.Close()
		}
		if err := r.recoverAndCheck(); err != nil {
			return fmt.Errorf("cycle %d (raft=%v %s): %w", cycle, r.raft, r.opts.CompactionStrategy, err)
		}
	}
	return r.db.Close()
}

// TestCrash crashes the DB at random FS operations across many seeds and
// checks durability and the absence of phantom writes after each recovery.
// Replay: go test ./lsm -run TestCrash -lsm.crashseed=N
func TestCrash(t *testing.T) {
	seeds := []uint64{*crashSeed}
	if *crashSeed == 0 {
		seeds = seeds[:0]
		for i := range *crashSeeds {
			seeds = append(seeds, uint64(i+1))
		}
	}
	for _, seed := range seeds {
		if err := runCrashSeed(seed, nil); err != nil {
			t.Fatalf("seed %d: %v\nreplay: go test ./lsm -run TestCrash -lsm.crashseed=%d", seed, err, seed)
		}
	}
}

// TestCrashCatchesBrokenSync proves the crash test can fail: an engine that
// installs tables, or appends manifest edits, without syncing them must be
// caught within the seeds.
func TestCrashCatchesBrokenSync(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broken func(*Options)
	}{
		{"skipTableSync", func(o *Options) { o.skipTableSync = true }},
		{"skipManifestSync", func(o *Options) { o.skipManifestSync = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 200; seed++ {
				if err := runCrashSeed(seed, tc.broken); err != nil {
					t.Logf("caught at seed %d: %v", seed, errors.Unwrap(err))
					return
				}
			}
			t.Fatalf("the crash test did not notice %s in 200 seeds", tc.name)
		})
	}
}
