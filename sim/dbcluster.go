package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/raft"
)

// The whole-database campaign (`go test ./sim -run TestSim`): one seed
// draws a 3- or 5-replica cluster of node.Node (plus spares for
// membership changes), tiny LSM and snapshot limits so that flushes,
// compactions, snapshots and InstallSnapshot run often, a workload mix
// (register, bank, list-append: dbworkload.go) and a fault mix: the
// generic nemesis (drops, duplicates, reordering, clogs, symmetric and
// asymmetric partitions, isolation, pauses, crashes that lose unsynced
// writes and tear sectors, clock offsets, drift and jumps) and the
// database-aware one (dbnemesis.go: isolating or crashing the leader,
// whole-cluster power loss, leadership transfers, membership changes,
// forced snapshots, and disk faults: EIO on fsync, bit flips on read, disk
// full).
//
// A seed runs in phases:
//
//  1. workload: clients run transactions with timeouts against random
//     replicas while faults fire; election safety is checked on every tick;
//  2. heal: every fault ends, crashed replicas restart, a replica stopped
//     on a full disk restarts; others stopped on a faulted disk stay down
//     (at most a minority of founders is ever disk-faulted, and voters are
//     removed only while they outnumber the founders, so a majority of
//     every configuration survives);
//  3. drain: outstanding client operations finish or time out;
//  4. liveness: within dbSettle a fresh write commits;
//  5. convergence: every live member of the leader's configuration reaches
//     the same applied index, and their StateChecksums agree;
//  6. the history goes through porcupine (register), CheckBank and
//     CheckListAppend with Strict (our claim is strict serializability).

// Phase bounds, in simulated time.
const (
	// dbSettle bounds the liveness phase: elections take at most a few
	// hundred milliseconds at the slowest drawn timeouts, and a laggard
	// may need a snapshot first.
	dbSettle = 30 * time.Second
	// dbConvergeMax bounds how long live members may take to reach the
	// same applied index after the probe committed.
	dbConvergeMax = 30 * time.Second
	// dbProbeRetry is how often the liveness probe is retried when the
	// last attempt failed.
	dbProbeRetry = 300 * time.Millisecond
)

// Cluster size bounds.
const (
	dbSparesMax = 2
	dbNodesMax  = 5 + dbSparesMax
)

// DBOptions are the knobs a test sets; everything else is swarm-drawn from
// the seed.
type DBOptions struct {
	// Knobs are node.Config.Testing for every replica: the canaries.
	Knobs node.TestingKnobs
	// NoFaults disables every nemesis: a healthy cluster, for
	// measurements and baselines.
	NoFaults bool
	// Nodes, if non-zero, fixes the founder count (3 or 5).
	Nodes int
	// Workload, if non-zero, replaces the drawn workload duration.
	Workload time.Duration
	// tune adjusts the drawn configuration (canaries narrow the mix).
	tune func(*dbConfig)
}

// dbConfig is one seed's swarm-drawn configuration.
type dbConfig struct {
	nodes, spares                  int
	tick                           time.Duration
	electionTicks, heartbeatTicks  int
	commitTimeoutTicks             int
	retainedVersions               uint64
	snapshotInterval               uint64
	snapChunkBytes                 int
	memtableBytes, sstableBytes    int64
	lBaseBytes                     int64 // L1's size target (0: the LSM's default, 4 memtables)
	blockCacheBytes                int64
	l0Trigger                      int
	compactionBudgetBytes          int64
	segmentBytes                   int64
	writeBufferBytes               int
	net                            NetConfig
	nemesis                        NemesisConfig
	faults                         dbFaultConfig
	disk                           diskio.MemFSConfig
	work                           dbWorkConfig
	thinkMean, opTimeout, workload time.Duration
	noFaults                       bool
}

func drawDBConfig(k *Kernel, opts DBOptions) dbConfig {
	rng := k.Rand("db.swarm")
	c := dbConfig{
		nodes:                 []int{3, 3, 5}[rng.IntN(3)],
		spares:                dbSparesMax,
		tick:                  time.Duration(5+rng.IntN(16)) * time.Millisecond,
		electionTicks:         5 + rng.IntN(11),
		heartbeatTicks:        1 + rng.IntN(2),
		snapshotInterval:      uint64(10 + rng.IntN(300)),
		snapChunkBytes:        256 + rng.IntN(16<<10),
		memtableBytes:         int64(1<<10 + rng.IntN(32<<10)),
		sstableBytes:          int64(2<<10 + rng.IntN(64<<10)),
		blockCacheBytes:       int64([]int{1 << 10, 16 << 10, 256 << 10}[rng.IntN(3)]),
		l0Trigger:             2 + rng.IntN(3),
		segmentBytes:          int64(1<<10 + rng.IntN(64<<10)),
		writeBufferBytes:      []int{0, 1, 256}[rng.IntN(3)],
		compactionBudgetBytes: int64(1<<10 + rng.IntN(64<<10)),
		thinkMean:             time.Duration(1+rng.IntN(40)) * time.Millisecond,
		opTimeout:             time.Duration(500+rng.IntN(3000)) * time.Millisecond,
		workload:              time.Duration(2+rng.IntN(4)) * time.Second,
		net:                   DefaultNetConfig(),
	}
	// Commits wait 4–16 elections before they are called ambiguous.
	c.commitTimeoutTicks = c.electionTicks * (4 + rng.IntN(13))
	// A small history window makes long transactions too old; zero keeps
	// the default.
	if rng.IntN(3) == 0 {
		c.retainedVersions = uint64(20 + rng.IntN(500))
	}
	c.net.LatencyMean = time.Duration(200+rng.IntN(5_000)) * time.Microsecond
	c.net.LatencyMax = max(c.net.LatencyMax, 4*c.net.LatencyMean)
	c.nemesis = SwarmNemesis(rng, c.nodes)
	c.faults = drawDBFaults(rng, c.nodes)
	c.disk = diskio.MemFSConfig{
		CrashMode:       diskio.CrashMode(rng.IntN(2)),
		TearProbability: rng.Float64(),
	}
	c.work = drawDBWork(rng)
	drawDBDeletes(k.Rand("db.swarm.deletes"), &c)
	c.noFaults = opts.NoFaults
	if opts.Nodes != 0 {
		c.nodes = opts.Nodes
	}
	if opts.Workload != 0 {
		c.workload = opts.Workload
	}
	if opts.tune != nil {
		opts.tune(&c)
	}
	return c
}

func (c dbConfig) describe() string {
	faults := "off"
	if !c.noFaults {
		faults = c.nemesis.EnabledNames() + "+" + c.faults.names()
	}
	return fmt.Sprintf("nodes=%d tick=%v et=%d snap=%d mem=%d window=%d work=%s clients=%d del=%d%%/%d%% faults=%s",
		c.nodes, c.tick, c.electionTicks, c.snapshotInterval, c.memtableBytes, c.retainedVersions, c.work.names(), c.work.clients,
		c.work.deletePct, c.work.rangeDeletePct, faults)
}

// dbStats are a run's measurements, for docs/BENCHMARKS.md.
type dbStats struct {
	committed, aborted, ambiguous uint64
	// workloadTime is the simulated length of the workload phase.
	workloadTime time.Duration
}

// DBRun is everything one seed produced.
type DBRun struct {
	Result SeedResult
	// Lin is porcupine's verdict on the register history, kept for its
	// HTML visualization; nil if the seed ran no register workload.
	Lin *checker.LinearizabilityResult
	// History is the client history and Notes annotate its operations
	// (serving replica, read and commit versions), both kept only when
	// the seed failed, for the report.
	History checker.History
	Notes   []string
	stats   dbStats
}

// RunDB runs one seed of the whole-database campaign.
func RunDB(seed uint64, opts DBOptions) SeedResult { return RunDBReport(seed, opts).Result }

// RunDBReport runs one seed and keeps what a failure report needs.
func RunDBReport(seed uint64, opts DBOptions) DBRun {
	k := NewKernel(seed)
	cfg := drawDBConfig(k, opts)
	net, err := NewNetwork(k, cfg.net)
	if err != nil {
		return DBRun{Result: SeedResult{Seed: seed, Failed: err}}
	}
	c := newDBCluster(k, net, cfg, opts)
	err = c.run()
	lin, checkErr := c.checkHistory()
	if err == nil {
		err = checkErr
	}
	run := DBRun{
		Result: SeedResult{
			Seed: seed, Failed: err, Ops: c.rec.Len(), Simulated: k.Now(),
			TraceHash: k.TraceHash(), Counters: c.allCounters(), Detail: cfg.describe(),
		},
		Lin:   lin,
		stats: c.stats,
	}
	if err != nil {
		run.History, run.Notes = c.rec.History(), c.work.annotations()
	}
	return run
}

type dbCluster struct {
	k    *Kernel
	net  *Network
	cfg  dbConfig
	opts DBOptions
	// nodes is indexed by id-1: founders first, then spares.
	nodes    []*dbNode
	founders []uint64
	rec      *checker.Recorder
	work     *dbWorkload
	nem      *Nemesis
	dnem     *dbNemesis
	counters counterSet
	stats    dbStats
	// leaderOfTerm records each term's leader (election safety). Only
	// looked up, never iterated.
	leaderOfTerm map[uint64]uint64

	workloadOver bool
	probeOK      bool
	probeSeq     int
}

func newDBCluster(k *Kernel, net *Network, cfg dbConfig, opts DBOptions) *dbCluster {
	total := cfg.nodes + cfg.spares
	if (cfg.nodes != 3 && cfg.nodes != 5) || total > dbNodesMax {
		panic(fmt.Sprintf("sim: db config out of bounds: nodes=%d spares=%d", cfg.nodes, cfg.spares))
	}
	c := &dbCluster{
		k: k, net: net, cfg: cfg, opts: opts,
		rec:          checker.NewRecorder(0),
		counters:     counterSet{},
		leaderOfTerm: make(map[uint64]uint64),
	}
	for id := uint64(1); id <= uint64(cfg.nodes); id++ {
		c.founders = append(c.founders, id)
	}
	for id := uint64(1); id <= uint64(total); id++ {
		c.nodes = append(c.nodes, newDBNode(c, id, id <= uint64(cfg.nodes)))
	}
	for _, dn := range c.nodes[:cfg.nodes] {
		dn.boot()
	}
	c.work = newDBWorkload(c)
	return c
}

func (c *dbCluster) count(name string) { c.counters.inc(name) }

func (c *dbCluster) node(id uint64) *dbNode { return c.nodes[id-1] }

// leader returns the running replica that leads the highest term, or nil.
func (c *dbCluster) leader() *dbNode {
	var best *dbNode
	var bestTerm uint64
	for _, dn := range c.nodes {
		if dn.status != dbRunning {
			continue
		}
		st := dn.n.Status()
		if st.Role == raft.RoleLeader && (best == nil || st.Term > bestTerm) {
			best, bestTerm = dn, st.Term
		}
	}
	return best
}

// Processes, for the generic nemesis.

func (c *dbCluster) Crash(id netio.NodeID)   { c.node(uint64(id)).crash() }
func (c *dbCluster) Restart(id netio.NodeID) { c.node(uint64(id)).restart() }
func (c *dbCluster) Pause(id netio.NodeID)   { c.node(uint64(id)).pause() }
func (c *dbCluster) Resume(id netio.NodeID)  { c.node(uint64(id)).resume() }

func (c *dbCluster) clock(id netio.NodeID) *clock.Sim { return c.node(uint64(id)).clk }

func (c *dbCluster) ids() []netio.NodeID {
	ids := make([]netio.NodeID, len(c.nodes))
	for i := range c.nodes {
		ids[i] = netio.NodeID(i + 1)
	}
	return ids
}

// run drives the phases; see the comment at the top of the file.
func (c *dbCluster) run() error {
	c.work.start()
	if !c.cfg.noFaults {
		c.nem = NewNemesis(c.k, c.net, c.ids(), c, c.clock, c.cfg.nemesis)
		c.nem.Start(c.cfg.workload)
		c.dnem = newDBNemesis(c)
		c.dnem.start(c.cfg.workload)
	}
	if err := c.k.RunFor(c.cfg.workload); err != nil {
		return err
	}
	c.stats.workloadTime = c.cfg.workload
	c.workloadOver = true
	if c.dnem != nil {
		c.dnem.afterHeal()
	}
	// Drain: every operation has a timeout, so this ends.
	if _, err := c.k.RunUntil(c.k.Now()+c.cfg.opTimeout+time.Second, c.work.idle); err != nil {
		return err
	}
	if err := c.checkLiveness(); err != nil {
		return err
	}
	return c.checkConvergence()
}

// checkLiveness requires a fresh write to commit within dbSettle.
func (c *dbCluster) checkLiveness() error {
	c.k.Schedule(0, "db.probe", c.probe)
	ok, err := c.k.RunUntil(c.k.Now()+dbSettle, func() bool { return c.probeOK })
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("liveness: no write committed within %v after heal: %s", dbSettle, c.nodesLine())
	}
	return nil
}

// probe tries one write through the leader (or any running replica) and
// retries until one commits.
func (c *dbCluster) probe() {
	if c.probeOK {
		return
	}
	c.decommissionRemoved()
	c.k.Schedule(dbProbeRetry, "db.probe", c.probe)
	dn := c.leader()
	if dn == nil {
		return
	}
	c.probeSeq++
	seq := c.probeSeq
	n := dn.n
	n.Begin(dbTxnOptions(false), func(txn *node.Txn, err error) {
		if err != nil || c.probeOK {
			return
		}
		if err := txn.Put([]byte("p/probe"), dbEncodeInt(int64(seq))); err != nil {
			n.Abort(txn)
			return
		}
		n.Commit(txn, func(_ kv.CommitResult, err error) {
			if err == nil {
				c.probeOK = true
			}
		})
	})
	dn.checkStopped()
}

// decommissionRemoved shuts down replicas the leader's configuration no
// longer lists (an operator's job).
func (c *dbCluster) decommissionRemoved() {
	l := c.leader()
	if l == nil {
		return
	}
	st := l.n.Status()
	for _, dn := range c.nodes {
		if dn.everMember && !dbInConf(st, dn.id) {
			dn.decommission()
		}
	}
}

func dbInConf(st node.Status, id uint64) bool {
	for _, v := range st.Voters {
		if v == id {
			return true
		}
	}
	for _, v := range st.Learners {
		if v == id {
			return true
		}
	}
	return false
}

// checkConvergence waits for every live member of the leader's
// configuration to reach the same applied index, at or past the leader's
// commit, then compares their state checksums.
func (c *dbCluster) checkConvergence() error {
	var members []*dbNode
	converged := func() bool {
		l := c.leader()
		if l == nil {
			return false
		}
		st := l.n.Status()
		members = members[:0]
		for _, id := range append(st.Voters, st.Learners...) {
			if dn := c.node(id); dn.status == dbRunning {
				members = append(members, dn)
			}
		}
		for _, dn := range members {
			if dn.n.Status().Applied != st.Commit {
				return false
			}
		}
		return len(members) > len(st.Voters)/2
	}
	ok, err := c.k.RunUntil(c.k.Now()+dbConvergeMax, converged)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("convergence: live members did not reach the leader's commit within %v: %s", dbConvergeMax, c.nodesLine())
	}
	var applied0, sum0 uint64
	for i, dn := range members {
		applied, sum, err := dn.n.StateChecksum()
		if err != nil {
			return fmt.Errorf("convergence: node %d checksum: %w", dn.id, err)
		}
		if i == 0 {
			applied0, sum0 = applied, sum
			continue
		}
		if applied != applied0 || sum != sum0 {
			return fmt.Errorf("replicas diverged: node %d has checksum %016x at %d, node %d %016x at %d",
				members[0].id, sum0, applied0, dn.id, sum, applied)
		}
	}
	c.count("db.converged")
	return nil
}

func (c *dbCluster) nodesLine() string {
	var b strings.Builder
	for _, dn := range c.nodes {
		fmt.Fprintf(&b, "n%d=%s", dn.id, dn.status)
		if dn.live() {
			st := dn.n.Status()
			fmt.Fprintf(&b, "(%s t=%d lead=%d commit=%d applied=%d voters=%v learners=%v)",
				st.Role, st.Term, st.Lead, st.Commit, st.Applied, st.Voters, st.Learners)
		}
		if dn.stopErr != nil {
			fmt.Fprintf(&b, "(%v)", dn.stopErr)
		}
		if dn.disk != dbDiskNone {
			fmt.Fprintf(&b, "[disk=%s]", dn.disk)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// allCounters gathers the network's, the nemeses', the disks', the
// replicas' and the workload's counters.
func (c *dbCluster) allCounters() []Counter {
	out := MergeCounters(c.net.Counters(), c.counters.sorted())
	if c.nem != nil {
		out = MergeCounters(out, c.nem.Counters())
	}
	var sum dbNodeCounts
	disk := counterSet{}
	for _, dn := range c.nodes {
		s := dn.counts()
		sum.snapshotsTaken += s.snapshotsTaken
		sum.snapshotsInstalled += s.snapshotsInstalled
		sum.commitsSerialization += s.commitsSerialization
		sum.commitsTooOld += s.commitsTooOld
		sum.commitsAmbiguous += s.commitsAmbiguous
		sum.electionsWon += s.electionsWon
		sum.lsmFlushes += s.lsmFlushes
		sum.lsmCompactions += s.lsmCompactions
		sum.lsmFilterDrops += s.lsmFilterDrops
		sum.rangeDeletes += s.rangeDeletes
		for _, fc := range dn.fs.FaultCounts() {
			disk["db.disk."+fc.Op.String()+"."+fc.Fault.String()] += fc.Count
		}
		disk["db.disk.capacity_refusals"] += dn.fs.CapacityRefusals()
	}
	nodeSet := counterSet{
		"db.snapshots_taken":      sum.snapshotsTaken,
		"db.snapshots_installed":  sum.snapshotsInstalled,
		"db.aborts_serialization": sum.commitsSerialization,
		"db.aborts_too_old":       sum.commitsTooOld,
		"db.commits_ambiguous":    sum.commitsAmbiguous,
		"db.elections_won":        sum.electionsWon,
		"db.lsm_flushes":          sum.lsmFlushes,
		"db.lsm_compactions":      sum.lsmCompactions,
		"db.lsm_filter_drops":     sum.lsmFilterDrops,
		"db.range_deletes":        sum.rangeDeletes,
	}
	// db.gc_seeds sums to the number of seeds whose tombstone GC dropped
	// anything: the campaign's measure of how often GC ran under faults.
	if sum.lsmFilterDrops > 0 {
		nodeSet["db.gc_seeds"] = 1
	}
	out = MergeCounters(out, nodeSet.sorted())
	return MergeCounters(out, disk.sorted())
}

// checkHistory runs the checkers of the workloads the seed ran.
func (c *dbCluster) checkHistory() (*checker.LinearizabilityResult, error) {
	return c.work.check(c.rec.History())
}
