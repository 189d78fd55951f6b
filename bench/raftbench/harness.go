package raftbench

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Impl names a Raft implementation under test.
type Impl string

const (
	// ImplLineraDB is github.com/lineradb/lineradb/raft.
	ImplLineraDB Impl = "lineradb"
	// ImplEtcd is go.etcd.io/raft/v3 (RawNode + MemoryStorage).
	ImplEtcd Impl = "etcd"
)

// Impls lists every implementation, etcd first (it is the baseline).
var Impls = []Impl{ImplEtcd, ImplLineraDB}

const (
	// membersCount is the group size measured.
	membersCount = 3
	// seqBytes is the payload prefix holding the entry's sequence number.
	seqBytes = 8
	// electionRoundsMax bounds the rounds an election may take.
	electionRoundsMax = 1000
)

// Options configure one harness. Zero fields take the documented default.
type Options struct {
	Impl Impl
	// EntrySizeBytes is the payload size of each proposal; at least 8.
	EntrySizeBytes int
	// InflightMax is how many proposals may be proposed but not yet
	// applied on all members. Default 1024.
	InflightMax int
	// CompactEveryEntries is how many applied indexes pass between log
	// compactions. Default 10,000.
	CompactEveryEntries uint64
	// Seed seeds LineraDB's election randomness (etcd uses its own).
	Seed uint64
	// MaxEntriesPerMsg overrides LineraDB's Config.MaxEntriesPerMsg when
	// non-zero (etcd has no count limit, only MaxSizePerMsg).
	MaxEntriesPerMsg int

	// dropAll makes the network lose every message after the election;
	// tests use it to prove that a stall is reported, not hung on.
	dropAll bool
}

func (o Options) withDefaults() Options {
	if o.InflightMax == 0 {
		o.InflightMax = 1024
	}
	if o.CompactEveryEntries == 0 {
		o.CompactEveryEntries = 10_000
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Impl != ImplLineraDB && o.Impl != ImplEtcd:
		return fmt.Errorf("raftbench: unknown impl %q", o.Impl)
	case o.EntrySizeBytes < seqBytes:
		return fmt.Errorf("raftbench: entry size %d below %d bytes", o.EntrySizeBytes, seqBytes)
	case o.InflightMax < 1:
		return fmt.Errorf("raftbench: inflight maximum %d below 1", o.InflightMax)
	}
	return nil
}

// Stats are what one Run observed.
type Stats struct {
	// Entries is the number of entries applied on all members.
	Entries uint64
	// Messages is the number of messages put on the network.
	Messages uint64
	// Rounds is the number of propose/ready/deliver rounds.
	Rounds uint64
}

// cluster is a group of one implementation as the driver sees it. Members
// are numbered 0..membersCount-1.
type cluster interface {
	// campaign makes member i start an election.
	campaign(i int) error
	// lead returns the leader member i knows of (a member number), or -1.
	lead(i int) int
	// propose hands one payload to member i.
	propose(i int, data []byte) error
	// handleReady runs one persist/send/apply/Advance cycle on member i;
	// it reports whether member i had any work.
	handleReady(i int) (bool, error)
	// deliver steps every queued message and returns how many there were.
	deliver() (int, error)
	// appliedIndex returns the highest log index member i applied.
	appliedIndex(i int) uint64
	// compact drops member i's log up to index (applied on every member).
	compact(i int, index uint64) error
	// machine returns member i's state machine.
	machine(i int) *stateMachine
	// messages returns how many messages were put on the network.
	messages() uint64
}

// Harness drives one elected group.
type Harness struct {
	opts        Options
	c           cluster
	leader      int
	pay         payloads
	proposed    uint64
	compactedTo uint64
	rounds      uint64
}

// New builds a group of opts.Impl and elects member 0.
func New(opts Options) (*Harness, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var c cluster
	var err error
	switch opts.Impl {
	case ImplLineraDB:
		c, err = newLineraCluster(opts)
	case ImplEtcd:
		c, err = newEtcdCluster(opts)
	}
	if err != nil {
		return nil, err
	}
	h := &Harness{opts: opts, c: c, leader: -1, pay: newPayloads(opts.EntrySizeBytes, 2*opts.InflightMax)}
	if err := h.elect(); err != nil {
		return nil, err
	}
	return h, nil
}

// elect campaigns member 0 and runs rounds until every member knows it as
// leader and the group is quiet.
func (h *Harness) elect() error {
	if err := h.c.campaign(0); err != nil {
		return fmt.Errorf("raftbench: campaign: %w", err)
	}
	for range electionRoundsMax {
		work, err := h.cycle()
		if err != nil {
			return err
		}
		if work == 0 && h.agreedLeader() == 0 {
			h.leader = 0
			setDropAll(h.c, h.opts.dropAll)
			return nil
		}
	}
	return fmt.Errorf("raftbench: %s: no stable leader after %d rounds", h.opts.Impl, electionRoundsMax)
}

// agreedLeader returns the leader every member knows, or -1.
func (h *Harness) agreedLeader() int {
	l := h.c.lead(0)
	for i := 1; i < membersCount; i++ {
		if h.c.lead(i) != l {
			return -1
		}
	}
	return l
}

// errStalled reports a round in which nothing happened.
var errStalled = errors.New("raftbench: group stalled (no proposal, Ready or message in a round)")

// Run proposes entries more entries and returns once all of them are
// applied on every member.
func (h *Harness) Run(entries int) (Stats, error) {
	msgs0, rounds0, applied0 := h.c.messages(), h.rounds, h.appliedAll()
	goal := h.proposed + uint64(entries)
	for h.appliedAll() < goal {
		proposedNow, err := h.proposeWindow(goal)
		if err != nil {
			return Stats{}, err
		}
		work, err := h.cycle()
		if err != nil {
			return Stats{}, err
		}
		if proposedNow == 0 && work == 0 {
			return Stats{}, fmt.Errorf("%w: %s after %d of %d entries", errStalled, h.opts.Impl, h.appliedAll()-applied0, entries)
		}
		if err := h.checkLeader(); err != nil {
			return Stats{}, err
		}
		if err := h.maybeCompact(); err != nil {
			return Stats{}, err
		}
	}
	return Stats{Entries: h.appliedAll() - applied0, Messages: h.c.messages() - msgs0, Rounds: h.rounds - rounds0}, nil
}

// proposeWindow tops the in-flight window up to InflightMax.
func (h *Harness) proposeWindow(goal uint64) (int, error) {
	n := 0
	limit := min(goal, h.appliedAll()+uint64(h.opts.InflightMax))
	for h.proposed < limit {
		if err := h.c.propose(h.leader, h.pay.next(h.proposed)); err != nil {
			return n, fmt.Errorf("raftbench: %s: propose %d: %w", h.opts.Impl, h.proposed, err)
		}
		h.proposed++
		n++
	}
	return n, nil
}

// cycle handles every member's Ready, then delivers the queued messages.
// It returns how many Readies and messages it handled.
func (h *Harness) cycle() (int, error) {
	h.rounds++
	work := 0
	for i := range membersCount {
		had, err := h.c.handleReady(i)
		if err != nil {
			return 0, fmt.Errorf("raftbench: %s member %d: %w", h.opts.Impl, i, err)
		}
		if had {
			work++
		}
	}
	n, err := h.c.deliver()
	if err != nil {
		return 0, fmt.Errorf("raftbench: %s: deliver: %w", h.opts.Impl, err)
	}
	return work + n, nil
}

// checkLeader fails the run if leadership moved: without ticks it never
// should, and a moved leader would silently drop proposals.
func (h *Harness) checkLeader() error {
	if l := h.c.lead(h.leader); l != h.leader {
		return fmt.Errorf("raftbench: %s: leader changed from %d to %d", h.opts.Impl, h.leader, l)
	}
	return nil
}

// appliedAll is the number of payloads applied on every member.
func (h *Harness) appliedAll() uint64 {
	n := h.c.machine(0).next
	for i := 1; i < membersCount; i++ {
		n = min(n, h.c.machine(i).next)
	}
	return n
}

// maybeCompact compacts every member's log to the lowest applied index once
// CompactEveryEntries indexes have been applied everywhere since the last
// compaction. Every follower holds its applied entries, so the leader never
// needs a compacted entry to catch one up.
func (h *Harness) maybeCompact() error {
	low := h.c.appliedIndex(0)
	for i := 1; i < membersCount; i++ {
		low = min(low, h.c.appliedIndex(i))
	}
	if low < h.compactedTo+h.opts.CompactEveryEntries {
		return nil
	}
	for i := range membersCount {
		if err := h.c.compact(i, low); err != nil {
			return fmt.Errorf("raftbench: %s member %d: compact to %d: %w", h.opts.Impl, i, low, err)
		}
	}
	h.compactedTo = low
	return nil
}

// stateMachine is the replicated state: it checks that payloads arrive
// exactly once and in proposal order.
type stateMachine struct {
	// next is the sequence number expected next; also the applied count.
	next uint64
}

func (sm *stateMachine) apply(data []byte) error {
	if len(data) < seqBytes {
		return fmt.Errorf("applied a %d-byte payload, want at least %d", len(data), seqBytes)
	}
	seq := binary.LittleEndian.Uint64(data)
	if seq != sm.next {
		return fmt.Errorf("applied payload %d, want %d", seq, sm.next)
	}
	sm.next++
	return nil
}

// payloads is a ring of preallocated payload buffers, so the harness itself
// allocates nothing per entry and the allocation figures belong to the
// library under test. A slot is rewritten only slotsCount proposals later;
// with slotsCount >= InflightMax its previous entry is applied everywhere
// by then (see doc.go).
type payloads struct {
	buf        []byte
	sizeBytes  int
	slotsCount int
}

func newPayloads(sizeBytes, slotsCount int) payloads {
	return payloads{buf: make([]byte, sizeBytes*slotsCount), sizeBytes: sizeBytes, slotsCount: slotsCount}
}

// next returns the payload for sequence number seq.
func (p *payloads) next(seq uint64) []byte {
	lo := int(seq%uint64(p.slotsCount)) * p.sizeBytes
	b := p.buf[lo : lo+p.sizeBytes : lo+p.sizeBytes]
	binary.LittleEndian.PutUint64(b, seq)
	return b
}

// network is the in-memory FIFO of messages between members.
type network[M any] struct {
	queue []M
	sent  uint64
	// dropAll loses every message (test knob, see Options.dropAll).
	dropAll bool
}

func (n *network[M]) send(m M) {
	n.sent++
	if !n.dropAll {
		n.queue = append(n.queue, m)
	}
}

// take returns the queued messages and empties the queue, keeping its
// buffer for the next round (messages stepped now go to the members'
// outboxes, not back into this queue).
func (n *network[M]) take() []M {
	q := n.queue
	n.queue = n.queue[:0]
	return q
}

// dropper is implemented by clusters whose network can lose messages.
type dropper interface{ setDropAll(bool) }

func setDropAll(c cluster, drop bool) {
	if d, ok := c.(dropper); ok {
		d.setDropAll(drop)
	}
}
