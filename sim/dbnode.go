package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/raft"
	"github.com/lineradb/lineradb/raft/raftlog"
)

// One simulated database replica: a node.Node on its own MemFS, paced by
// ticks on its own drifting clock, talking over the simulated network.
//
// The process model, as the nemesis drives it:
//
//   - crash: the Node object is dropped and the MemFS loses power
//     (unsynced writes lost or torn, per the seed's MemFSConfig); restart
//     is node.Open on the same MemFS, a new incarnation;
//   - pause: ticks stop and the network holds inbound messages; the Node
//     keeps its state;
//   - stop: the Node itself stopped on a disk fault (EIO, a detected bit
//     flip, ENOSPC) or damaged state. That is correct only on a disk the
//     nemesis faulted; on any other it is a bug and fails the run. A
//     stopped replica stays down (an operator replaces it) unless its
//     cause was a full disk, which is restarted once space is back.
//
// The network endpoint is joined once; every incarnation sends through a
// wrapper that refuses once the incarnation is gone, so a dropped Node can
// never speak again.

// dbNodeStatus is a replica's process state.
type dbNodeStatus int

const (
	dbOff     dbNodeStatus = iota // a spare, never provisioned
	dbRunning                     // serving
	dbPaused                      // frozen with its state (SIGSTOP)
	dbCrashed                     // down; durable state kept
	dbStopped                     // the Node stopped itself on a fault
	dbRemoved                     // decommissioned after leaving the group
)

var dbNodeStatusNames = [...]string{"off", "running", "paused", "crashed", "stopped", "removed"}

func (s dbNodeStatus) String() string { return dbNodeStatusNames[s] }

// dbDiskFault is the disk fault the nemesis armed on a replica.
type dbDiskFault int

const (
	dbDiskNone    dbDiskFault = iota
	dbDiskEIOSync             // fsync fails with EIO: the node must stop
	dbDiskBitFlip             // reads return flipped bits: detect and stop
	dbDiskFull                // capacity reached: ENOSPC stops the node
	dbDiskFaultCount
)

var dbDiskFaultNames = [dbDiskFaultCount]string{"none", "eio_sync", "bitflip", "full"}

func (f dbDiskFault) String() string { return dbDiskFaultNames[f] }

// dbDir is where a replica keeps its files on its MemFS.
const dbDir = "db"

var dbEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type dbNode struct {
	c       *dbCluster
	id      uint64
	founder bool
	fs      *diskio.MemFS
	clk     *clock.Sim
	ep      netio.Transport
	status  dbNodeStatus
	n       *node.Node // set while running or paused
	// incarnation counts Opens; a transport wrapper or timer of an older
	// incarnation is dead.
	incarnation int
	tickID      EventID
	// disk is the fault armed on this replica's disk (ever, this seed).
	disk    dbDiskFault
	stopErr error
	// everMember: a leader's configuration listed this replica, so its
	// absence from a later one means it was removed.
	everMember bool
	// past sums the metrics of dropped incarnations.
	past dbNodeCounts
}

// dbNodeCounts are the node metrics the campaign's probes and
// measurements sum over incarnations.
type dbNodeCounts struct {
	snapshotsTaken, snapshotsInstalled     uint64
	commitsOK, commitsSerialization        uint64
	commitsTooOld, commitsAmbiguous        uint64
	commitsUnavailable, beginsUnavailable  uint64
	electionsWon, transfersStarted         uint64
	lsmFlushes, lsmCompactions, badMessage uint64
	// lsmFilterDrops counts tombstones the GC dropped in compactions;
	// rangeDeletes counts ranges applied as LSM range tombstones (each
	// replica counts every range it applies, replays included).
	lsmFilterDrops, rangeDeletes uint64
}

func (a *dbNodeCounts) add(m node.Metrics) {
	a.snapshotsTaken += m.SnapshotsTaken
	a.snapshotsInstalled += m.SnapshotsInstalled
	a.commitsOK += m.CommitsOK
	a.commitsSerialization += m.CommitsSerialization
	a.commitsTooOld += m.CommitsTooOld
	a.commitsAmbiguous += m.CommitsAmbiguous
	a.commitsUnavailable += m.CommitsUnavailable
	a.beginsUnavailable += m.BeginsUnavailable
	a.electionsWon += m.Raft.ElectionsWon
	a.transfersStarted += m.Raft.TransfersStarted
	a.lsmFlushes += uint64(m.LSM.FlushCount)
	a.lsmCompactions += uint64(m.LSM.CompactionCount)
	a.badMessage += m.BadMessages
	a.lsmFilterDrops += uint64(m.LSM.CompactionFilterDrops)
	a.rangeDeletes += m.Apply.RangeDeletes
}

// dbTransport is one incarnation's view of the node's network endpoint.
type dbTransport struct {
	dn          *dbNode
	incarnation int
}

func (t dbTransport) Send(m netio.Message) error {
	if t.dn.incarnation != t.incarnation || t.dn.n == nil {
		return netio.ErrClosed
	}
	return t.dn.ep.Send(m)
}

// Close is a no-op: the endpoint outlives incarnations.
func (t dbTransport) Close() error { return nil }

func newDBNode(c *dbCluster, id uint64, founder bool) *dbNode {
	dn := &dbNode{
		c: c, id: id, founder: founder,
		fs:  diskio.NewMemFSRand(c.k.Rand(fmt.Sprintf("disk.%d", id))),
		clk: clock.NewSim(c.k.Now, dbEpoch),
	}
	if err := dn.fs.Configure(c.cfg.disk); err != nil {
		panic(err) // drawn in range
	}
	dn.ep = c.net.Join(netio.NodeID(id), dn.receive)
	return dn
}

// live reports whether the replica holds a Node (running or paused).
func (dn *dbNode) live() bool { return dn.status == dbRunning || dn.status == dbPaused }

// member reports whether clients may contact the replica's process.
func (dn *dbNode) contactable() bool { return dn.live() }

func (dn *dbNode) nodeConfig() node.Config {
	cfg := dn.c.cfg
	nc := node.Config{
		ID: dn.id, FS: dn.fs, Dir: dbDir,
		Transport:          dbTransport{dn: dn, incarnation: dn.incarnation},
		Rand:               dn.c.k.Rand(fmt.Sprintf("node.%d.%d", dn.id, dn.incarnation)),
		ElectionTicks:      cfg.electionTicks,
		HeartbeatTicks:     cfg.heartbeatTicks,
		CommitTimeoutTicks: cfg.commitTimeoutTicks,
		RetainedVersions:   cfg.retainedVersions,
		SnapshotInterval:   cfg.snapshotInterval,
		SnapshotChunkBytes: cfg.snapChunkBytes,
		// Paced compaction in small steps, so a seed sees compactions
		// interleave with everything else.
		CompactionBudgetBytes: cfg.compactionBudgetBytes,
		LSM: lsm.Options{
			MemtableSizeBytes:   cfg.memtableBytes,
			SSTableSizeBytes:    cfg.sstableBytes,
			BlockCacheSizeBytes: cfg.blockCacheBytes,
			L0CompactionTrigger: cfg.l0Trigger,
			LBaseMaxBytes:       cfg.lBaseBytes,
		},
		RaftLog: raftlog.Options{SegmentSizeBytesMax: cfg.segmentBytes, WriteBufferBytesMax: cfg.writeBufferBytes},
		Testing: dn.c.opts.Knobs,
	}
	if dn.founder {
		nc.Peers = dn.c.founders
	}
	return nc
}

// boot opens the replica from its disk: first start, restart, or a
// spare's provisioning.
func (dn *dbNode) boot() {
	dn.incarnation++
	n, err := node.Open(dn.nodeConfig())
	if err != nil {
		// A configuration error is the harness's bug.
		dn.c.k.Fail(fmt.Errorf("node %d: open: %w", dn.id, err))
		return
	}
	dn.n = n
	dn.status = dbRunning
	dn.c.count("db.boots")
	if dn.checkStopped() {
		return
	}
	dn.scheduleTick()
}

// checkStopped notices a Node that stopped itself, and reports whether it
// has. Called after every input the Node handles.
func (dn *dbNode) checkStopped() bool {
	if dn.n == nil {
		return false
	}
	cause := dn.n.Stopped()
	if cause == nil {
		return false
	}
	dn.stopErr = cause
	installed := dn.counts().snapshotsInstalled
	dn.drop()
	dn.status = dbStopped
	dn.c.count("db.node_stopped")
	dn.c.count("db.node_stopped." + dbStopKind(cause))
	if dn.disk == dbDiskNone {
		dn.c.k.Fail(fmt.Errorf("node %d stopped though its disk was never faulted (it installed %d snapshots; disk-faulted peers %v): %w",
			dn.id, installed, dn.c.faultedDisks(), cause))
	}
	return true
}

// dbStopKind names a stop cause for the counters.
func dbStopKind(err error) string {
	switch {
	case errors.Is(err, diskio.ErrNoSpace):
		return "enospc"
	case errors.Is(err, diskio.ErrIO):
		return "eio"
	default:
		return "corrupt"
	}
}

// drop forgets the Node object, keeping its counters.
func (dn *dbNode) drop() {
	if dn.n != nil {
		dn.past.add(dn.n.Metrics())
		dn.n = nil
	}
	if dn.tickID != 0 {
		dn.c.k.Cancel(dn.tickID)
		dn.tickID = 0
	}
}

func (dn *dbNode) crash() {
	switch dn.status {
	case dbRunning, dbPaused:
		dn.drop()
		dn.fs.Crash()
		dn.status = dbCrashed
		dn.c.count("db.crashes")
	case dbStopped:
		// A stopped replica's machine may lose power too; it stays down.
		dn.fs.Crash()
	}
}

func (dn *dbNode) restart() {
	if dn.status != dbCrashed {
		return
	}
	dn.c.count("db.restarts")
	dn.boot()
}

func (dn *dbNode) pause() {
	if dn.status != dbRunning {
		return
	}
	dn.c.k.Cancel(dn.tickID)
	dn.tickID = 0
	dn.status = dbPaused
}

func (dn *dbNode) resume() {
	if dn.status != dbPaused {
		return
	}
	dn.status = dbRunning
	dn.scheduleTick()
}

// decommission shuts down a replica the group removed; it never returns.
func (dn *dbNode) decommission() {
	if dn.status == dbRemoved || dn.status == dbOff {
		return
	}
	dn.drop()
	dn.status = dbRemoved
	dn.c.count("db.decommissioned")
}

// scheduleTick paces ticks on the replica's drifting monotonic clock: the
// true-time delay is stretched or shrunk by the drift. A tick is also the
// Node's background step (paced LSM work, periodic snapshots).
func (dn *dbNode) scheduleTick() {
	tick := dn.c.cfg.tick
	d := time.Duration(int64(tick) * 1_000_000 / (1_000_000 + dn.clk.DriftPPM()))
	dn.tickID = dn.c.k.Schedule(max(d, 1), "db.tick", dn.tick)
}

func (dn *dbNode) tick() {
	dn.tickID = 0
	if dn.status != dbRunning {
		return
	}
	dn.c.k.TraceU64(dn.id)
	dn.n.Tick()
	if dn.checkStopped() {
		return
	}
	dn.observe()
	dn.scheduleTick()
}

func (dn *dbNode) receive(m netio.Message) {
	if dn.status != dbRunning {
		return
	}
	dn.n.Receive(m)
	dn.checkStopped()
}

// observe checks election safety (one leader per term) and counts new
// leaders, once per tick.
func (dn *dbNode) observe() {
	// RoleTerm first: Status copies the membership and every peer's
	// progress, and only the leader needs the membership.
	if role, _, _ := dn.n.RoleTerm(); role != raft.RoleLeader {
		return
	}
	st := dn.n.Status()
	c := dn.c
	if prev, ok := c.leaderOfTerm[st.Term]; ok && prev != dn.id {
		c.k.Fail(fmt.Errorf("election safety: nodes %d and %d both lead term %d", prev, dn.id, st.Term))
		return
	}
	if _, ok := c.leaderOfTerm[st.Term]; !ok {
		c.leaderOfTerm[st.Term] = dn.id
		c.count("db.leaders_elected")
	}
	for _, id := range append(st.Voters, st.Learners...) {
		if int(id) <= len(c.nodes) && id > 0 {
			c.node(id).everMember = true
		}
	}
}

// counts returns this replica's metrics summed over incarnations.
func (dn *dbNode) counts() dbNodeCounts {
	s := dn.past
	if dn.n != nil {
		s.add(dn.n.Metrics())
	}
	return s
}

// faultedDisks lists the replicas whose disks the nemesis faulted.
func (c *dbCluster) faultedDisks() []uint64 {
	var ids []uint64
	for _, dn := range c.nodes {
		if dn.disk != dbDiskNone {
			ids = append(ids, dn.id)
		}
	}
	return ids
}
