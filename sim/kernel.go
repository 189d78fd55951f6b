package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// PendingEventsMax bounds the event queue. A simulation that schedules more
// than this many future events at once is leaking timers or flooding the
// network; it is a bug in the simulated code, so Schedule panics.
const PendingEventsMax = 1 << 20

// EventsPerRunMaxDefault bounds the events one RunFor or RunUntil call may
// process. Simulated time must advance; a run that keeps scheduling
// zero-delay events forever is livelocked, and the guard turns the hang into
// an error that names the seed.
const EventsPerRunMaxDefault = 20_000_000

// ErrEventLimit is returned when a run processes more events than its bound.
var ErrEventLimit = errors.New("sim: event limit reached (livelock?)")

// EventID names a scheduled event so it can be cancelled. An ID is the
// event's sequence number and its slot in the kernel's event table
// (seq<<eventSlotBits | slot); zero is never issued, and the ID of an event
// that ran or was cancelled never matches a later one.
type EventID uint64

// eventSlotBits is how many low bits of an EventID name the slot: enough
// for PendingEventsMax live events. The sequence number keeps the other
// 44 bits, far more events than any run processes.
const eventSlotBits = 20

func newEventID(seq uint64, slot int) EventID {
	return EventID(seq<<eventSlotBits | uint64(slot))
}

func (id EventID) slot() int   { return int(id & (1<<eventSlotBits - 1)) }
func (id EventID) seq() uint64 { return uint64(id) >> eventSlotBits }

// event is one scheduled callback. Events are ordered by (at, seq): two
// events at the same simulated time run in the order they were scheduled.
type event struct {
	at    time.Duration
	seq   uint64
	label string
	fn    func()
	index int // position in the heap, maintained by eventHeap; -1 if spent
	slot  int // fixed position in Kernel.slots
}

// eventHeap is a binary min-heap of events by (at, seq). It is written out
// rather than driven through container/heap: the interface calls and the
// boxing of every push and pop were a measurable share of a simulation's
// wall time, and the order (a total order on (at, seq)) is the same.
type eventHeap []*event

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h eventHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

// up moves the event at i towards the root until its parent is smaller.
func (h eventHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down moves the event at i towards the leaves until both children are
// larger. It reports whether the event moved.
func (h eventHeap) down(i int) bool {
	start := i
	for {
		child := 2*i + 1
		if child >= len(h) {
			break
		}
		if right := child + 1; right < len(h) && h.less(right, child) {
			child = right
		}
		if !h.less(child, i) {
			break
		}
		h.swap(i, child)
		i = child
	}
	return i > start
}

func (h *eventHeap) push(e *event) {
	e.index = len(*h)
	*h = append(*h, e)
	h.up(e.index)
}

// remove takes the event at i out of the heap.
func (h *eventHeap) remove(i int) *event {
	old := *h
	last := len(old) - 1
	if i != last {
		old.swap(i, last)
	}
	e := old[last]
	old[last] = nil
	*h = old[:last]
	if i != last && !h.down(i) {
		h.up(i)
	}
	e.index = -1
	return e
}

// check is run after every event; a non-nil error stops the kernel.
type check struct {
	name string
	fn   func() error
}

// Kernel is the simulator's event loop: one goroutine, one queue, one notion
// of true time. See doc.go for the contract.
type Kernel struct {
	seed uint64
	// now is true simulated time since the start of the run. Invariant: it
	// never decreases, and every pending event has at >= now.
	now time.Duration
	// seqNext is the sequence number the next scheduled event gets.
	// Invariant: strictly greater than every issued event's seq, and
	// below 1<<(64-eventSlotBits) so it fits in an EventID.
	seqNext uint64
	queue   eventHeap
	// slots holds every event ever allocated, at its fixed slot, so that
	// Cancel finds an event from its ID without a map. Invariant:
	// len(slots) <= PendingEventsMax; an event is in queue (index >= 0)
	// or in free (index == -1), never both.
	slots []*event
	// free holds spent events for reuse, so scheduling does not allocate
	// in the steady state.
	free    []*event
	streams map[string]*rand.Rand

	trace     traceHasher
	processed uint64
	checks    []check
	err       error

	// EventsPerRunMax bounds each RunFor/RunUntil call; see
	// EventsPerRunMaxDefault.
	EventsPerRunMax int
}

// NewKernel returns an empty kernel at time zero whose randomness derives
// from seed alone.
func NewKernel(seed uint64) *Kernel {
	k := &Kernel{
		seed:            seed,
		seqNext:         1,
		streams:         make(map[string]*rand.Rand),
		trace:           newTraceHasher(seed),
		EventsPerRunMax: EventsPerRunMaxDefault,
	}
	return k
}

// Seed returns the seed the kernel was created with.
func (k *Kernel) Seed() uint64 { return k.seed }

// Now returns true simulated time since the start of the run.
func (k *Kernel) Now() time.Duration { return k.now }

// Processed returns the number of events run so far.
func (k *Kernel) Processed() uint64 { return k.processed }

// Pending returns the number of scheduled, uncancelled events.
func (k *Kernel) Pending() int { return len(k.queue) }

// Schedule runs fn after delay of simulated time. The label names the event
// in the trace hash, so it must itself be deterministic.
func (k *Kernel) Schedule(delay time.Duration, label string, fn func()) EventID {
	if delay < 0 {
		panic(fmt.Sprintf("sim: negative delay %v for %q", delay, label))
	}
	if fn == nil {
		panic("sim: nil event function")
	}
	if len(k.queue) >= PendingEventsMax {
		panic(fmt.Sprintf("sim: more than %d pending events", PendingEventsMax))
	}
	if k.seqNext >= 1<<(64-eventSlotBits) {
		panic("sim: event sequence numbers exhausted")
	}
	e := k.newEvent()
	e.at, e.seq, e.label, e.fn = k.now+delay, k.seqNext, label, fn
	k.seqNext++
	k.queue.push(e)
	return newEventID(e.seq, e.slot)
}

// newEvent takes a spent event from the pool, or allocates one.
func (k *Kernel) newEvent() *event {
	if n := len(k.free); n > 0 {
		e := k.free[n-1]
		k.free[n-1] = nil
		k.free = k.free[:n-1]
		return e
	}
	e := &event{slot: len(k.slots)}
	k.slots = append(k.slots, e)
	return e
}

// recycle returns a spent event to the pool. Its callback is dropped so
// the pool does not keep what the closure captured alive.
func (k *Kernel) recycle(e *event) {
	*e = event{index: -1, slot: e.slot}
	k.free = append(k.free, e)
}

// Cancel removes a pending event. It reports whether the event was still
// pending; cancelling a run or already cancelled event is a no-op.
func (k *Kernel) Cancel(id EventID) bool {
	if id == 0 || id.slot() >= len(k.slots) {
		return false
	}
	e := k.slots[id.slot()]
	if e.index < 0 || e.seq != id.seq() {
		return false
	}
	k.queue.remove(e.index)
	k.recycle(e)
	return true
}

// Rand returns the named component's random stream. Each stream is seeded
// from a hash of (kernel seed, name) only, so adding a component, or a
// component drawing more numbers, never perturbs another's stream. The same
// name returns the same stream.
func (k *Kernel) Rand(name string) *rand.Rand {
	if r, ok := k.streams[name]; ok {
		return r
	}
	r := rand.New(rand.NewPCG(streamSeeds(k.seed, name)))
	k.streams[name] = r
	return r
}

// streamSeeds derives the two PCG seed words for a named stream.
func streamSeeds(seed uint64, name string) (uint64, uint64) {
	h := newHasher()
	h.writeU64(seed)
	h.writeString(name)
	return splitmix64(h.sum), splitmix64(h.sum ^ 0x5bd1e9955bd1e995)
}

// Trace mixes b into the trace hash. Events call it for the data they act
// on (a delivered message, a decision) so that two runs that process the
// same events with different contents still hash differently.
func (k *Kernel) Trace(b []byte) { k.trace.writeBytes(b) }

// TraceU64 mixes v into the trace hash without allocating.
func (k *Kernel) TraceU64(v uint64) { k.trace.writeU64(v) }

// TraceHash returns the running hash of everything processed so far.
func (k *Kernel) TraceHash() uint64 { return k.trace.final() }

// AddCheck registers fn to run after every event. The first error stops the
// kernel: Step returns false and Err reports it, wrapped with the check's
// name and the simulated time.
func (k *Kernel) AddCheck(name string, fn func() error) {
	k.checks = append(k.checks, check{name: name, fn: fn})
}

// Fail stops the kernel with err unless it has already failed. Simulated
// code calls it when it detects a violated property.
func (k *Kernel) Fail(err error) {
	if k.err == nil && err != nil {
		k.err = err
	}
}

// Err returns the error that stopped the kernel, if any.
func (k *Kernel) Err() error { return k.err }

// Step runs the earliest pending event and then every check. It returns
// false, running nothing, when the queue is empty or the kernel has failed.
func (k *Kernel) Step() bool {
	if k.err != nil || len(k.queue) == 0 {
		return false
	}
	e := k.queue.remove(0)
	if e.at < k.now {
		panic(fmt.Sprintf("sim: event %q at %v before now %v", e.label, e.at, k.now))
	}
	k.now = e.at
	k.processed++
	k.trace.writeU64(uint64(e.at))
	k.trace.writeU64(e.seq)
	k.trace.writeString(e.label)
	fn := e.fn
	// Recycled before it runs: fn may schedule, and may reuse this event.
	k.recycle(e)
	fn()
	k.runChecks()
	if invariantsEnabled {
		k.verifyHeap()
	}
	return true
}

func (k *Kernel) runChecks() {
	for _, c := range k.checks {
		if k.err != nil {
			return
		}
		if err := c.fn(); err != nil {
			k.err = fmt.Errorf("check %s failed at %v: %w", c.name, k.now, err)
		}
	}
}

// nextAt returns the time of the earliest pending event.
func (k *Kernel) nextAt() (time.Duration, bool) {
	if len(k.queue) == 0 {
		return 0, false
	}
	return k.queue[0].at, true
}

// RunFor runs every event due within d of now, then advances now by d.
func (k *Kernel) RunFor(d time.Duration) error {
	_, err := k.RunUntil(k.now+d, nil)
	return err
}

// RunUntil runs events in order until cond holds (checked before the first
// event and after each one), the next event lies beyond deadline, or the
// kernel fails. If cond never held, now ends at deadline. It reports whether
// cond held. A nil cond never holds.
func (k *Kernel) RunUntil(deadline time.Duration, cond func() bool) (bool, error) {
	if deadline < k.now {
		return false, fmt.Errorf("sim: deadline %v before now %v", deadline, k.now)
	}
	for n := 0; ; n++ {
		if k.err != nil {
			return false, k.err
		}
		if cond != nil && cond() {
			return true, nil
		}
		at, ok := k.nextAt()
		if !ok || at > deadline {
			k.now = deadline
			return false, nil
		}
		if n >= k.EventsPerRunMax {
			return false, fmt.Errorf("%w: %d events by %v", ErrEventLimit, n, k.now)
		}
		k.Step()
	}
}

// verifyHeap checks the heap and index invariants; O(n), so only under the
// invariants build tag.
func (k *Kernel) verifyHeap() {
	for i, e := range k.queue {
		if e.index != i {
			panic(fmt.Sprintf("sim: heap index %d != position %d", e.index, i))
		}
		if e.at < k.now {
			panic(fmt.Sprintf("sim: pending event %q in the past", e.label))
		}
		if i > 0 && k.queue.less(i, (i-1)/2) {
			panic("sim: heap order violated")
		}
		if k.slots[e.slot] != e {
			panic("sim: event not at its slot")
		}
	}
	if len(k.queue)+len(k.free) != len(k.slots) || len(k.slots) > PendingEventsMax {
		panic("sim: event table out of sync with heap and pool")
	}
	for _, e := range k.free {
		if e.index != -1 || e.fn != nil || k.slots[e.slot] != e {
			panic("sim: pooled event still live")
		}
	}
}
