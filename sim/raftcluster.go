package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/raft"
	"github.com/lineradb/lineradb/raft/raftlog"
)

// The Raft campaign: one seed draws a cluster (1, 3 or 5 founders plus
// spares for membership changes), tiny limits so that snapshots,
// InstallSnapshot, segment rollover and flow control run often, a client
// workload on the kv register, and a fault mix: the generic nemesis
// (drops, duplicates, reordering, clogs, partitions, pauses, crashes that
// lose unsynced writes and tear sectors, clock offset, drift and jumps) and
// the Raft-aware one (raftnemesis.go: leader isolation, leadership
// transfers, membership changes, disk faults).
//
// A seed runs in three phases:
//
//  1. workload: clients issue get/put/cas with timeouts while faults fire;
//     the safety checks (raftcheck.go) run after every event;
//  2. heal: every fault ends, crashed nodes restart (nodes that stopped on
//     a faulted disk stay down, as an operator would leave them);
//  3. liveness: within raftSettle a leader must exist and a fresh probe
//     proposal must be applied by a majority of its voters.
//
// Then the client history goes through porcupine. Ambiguous operations
// (timed out, or lost with a crashed node) are recorded as unknown.

// raftSettle bounds the liveness phase after heal: elections take a few
// hundred milliseconds at the slowest drawn timeouts, and a laggard may
// need a snapshot first.
const raftSettle = 20 * time.Second

// probeRetry is how often the liveness phase re-proposes its probe when
// the previous one did not commit (a leader lost it).
const probeRetry = 500 * time.Millisecond

// Cluster size bounds.
const (
	raftSparesMax = 2
	raftNodesMax  = 5 + raftSparesMax
)

// errRunFailed marks an error already reported through Kernel.Fail.
var errRunFailed = errors.New("sim: run failed")

// RaftOptions are the knobs a test sets; everything else is swarm-drawn
// from the seed.
type RaftOptions struct {
	// SkipFigure8Rule sets raft's TestingKnobs knob: leaders commit
	// earlier-term entries by counting replicas. Must be caught.
	SkipFigure8Rule bool
	// AckBeforeFsync makes nodes send (acknowledge, vote) before their
	// batch is durable; it is synced on the next tick. Must be caught.
	AckBeforeFsync bool
	// ReadsWithoutReadIndex serves gets from the contacted node's local
	// state at once. Must be caught.
	ReadsWithoutReadIndex bool
	// NoFaults disables every nemesis: a healthy cluster, for
	// measurements and baselines.
	NoFaults bool
	// tune adjusts the drawn configuration (canaries narrow the mix).
	tune func(*raftConfig)
}

// raftFaultConfig is the Raft-aware part of a seed's fault mix.
type raftFaultConfig struct {
	isolateLeader, crashLeader, transfer, membership, disk bool
	intervalMean, episodeMax                               time.Duration
	syncEIOProb, writeEIOProb, readFlipProb                float64
}

// raftConfig is one seed's swarm-drawn configuration.
type raftConfig struct {
	nodes, spares                  int
	tick                           time.Duration
	electionTicks, heartbeatTicks  int
	preVote, checkQuorum           bool
	maxEntriesPerMsg               int
	maxMsgBytes                    uint64
	maxInflightMsgs                int
	snapChunkBytes, snapChunksMax  int
	snapshotEvery                  int
	segmentBytes                   int64
	writeBufferBytes               int
	clients, keys                  int
	thinkMean, opTimeout, workload time.Duration
	net                            NetConfig
	nemesis                        NemesisConfig
	faults                         raftFaultConfig
	disk                           diskio.MemFSConfig
	noFaults                       bool
}

func drawRaftConfig(k *Kernel, opts RaftOptions) raftConfig {
	rng := k.Rand("raft.swarm")
	c := raftConfig{
		nodes:            []int{1, 3, 3, 5, 5}[rng.IntN(5)],
		spares:           raftSparesMax,
		tick:             time.Duration(5+rng.IntN(16)) * time.Millisecond,
		electionTicks:    5 + rng.IntN(11),
		heartbeatTicks:   1 + rng.IntN(2),
		preVote:          rng.IntN(2) == 0,
		checkQuorum:      rng.IntN(2) == 0,
		maxEntriesPerMsg: 1 + rng.IntN(16),
		maxMsgBytes:      uint64(64 + rng.IntN(4096)),
		maxInflightMsgs:  1 + rng.IntN(32),
		snapChunkBytes:   16 + rng.IntN(240),
		snapChunksMax:    1 + rng.IntN(3),
		snapshotEvery:    3 + rng.IntN(40),
		segmentBytes:     int64(256 + rng.IntN(8192)),
		// A small write buffer pushes records to the segment file before
		// Sync, so a crash has unsynced bytes to lose and tear.
		writeBufferBytes: []int{0, 1, 64}[rng.IntN(3)],
		clients:          2 + rng.IntN(5),
		keys:             1 + rng.IntN(3),
		thinkMean:        time.Duration(2+rng.IntN(100)) * time.Millisecond,
		opTimeout:        time.Duration(300+rng.IntN(1700)) * time.Millisecond,
		workload:         time.Duration(3+rng.IntN(10)) * time.Second,
		net:              DefaultNetConfig(),
	}
	// From a LAN to a slow WAN link: slow links widen the windows in which
	// a leader's entries are out but not yet acknowledged.
	c.net.LatencyMean = time.Duration(200+rng.IntN(10_000)) * time.Microsecond
	c.net.LatencyMax = max(c.net.LatencyMax, 4*c.net.LatencyMean)
	c.nemesis = SwarmNemesis(rng, c.nodes)
	c.faults = raftFaultConfig{
		isolateLeader: rng.IntN(2) == 0,
		transfer:      rng.IntN(2) == 0,
		crashLeader:   rng.IntN(2) == 0,
		membership:    rng.IntN(2) == 0,
		disk:          c.nodes >= 3 && rng.IntN(3) == 0,
		intervalMean:  time.Duration(100+rng.IntN(900)) * time.Millisecond,
		episodeMax:    time.Duration(100+rng.IntN(1900)) * time.Millisecond,
		syncEIOProb:   0.02 * rng.Float64(),
		writeEIOProb:  0.005 * rng.Float64(),
		readFlipProb:  0.01 * rng.Float64(),
	}
	c.disk = diskio.MemFSConfig{
		CrashMode:       diskio.CrashMode(rng.IntN(2)),
		TearProbability: rng.Float64(),
	}
	c.noFaults = opts.NoFaults
	if opts.tune != nil {
		opts.tune(&c)
	}
	return c
}

func (c raftConfig) describe() string {
	faults := "off"
	if !c.noFaults {
		var rf []string
		for _, f := range []struct {
			on   bool
			name string
		}{{c.faults.isolateLeader, "isolate_leader"}, {c.faults.crashLeader, "crash_leader"}, {c.faults.transfer, "transfer"},
			{c.faults.membership, "membership"}, {c.faults.disk, "disk"}} {
			if f.on {
				rf = append(rf, f.name)
			}
		}
		faults = c.nemesis.EnabledNames() + "+" + strings.Join(rf, ",")
	}
	return fmt.Sprintf("nodes=%d tick=%v et=%d prevote=%v cq=%v snap=%d clients=%d keys=%d faults=%s",
		c.nodes, c.tick, c.electionTicks, c.preVote, c.checkQuorum, c.snapshotEvery, c.clients, c.keys, faults)
}

// raftStats are a run's measurements.
type raftStats struct {
	// electionGaps: true time from a leader's crash to the next leader.
	electionGaps []time.Duration
	// messages sent and entries committed, for messages per entry.
	messages  uint64
	committed uint64
}

// raftRun is everything a run produced.
type raftRun struct {
	result SeedResult
	// lin is porcupine's verdict, kept for its HTML visualization.
	lin   *checker.LinearizabilityResult
	stats raftStats
}

// RunRaft runs one seed of the Raft campaign.
func RunRaft(seed uint64, opts RaftOptions) SeedResult {
	return runRaft(seed, opts).result
}

type raftCluster struct {
	k    *Kernel
	net  *Network
	cfg  raftConfig
	opts RaftOptions
	// nodes is indexed by id-1: founders first, then spares.
	nodes    []*raftNode
	founders []uint64
	chk      *raftChecker
	rec      *checker.Recorder
	clients  []*raftClient
	nem      *Nemesis
	rnem     *raftNemesis
	counters counterSet
	stats    raftStats

	workloadOver bool
	// A leader crash waiting for the next leader (election gap stats).
	crashedLeaderAt   time.Duration
	crashedLeaderTerm uint64
	awaitingLeader    bool
	// Leadership transfer in progress, for the completion probe.
	transferTarget uint64
	transferAt     time.Duration
	// Liveness probe state.
	probeSeq     uint64
	probeApplied []bool
	liveOK       bool
}

func runRaft(seed uint64, opts RaftOptions) raftRun {
	k := NewKernel(seed)
	cfg := drawRaftConfig(k, opts)
	net, err := NewNetwork(k, cfg.net)
	if err != nil {
		return raftRun{result: SeedResult{Seed: seed, Failed: err}}
	}
	c := newRaftCluster(k, net, cfg, opts)
	err = c.run()
	lin, linErr := c.checkHistory()
	if err == nil {
		err = linErr
	}
	c.stats.messages = net.Count(CounterSend)
	c.stats.committed = c.chk.commitMax
	counters := MergeCounters(net.Counters(), c.counters.sorted())
	if c.nem != nil {
		counters = MergeCounters(counters, c.nem.Counters())
	}
	return raftRun{
		result: SeedResult{
			Seed: seed, Failed: err, Ops: c.rec.Len(), Simulated: k.Now(),
			TraceHash: k.TraceHash(), Counters: counters, Detail: cfg.describe(),
		},
		lin:   lin,
		stats: c.stats,
	}
}

func newRaftCluster(k *Kernel, net *Network, cfg raftConfig, opts RaftOptions) *raftCluster {
	total := cfg.nodes + cfg.spares
	if cfg.nodes < 1 || total > raftNodesMax || cfg.clients >= kvClientsMax || cfg.keys > kvKeysMax {
		panic(fmt.Sprintf("sim: raft config out of bounds: %+v", cfg))
	}
	c := &raftCluster{
		k: k, net: net, cfg: cfg, opts: opts,
		rec:          checker.NewRecorder(0),
		counters:     counterSet{},
		probeApplied: make([]bool, total),
	}
	c.chk = newRaftChecker(c)
	for id := uint64(1); id <= uint64(cfg.nodes); id++ {
		c.founders = append(c.founders, id)
	}
	for id := uint64(1); id <= uint64(total); id++ {
		c.nodes = append(c.nodes, newRaftNode(c, id, id <= uint64(cfg.nodes)))
	}
	for _, n := range c.nodes[:cfg.nodes] {
		n.boot()
	}
	for i := 1; i <= cfg.clients; i++ {
		c.clients = append(c.clients, newRaftClient(c, uint32(i)))
	}
	k.AddCheck("raft.safety", c.chk.eventCheck)
	return c
}

func (c *raftCluster) count(name string) { c.counters.inc(name) }

// fail reports err through the kernel and returns errRunFailed.
func (c *raftCluster) fail(err error) error {
	c.k.Fail(err)
	return errRunFailed
}

func (c *raftCluster) node(id uint64) *raftNode { return c.nodes[id-1] }

func (c *raftCluster) logOptions() raftlog.Options {
	return raftlog.Options{SegmentSizeBytesMax: c.cfg.segmentBytes, WriteBufferBytesMax: c.cfg.writeBufferBytes}
}

func (c *raftCluster) raftConfig(n *raftNode) raft.Config {
	cfg := raft.Config{
		ID:                        n.id,
		ElectionTicks:             c.cfg.electionTicks,
		HeartbeatTicks:            c.cfg.heartbeatTicks,
		PreVote:                   c.cfg.preVote,
		CheckQuorum:               c.cfg.checkQuorum,
		MaxEntriesPerMsg:          c.cfg.maxEntriesPerMsg,
		MaxMsgBytes:               c.cfg.maxMsgBytes,
		MaxInflightMsgs:           c.cfg.maxInflightMsgs,
		SnapshotChunkBytes:        c.cfg.snapChunkBytes,
		MaxSnapshotChunksInflight: c.cfg.snapChunksMax,
		SnapshotSource:            snapSource{n},
		Rand:                      c.k.Rand(fmt.Sprintf("raft.%d", n.id)),
		Testing:                   raft.TestingKnobs{SkipFigure8Rule: c.opts.SkipFigure8Rule},
	}
	if n.founder {
		cfg.Peers = c.founders
	}
	return cfg
}

// leader returns the running node that leads the highest term, or nil.
func (c *raftCluster) leader() *raftNode {
	var best *raftNode
	for _, n := range c.nodes {
		if n.status == nodeRunning && n.rn.Role() == raft.RoleLeader &&
			(best == nil || n.rn.Term() > best.rn.Term()) {
			best = n
		}
	}
	return best
}

// onNewLeader runs once per term, when its leader is first seen.
func (c *raftCluster) onNewLeader(id, term uint64) {
	c.count("raft.leaders_elected")
	if c.awaitingLeader && term > c.crashedLeaderTerm {
		c.awaitingLeader = false
		c.stats.electionGaps = append(c.stats.electionGaps, c.k.Now()-c.crashedLeaderAt)
	}
	if c.transferTarget != 0 {
		if id == c.transferTarget {
			c.count("raft.transfers_completed")
		}
		c.transferTarget = 0
	}
}

// onApplied sees every command a node applies; the liveness probe waits
// for a majority of the leader's voters to apply it.
func (c *raftCluster) onApplied(n *raftNode, cmd kvCmd) {
	if cmd.kind != kvProbe || cmd.seq != c.probeSeq || c.probeSeq == 0 {
		return
	}
	c.probeApplied[n.id-1] = true
	l := c.leader()
	if l == nil {
		return
	}
	voters := l.rn.Status().Conf.Voters
	got := 0
	for _, v := range voters {
		if c.probeApplied[v-1] {
			got++
		}
	}
	if got >= len(voters)/2+1 {
		c.liveOK = true
	}
}

// Processes, for the generic nemesis.

func (c *raftCluster) Crash(id netio.NodeID) {
	n := c.node(uint64(id))
	if n.status == nodeRunning && n.rn.Role() == raft.RoleLeader && !c.awaitingLeader {
		c.awaitingLeader = true
		c.crashedLeaderAt, c.crashedLeaderTerm = c.k.Now(), n.rn.Term()
	}
	n.crash()
}

func (c *raftCluster) Restart(id netio.NodeID) { c.node(uint64(id)).restart() }
func (c *raftCluster) Pause(id netio.NodeID)   { c.node(uint64(id)).pause() }
func (c *raftCluster) Resume(id netio.NodeID)  { c.node(uint64(id)).resume() }

func (c *raftCluster) clock(id netio.NodeID) *clock.Sim { return c.node(uint64(id)).clk }

func (c *raftCluster) ids() []netio.NodeID {
	ids := make([]netio.NodeID, len(c.nodes))
	for i := range c.nodes {
		ids[i] = netio.NodeID(i + 1)
	}
	return ids
}

// run drives the workload under faults, heals, and checks liveness.
func (c *raftCluster) run() error {
	for _, cl := range c.clients {
		cl.scheduleNext()
	}
	if !c.cfg.noFaults {
		c.nem = NewNemesis(c.k, c.net, c.ids(), c, c.clock, c.cfg.nemesis)
		c.nem.Start(c.cfg.workload)
		c.rnem = newRaftNemesis(c)
		c.rnem.start(c.cfg.workload)
	}
	if err := c.k.RunFor(c.cfg.workload); err != nil {
		return err
	}
	c.workloadOver = true
	c.k.Schedule(0, "raft.probe", c.probe)
	ok, err := c.k.RunUntil(c.k.Now()+raftSettle, func() bool { return c.liveOK })
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("raft liveness: no probe committed on a majority within %v after heal: %s", raftSettle, c.nodesLine())
	}
	return nil
}

// probe (re)proposes the liveness probe through the current leader.
func (c *raftCluster) probe() {
	if c.liveOK {
		return
	}
	c.decommissionRemoved()
	if l := c.leader(); l != nil {
		c.probeSeq++
		clear(c.probeApplied)
		cmd := kvCmd{kind: kvProbe, seq: c.probeSeq}
		if err := l.rn.Propose(cmd.encode()); err == nil {
			l.process()
		}
	}
	c.k.Schedule(probeRetry, "raft.probe", c.probe)
}

// decommissionRemoved shuts down nodes the group no longer lists, once a
// leader's committed configuration shows it (an operator's job).
func (c *raftCluster) decommissionRemoved() {
	l := c.leader()
	if l == nil {
		return
	}
	conf := l.rn.Status().Conf
	for _, n := range c.nodes {
		if n.everMember && n.status != nodeRemoved && !inConf(conf, n.id) {
			n.decommission()
		}
	}
	for _, id := range append(append([]uint64(nil), conf.Voters...), conf.Learners...) {
		c.node(id).everMember = true
	}
}

func inConf(cs raft.ConfState, id uint64) bool {
	for _, v := range cs.Voters {
		if v == id {
			return true
		}
	}
	for _, v := range cs.Learners {
		if v == id {
			return true
		}
	}
	return false
}

func (c *raftCluster) nodesLine() string {
	var b strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "n%d=%s", n.id, n.status)
		if n.live() {
			st := n.rn.Status()
			fmt.Fprintf(&b, "(%s t=%d lead=%d commit=%d applied=%d voters=%v)", st.Role, st.Term, st.Lead, st.Commit, n.applied, st.Conf.Voters)
		}
		if n.stopErr != nil {
			fmt.Fprintf(&b, "(%v)", n.stopErr)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// checkHistory runs porcupine over the client history.
func (c *raftCluster) checkHistory() (*checker.LinearizabilityResult, error) {
	res, err := checker.Linearizable(c.rec.History())
	if err != nil {
		return nil, fmt.Errorf("raft history: %w", err)
	}
	if !res.OK {
		return &res, fmt.Errorf("raft linearizability: porcupine verdict %v over %d ops", res.Verdict, res.Ops)
	}
	return &res, nil
}
