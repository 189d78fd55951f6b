package raft

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The in-package test network: deterministic and single-goroutine. Nodes
// live in a map but are always visited in sorted id order; messages wait
// in a FIFO queue; links can be cut; every node's "disk" is a struct that a
// restart rebuilds the core from.

// testApp is one node's application: durable raft state, state machine,
// snapshot store.
type testApp struct {
	id  uint64
	cfg Config
	r   *Raft
	// Durable raft state (what raftlog would hold). hs is the hard state
	// last written, hsSynced the one last fsynced: a crash keeps only the
	// latter. Entries and snapshots always come with MustSync (persist
	// checks), so they need no such pair.
	hs       HardState
	hsSynced HardState
	snap     SnapshotMeta
	ents     []Entry
	// conf is the membership last reported in a Ready (nil before any):
	// a restart must come back under exactly it.
	conf *ConfState
	// State machine: applied normal entries, and its applied index.
	sm      []Entry
	applied uint64
	// Snapshot bytes by index (the SnapshotSource), and staged receipt.
	snaps  map[uint64][]byte
	staged []byte
	reads  []ReadState
	soft   SoftState
	// mutate is the config adjustment the node was created with.
	mutate func(*Config)
}

func (a *testApp) cfgMutator() func(*Config) { return a.mutate }

// ReadChunk implements SnapshotSource over the app's snapshot store.
func (a *testApp) ReadChunk(meta SnapshotMeta, offset uint64, maxBytes int) ([]byte, bool, error) {
	data, ok := a.snaps[meta.Index]
	if !ok || offset > uint64(len(data)) {
		return nil, false, ErrSnapshotUnavailable
	}
	end := min(uint64(len(data)), offset+uint64(maxBytes))
	return data[offset:end], end == uint64(len(data)), nil
}

func encodeSM(sm []Entry) []byte {
	var b []byte
	for _, e := range sm {
		b = binary.AppendUvarint(b, e.Index)
		b = binary.AppendUvarint(b, e.Term)
		b = appendBytes(b, e.Data)
	}
	return b
}

func decodeSM(b []byte) ([]Entry, error) {
	d := &decoder{buf: b}
	var sm []Entry
	for len(d.buf) > 0 && d.err == nil {
		e := Entry{Index: d.uvarint("i"), Term: d.uvarint("t")}
		e.Data = d.bytes("d")
		sm = append(sm, e)
	}
	return sm, d.err
}

type network struct {
	t     testing.TB
	apps  map[uint64]*testApp
	queue []Message
	cut   map[[2]uint64]bool
	down  map[uint64]bool
	trace io.Writer
	// committed records every applied entry by index across all nodes
	// (state machine safety).
	committed map[uint64]Entry
	// onApply hooks extra checks (the randomized test uses it).
	onApply func(a *testApp, e Entry)
	// filter, if set, may rewrite a message and drops it by returning false.
	filter func(m *Message) bool
	// violations collects safety violations instead of failing the test
	// when collect is set (to prove the checks can fail).
	collect    bool
	violations []string
}

// violation reports a broken safety property.
func (nw *network) violation(format string, args ...any) {
	if nw.collect {
		nw.violations = append(nw.violations, fmt.Sprintf(format, args...))
		return
	}
	nw.t.Helper()
	nw.t.Fatalf(format, args...)
}

// newNetworkFrom builds nodes from given recovered states.
func newNetworkFrom(t testing.TB, states map[uint64]Recovered, mutate func(*Config)) *network {
	nw := &network{t: t, apps: map[uint64]*testApp{}, cut: map[[2]uint64]bool{},
		down: map[uint64]bool{}, committed: map[uint64]Entry{}}
	for id, rc := range states {
		rc.Entries = slices.Clone(rc.Entries)
		a := &testApp{id: id, snaps: map[uint64][]byte{}, hs: rc.HardState, hsSynced: rc.HardState,
			snap: rc.Snapshot, ents: slices.Clone(rc.Entries), applied: rc.Applied}
		a.cfg = Config{ID: id, ElectionTicks: 10, HeartbeatTicks: 1,
			Rand: rand.New(rand.NewPCG(id, 7)), SnapshotSource: a}
		if mutate != nil {
			mutate(&a.cfg)
		}
		r, err := New(a.cfg, rc)
		if err != nil {
			t.Fatalf("node %d: %v", id, err)
		}
		a.r = r
		nw.apps[id] = a
	}
	return nw
}

// logOf builds entries from a list of terms starting at index 1.
func logOf(terms ...uint64) []Entry {
	ents := make([]Entry, len(terms))
	for i, t := range terms {
		ents[i] = Entry{Term: t, Index: uint64(i + 1), Data: []byte(fmt.Sprintf("e%d.%d", t, i+1))}
	}
	return ents
}

// recoveredLog is the state of a member of voters with the given log.
func recoveredLog(term, commit uint64, voters []uint64, terms ...uint64) Recovered {
	return Recovered{HardState: HardState{Term: term, Commit: commit},
		Snapshot: SnapshotMeta{Conf: ConfState{Voters: voters}}, Entries: logOf(terms...), Applied: 0}
}

// newNetwork builds n founding voters 1..n; mutate adjusts every Config.
func newNetwork(t testing.TB, n int, mutate func(*Config)) *network {
	nw := &network{t: t, apps: map[uint64]*testApp{}, cut: map[[2]uint64]bool{},
		down: map[uint64]bool{}, committed: map[uint64]Entry{}}
	var peers []uint64
	for i := 1; i <= n; i++ {
		peers = append(peers, uint64(i))
	}
	for _, id := range peers {
		nw.addNode(id, peers, mutate)
	}
	return nw
}

// addNode starts a node; peers nil makes it a joiner.
func (nw *network) addNode(id uint64, peers []uint64, mutate func(*Config)) *testApp {
	a := &testApp{id: id, snaps: map[uint64][]byte{}, mutate: mutate}
	a.cfg = Config{ID: id, Peers: peers, ElectionTicks: 10, HeartbeatTicks: 1,
		Rand: rand.New(rand.NewPCG(id, 7)), SnapshotSource: a}
	if mutate != nil {
		mutate(&a.cfg)
	}
	r, err := New(a.cfg, Recovered{})
	if err != nil {
		nw.t.Fatalf("node %d: %v", id, err)
	}
	a.r = r
	nw.apps[id] = a
	return a
}

func (nw *network) ids() []uint64 {
	ids := make([]uint64, 0, len(nw.apps))
	for id := range nw.apps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (nw *network) raft(id uint64) *Raft { return nw.apps[id].r }

func (nw *network) logf(format string, args ...any) {
	if nw.trace != nil {
		fmt.Fprintf(nw.trace, format+"\n", args...)
	}
}

// handleReady runs the doc.go contract for node id until it has no work.
func (nw *network) handleReady(id uint64) bool {
	a := nw.apps[id]
	did := false
	for !nw.down[id] && a.r.HasReady() {
		did = true
		rd := a.r.Ready()
		nw.traceReady(id, rd)
		nw.persist(a, rd)
		nw.queue = append(nw.queue, rd.Messages...)
		nw.apply(a, rd)
		a.r.Advance(rd)
	}
	return did
}

func (nw *network) persist(a *testApp, rd Ready) {
	for _, c := range rd.SnapshotChunks {
		if c.Offset == 0 {
			a.staged = nil
		}
		if uint64(len(a.staged)) != c.Offset {
			nw.violation("node %d: chunk at %d but staged %d", a.id, c.Offset, len(a.staged))
		}
		a.staged = append(a.staged, c.Data...)
	}
	if rd.Snapshot != nil {
		a.snap = *rd.Snapshot
		a.ents = nil
		a.snaps = map[uint64][]byte{rd.Snapshot.Index: a.staged}
	}
	if len(rd.Entries) > 0 {
		first := rd.Entries[0].Index
		keep := a.ents[:0]
		for _, e := range a.ents {
			if e.Index < first {
				keep = append(keep, e)
			}
		}
		a.ents = append(keep, rd.Entries...)
	}
	if !rd.HardState.IsEmpty() {
		a.hs = rd.HardState
	}
	if !rd.MustSync && (len(rd.Entries) > 0 || rd.Snapshot != nil || len(rd.SnapshotChunks) > 0) {
		nw.violation("node %d: entries or snapshot state without MustSync", a.id)
	}
	if rd.MustSync {
		a.hsSynced = a.hs
	}
}

func (nw *network) apply(a *testApp, rd Ready) {
	if rd.Snapshot != nil {
		sm, err := decodeSM(a.staged)
		if err != nil {
			nw.violation("node %d: bad snapshot: %v", a.id, err)
		}
		a.sm, a.applied, a.staged = sm, rd.Snapshot.Index, nil
		for _, e := range sm {
			nw.checkCommitted(a, e)
		}
	}
	for _, e := range rd.CommittedEntries {
		if e.Index != a.applied+1 {
			nw.violation("node %d: applies %d after %d", a.id, e.Index, a.applied)
		}
		a.applied = e.Index
		nw.checkCommitted(a, e)
		if e.Type == EntryNormal {
			a.sm = append(a.sm, e)
		}
	}
	a.reads = append(a.reads, rd.ReadStates...)
	if rd.SoftState != nil {
		a.soft = *rd.SoftState
	}
	if rd.ConfState != nil {
		cs := ConfState{Voters: slices.Clone(rd.ConfState.Voters), Learners: slices.Clone(rd.ConfState.Learners)}
		a.conf = &cs
	}
}

// checkCommitted enforces state machine safety: one entry per index.
func (nw *network) checkCommitted(a *testApp, e Entry) {
	if prev, ok := nw.committed[e.Index]; ok {
		if prev.Term != e.Term || string(prev.Data) != string(e.Data) || prev.Type != e.Type {
			nw.violation("state machine safety: node %d applied %d/%d %q, another applied %d/%d %q",
				a.id, e.Term, e.Index, e.Data, prev.Term, prev.Index, prev.Data)
		}
	} else {
		nw.committed[e.Index] = e
	}
	if nw.onApply != nil {
		nw.onApply(a, e)
	}
}

// deliver steps one message into its recipient unless the link is down.
func (nw *network) deliver(m Message) {
	if nw.cut[[2]uint64{m.From, m.To}] || nw.down[m.To] || nw.down[m.From] || nw.apps[m.To] == nil ||
		(nw.filter != nil && !nw.filter(&m)) {
		nw.logf("dropped: %v", m)
		return
	}
	// Every message crosses the codec, as in production.
	dm, err := Decode(Encode(m))
	if err != nil {
		nw.t.Fatalf("codec: %v", err)
	}
	if err := nw.apps[m.To].r.Step(dm); err != nil {
		nw.t.Fatalf("step %v: %v", m, err)
	}
}

// stabilize delivers messages and handles readies until quiescent.
func (nw *network) stabilize() {
	for round := 0; ; round++ {
		if round > 10000 {
			nw.t.Fatalf("network did not stabilize")
		}
		did := false
		for _, id := range nw.ids() {
			did = nw.handleReady(id) || did
		}
		if len(nw.queue) == 0 && !did {
			return
		}
		q := nw.queue
		nw.queue = nil
		for _, m := range q {
			nw.deliver(m)
		}
	}
}

func (nw *network) tick(id uint64, n int) {
	for range n {
		nw.raft(id).Tick()
		nw.handleReady(id)
	}
}

// tickAll ticks every node once and stabilizes; returns when cond holds or
// after maxTicks.
func (nw *network) tickUntil(maxTicks int, cond func() bool) bool {
	for range maxTicks {
		if cond() {
			return true
		}
		for _, id := range nw.ids() {
			if !nw.down[id] {
				nw.raft(id).Tick()
			}
		}
		nw.stabilize()
	}
	return cond()
}

func (nw *network) isolate(id uint64) {
	for _, other := range nw.ids() {
		if other != id {
			nw.cut[[2]uint64{id, other}] = true
			nw.cut[[2]uint64{other, id}] = true
		}
	}
}

func (nw *network) heal() { nw.cut = map[[2]uint64]bool{} }

// restart rebuilds node id's core from its durable state after a crash.
// Ready handling is atomic here, but a hard state written without an
// fsync (a commit-only Ready) is lost, and with it the state machine's
// applies beyond the synced commit (the model: the state machine is made
// durable by the same fsync). The restarted member must come back under
// the membership it last reported: an older one may need a member that
// was removed and shut down since.
func (nw *network) restart(id uint64) {
	a := nw.apps[id]
	if a.r.outstanding {
		nw.t.Fatalf("restart with a Ready outstanding")
	}
	a.hs = a.hsSynced
	a.applied = min(a.applied, max(a.hs.Commit, a.snap.Index))
	a.sm = slices.DeleteFunc(a.sm, func(e Entry) bool { return e.Index > a.applied })
	cfg := a.cfg
	cfg.Rand = rand.New(rand.NewPCG(id, a.hs.Term+a.applied))
	r, err := New(cfg, Recovered{HardState: a.hs, Snapshot: a.snap, Entries: slices.Clone(a.ents), Applied: a.applied})
	if err != nil {
		nw.t.Fatalf("restart %d: %v", id, err)
	}
	a.r = r
	if a.conf != nil {
		if got := r.conf.confState(); !slices.Equal(got.Voters, a.conf.Voters) || !slices.Equal(got.Learners, a.conf.Learners) {
			nw.violation("node %d restarted with commit %d under voters %v learners %v, but had reported voters %v learners %v",
				id, r.log.committed, got.Voters, got.Learners, a.conf.Voters, a.conf.Learners)
		}
	}
}

// compact snapshots node id's state machine at its applied index.
func (nw *network) compact(id uint64) error {
	a := nw.apps[id]
	data := encodeSM(a.sm)
	meta, err := a.r.Compact(a.applied)
	if err != nil {
		return err
	}
	a.snaps = map[uint64][]byte{meta.Index: data}
	a.snap = meta
	keep := a.ents[:0]
	for _, e := range a.ents {
		if e.Index > meta.Index {
			keep = append(keep, e)
		}
	}
	a.ents = keep
	return nil
}

// leader returns the unique leader of the highest term, or None.
func (nw *network) leader() uint64 {
	var lead, term uint64
	for _, id := range nw.ids() {
		r := nw.raft(id)
		if r.role == RoleLeader && r.term >= term && !nw.down[id] {
			lead, term = id, r.term
		}
	}
	return lead
}

func (nw *network) traceReady(id uint64, rd Ready) {
	if nw.trace == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %d handling Ready\n", id)
	if rd.SoftState != nil {
		fmt.Fprintf(&b, "  Lead:%d State:%s\n", rd.SoftState.Lead, rd.SoftState.Role)
	}
	if !rd.HardState.IsEmpty() {
		fmt.Fprintf(&b, "  HardState Term:%d Vote:%d Commit:%d\n", rd.HardState.Term, rd.HardState.Vote, rd.HardState.Commit)
	}
	writeEntries(&b, "Entries", rd.Entries)
	for _, c := range rd.SnapshotChunks {
		fmt.Fprintf(&b, "  SnapshotChunk %d/%d Offset:%d Bytes:%d Last:%v\n", c.Meta.Term, c.Meta.Index, c.Offset, len(c.Data), c.Last)
	}
	if rd.Snapshot != nil {
		fmt.Fprintf(&b, "  Snapshot %d/%d %v\n", rd.Snapshot.Term, rd.Snapshot.Index, rd.Snapshot.Conf)
	}
	writeEntries(&b, "CommittedEntries", rd.CommittedEntries)
	if rd.ConfState != nil {
		fmt.Fprintf(&b, "  ConfState Voters:%v Learners:%v\n", rd.ConfState.Voters, rd.ConfState.Learners)
	}
	for _, rs := range rd.ReadStates {
		fmt.Fprintf(&b, "  ReadState Index:%d Ctx:%q\n", rs.Index, rs.Context)
	}
	if len(rd.Messages) > 0 {
		b.WriteString("  Messages:\n")
		for _, m := range rd.Messages {
			fmt.Fprintf(&b, "  %v\n", m)
		}
	}
	fmt.Fprint(nw.trace, b.String())
}

func writeEntries(b *strings.Builder, name string, ents []Entry) {
	if len(ents) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s:\n", name)
	for _, e := range ents {
		fmt.Fprintf(b, "  %s\n", entryString(e))
	}
}
