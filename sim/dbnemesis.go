package sim

import (
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node"
)

// The database-aware nemesis: faults that need to know who leads, what the
// membership is, or what a replica's disk is, which the generic Nemesis
// cannot know. Per seed each kind is on or off (swarm); while on, episodes
// start at exponential intervals during the workload phase:
//
//   - isolate_leader: cut the current leader off both ways for an episode;
//   - crash_leader: crash the leader (losing unsynced writes, tearing the
//     last sector) and restart it after an episode, within DownMax;
//   - power_loss: every replica loses power at once and restarts after an
//     episode: only what was fsynced survives anywhere, so an
//     acknowledged commit that was not durable on a quorum is lost;
//   - transfer: the leader hands leadership to a random voter;
//   - membership: one step of an operator's plan — provision a spare and
//     add it as a learner (promoted once caught up) or directly as a
//     voter; remove a voter (a stopped one first) while voters outnumber
//     the founders; decommission replicas the configuration dropped;
//   - snapshot: a random replica takes a snapshot now (on top of the tiny
//     SnapshotInterval), truncating its log so laggards need
//     InstallSnapshot;
//   - disk: up to a minority of founders get a faulty disk at a random
//     moment: EIO on fsync, bit flips on read, or a capacity just above
//     what they use (ENOSPC). The replica must stop rather than serve; a
//     majority of founders is never disk-faulted, so the group survives.
//
// Heal disarms the disk faults and restores capacity; replicas stopped on
// a full disk are restarted after it (the operator freed space), the
// others stay down.

// dbFaultConfig is the database-aware part of a seed's fault mix.
type dbFaultConfig struct {
	isolateLeader, crashLeader, powerLoss bool
	transfer, membership, snapshot        bool
	// disk lists the fault of each disk victim (founders 1..len), at most
	// a minority of the founders.
	disk                      []dbDiskFault
	intervalMean, episodeMax  time.Duration
	syncEIOProb, readFlipProb float64
	fullMarginBytes           int64
}

func drawDBFaults(rng *rand.Rand, nodes int) dbFaultConfig {
	f := dbFaultConfig{
		isolateLeader:   rng.IntN(2) == 0,
		crashLeader:     rng.IntN(2) == 0,
		powerLoss:       rng.IntN(3) == 0,
		transfer:        rng.IntN(2) == 0,
		membership:      rng.IntN(2) == 0,
		snapshot:        rng.IntN(2) == 0,
		intervalMean:    time.Duration(100+rng.IntN(900)) * time.Millisecond,
		episodeMax:      time.Duration(50+rng.IntN(1500)) * time.Millisecond,
		syncEIOProb:     0.01 + 0.2*rng.Float64(),
		readFlipProb:    0.001 + 0.05*rng.Float64(),
		fullMarginBytes: int64(rng.IntN(64 << 10)),
	}
	if rng.IntN(3) == 0 {
		victims := 1 + rng.IntN((nodes-1)/2)
		for range victims {
			f.disk = append(f.disk, dbDiskFault(1+rng.IntN(int(dbDiskFaultCount)-1)))
		}
	}
	return f
}

func (f dbFaultConfig) names() string {
	var names []string
	for _, k := range []struct {
		on   bool
		name string
	}{{f.isolateLeader, "isolate_leader"}, {f.crashLeader, "crash_leader"}, {f.powerLoss, "power_loss"},
		{f.transfer, "transfer"}, {f.membership, "membership"}, {f.snapshot, "snapshot"}} {
		if k.on {
			names = append(names, k.name)
		}
	}
	for _, d := range f.disk {
		names = append(names, "disk_"+d.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

type dbNemesis struct {
	c     *dbCluster
	rng   *rand.Rand
	cfg   dbFaultConfig
	kinds []func()
	end   time.Duration
	undo  []EventID
}

func newDBNemesis(c *dbCluster) *dbNemesis {
	r := &dbNemesis{c: c, rng: c.k.Rand("db.nemesis"), cfg: c.cfg.faults}
	for _, k := range []struct {
		on bool
		fn func()
	}{{r.cfg.isolateLeader, r.isolateLeader}, {r.cfg.crashLeader, r.crashLeader}, {r.cfg.powerLoss, r.powerLoss},
		{r.cfg.transfer, r.transfer}, {r.cfg.membership, r.membership}, {r.cfg.snapshot, r.snapshot}} {
		if k.on {
			r.kinds = append(r.kinds, k.fn)
		}
	}
	return r
}

func (r *dbNemesis) start(phase time.Duration) {
	r.end = r.c.k.Now() + phase
	for i, kind := range r.cfg.disk {
		victim := r.c.node(uint64(i + 1))
		at := time.Duration(r.rng.Int64N(int64(phase)/2 + 1))
		r.undo = append(r.undo, r.c.k.Schedule(at, "db.nemesis.disk", func() { r.armDisk(victim, kind) }))
	}
	if len(r.kinds) > 0 {
		r.c.k.Schedule(r.interval(), "db.nemesis", r.fault)
	}
	r.c.k.Schedule(phase, "db.nemesis.heal", r.heal)
}

func (r *dbNemesis) interval() time.Duration {
	return time.Duration(float64(r.cfg.intervalMean) * r.rng.ExpFloat64())
}

func (r *dbNemesis) episode() time.Duration {
	d := time.Duration(1 + r.rng.Int64N(int64(r.cfg.episodeMax)))
	return max(min(d, r.end-r.c.k.Now()), 0)
}

func (r *dbNemesis) fault() {
	if r.c.k.Now() >= r.end {
		return
	}
	r.kinds[r.rng.IntN(len(r.kinds))]()
	r.c.k.Schedule(r.interval(), "db.nemesis", r.fault)
}

// heal ends the episodes still running and repairs every disk.
func (r *dbNemesis) heal() {
	for _, id := range r.undo {
		r.c.k.Cancel(id)
	}
	r.undo = nil
	for _, dn := range r.c.nodes {
		if dn.disk == dbDiskNone {
			continue
		}
		dn.fs.DisarmAll()
		cfg := dn.fs.Config()
		cfg.CapacityBytesMax = 0
		if err := dn.fs.Configure(cfg); err != nil {
			panic(err)
		}
	}
}

// afterHeal restarts replicas that stopped on a full disk: space is back.
func (r *dbNemesis) afterHeal() {
	for _, dn := range r.c.nodes {
		if dn.status == dbStopped && errors.Is(dn.stopErr, diskio.ErrNoSpace) &&
			r.c.net.NodeState(netio.NodeID(dn.id)) == NodeUp {
			dn.fs.CrashProcess()
			dn.status = dbCrashed
			r.c.count("db.fault.disk_full_restart")
			dn.restart()
		}
	}
}

func (r *dbNemesis) armDisk(dn *dbNode, kind dbDiskFault) {
	dn.disk = kind
	var err error
	switch kind {
	case dbDiskEIOSync:
		err = dn.fs.Arm(diskio.FaultRule{Op: diskio.OpSync, Fault: diskio.FaultEIO, Probability: r.cfg.syncEIOProb})
	case dbDiskBitFlip:
		err = dn.fs.Arm(diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: r.cfg.readFlipProb})
	case dbDiskFull:
		cfg := dn.fs.Config()
		cfg.CapacityBytesMax = dn.fs.UsedBytes() + r.cfg.fullMarginBytes
		err = dn.fs.Configure(cfg)
	}
	if err != nil {
		panic(err) // probabilities and sizes drawn in range
	}
	r.c.count("db.fault.disk_" + kind.String())
}

func (r *dbNemesis) isolateLeader() {
	l := r.c.leader()
	if l == nil {
		return
	}
	var paths []path
	for _, dn := range r.c.nodes {
		if dn.id != l.id {
			a, b := netio.NodeID(l.id), netio.NodeID(dn.id)
			paths = append(paths, path{a, b}, path{b, a})
		}
	}
	for _, p := range paths {
		r.c.net.BlockPath(p.from, p.to)
	}
	r.c.count("db.fault.isolate_leader")
	r.undo = append(r.undo, r.c.k.Schedule(r.episode(), "db.nemesis.undo", func() {
		for _, p := range paths {
			r.c.net.UnblockPath(p.from, p.to)
		}
	}))
}

// downCount is how many replicas the network treats as crashed or paused.
func (r *dbNemesis) downCount() int {
	down := 0
	for _, dn := range r.c.nodes {
		if r.c.net.NodeState(netio.NodeID(dn.id)) != NodeUp {
			down++
		}
	}
	return down
}

func (r *dbNemesis) crashLeader() {
	l := r.c.leader()
	if l == nil || r.downCount() >= max(r.c.cfg.nemesis.DownMax, 1) {
		return
	}
	r.crashFor([]*dbNode{l}, r.episode())
	r.c.count("db.fault.crash_leader")
}

// powerLoss crashes every replica at once and restarts them together.
func (r *dbNemesis) powerLoss() {
	var victims []*dbNode
	for _, dn := range r.c.nodes {
		if dn.live() && r.c.net.NodeState(netio.NodeID(dn.id)) == NodeUp {
			victims = append(victims, dn)
		}
	}
	if len(victims) == 0 {
		return
	}
	// Short outages: the point is what survives, not the downtime.
	r.crashFor(victims, min(r.episode(), 200*time.Millisecond))
	r.c.count("db.fault.power_loss")
}

// crashFor crashes victims and schedules their restart after d.
func (r *dbNemesis) crashFor(victims []*dbNode, d time.Duration) {
	for _, dn := range victims {
		r.c.net.SetNodeState(netio.NodeID(dn.id), NodeCrashed)
		dn.crash()
	}
	r.undo = append(r.undo, r.c.k.Schedule(d, "db.nemesis.undo", func() {
		for _, dn := range victims {
			id := netio.NodeID(dn.id)
			if r.c.net.NodeState(id) == NodeCrashed {
				r.c.net.SetNodeState(id, NodeUp)
				dn.restart()
			}
		}
	}))
}

func (r *dbNemesis) transfer() {
	l := r.c.leader()
	if l == nil {
		return
	}
	var cands []uint64
	for _, v := range l.n.Status().Voters {
		if v != l.id {
			cands = append(cands, v)
		}
	}
	if len(cands) == 0 {
		return
	}
	if err := l.n.TransferLeadership(cands[r.rng.IntN(len(cands))]); err == nil {
		r.c.count("db.fault.transfer")
	}
	l.checkStopped()
}

func (r *dbNemesis) snapshot() {
	var running []*dbNode
	for _, dn := range r.c.nodes {
		if dn.status == dbRunning {
			running = append(running, dn)
		}
	}
	if len(running) == 0 {
		return
	}
	dn := running[r.rng.IntN(len(running))]
	if err := dn.n.TakeSnapshot(); err == nil {
		r.c.count("db.fault.snapshot")
	}
	dn.checkStopped()
}

// membership performs one step of the operator's plan.
func (r *dbNemesis) membership() {
	c := r.c
	c.decommissionRemoved()
	l := c.leader()
	if l == nil {
		return
	}
	r.step(l, l.n.Status())
	l.checkStopped()
}

func (r *dbNemesis) step(l *dbNode, st node.Status) {
	c := r.c
	for _, id := range st.Learners {
		if dbCaughtUp(st, id) {
			r.change("promote", l.n.AddPeer(id))
		}
		return // one learner at a time, and let it catch up first
	}
	// A provisioned spare the group never listed: its add was lost.
	for _, dn := range c.nodes[c.cfg.nodes:] {
		if dn.live() && !dn.everMember && !dbInConf(st, dn.id) {
			r.change("add_learner", l.n.AddLearner(dn.id))
			return
		}
	}
	if len(st.Voters) > c.cfg.nodes {
		r.change("remove", l.n.RemovePeer(r.removalVictim(st.Voters)))
		return
	}
	spare := r.freeSpare()
	if spare == nil {
		return
	}
	spare.boot()
	if spare.status != dbRunning {
		return
	}
	c.count("db.spares_provisioned")
	if r.rng.IntN(2) == 0 {
		r.change("add_learner", l.n.AddLearner(spare.id))
		return
	}
	r.change("add_voter", l.n.AddPeer(spare.id))
}

func (r *dbNemesis) change(what string, err error) {
	if err == nil {
		r.c.count("db.fault.conf_" + what)
	}
}

func dbCaughtUp(st node.Status, id uint64) bool {
	for _, p := range st.Peers {
		if p.ID == id {
			return p.Match >= st.Commit
		}
	}
	return false
}

// removalVictim prefers a voter that stopped: replacing a failed replica
// is why operators remove voters.
func (r *dbNemesis) removalVictim(voters []uint64) uint64 {
	for _, v := range voters {
		if r.c.node(v).status == dbStopped {
			return v
		}
	}
	return voters[r.rng.IntN(len(voters))]
}

// freeSpare returns a never-used spare the network considers up.
func (r *dbNemesis) freeSpare() *dbNode {
	for _, dn := range r.c.nodes[r.c.cfg.nodes:] {
		if dn.status == dbOff && r.c.net.NodeState(netio.NodeID(dn.id)) == NodeUp {
			return dn
		}
	}
	return nil
}
