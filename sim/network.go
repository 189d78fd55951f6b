package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/lineradb/lineradb/netio"
)

// Network fault counter names, reported by Network.Counters.
const (
	CounterSend          = "net.send"
	CounterDeliver       = "net.deliver"
	CounterDrop          = "net.drop"
	CounterDup           = "net.dup"
	CounterReorder       = "net.reorder"
	CounterClogDelay     = "net.clog_delay"
	CounterPartitionDrop = "net.partition_drop"
	CounterDownDrop      = "net.down_drop"
	CounterDownSend      = "net.down_send"
	CounterPauseHold     = "net.pause_hold"
	CounterHoldOverflow  = "net.hold_overflow"
	CounterClosedDrop    = "net.closed_drop"
	CounterQueueFull     = "net.queue_full"
)

// netCounter indexes the network's counters: every message bumps two of
// them, so they are an array rather than a map keyed by name.
type netCounter int

const (
	netSend netCounter = iota
	netDeliver
	netDrop
	netDup
	netReorder
	netClogDelay
	netPartitionDrop
	netDownDrop
	netDownSend
	netPauseHold
	netHoldOverflow
	netClosedDrop
	netQueueFull
	netCounterCount
)

var netCounterNames = [netCounterCount]string{
	CounterSend, CounterDeliver, CounterDrop, CounterDup, CounterReorder,
	CounterClogDelay, CounterPartitionDrop, CounterDownDrop, CounterDownSend,
	CounterPauseHold, CounterHoldOverflow, CounterClosedDrop, CounterQueueFull,
}

// netCounters counts network events by netCounter.
type netCounters [netCounterCount]uint64

func (c *netCounters) inc(i netCounter) { c[i]++ }

// sorted returns the counters that fired, ordered by name, as a
// counterSet would.
func (c *netCounters) sorted() []Counter {
	set := counterSet{}
	for i, v := range c {
		if v > 0 {
			set[netCounterNames[i]] = v
		}
	}
	return set.sorted()
}

// get returns the named counter, zero for an unknown name.
func (c *netCounters) get(name string) uint64 {
	for i, n := range netCounterNames {
		if n == name {
			return c[i]
		}
	}
	return 0
}

// deliveriesFreeMax bounds the pool of spent deliveries kept for reuse.
const deliveriesFreeMax = 1 << 12

// delivery is one message in flight. Deliveries are pooled and their run
// func is bound once, at allocation, so scheduling a message allocates
// neither a closure nor a delivery in the steady state.
type delivery struct {
	net *Network
	m   netio.Message
	run func()
}

func (d *delivery) fire() {
	n, m := d.net, d.m
	d.m = netio.Message{}
	if len(n.free) < deliveriesFreeMax {
		n.free = append(n.free, d)
	}
	n.deliver(m)
}

// NetConfig configures a simulated network. Latencies are one-way.
type NetConfig struct {
	// LatencyMin, LatencyMean and LatencyMax shape the latency of a
	// message: LatencyMin plus an exponential tail with the given mean,
	// capped at LatencyMax. The tail is what makes timeouts fire spuriously.
	LatencyMin  time.Duration
	LatencyMean time.Duration
	LatencyMax  time.Duration
	// DropProb is the chance a sent message is lost. Default 0.
	DropProb float64
	// DupProb is the chance a sent message is delivered twice. Default 0.
	DupProb float64
	// ReorderProb is the chance a message escapes its path's FIFO order
	// and gets up to ReorderDelayMax of extra delay, so later messages
	// overtake it. Without it each path is FIFO, like one TCP stream.
	ReorderProb     float64
	ReorderDelayMax time.Duration
	// PayloadBytesMax bounds one message; larger ones get ErrTooLarge.
	PayloadBytesMax int
	// InFlightMax bounds messages in the network at once; beyond it Send
	// returns ErrQueueFull, like a full socket buffer.
	InFlightMax int
	// HeldPerNodeMax bounds messages held for one paused node; beyond it
	// they are dropped, like a full receive buffer.
	HeldPerNodeMax int
}

// DefaultNetConfig is a healthy LAN: 0.1–20 ms, mean 1 ms, no faults.
func DefaultNetConfig() NetConfig {
	return NetConfig{
		LatencyMin:      100 * time.Microsecond,
		LatencyMean:     time.Millisecond,
		LatencyMax:      20 * time.Millisecond,
		ReorderDelayMax: 20 * time.Millisecond,
		PayloadBytesMax: 4 << 20,
		InFlightMax:     1 << 16,
		HeldPerNodeMax:  1 << 12,
	}
}

func (c NetConfig) validate() error {
	switch {
	case c.LatencyMin < 0 || c.LatencyMean < c.LatencyMin || c.LatencyMax < c.LatencyMean:
		return fmt.Errorf("sim: latency needs 0 <= min <= mean <= max, got %v/%v/%v",
			c.LatencyMin, c.LatencyMean, c.LatencyMax)
	case c.ReorderDelayMax < 0:
		return fmt.Errorf("sim: negative ReorderDelayMax")
	case c.PayloadBytesMax <= 0 || c.InFlightMax <= 0 || c.HeldPerNodeMax <= 0:
		return fmt.Errorf("sim: network bounds must be positive")
	}
	return validProbs(FaultProbs{Drop: c.DropProb, Dup: c.DupProb, Reorder: c.ReorderProb})
}

// FaultProbs are the per-message fault probabilities a nemesis may change
// at run time.
type FaultProbs struct {
	Drop, Dup, Reorder float64
}

func validProbs(p FaultProbs) error {
	for _, v := range []float64{p.Drop, p.Dup, p.Reorder} {
		if v < 0 || v > 1 {
			return fmt.Errorf("sim: probability %v outside [0,1]", v)
		}
	}
	return nil
}

// NodeState is what the network does with messages to and from a node.
type NodeState int

const (
	// NodeUp: messages flow normally.
	NodeUp NodeState = iota
	// NodeCrashed: messages to the node are dropped, its sends are lost.
	NodeCrashed
	// NodePaused: messages to the node are held and delivered on resume,
	// as a stopped process's kernel buffers them; its sends are lost
	// (a paused process sends nothing).
	NodePaused
)

func (s NodeState) String() string {
	switch s {
	case NodeUp:
		return "up"
	case NodeCrashed:
		return "crashed"
	case NodePaused:
		return "paused"
	}
	return fmt.Sprintf("NodeState(%d)", int(s))
}

// path is a directed link.
type path struct{ from, to netio.NodeID }

// Network is a simulated network driven by a Kernel. All of its maps are
// only looked up, never iterated, except through sorted key lists.
type Network struct {
	k   *Kernel
	rng *rand.Rand
	cfg NetConfig

	endpoints map[netio.NodeID]*endpoint
	members   []netio.NodeID // sorted; every id that ever joined
	state     map[netio.NodeID]NodeState
	held      map[netio.NodeID][]netio.Message
	blocked   map[path]bool
	// clogUntil delays deliveries on a path until a true time.
	clogUntil map[path]time.Duration
	// lastArrival keeps each path FIFO: a non-reordered message never
	// arrives before the previous one on its path.
	lastArrival map[path]time.Duration
	// inFlight counts scheduled deliveries. Invariant: 0 <= inFlight <=
	// cfg.InFlightMax.
	inFlight int
	counters netCounters
	// free holds spent deliveries. Invariant: len(free) <=
	// deliveriesFreeMax, and none of them is scheduled.
	free []*delivery
}

// NewNetwork returns a network on k with the given configuration. It draws
// randomness from k.Rand("net").
func NewNetwork(k *Kernel, cfg NetConfig) (*Network, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Network{
		k:           k,
		rng:         k.Rand("net"),
		cfg:         cfg,
		endpoints:   make(map[netio.NodeID]*endpoint),
		state:       make(map[netio.NodeID]NodeState),
		held:        make(map[netio.NodeID][]netio.Message),
		blocked:     make(map[path]bool),
		clogUntil:   make(map[path]time.Duration),
		lastArrival: make(map[path]time.Duration),
	}, nil
}

// endpoint is one node's netio.Transport.
type endpoint struct {
	net    *Network
	id     netio.NodeID
	h      netio.Handler
	closed bool
}

// Join attaches node id with handler h and returns its transport. A node
// that restarts closes its old transport and joins again. Joining an id
// whose transport is open, or id zero, is a programming error and panics.
func (n *Network) Join(id netio.NodeID, h netio.Handler) netio.Transport {
	if id == 0 {
		panic("sim: node id 0 is invalid")
	}
	if h == nil {
		panic("sim: nil handler")
	}
	if ep, ok := n.endpoints[id]; ok && !ep.closed {
		panic(fmt.Sprintf("sim: node %d joined twice", id))
	}
	if _, ok := n.state[id]; !ok {
		n.state[id] = NodeUp
		n.members = append(n.members, id)
		sort.Slice(n.members, func(i, j int) bool { return n.members[i] < n.members[j] })
	}
	ep := &endpoint{net: n, id: id, h: h}
	n.endpoints[id] = ep
	return ep
}

// Members returns every node that ever joined, sorted.
func (n *Network) Members() []netio.NodeID {
	return append([]netio.NodeID(nil), n.members...)
}

func (e *endpoint) Send(m netio.Message) error {
	if e.closed {
		return netio.ErrClosed
	}
	if m.From == 0 {
		m.From = e.id
	}
	if m.From != e.id {
		return fmt.Errorf("sim: node %d sending as %d", e.id, m.From)
	}
	return e.net.send(m)
}

func (e *endpoint) Close() error {
	e.closed = true
	return nil
}

func (n *Network) send(m netio.Message) error {
	if len(m.Payload) > n.cfg.PayloadBytesMax {
		return netio.ErrTooLarge
	}
	if _, ok := n.state[m.To]; !ok {
		return netio.ErrUnknownPeer
	}
	n.counters.inc(netSend)
	if n.state[m.From] != NodeUp {
		n.counters.inc(netDownSend)
		return nil
	}
	if n.inFlight >= n.cfg.InFlightMax {
		n.counters.inc(netQueueFull)
		return netio.ErrQueueFull
	}
	// Copy so the sender reusing its buffer cannot change what arrives.
	m.Payload = append([]byte(nil), m.Payload...)
	if n.roll(n.cfg.DropProb) {
		n.counters.inc(netDrop)
		return nil
	}
	n.schedule(m, n.arrival(path{m.From, m.To}))
	if n.roll(n.cfg.DupProb) && n.inFlight < n.cfg.InFlightMax {
		n.counters.inc(netDup)
		// The duplicate takes its own path through the network.
		n.schedule(m, n.k.Now()+n.reorderedLatency())
	}
	return nil
}

func (n *Network) roll(p float64) bool {
	return p > 0 && n.rng.Float64() < p
}

// latency draws one message's latency from the configured distribution.
func (n *Network) latency() time.Duration {
	tail := float64(n.cfg.LatencyMean-n.cfg.LatencyMin) * n.rng.ExpFloat64()
	return min(n.cfg.LatencyMin+time.Duration(tail), n.cfg.LatencyMax)
}

func (n *Network) reorderedLatency() time.Duration {
	extra := time.Duration(0)
	if n.cfg.ReorderDelayMax > 0 {
		extra = time.Duration(n.rng.Int64N(int64(n.cfg.ReorderDelayMax) + 1))
	}
	return n.latency() + extra
}

// arrival picks when a message on p arrives: FIFO after the path's last
// arrival, unless the reorder fault fires.
func (n *Network) arrival(p path) time.Duration {
	if n.roll(n.cfg.ReorderProb) {
		n.counters.inc(netReorder)
		return n.k.Now() + n.reorderedLatency()
	}
	at := max(n.k.Now()+n.latency(), n.lastArrival[p])
	n.lastArrival[p] = at
	return at
}

func (n *Network) schedule(m netio.Message, at time.Duration) {
	n.inFlight++
	if n.inFlight > n.cfg.InFlightMax {
		panic("sim: in-flight bound exceeded")
	}
	d := n.newDelivery()
	d.m = m
	n.k.Schedule(at-n.k.Now(), "net.deliver", d.run)
}

// newDelivery takes a spent delivery from the pool, or makes one.
func (n *Network) newDelivery() *delivery {
	if k := len(n.free); k > 0 {
		d := n.free[k-1]
		n.free[k-1] = nil
		n.free = n.free[:k-1]
		return d
	}
	d := &delivery{net: n}
	d.run = d.fire
	return d
}

// deliver applies the faults in force at arrival time, so a partition or
// crash that starts while a message is in flight still catches it.
func (n *Network) deliver(m netio.Message) {
	n.inFlight--
	p := path{m.From, m.To}
	if n.blocked[p] {
		n.counters.inc(netPartitionDrop)
		return
	}
	if until := n.clogUntil[p]; until > n.k.Now() {
		n.counters.inc(netClogDelay)
		n.schedule(m, until)
		return
	}
	switch n.state[m.To] {
	case NodeCrashed:
		n.counters.inc(netDownDrop)
		return
	case NodePaused:
		n.hold(m)
		return
	}
	ep := n.endpoints[m.To]
	if ep == nil || ep.closed {
		n.counters.inc(netClosedDrop)
		return
	}
	n.counters.inc(netDeliver)
	n.k.TraceU64(uint64(m.From))
	n.k.TraceU64(uint64(m.To))
	n.k.TraceU64(uint64(m.Type))
	n.k.TraceU64(payloadDigest(m.Payload))
	ep.h(m)
}

func (n *Network) hold(m netio.Message) {
	if len(n.held[m.To]) >= n.cfg.HeldPerNodeMax {
		n.counters.inc(netHoldOverflow)
		return
	}
	n.counters.inc(netPauseHold)
	n.held[m.To] = append(n.held[m.To], m)
}

// SetNodeState changes how the network treats node id. Resuming a paused
// node releases its held messages in arrival order; crashing it discards
// them.
func (n *Network) SetNodeState(id netio.NodeID, s NodeState) {
	if _, ok := n.state[id]; !ok {
		panic(fmt.Sprintf("sim: unknown node %d", id))
	}
	n.state[id] = s
	held := n.held[id]
	delete(n.held, id)
	if s != NodeUp {
		if s == NodePaused {
			n.held[id] = held
		}
		return
	}
	for _, m := range held {
		if n.inFlight < n.cfg.InFlightMax {
			n.schedule(m, n.arrival(path{m.From, m.To}))
		}
	}
}

// NodeState returns how the network treats node id.
func (n *Network) NodeState(id netio.NodeID) NodeState { return n.state[id] }

// SetFaultProbs replaces the per-message fault probabilities.
func (n *Network) SetFaultProbs(p FaultProbs) error {
	if err := validProbs(p); err != nil {
		return err
	}
	n.cfg.DropProb, n.cfg.DupProb, n.cfg.ReorderProb = p.Drop, p.Dup, p.Reorder
	return nil
}

// FaultProbs returns the per-message fault probabilities in force.
func (n *Network) FaultProbs() FaultProbs {
	return FaultProbs{Drop: n.cfg.DropProb, Dup: n.cfg.DupProb, Reorder: n.cfg.ReorderProb}
}

// BlockPath drops every message from -> to until healed; to -> from is
// unaffected (an asymmetric partition).
func (n *Network) BlockPath(from, to netio.NodeID) { n.blocked[path{from, to}] = true }

// UnblockPath reopens from -> to.
func (n *Network) UnblockPath(from, to netio.NodeID) { delete(n.blocked, path{from, to}) }

// Blocked reports whether from -> to is blocked.
func (n *Network) Blocked(from, to netio.NodeID) bool { return n.blocked[path{from, to}] }

// Partition blocks both directions between nodes of different groups.
// Nodes in no group keep talking to everyone.
func (n *Network) Partition(groups ...[]netio.NodeID) {
	for gi, g := range groups {
		for gj, h := range groups {
			if gi == gj {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					n.BlockPath(a, b)
				}
			}
		}
	}
}

// Isolate cuts id off from every other member in both directions.
func (n *Network) Isolate(id netio.NodeID) {
	for _, other := range n.members {
		if other != id {
			n.BlockPath(id, other)
			n.BlockPath(other, id)
		}
	}
}

// Clog delays every delivery on from -> to until d from now; messages are
// not lost, only late, like a congested link.
func (n *Network) Clog(from, to netio.NodeID, d time.Duration) {
	n.clogUntil[path{from, to}] = n.k.Now() + d
}

// Heal removes every partition and clog. Probabilities and node states are
// left alone: they belong to other faults.
func (n *Network) Heal() {
	clear(n.blocked)
	clear(n.clogUntil)
}

// InFlight returns the number of messages scheduled for delivery.
func (n *Network) InFlight() int { return n.inFlight }

// Counters returns the network's counters, sorted by name.
func (n *Network) Counters() []Counter { return n.counters.sorted() }

// Count returns one counter's value.
func (n *Network) Count(name string) uint64 { return n.counters.get(name) }
