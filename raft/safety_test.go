package raft

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// The randomized safety test: random ticks, message delivery in random
// order, drops, duplicates, partitions, restarts, compactions, transfers,
// reads and membership changes over small in-memory clusters, checking the
// Raft safety properties after every step. Every failure prints the seed;
// -raft.seed=N replays exactly that run.

var (
	seedFlag   = flag.Uint64("raft.seed", 0, "replay one randomized safety seed")
	seedsFlag  = flag.Int("raft.seeds", 12, "number of randomized safety seeds per cluster shape")
	stepsFlag  = flag.Int("raft.steps", 3000, "steps per randomized safety seed")
	traceFlag  = flag.Bool("raft.trace", false, "print the message trace of the liveness phase")
	brokenFlag = flag.Bool("raft.skipfig8", false, "run the randomized test with SkipFigure8Rule (it should fail)")
)

type safetyRun struct {
	t       *testing.T
	seed    uint64
	rng     *rand.Rand
	nw      *network
	members []uint64 // every node that exists (founders and joiners)
	// leaders records the leader of each term (election safety).
	leaders map[uint64]uint64
	// wasLeader tracks (node, term) already checked for completeness.
	wasLeader map[[2]uint64]bool
	commits   map[uint64]uint64
	// proposals counts values proposed, to make them unique.
	proposals int
	step      int
	// errs collects violations; the runner fails the test on any.
	errs []string
}

func TestRandomizedSafety(t *testing.T) {
	shapes := []struct {
		name            string
		founders, spare int
		membership      bool
	}{
		{"3nodes", 3, 0, false},
		{"5nodes", 5, 0, false},
		{"3+2membership", 3, 2, true},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			seeds := make([]uint64, 0, *seedsFlag)
			if *seedFlag != 0 {
				seeds = append(seeds, *seedFlag)
			} else {
				for i := 1; i <= *seedsFlag; i++ {
					seeds = append(seeds, uint64(i))
				}
			}
			for _, seed := range seeds {
				runSafety(t, seed, sh.founders, sh.spare, sh.membership)
			}
		})
	}
}

func runSafety(t *testing.T, seed uint64, founders, spare int, membership bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x5afe))
	// Each seed also draws its own knobs so rare paths run often.
	knobs := func(c *Config) {
		c.Rand = rand.New(rand.NewPCG(seed, c.ID))
		c.PreVote = seed%2 == 0
		c.CheckQuorum = seed%3 != 0
		c.MaxEntriesPerMsg = 1 + int(seed%4)
		c.MaxInflightMsgs = 1 + int(seed%3)
		c.SnapshotChunkBytes = 8 + int(seed%5)*16
		c.MaxSnapshotChunksInflight = 1 + int(seed%2)
		c.ElectionTicks = 5 + int(seed%3)*5
		c.HeartbeatTicks = 1 + int(seed%2)
		c.Testing.SkipFigure8Rule = *brokenFlag
	}
	nw := newNetwork(t, founders, knobs)
	nw.collect = true
	for i := 1; i <= spare; i++ {
		nw.addNode(uint64(founders+i), nil, knobs)
	}
	s := &safetyRun{t: t, seed: seed, rng: rng, nw: nw, members: nw.ids(),
		leaders: map[uint64]uint64{}, wasLeader: map[[2]uint64]bool{}, commits: map[uint64]uint64{}}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("seed %d step %d: panic: %v (replay: go test ./raft -run TestRandomizedSafety -raft.seed=%d)", seed, s.step, r, seed)
		}
	}()
	nw.onApply = func(a *testApp, e Entry) {}
	for s.step = 0; s.step < *stepsFlag; s.step++ {
		s.randomAction(membership)
		for _, id := range nw.ids() {
			nw.handleReady(id)
		}
		s.check()
		if len(s.errs) > 0 || len(nw.violations) > 0 {
			t.Fatalf("%v %v (replay: go test ./raft -run TestRandomizedSafety -raft.seed=%d)", s.errs, nw.violations, seed)
		}
	}
	s.checkLiveness()
	var c Counters
	for _, id := range nw.ids() {
		rc := nw.raft(id).counters
		c.ElectionsWon += rc.ElectionsWon
		c.SnapshotsInstalled += rc.SnapshotsInstalled
		c.ConfChangesApplied += rc.ConfChangesApplied
		c.ReadsServed += rc.ReadsServed
		c.TransfersStarted += rc.TransfersStarted
		c.TransfersForwarded += rc.TransfersForwarded
		c.SnapshotRestarts += rc.SnapshotRestarts
		c.CheckQuorumStepDowns += rc.CheckQuorumStepDowns
	}
	t.Logf("seed %d: queue=%d proposals=%d committed=%d elections=%d snapshots=%d/%d restarts conf=%d reads=%d transfers=%d (forwarded %d) cq=%d",
		seed, len(nw.queue), s.proposals, len(nw.committed), c.ElectionsWon, c.SnapshotsInstalled, c.SnapshotRestarts,
		c.ConfChangesApplied, c.ReadsServed, c.TransfersStarted, c.TransfersForwarded, c.CheckQuorumStepDowns)
}

func (s *safetyRun) randomAction(membership bool) {
	nw, rng := s.nw, s.rng
	id := s.members[rng.IntN(len(s.members))]
	switch p := rng.IntN(1000); {
	case p < 550:
		if len(nw.queue) == 0 {
			return
		}
		// Mostly near-FIFO with bounded reordering; sometimes anything.
		window := min(len(nw.queue), 8)
		if rng.IntN(10) == 0 {
			window = len(nw.queue)
		}
		i := rng.IntN(window)
		m := nw.queue[i]
		nw.queue = slices.Delete(nw.queue, i, i+1)
		switch q := rng.IntN(100); {
		case q < 8: // drop
		case q < 12: // duplicate
			nw.deliver(m)
			nw.queue = append(nw.queue, m)
		default:
			nw.deliver(m)
		}
	case p < 800:
		if !nw.down[id] {
			nw.raft(id).Tick()
		}
	case p < 803:
		if l := nw.leader(); l != None {
			s.crashOrRestart(l)
		}
	case p < 880:
		if !nw.down[id] {
			s.proposals++
			_ = nw.raft(id).Propose([]byte(fmt.Sprintf("v%d", s.proposals)))
		}
	case p < 900:
		s.partition()
	case p < 915:
		if !nw.down[id] {
			_ = nw.compact(id)
		}
	case p < 925:
		s.crashOrRestart(id)
	case p < 935:
		if !nw.down[id] {
			to := s.members[rng.IntN(len(s.members))]
			_ = nw.raft(id).TransferLeadership(to)
		}
	case p < 960:
		if !nw.down[id] {
			_ = nw.raft(id).ReadIndex([]byte(fmt.Sprintf("r%d", s.step)))
		}
	case p < 980:
		if membership && !nw.down[id] {
			s.confChange(id)
		}
	}
	if len(nw.queue) > 2000 {
		nw.queue = nw.queue[len(nw.queue)-2000:]
	}
}

func (s *safetyRun) partition() {
	nw, rng := s.nw, s.rng
	nw.heal()
	switch rng.IntN(3) {
	case 0: // healed
	case 1:
		nw.isolate(s.members[rng.IntN(len(s.members))])
	case 2: // random one-way cuts
		for range 1 + rng.IntN(4) {
			a, b := s.members[rng.IntN(len(s.members))], s.members[rng.IntN(len(s.members))]
			if a != b {
				nw.cut[[2]uint64{a, b}] = true
			}
		}
	}
}

func (s *safetyRun) crashOrRestart(id uint64) {
	nw := s.nw
	if nw.down[id] {
		delete(nw.down, id)
		nw.restart(id)
		// A crash may lose a commit-only hard state: the commit index
		// may restart lower, by design.
		s.commits[id] = nw.raft(id).log.committed
		return
	}
	down := 0
	for _, v := range nw.down {
		if v {
			down++
		}
	}
	if down < (len(s.members)-1)/2 {
		nw.down[id] = true
	}
}

func (s *safetyRun) confChange(id uint64) {
	target := s.members[s.rng.IntN(len(s.members))]
	types := []ConfChangeType{ConfAddVoter, ConfAddLearner, ConfRemoveNode}
	cc := ConfChange{Type: types[s.rng.IntN(len(types))], NodeID: target}
	_ = s.nw.raft(id).ProposeConfChange(cc)
}

// check asserts the safety properties across all nodes.
func (s *safetyRun) check() {
	nw := s.nw
	for _, id := range nw.ids() {
		r := nw.raft(id)
		if err := r.verify(); err != nil {
			s.fail("%v", err)
		}
		if c := r.log.committed; c < s.commits[id] {
			s.fail("node %d commit went back %d -> %d", id, s.commits[id], c)
		} else {
			s.commits[id] = c
		}
		if r.role == RoleLeader {
			s.checkLeader(id, r)
		}
	}
	ids := nw.ids()
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			s.checkLogMatching(nw.raft(a), nw.raft(b))
		}
	}
}

// checkLeader: election safety and leader completeness.
func (s *safetyRun) checkLeader(id uint64, r *Raft) {
	if l, ok := s.leaders[r.term]; ok && l != id {
		s.fail("election safety: term %d has leaders %d and %d", r.term, l, id)
	}
	s.leaders[r.term] = id
	key := [2]uint64{id, r.term}
	if s.wasLeader[key] {
		return
	}
	s.wasLeader[key] = true
	for idx, e := range s.nw.committed {
		if idx <= r.log.snapIndex {
			continue
		}
		if t, ok := r.log.term(idx); !ok || t != e.Term {
			s.fail("leader completeness: leader %d term %d lacks committed %d/%d", id, r.term, e.Term, idx)
		}
	}
}

// checkLogMatching: if two logs hold an entry with the same index and
// term, they are identical up to it.
func (s *safetyRun) checkLogMatching(a, b *Raft) {
	lo := max(a.log.firstIndex(), b.log.firstIndex())
	hi := min(a.log.lastIndex(), b.log.lastIndex())
	matched := false
	for i := hi; i >= lo && i > 0; i-- {
		ea, eb := a.log.entries[i-a.log.snapIndex-1], b.log.entries[i-b.log.snapIndex-1]
		if !matched && ea.Term == eb.Term {
			matched = true
		}
		if matched && (ea.Term != eb.Term || string(ea.Data) != string(eb.Data) || ea.Type != eb.Type) {
			s.fail("log matching: nodes %d and %d differ at %d below a matching entry", a.id, b.id, i)
			return
		}
	}
}

func (s *safetyRun) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf("seed %d step %d: %s", s.seed, s.step, fmt.Sprintf(format, args...)))
}

// checkLiveness heals everything and requires a new proposal to reach
// every voter of the leader's configuration.
func (s *safetyRun) checkLiveness() {
	nw := s.nw
	nw.heal()
	for _, id := range nw.ids() {
		if nw.down[id] {
			delete(nw.down, id)
			nw.restart(id)
		}
	}
	nw.stabilize()
	if *traceFlag {
		nw.trace = os.Stdout
	}
	ok := nw.tickUntil(500, func() bool { return nw.leader() != None && nw.raft(nw.leader()).committedInTerm() })
	if !ok {
		for _, id := range nw.ids() {
			st := nw.raft(id).Status()
			s.t.Logf("node %d: term %d role %v lead %d commit %d last %d/%d snap %d conf %v down %v", id, st.Term, st.Role, st.Lead, st.Commit, nw.raft(id).log.lastTerm(), st.LastIndex, st.SnapshotIndex, st.Conf, nw.down[id])
		}
		s.t.Fatalf("seed %d: no leader after healing (replay: -raft.seed=%d)", s.seed, s.seed)
	}
	for attempt := 0; attempt < 20; attempt++ {
		l := nw.leader()
		if l == None {
			nw.tickUntil(100, func() bool { return nw.leader() != None })
			continue
		}
		if err := nw.raft(l).Propose([]byte("final")); err != nil {
			nw.tickUntil(30, func() bool { return false })
			continue
		}
		applied := func() bool {
			l := nw.leader()
			if l == None {
				return false
			}
			for _, v := range nw.raft(l).conf.voters {
				a := nw.apps[v]
				if len(a.sm) == 0 || string(a.sm[len(a.sm)-1].Data) != "final" {
					return false
				}
			}
			return true
		}
		if nw.tickUntil(200, applied) {
			return
		}
	}
	for _, id := range nw.ids() {
		st := nw.raft(id).Status()
		s.t.Logf("node %d: term %d role %v lead %d commit %d last %d/%d snap %d conf %v down %v applied %d progress %+v", id, st.Term, st.Role, st.Lead, st.Commit, nw.raft(id).log.lastTerm(), st.LastIndex, st.SnapshotIndex, st.Conf, nw.down[id], nw.apps[id].applied, st.Progress)
	}
	s.t.Fatalf("seed %d: proposal not applied everywhere after healing (replay: -raft.seed=%d)", s.seed, s.seed)
}
