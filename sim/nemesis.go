package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/netio"
)

// FaultKind is one kind of fault the nemesis can inject.
type FaultKind int

// The fault kinds, in the order swarm testing draws them. Append only: the
// order feeds the PRNG, so reordering changes every seed's run.
const (
	FaultDrop FaultKind = iota
	FaultDup
	FaultReorder
	FaultClog
	FaultPartition     // symmetric: two random groups
	FaultPartitionAsym // some one-way paths blocked
	FaultIsolate       // one node cut off both ways
	FaultPause
	FaultCrash // crash and later restart, losing volatile state
	FaultClockOffset
	FaultClockDrift
	FaultClockJump
	faultKindCount
)

var faultNames = [faultKindCount]string{
	"drop", "dup", "reorder", "clog", "partition", "partition_asym",
	"isolate", "pause", "crash", "clock_offset", "clock_drift", "clock_jump",
}

func (f FaultKind) String() string {
	if f < 0 || f >= faultKindCount {
		return fmt.Sprintf("FaultKind(%d)", int(f))
	}
	return faultNames[f]
}

// EpisodesMax bounds the faults one nemesis run starts, so a tiny interval
// cannot flood the event queue.
const EpisodesMax = 10_000

// Processes is what a cluster exposes for the nemesis to fault its nodes'
// processes. The nemesis has already set the node's network state when it
// calls these; the cluster stops and restarts the node's own work (timers,
// volatile state, its transport).
type Processes interface {
	// Crash kills the node: pending timers are cancelled, volatile state
	// is lost, durable state (what a diskio.MemFS crash keeps) survives.
	Crash(id netio.NodeID)
	// Restart boots a crashed node from its durable state.
	Restart(id netio.NodeID)
	// Pause freezes the node (SIGSTOP): no timers fire, state is kept.
	Pause(id netio.NodeID)
	// Resume continues a paused node.
	Resume(id netio.NodeID)
}

// NemesisConfig is one seed's fault mix: which kinds are on and how hard
// they hit. Draw it with SwarmNemesis so every seed tests a different mix.
type NemesisConfig struct {
	Enabled [faultKindCount]bool
	// Message fault probabilities used while such an episode is active.
	DropProb, DupProb, ReorderProb float64
	// IntervalMean is the mean time between episode starts.
	IntervalMean time.Duration
	// EpisodeMax bounds how long one episode lasts.
	EpisodeMax time.Duration
	// DownMax bounds nodes crashed or paused at once. Raft campaigns keep
	// it a minority so that progress is possible.
	DownMax int
	// Clock fault bounds.
	ClockOffsetMax time.Duration
	ClockJumpMax   time.Duration
	DriftPPMMax    int64
}

// SwarmNemesis draws a fault mix: each kind on with probability one half,
// intensities uniform in their ranges. Per the swarm-testing result, a seed
// with few faults on explores deeper into each than all faults at once.
func SwarmNemesis(rng *rand.Rand, nodes int) NemesisConfig {
	var c NemesisConfig
	for i := range c.Enabled {
		c.Enabled[i] = rng.IntN(2) == 0
	}
	c.DropProb = 0.3 * rng.Float64()
	c.DupProb = 0.2 * rng.Float64()
	c.ReorderProb = 0.3 * rng.Float64()
	c.IntervalMean = time.Duration(50+rng.IntN(450)) * time.Millisecond
	c.EpisodeMax = time.Duration(100+rng.IntN(1900)) * time.Millisecond
	c.DownMax = 1 + rng.IntN(max(1, (nodes-1)/2))
	c.ClockOffsetMax = time.Duration(1+rng.IntN(10_000)) * time.Millisecond
	c.ClockJumpMax = time.Duration(1+rng.IntN(10_000)) * time.Millisecond
	c.DriftPPMMax = int64(1 + rng.IntN(clock.DriftPPMMax))
	return c
}

// EnabledNames lists the enabled fault kinds, in kind order.
func (c NemesisConfig) EnabledNames() string {
	var names []string
	for k, on := range c.Enabled {
		if on {
			names = append(names, FaultKind(k).String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// Nemesis injects a NemesisConfig's faults into a running simulation and
// heals everything at the end of its phase, so liveness can be checked.
type Nemesis struct {
	k      *Kernel
	net    *Network
	rng    *rand.Rand
	cfg    NemesisConfig
	ids    []netio.NodeID
	procs  Processes
	clocks func(netio.NodeID) *clock.Sim

	kinds    []FaultKind // enabled kinds, in kind order
	end      time.Duration
	episodes int
	// undo holds the events that end running episodes, cancelled by heal.
	undo     []EventID
	counters counterSet
	healed   bool
}

// NewNemesis prepares a nemesis over the nodes ids. clocks returns a node's
// simulated clock, or nil if it has none. It draws from k.Rand("nemesis").
func NewNemesis(k *Kernel, net *Network, ids []netio.NodeID, procs Processes,
	clocks func(netio.NodeID) *clock.Sim, cfg NemesisConfig) *Nemesis {
	n := &Nemesis{
		k: k, net: net, rng: k.Rand("nemesis"), cfg: cfg,
		ids: append([]netio.NodeID(nil), ids...), procs: procs, clocks: clocks,
		counters: counterSet{},
	}
	for kind, on := range cfg.Enabled {
		if on {
			n.kinds = append(n.kinds, FaultKind(kind))
		}
	}
	return n
}

// Start schedules faults from now until now+phase, then a full heal.
func (n *Nemesis) Start(phase time.Duration) {
	n.end = n.k.Now() + phase
	if len(n.kinds) > 0 {
		n.k.Schedule(n.nextInterval(), "nemesis.fault", n.fault)
	}
	n.k.Schedule(phase, "nemesis.heal", n.Heal)
}

// Healed reports whether the final heal has run.
func (n *Nemesis) Healed() bool { return n.healed }

// Counters returns how often each fault kind fired, sorted by name.
func (n *Nemesis) Counters() []Counter { return n.counters.sorted() }

func (n *Nemesis) nextInterval() time.Duration {
	return time.Duration(float64(n.cfg.IntervalMean) * n.rng.ExpFloat64())
}

func (n *Nemesis) episodeLength() time.Duration {
	return time.Duration(1 + n.rng.Int64N(int64(n.cfg.EpisodeMax)))
}

// fault starts one episode of a random enabled kind and schedules the next.
func (n *Nemesis) fault() {
	if n.healed || n.k.Now() >= n.end || n.episodes >= EpisodesMax {
		return
	}
	n.episodes++
	kind := n.kinds[n.rng.IntN(len(n.kinds))]
	n.k.TraceU64(uint64(kind))
	if undo := n.apply(kind); undo != nil {
		d := min(n.episodeLength(), n.end-n.k.Now())
		n.undo = append(n.undo, n.k.Schedule(d, "nemesis.undo", undo))
	}
	n.k.Schedule(n.nextInterval(), "nemesis.fault", n.fault)
}

// apply injects one fault and returns how to undo it, or nil if it is
// one-shot or did not fire.
func (n *Nemesis) apply(kind FaultKind) func() {
	switch kind {
	case FaultDrop, FaultDup, FaultReorder:
		return n.messageFault(kind)
	case FaultClog:
		return n.clog()
	case FaultPartition:
		return n.partition()
	case FaultPartitionAsym:
		return n.partitionAsym()
	case FaultIsolate:
		return n.blockPaths(n.isolatePaths(n.pick()))
	case FaultPause, FaultCrash:
		return n.down(kind)
	case FaultClockOffset, FaultClockDrift, FaultClockJump:
		return n.clockFault(kind)
	}
	panic(fmt.Sprintf("sim: unknown fault kind %d", kind))
}

func (n *Nemesis) fired(kind FaultKind) { n.counters.inc("nemesis." + kind.String()) }

func (n *Nemesis) pick() netio.NodeID { return n.ids[n.rng.IntN(len(n.ids))] }

func (n *Nemesis) messageFault(kind FaultKind) func() {
	p := n.net.FaultProbs()
	switch kind {
	case FaultDrop:
		p.Drop = n.cfg.DropProb
	case FaultDup:
		p.Dup = n.cfg.DupProb
	case FaultReorder:
		p.Reorder = n.cfg.ReorderProb
	}
	n.mustSetProbs(p)
	n.fired(kind)
	return func() {
		q := n.net.FaultProbs()
		switch kind {
		case FaultDrop:
			q.Drop = 0
		case FaultDup:
			q.Dup = 0
		case FaultReorder:
			q.Reorder = 0
		}
		n.mustSetProbs(q)
	}
}

func (n *Nemesis) mustSetProbs(p FaultProbs) {
	if err := n.net.SetFaultProbs(p); err != nil {
		panic(err) // the config was validated when drawn
	}
}

func (n *Nemesis) clog() func() {
	from, to := n.pick(), n.pick()
	if from == to {
		return nil
	}
	n.net.Clog(from, to, n.episodeLength())
	n.fired(FaultClog)
	return nil // a clog ends by itself
}

// partition splits the nodes into two non-empty random groups.
func (n *Nemesis) partition() func() {
	if len(n.ids) < 2 {
		return nil
	}
	perm := n.rng.Perm(len(n.ids))
	cut := 1 + n.rng.IntN(len(n.ids)-1)
	var paths []path
	for _, i := range perm[:cut] {
		for _, j := range perm[cut:] {
			paths = append(paths, path{n.ids[i], n.ids[j]}, path{n.ids[j], n.ids[i]})
		}
	}
	n.fired(FaultPartition)
	return n.blockPaths(paths)
}

// partitionAsym blocks each directed path with probability one third,
// leaving its reverse alone unless drawn too.
func (n *Nemesis) partitionAsym() func() {
	var paths []path
	for _, a := range n.ids {
		for _, b := range n.ids {
			if a != b && n.rng.IntN(3) == 0 {
				paths = append(paths, path{a, b})
			}
		}
	}
	if len(paths) == 0 {
		return nil
	}
	n.fired(FaultPartitionAsym)
	return n.blockPaths(paths)
}

func (n *Nemesis) isolatePaths(id netio.NodeID) []path {
	var paths []path
	for _, other := range n.ids {
		if other != id {
			paths = append(paths, path{id, other}, path{other, id})
		}
	}
	n.fired(FaultIsolate)
	return paths
}

// blockPaths blocks paths and returns the undo that reopens exactly them.
func (n *Nemesis) blockPaths(paths []path) func() {
	for _, p := range paths {
		n.net.BlockPath(p.from, p.to)
	}
	return func() {
		for _, p := range paths {
			n.net.UnblockPath(p.from, p.to)
		}
	}
}

// down crashes or pauses one up node, keeping at most DownMax down.
func (n *Nemesis) down(kind FaultKind) func() {
	var up []netio.NodeID
	for _, id := range n.ids {
		if n.net.NodeState(id) == NodeUp {
			up = append(up, id)
		}
	}
	if len(n.ids)-len(up) >= n.cfg.DownMax || len(up) == 0 {
		return nil
	}
	id := up[n.rng.IntN(len(up))]
	n.fired(kind)
	if kind == FaultCrash {
		n.net.SetNodeState(id, NodeCrashed)
		n.procs.Crash(id)
	} else {
		n.net.SetNodeState(id, NodePaused)
		n.procs.Pause(id)
	}
	return func() { n.up(id) }
}

// up brings a crashed or paused node back.
func (n *Nemesis) up(id netio.NodeID) {
	switch n.net.NodeState(id) {
	case NodeCrashed:
		n.net.SetNodeState(id, NodeUp)
		n.procs.Restart(id)
	case NodePaused:
		n.net.SetNodeState(id, NodeUp)
		n.procs.Resume(id)
	}
}

func (n *Nemesis) clockFault(kind FaultKind) func() {
	id := n.pick()
	c := n.clocks(id)
	if c == nil {
		return nil
	}
	n.fired(kind)
	switch kind {
	case FaultClockOffset:
		c.SetOffset(n.signed(int64(n.cfg.ClockOffsetMax)))
	case FaultClockJump:
		c.JumpWall(n.signed(int64(n.cfg.ClockJumpMax)))
	case FaultClockDrift:
		c.SetDriftPPM(int64(n.signed(n.cfg.DriftPPMMax)))
		return func() { c.SetDriftPPM(0) }
	}
	return nil
}

// signed draws uniformly from [-m, m].
func (n *Nemesis) signed(m int64) time.Duration {
	return time.Duration(n.rng.Int64N(2*m+1) - m)
}

// Heal ends every fault: running episodes are cancelled, the network is
// healed and fault-free, every node is up, and drift is zeroed. Clock
// offsets stay: a healed cluster still has unsynchronised wall clocks.
func (n *Nemesis) Heal() {
	for _, id := range n.undo {
		n.k.Cancel(id)
	}
	n.undo = nil
	n.net.Heal()
	n.mustSetProbs(FaultProbs{})
	for _, id := range n.ids {
		n.up(id)
		if c := n.clocks(id); c != nil {
			c.SetDriftPPM(0)
		}
	}
	n.healed = true
}
