package raftlog

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

var (
	flagSeed  = flag.Uint64("seed", 0, "replay one crash-test seed")
	flagSeeds = flag.Int("seeds", 300, "crash-test seeds to run")
	flagSteps = flag.Int("steps", 200, "operations per crash-test seed")
)

// The crash test drives a Log with random appends (some conflicting),
// hard state changes, syncs and compactions on a MemFS that loses a random
// prefix of unsynced writes, tears sectors and flips bits on read, and
// crashes it both between operations and in the middle of one (a MemFS
// hook panics before a chosen disk operation, inside Append, Sync, Compact
// or Open itself). After every crash the recovered log must be a state the
// operations could have left:
//
//   - its snapshot is one the history passed through;
//   - its entries are a prefix of that state's entries (nothing that was
//     never appended appears, indexes are contiguous);
//   - it holds at least every entry that was durable (synced, or cut by a
//     completed conflicting Append or Compact) and is still in that state;
//   - its hard state is one set since the last durable point;
//
// and the log keeps working. A failure prints the seed; -seed=N replays it.
func TestCrashRecovery(t *testing.T) {
	var cov crashCoverage
	if *flagSeed != 0 {
		if err := runCrashSeed(*flagSeed, *flagSteps, false, &cov); err != nil {
			t.Fatalf("seed %d: %v", *flagSeed, err)
		}
		t.Logf("coverage %+v", cov)
		return
	}
	for seed := uint64(1); seed <= uint64(*flagSeeds); seed++ {
		if err := runCrashSeed(seed, *flagSteps, false, &cov); err != nil {
			t.Fatalf("seed %d: %v\nreplay: go test ./raft/raftlog -run TestCrashRecovery -seed=%d -v", seed, err, seed)
		}
	}
	t.Logf("seeds=%d coverage %+v", *flagSeeds, cov)
	// A crash test that never reaches the paths it is meant to test
	// proves nothing; with the default seeds every one must be hit.
	if *flagSeeds >= 100 && !cov.allHit() {
		t.Fatalf("paths not exercised: %+v", cov)
	}
}

// Broken variant: a log that skips its fsync must be caught.
func TestCrashRecoveryCatchesSkippedFsync(t *testing.T) {
	var cov crashCoverage
	for seed := uint64(1); seed <= 50; seed++ {
		if err := runCrashSeed(seed, *flagSteps, true, &cov); err != nil {
			t.Logf("caught at seed %d: %v", seed, err)
			return
		}
	}
	t.Fatal("a log that never fsyncs passed 50 seeds of the crash test")
}

// crashCoverage counts how often the crash test reached the paths it
// exists to test.
type crashCoverage struct {
	Crashes, CrashesInsideOp, CrashesInsideOpen   int
	TornTails, ConflictingAppends, SnapshotsAhead int
}

func (c crashCoverage) allHit() bool {
	return c.Crashes > 0 && c.CrashesInsideOp > 0 && c.CrashesInsideOpen > 0 &&
		c.TornTails > 0 && c.ConflictingAppends > 0 && c.SnapshotsAhead > 0
}

// logState is one state the log passed through.
type logState struct {
	snap    raft.SnapshotMeta
	entries []raft.Entry // entries after snap.Index, contiguous
	// cutFrom, when not 0, marks a state caught in the middle of cutting
	// a conflicting suffix from cutFrom on: whole segments go first,
	// newest first, so any prefix reaching cutFrom-1 is a legal result.
	cutFrom uint64
}

func (s logState) last() uint64 { return s.snap.Index + uint64(len(s.entries)) }

func (s logState) term(i uint64) uint64 {
	if i == s.snap.Index {
		return s.snap.Term
	}
	return s.entries[i-s.snap.Index-1].Term
}

// crashModel is what the test knows the log must hold.
type crashModel struct {
	cur logState
	hs  raft.HardState
	// durable is the state at the last point where everything was made
	// durable; candidates are every state since (including durable and
	// cur); hardStates every hard state set since.
	durable    logState
	candidates []logState
	hardStates []raft.HardState
	term       uint64 // highest term used so far
}

func (m *crashModel) markDurable() {
	m.durable = m.cur
	m.candidates = []logState{m.cur}
	m.hardStates = []raft.HardState{m.hs}
}

// crashPanic is what the MemFS hook panics with to crash mid-operation.
type crashPanic struct{}

type crashRun struct {
	rng     *rand.Rand
	fs      *diskio.MemFS
	opts    Options
	l       *Log
	m       crashModel
	crashAt uint64 // disk operation number at which to crash; 0 for none
	ops     uint64
	trace   []string
	cov     *crashCoverage
}

func runCrashSeed(seed uint64, steps int, skipFsync bool, cov *crashCoverage) (err error) {
	r := &crashRun{rng: rand.New(rand.NewPCG(seed, 0x5eed)), cov: cov}
	r.fs = diskio.NewMemFS(seed)
	tear := []float64{0, 0.5, 1}[r.rng.IntN(3)]
	if err := r.fs.Configure(diskio.MemFSConfig{TearProbability: tear}); err != nil {
		return err
	}
	if err := r.fs.Arm(diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: 0.005}); err != nil {
		return err
	}
	r.opts = Options{
		SegmentSizeBytesMax: []int64{256, 1024, 4096, 1 << 16}[r.rng.IntN(4)],
		WriteBufferBytesMax: []int{64, 4096, 1 << 20}[r.rng.IntN(3)],
		UnsafeSkipFsync:     skipFsync,
	}
	r.fs.SetLatencyHook(func(diskio.Op, string) {
		r.ops++
		if r.crashAt != 0 && r.ops >= r.crashAt {
			r.crashAt = 0
			panic(crashPanic{})
		}
	})
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\nopts %+v tear %.1f; last operations:\n%s", err, r.opts, tear, r.lastTrace(15))
		}
	}()
	r.m.markDurable()
	if err := r.reopen(); err != nil {
		return err
	}
	for step := 0; step < steps; step++ {
		if err := r.step(); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	return r.crashAndCheck()
}

func (r *crashRun) lastTrace(n int) string {
	var b bytes.Buffer
	for _, s := range r.trace[max(0, len(r.trace)-n):] {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	return b.String()
}

func (r *crashRun) logf(format string, args ...any) {
	r.trace = append(r.trace, fmt.Sprintf(format, args...))
}

// guard runs op and reports whether the armed mid-operation crash fired.
func guard(op func() error) (crashed bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(crashPanic); !ok {
				panic(p)
			}
			crashed = true
		}
	}()
	return false, op()
}

func (r *crashRun) step() error {
	switch x := r.rng.IntN(100); {
	case x < 40:
		return r.doAppend()
	case x < 58:
		return r.doSetHardState()
	case x < 83:
		return r.do("sync", func() error { return r.l.Sync() }, func() { r.m.markDurable() }, func() {})
	case x < 90:
		return r.doCompact()
	case x < 95:
		r.crashAt = r.ops + 1 + uint64(r.rng.IntN(30))
		r.logf("arm crash at disk op %d", r.crashAt)
		return nil
	default:
		return r.crashAndCheck()
	}
}

// do runs op; on success applies done to the model. If the armed crash
// fires inside op, crashed records the states op may have half reached
// (without moving the durable point), and the log is recovered and checked.
func (r *crashRun) do(name string, op func() error, done, crashed func()) error {
	r.logf("%s", name)
	hit, err := guard(op)
	if hit {
		r.cov.CrashesInsideOp++
		r.logf("  crashed inside %s", name)
		crashed()
		return r.crashAndCheck()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	done()
	return nil
}

func (r *crashRun) doAppend() error {
	m := &r.m
	k := m.cur.last() + 1
	term := max(m.term, 1)
	floor := max(m.hs.Commit, m.cur.snap.Index)
	if m.cur.last() > floor && r.rng.IntN(5) == 0 {
		k = floor + 1 + uint64(r.rng.IntN(int(m.cur.last()-floor)))
		term = m.term + 1
	}
	n := 1 + r.rng.IntN(8)
	es := make([]raft.Entry, n)
	for i := range es {
		data := make([]byte, r.rng.IntN([]int{1, 64, 700}[r.rng.IntN(3)]))
		for j := range data {
			data[j] = byte(r.rng.Uint32())
		}
		es[i] = raft.Entry{Term: term, Index: k + uint64(i), Type: raft.EntryType(r.rng.IntN(3)), Data: data}
	}
	conflict := k <= m.cur.last()
	if conflict {
		r.cov.ConflictingAppends++
	}
	next := logState{snap: m.cur.snap, entries: append(append([]raft.Entry(nil), m.cur.entries[:k-m.cur.snap.Index-1]...), es...)}
	name := fmt.Sprintf("append %d..%d term %d", k, k+uint64(n)-1, term)
	return r.do(name, func() error { return r.l.Append(es) }, func() {
		m.term = max(m.term, term)
		if conflict {
			// The cut is durable when Append returns; so is all before it.
			m.cur = logState{snap: m.cur.snap, entries: next.entries[:k-m.cur.snap.Index-1]}
			m.markDurable()
		}
		m.cur = next
		m.candidates = append(m.candidates, next)
	}, func() {
		m.term = max(m.term, term)
		if conflict {
			m.candidates = append(m.candidates, logState{snap: m.cur.snap, entries: m.cur.entries, cutFrom: k})
		}
		m.candidates = append(m.candidates, next)
	})
}

func (r *crashRun) doSetHardState() error {
	m := &r.m
	hs := m.hs
	switch r.rng.IntN(3) {
	case 0:
		m.term = max(m.term, hs.Term) + 1
		hs = raft.HardState{Term: m.term, Commit: hs.Commit}
	case 1:
		if hs.Vote == raft.None {
			hs.Term = max(hs.Term, 1)
			hs.Vote = 1 + uint64(r.rng.IntN(5))
			m.term = max(m.term, hs.Term)
		}
	default:
		if last := m.cur.last(); last > hs.Commit {
			hs.Commit += 1 + uint64(r.rng.IntN(int(last-hs.Commit)))
		}
	}
	set := func() {
		m.hs = hs
		m.hardStates = append(m.hardStates, hs)
	}
	return r.do(fmt.Sprintf("hardstate %+v", hs), func() error { return r.l.SetHardState(hs) }, set, set)
}

func (r *crashRun) doCompact() error {
	m := &r.m
	var meta raft.SnapshotMeta
	switch {
	case r.rng.IntN(4) == 0:
		// A snapshot from a leader, ahead of this log.
		r.cov.SnapshotsAhead++
		m.term++
		meta = raft.SnapshotMeta{Index: m.cur.last() + 1 + uint64(r.rng.IntN(5)), Term: m.term}
	case m.hs.Commit > m.cur.snap.Index:
		i := m.cur.snap.Index + 1 + uint64(r.rng.IntN(int(m.hs.Commit-m.cur.snap.Index)))
		meta = raft.SnapshotMeta{Index: i, Term: m.cur.term(i)}
	default:
		return nil
	}
	meta.Conf = raft.ConfState{Voters: []uint64{1, 2, 3}}
	next := logState{snap: meta}
	if meta.Index <= m.cur.last() && m.cur.term(meta.Index) == meta.Term {
		next.entries = m.cur.entries[meta.Index-m.cur.snap.Index:]
	}
	name := fmt.Sprintf("compact %d term %d", meta.Index, meta.Term)
	return r.do(name, func() error { return r.l.Compact(meta) }, func() {
		// Compact syncs everything before it records the snapshot.
		m.cur = next
		m.markDurable()
	}, func() {
		m.candidates = append(m.candidates, next)
	})
}

// crashAndCheck loses power, recovers, and checks the result.
func (r *crashRun) crashAndCheck() error {
	r.crashAt = 0
	r.fs.Crash()
	r.cov.Crashes++
	r.logf("crash")
	return r.reopen()
}

// reopen opens the log, possibly crashing inside Open (an armed crash may
// still be pending), and checks what it recovered against the model.
func (r *crashRun) reopen() error {
	const attemptsMax = 4
	for attempt := 0; attempt < attemptsMax; attempt++ {
		r.crashAt = 0
		if attempt < attemptsMax-1 && (attempt > 0 || r.rng.IntN(4) == 0) {
			r.crashAt = r.ops + 1 + uint64(r.rng.IntN(12))
		}
		var rec Recovered
		crashed, err := guard(func() error {
			var err error
			r.l, rec, err = Open(r.fs, testDir, r.opts)
			return err
		})
		r.crashAt = 0
		if crashed {
			r.cov.CrashesInsideOpen++
			r.logf("  crashed inside Open")
			r.fs.Crash()
			continue
		}
		if err != nil {
			return fmt.Errorf("Open: %w", err)
		}
		return r.checkRecovered(rec)
	}
	panic("unreachable: the last attempt is never crashed")
}

func (r *crashRun) checkRecovered(rec Recovered) error {
	m := &r.m
	got, err := r.l.Entries(r.l.FirstIndex(), r.l.LastIndex()+1, 0)
	if err != nil {
		return fmt.Errorf("reading recovered entries: %w", err)
	}
	if err := sameEntries(rec.Entries, got); err != nil {
		return fmt.Errorf("Recovered.Entries differ from Entries: %w", err)
	}
	if rec.FirstIndex != rec.Snapshot.Index+1 || rec.LastIndex != rec.Snapshot.Index+uint64(len(got)) {
		return fmt.Errorf("recovered range %d..%d does not match snapshot %d and %d entries",
			rec.FirstIndex, rec.LastIndex, rec.Snapshot.Index, len(got))
	}
	if rec.TornTail != nil {
		r.cov.TornTails++
	}
	st := logState{snap: rec.Snapshot, entries: got}
	if err := matchCandidate(st, m.durable, m.candidates); err != nil {
		return err
	}
	if !containsHardState(m.hardStates, rec.HardState) && !raisedHardState(m.hardStates, rec.HardState, st) {
		return fmt.Errorf("recovered hard state %+v, never set since the last durable point (%+v)", rec.HardState, m.hardStates)
	}
	r.logf("  recovered snapshot %d, entries %d..%d, hs %+v", rec.Snapshot.Index, rec.FirstIndex, rec.LastIndex, rec.HardState)
	m.cur = st
	m.hs = rec.HardState
	m.markDurable()
	return nil
}

// matchCandidate accepts got if, for some candidate with the same
// snapshot, got's entries are a prefix of the candidate's and hold every
// durable entry the candidate still has.
func matchCandidate(got, durable logState, candidates []logState) error {
	var reasons []string
	for _, c := range candidates {
		if !sameSnapshot(c.snap, got.snap) {
			continue
		}
		if len(got.entries) > len(c.entries) {
			reasons = append(reasons, fmt.Sprintf("longer (%d) than candidate ending %d", len(got.entries), c.last()))
			continue
		}
		if err := sameEntries(got.entries, c.entries[:len(got.entries)]); err != nil {
			reasons = append(reasons, fmt.Sprintf("not a prefix of candidate ending %d: %v", c.last(), err))
			continue
		}
		if need := durableIn(durable, c); len(got.entries) < need {
			reasons = append(reasons, fmt.Sprintf("lost durable entries: has %d, candidate ending %d needs %d", len(got.entries), c.last(), need))
			continue
		}
		return nil
	}
	return fmt.Errorf("recovered snapshot %d with entries %d..%d matches no state the log passed through: %v",
		got.snap.Index, got.snap.Index+1, got.last(), reasons)
}

// durableIn counts the leading entries of c that were durable: those of
// the durable state (after c's snapshot) that c still has unchanged.
func durableIn(durable, c logState) int {
	n := 0
	for _, e := range durable.entries {
		if e.Index <= c.snap.Index {
			continue
		}
		if c.cutFrom != 0 && e.Index >= c.cutFrom {
			break
		}
		i := e.Index - c.snap.Index - 1
		if i >= uint64(len(c.entries)) || sameEntries([]raft.Entry{e}, c.entries[i:i+1]) != nil {
			break
		}
		n = int(i) + 1
	}
	return n
}

func sameSnapshot(a, b raft.SnapshotMeta) bool {
	return a.Index == b.Index && a.Term == b.Term
}

func containsHardState(list []raft.HardState, hs raft.HardState) bool {
	for _, h := range list {
		if h == hs {
			return true
		}
	}
	return false
}

// raisedHardState accepts the hard state Open derives when a crash kept
// entries of a newer term than the surviving hard state (recovery rule 6):
// the last term, no vote, and a commit index some hard state carried.
func raisedHardState(list []raft.HardState, hs raft.HardState, st logState) bool {
	if hs.Vote != raft.None || hs.Term != st.term(st.last()) {
		return false
	}
	for _, h := range list {
		if h.Term < hs.Term && h.Commit == hs.Commit {
			return true
		}
	}
	return false
}
