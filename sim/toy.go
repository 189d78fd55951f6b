package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/netio"
)

// The toy protocol: every node owns a grow-only counter and pushes its value
// to every peer, retransmitting on a timeout until the peer acknowledges it.
// It stands in for Raft while Raft is written, exercising every part of the
// simulator: timers on drifting clocks, lossy messages, crashes that lose
// volatile state, and liveness after heal.
//
// State of node i:
//
//	durable:  count (its own counter), incarnation (bumped on restart)
//	volatile: view[j]    what i knows of j's count
//	          acked[j]   the highest count of i's that j acknowledged in
//	                     j's incarnation peerInc[j]
//	          synced[j]  j has answered i's current incarnation
//
// Messages: Update{value, fromInc, toInc}, Ack{value, ackerInc},
// Hello{inc}. A restarted node has lost its views, so it says Hello until
// each peer answers with an Update addressed to its new incarnation; peers
// seeing a newer incarnation forget what it had acknowledged.
//
// Safety: view_j[i] <= count_i for all i, j (nobody over-reports), and
// view_j[i] never decreases within one incarnation of j.
// Liveness: after the nemesis heals, every view equals its owner's count
// within ToySettle of simulated time.

// Toy message types.
const (
	toyUpdate netio.MessageType = 1 + iota
	toyAck
	toyHello
)

// ToySettle bounds how long after the final heal the toy cluster has to
// converge. Retransmit timeouts are at most toyRetransmitMax and healed
// latencies at most tens of milliseconds, so this is generous.
const ToySettle = 10 * time.Second

const (
	toyRetransmitMax = 300 * time.Millisecond
	toyNodesMax      = 7
)

var errMalformed = errors.New("toy: malformed message")

// ToyOptions are the knobs a test sets; everything else is swarm-drawn from
// the seed.
type ToyOptions struct {
	// OverReport makes nodes advertise one more than they counted: a
	// deliberately broken protocol the safety check must catch.
	OverReport bool
	// NoRetransmit makes nodes push only once per increment, never on
	// timeout: a deliberately broken protocol that loses updates for good
	// under drops, partitions and crashes, which the liveness check must
	// catch.
	NoRetransmit bool
	// NoFaults disables the nemesis.
	NoFaults bool
	// Hook, if set, runs once after setup with the kernel, so a test can
	// inject extra events (e.g. deliberate nondeterminism).
	Hook func(k *Kernel)
}

// toyConfig is one seed's swarm-drawn configuration.
type toyConfig struct {
	nodes           int
	tick            time.Duration // true time between node ticks
	retransmit      time.Duration // node-local monotonic timeout
	incrementMean   time.Duration
	workload        time.Duration // fault and increment phase
	net             NetConfig
	nemesis         NemesisConfig
	nemesisDisabled bool
}

func drawToyConfig(k *Kernel, opts ToyOptions) toyConfig {
	rng := k.Rand("swarm")
	c := toyConfig{
		nodes:         3 + rng.IntN(3),
		tick:          time.Duration(2+rng.IntN(19)) * time.Millisecond,
		retransmit:    time.Duration(20+rng.IntN(int(toyRetransmitMax/time.Millisecond)-20)) * time.Millisecond,
		incrementMean: time.Duration(10+rng.IntN(190)) * time.Millisecond,
		workload:      time.Duration(2+rng.IntN(9)) * time.Second,
		net:           DefaultNetConfig(),
	}
	c.net.LatencyMean = time.Duration(200+rng.IntN(3000)) * time.Microsecond
	c.nemesis = SwarmNemesis(rng, c.nodes)
	c.nemesisDisabled = opts.NoFaults
	return c
}

// toyCluster is the simulated toy cluster; it implements Processes.
type toyCluster struct {
	k     *Kernel
	net   *Network
	cfg   toyConfig
	opts  ToyOptions
	nodes []*toyNode // index id-1
	ops   int
	// lastView[j][i] and lastInc[j] back the "views never decrease" check.
	lastView [][]uint64
	lastInc  []uint64
}

// toyNode is one node. Peers are indexed by id-1 in its slices.
type toyNode struct {
	c      *toyCluster
	id     netio.NodeID
	clk    *clock.Sim
	tr     netio.Transport
	client *rand.Rand // drives this node's increments

	// Durable.
	count       uint64
	incarnation uint64

	// Volatile: reset on crash.
	view     []uint64
	acked    []uint64
	peerInc  []uint64
	synced   []bool
	lastSend []time.Duration // local monotonic time of last push to peer
	lastMono time.Duration
	tickID   EventID
	incrID   EventID
	running  bool
}

// RunToy runs one seed of the toy campaign: swarm-draw a configuration,
// run the workload under the nemesis, heal, and require convergence.
func RunToy(seed uint64, opts ToyOptions) SeedResult {
	k := NewKernel(seed)
	cfg := drawToyConfig(k, opts)
	net, err := NewNetwork(k, cfg.net)
	if err != nil {
		return SeedResult{Seed: seed, Failed: err}
	}
	c := newToyCluster(k, net, cfg, opts)
	nem := NewNemesis(k, net, net.Members(), c, c.clock, cfg.nemesis)
	if !cfg.nemesisDisabled {
		nem.Start(cfg.workload)
	}
	if opts.Hook != nil {
		opts.Hook(k)
	}
	err = c.run()
	res := SeedResult{
		Seed: seed, Failed: err, Ops: c.ops, Simulated: k.Now(),
		TraceHash: k.TraceHash(),
		Counters:  MergeCounters(net.Counters(), nem.Counters()),
		Detail:    c.describe(),
	}
	return res
}

func newToyCluster(k *Kernel, net *Network, cfg toyConfig, opts ToyOptions) *toyCluster {
	if cfg.nodes < 1 || cfg.nodes > toyNodesMax {
		panic(fmt.Sprintf("toy: %d nodes outside [1,%d]", cfg.nodes, toyNodesMax))
	}
	c := &toyCluster{k: k, net: net, cfg: cfg, opts: opts}
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= cfg.nodes; i++ {
		n := &toyNode{
			c: c, id: netio.NodeID(i), clk: clock.NewSim(k.Now, epoch),
			client: k.Rand(fmt.Sprintf("toy.client.%d", i)),
		}
		c.nodes = append(c.nodes, n)
		c.lastView = append(c.lastView, make([]uint64, cfg.nodes))
		c.lastInc = append(c.lastInc, 0)
	}
	for _, n := range c.nodes {
		n.boot()
	}
	k.AddCheck("toy.safety", c.checkSafety)
	return c
}

func (c *toyCluster) describe() string {
	faults := c.cfg.nemesis.EnabledNames()
	if c.cfg.nemesisDisabled {
		faults = "off"
	}
	return fmt.Sprintf("nodes=%d tick=%v rto=%v faults=%s", c.cfg.nodes, c.cfg.tick, c.cfg.retransmit, faults)
}

// run drives the workload phase, then gives the healed cluster ToySettle
// to converge.
func (c *toyCluster) run() error {
	if err := c.k.RunFor(c.cfg.workload); err != nil {
		return err
	}
	c.k.Schedule(0, "toy.stop", c.stopWorkload)
	if err := c.k.RunFor(0); err != nil {
		return err
	}
	ok, err := c.k.RunUntil(c.k.Now()+ToySettle, c.converged)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("toy: liveness: not converged %v after heal: %s", ToySettle, c.views())
	}
	return nil
}

// stopWorkload ends increments so the counts the cluster converges on
// are fixed.
func (c *toyCluster) stopWorkload() {
	for _, n := range c.nodes {
		c.k.Cancel(n.incrID)
		n.incrID = 0
	}
	c.cfg.incrementMean = 0
}

func (c *toyCluster) node(id netio.NodeID) *toyNode { return c.nodes[id-1] }

func (c *toyCluster) clock(id netio.NodeID) *clock.Sim { return c.node(id).clk }

// Crash implements Processes.
func (c *toyCluster) Crash(id netio.NodeID) { c.node(id).crash() }

// Restart implements Processes.
func (c *toyCluster) Restart(id netio.NodeID) { c.node(id).boot() }

// Pause implements Processes.
func (c *toyCluster) Pause(id netio.NodeID) { c.node(id).stopTimers() }

// Resume implements Processes.
func (c *toyCluster) Resume(id netio.NodeID) { c.node(id).startTimers() }

// checkSafety runs after every event.
func (c *toyCluster) checkSafety() error {
	for j, nj := range c.nodes {
		if nj.view == nil {
			continue // crashed
		}
		if c.lastInc[j] != nj.incarnation {
			c.lastInc[j] = nj.incarnation
			clear(c.lastView[j])
		}
		for i, ni := range c.nodes {
			v := nj.view[i]
			if v > ni.count {
				return fmt.Errorf("node %d sees node %d at %d but it counted %d", nj.id, ni.id, v, ni.count)
			}
			if v < c.lastView[j][i] {
				return fmt.Errorf("node %d's view of node %d fell from %d to %d", nj.id, ni.id, c.lastView[j][i], v)
			}
			c.lastView[j][i] = v
			if nj.acked[i] > nj.count {
				return fmt.Errorf("node %d holds ack %d from node %d above its count %d", nj.id, nj.acked[i], ni.id, nj.count)
			}
		}
	}
	return nil
}

// converged: every node up and every view exact.
func (c *toyCluster) converged() bool {
	for _, nj := range c.nodes {
		if !nj.running {
			return false
		}
		for i, ni := range c.nodes {
			if nj.view[i] != ni.count {
				return false
			}
		}
	}
	return true
}

func (c *toyCluster) views() string {
	s := ""
	for _, n := range c.nodes {
		s += fmt.Sprintf("n%d(count=%d inc=%d up=%v view=%v) ", n.id, n.count, n.incarnation, n.running, n.view)
	}
	return s
}

// boot starts the node from its durable state: a fresh start or a restart.
func (n *toyNode) boot() {
	peers := len(n.c.nodes)
	n.incarnation++
	n.view = make([]uint64, peers)
	n.view[n.id-1] = n.count
	n.acked = make([]uint64, peers)
	n.peerInc = make([]uint64, peers)
	n.synced = make([]bool, peers)
	n.synced[n.id-1] = true
	n.lastSend = make([]time.Duration, peers)
	for i := range n.lastSend {
		n.lastSend[i] = -toyRetransmitMax // push on the first tick
	}
	n.lastMono = n.clk.Monotonic()
	n.tr = n.c.net.Join(n.id, n.receive)
	n.startTimers()
}

// crash loses the volatile state; count and incarnation survive.
func (n *toyNode) crash() {
	n.stopTimers()
	n.tr.Close()
	// A dead process knows nothing; nil views also tell the safety check
	// to skip this node until it boots with a new incarnation.
	n.view, n.acked, n.peerInc, n.synced, n.lastSend = nil, nil, nil, nil, nil
}

func (n *toyNode) startTimers() {
	n.running = true
	n.tickID = n.c.k.Schedule(n.c.cfg.tick, "toy.tick", n.tick)
	n.scheduleIncrement()
}

func (n *toyNode) stopTimers() {
	n.running = false
	n.c.k.Cancel(n.tickID)
	n.c.k.Cancel(n.incrID)
}

func (n *toyNode) scheduleIncrement() {
	mean := n.c.cfg.incrementMean
	if mean == 0 {
		return
	}
	d := time.Duration(float64(mean) * n.client.ExpFloat64())
	n.incrID = n.c.k.Schedule(d, "toy.incr", n.increment)
}

// increment is a client operation: count durably, then push to everyone.
func (n *toyNode) increment() {
	n.count++
	n.view[n.id-1] = n.count
	n.c.ops++
	for p := range n.c.nodes {
		if netio.NodeID(p+1) != n.id {
			n.sendUpdate(netio.NodeID(p + 1))
		}
	}
	n.scheduleIncrement()
}

// tick retransmits whatever a peer has not acknowledged, once per timeout
// of the node's own (drifting) monotonic clock.
func (n *toyNode) tick() {
	now := n.clk.Monotonic()
	if now < n.lastMono {
		n.c.k.Fail(fmt.Errorf("node %d: monotonic clock went back from %v to %v", n.id, n.lastMono, now))
		return
	}
	n.lastMono = now
	// Wall time is only traced: it carries the node's clock offset and
	// jumps into the trace hash, so the determinism check covers clocks.
	n.c.k.TraceU64(uint64(n.clk.Now().UnixNano()))
	for p := range n.c.nodes {
		if n.c.opts.NoRetransmit {
			break
		}
		id := netio.NodeID(p + 1)
		if id == n.id || now-n.lastSend[p] < n.c.cfg.retransmit {
			continue
		}
		if !n.synced[p] {
			n.send(id, toyHello, n.incarnation)
		}
		if n.acked[p] < n.count || !n.synced[p] {
			n.sendUpdate(id)
		}
	}
	n.tickID = n.c.k.Schedule(n.c.cfg.tick, "toy.tick", n.tick)
}

func (n *toyNode) sendUpdate(to netio.NodeID) {
	v := n.count
	if n.c.opts.OverReport {
		v++
	}
	n.lastSend[to-1] = n.clk.Monotonic()
	n.send(to, toyUpdate, v, n.incarnation, n.peerInc[to-1])
}

// send encodes fields as little-endian uint64s. Errors are ignored: the
// network is best-effort and retransmission covers loss.
func (n *toyNode) send(to netio.NodeID, t netio.MessageType, fields ...uint64) {
	b := make([]byte, 8*len(fields))
	for i, f := range fields {
		binary.LittleEndian.PutUint64(b[8*i:], f)
	}
	_ = n.tr.Send(netio.Message{To: to, Type: t, Payload: b})
}

// decode reads exactly want uint64 fields or reports malformed input.
func decode(b []byte, want int) ([]uint64, error) {
	if len(b) != 8*want {
		return nil, fmt.Errorf("%w: %d bytes, want %d", errMalformed, len(b), 8*want)
	}
	out := make([]uint64, want)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out, nil
}

func (n *toyNode) receive(m netio.Message) {
	if !n.running || m.From < 1 || int(m.From) > len(n.c.nodes) || m.From == n.id {
		return
	}
	var err error
	switch m.Type {
	case toyUpdate:
		err = n.onUpdate(m)
	case toyAck:
		err = n.onAck(m)
	case toyHello:
		err = n.onHello(m)
	default:
		err = fmt.Errorf("%w: type %d", errMalformed, m.Type)
	}
	if err != nil {
		// The network never corrupts, so malformed input here is a bug.
		n.c.k.Fail(fmt.Errorf("node %d from %d: %w", n.id, m.From, err))
	}
}

func (n *toyNode) onUpdate(m netio.Message) error {
	f, err := decode(m.Payload, 3)
	if err != nil {
		return err
	}
	value, fromInc, toInc := f[0], f[1], f[2]
	p := m.From - 1
	if fromInc > n.peerInc[p] {
		n.peerRestarted(p, fromInc)
	}
	n.view[p] = max(n.view[p], value)
	if toInc == n.incarnation {
		n.synced[p] = true
	}
	n.send(m.From, toyAck, value, n.incarnation)
	return nil
}

func (n *toyNode) onAck(m netio.Message) error {
	f, err := decode(m.Payload, 2)
	if err != nil {
		return err
	}
	value, ackerInc := f[0], f[1]
	p := m.From - 1
	switch {
	case ackerInc > n.peerInc[p]:
		n.peerRestarted(p, ackerInc)
		n.acked[p] = max(n.acked[p], value)
	case ackerInc == n.peerInc[p]:
		n.acked[p] = max(n.acked[p], value)
	}
	return nil
}

func (n *toyNode) onHello(m netio.Message) error {
	f, err := decode(m.Payload, 1)
	if err != nil {
		return err
	}
	p := m.From - 1
	if f[0] > n.peerInc[p] {
		n.peerRestarted(p, f[0])
	}
	n.sendUpdate(m.From)
	return nil
}

// peerRestarted records that peer index p runs incarnation inc: it lost its
// views, so nothing it acknowledged before counts any more.
func (n *toyNode) peerRestarted(p netio.NodeID, inc uint64) {
	n.peerInc[p], n.acked[p] = inc, 0
}
