package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/raft"
	"github.com/lineradb/lineradb/raft/raftlog"
)

// One simulated Raft member: raft.Raft over a raftlog.Log on its own
// MemFS, the kv register state machine, a transport on the simulated
// network and a drifting clock that paces its ticks.
//
// The node follows raft/doc.go's Ready contract exactly, per Ready:
//
//  1. stage snapshot chunks (in memory: a crash restarts the transfer, and
//     the core's own receive state is volatile too);
//  2. if a snapshot completed, write it durably to the snapshot file, then
//     make it the log's base (raftlog.Compact);
//  3. append the entries, set the hard state, and Sync once if MustSync
//     (group commit);
//  4. only then send the messages;
//  5. install the snapshot into the state machine, apply the committed
//     entries, answer the reads they unblock;
//  6. Advance.
//
// Durable state is the raft log and one snapshot file ("snap": meta plus
// kv state at meta.Index, replaced atomically). The state machine itself
// is volatile: a restart loads the snapshot and Raft redelivers the
// committed entries after it.
//
// A node whose disk fails (EIO, a poisoned log) or whose durable state is
// corrupt stops for good: it refuses to serve rather than vote or
// acknowledge with a log that may have lost what it promised. That is
// correct behaviour when the disk was faulted; on a node whose disk was
// never faulted it is a bug, and the run fails.

// raftMsgType is the netio message type carrying raft.Encode payloads.
const raftMsgType netio.MessageType = 1

// Bounds of one node's queues.
const (
	// pendingOpsMax bounds client writes and reads waiting on one node;
	// beyond it the oldest (long timed out by then) is dropped.
	pendingOpsMax = 256
	// readyRoundsMax bounds the Ready/Advance rounds one input may cause;
	// more means the core keeps producing work without new input.
	readyRoundsMax = 1000
	// snapReadRetriesMax is how often a snapshot file that fails its
	// checksum is re-read before it is believed corrupt (MemFS flips
	// bits on the way, not on the platter).
	snapReadRetriesMax = 3
)

const (
	raftDir     = "raft"
	snapFile    = "snap"
	snapTmpFile = "snap.tmp"
)

// nodeStatus is a member's process state.
type nodeStatus int

const (
	nodeOff     nodeStatus = iota // a spare, never provisioned
	nodeRunning                   // serving
	nodePaused                    // frozen with its state (SIGSTOP)
	nodeCrashed                   // down; durable state kept
	nodeStopped                   // refused to serve after a disk failure
	nodeRemoved                   // decommissioned after leaving the group
)

var nodeStatusNames = [...]string{"off", "running", "paused", "crashed", "stopped", "removed"}

func (s nodeStatus) String() string { return nodeStatusNames[s] }

// pendingWrite is a client command waiting to be applied on this node.
type pendingWrite struct {
	client uint32
	seq    uint64
	done   func(kvResult)
}

// pendingRead is a ReadIndex read waiting for its read index and then for
// the state machine to reach it.
type pendingRead struct {
	ctx        uint64
	key        int64
	index      uint64
	indexKnown bool
	done       func(value int64, found bool)
}

type raftNode struct {
	c       *raftCluster
	id      uint64
	founder bool
	fs      *diskio.MemFS
	clk     *clock.Sim
	tr      netio.Transport
	status  nodeStatus
	// diskFaulty: the nemesis armed disk faults on this node, so stopping
	// on a disk error is expected.
	diskFaulty bool
	stopErr    error
	// everMember: a leader's committed configuration listed this node,
	// so leaving it later means it was removed.
	everMember bool

	// Volatile: valid while running or paused, lost on crash.
	rn       *raft.Raft
	log      *raftlog.Log
	kv       kvState
	applied  uint64
	snapMeta raft.SnapshotMeta
	// snapData is the state bytes of snapMeta, served to laggards.
	snapData   []byte
	staged     []byte
	stagedMeta raft.SnapshotMeta
	writes     []pendingWrite
	reads      []pendingRead
	tickID     EventID
	// unsynced: the AckBeforeFsync knob left a batch unsynced.
	unsynced bool
	// Per-incarnation check state: the last commit index seen.
	commit uint64
}

func newRaftNode(c *raftCluster, id uint64, founder bool) *raftNode {
	n := &raftNode{
		c: c, id: id, founder: founder,
		fs:  diskio.NewMemFSRand(c.k.Rand(fmt.Sprintf("disk.%d", id))),
		clk: clock.NewSim(c.k.Now, simEpoch),
	}
	if err := n.fs.Configure(c.cfg.disk); err != nil {
		panic(err) // drawn in range
	}
	n.tr = c.net.Join(netio.NodeID(id), n.receive)
	return n
}

var simEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// live reports whether the node holds volatile state (running or paused).
func (n *raftNode) live() bool { return n.status == nodeRunning || n.status == nodePaused }

// boot starts the node from its durable state: first start or restart.
func (n *raftNode) boot() {
	log, rec, err := raftlog.Open(n.fs, raftDir, n.c.logOptions())
	if err != nil {
		n.fatal(fmt.Errorf("open log: %w", err))
		return
	}
	if rec.TornTail != nil {
		n.c.count("raft.torn_tail_cut")
	}
	meta, state, err := n.loadSnapshot()
	if err != nil {
		n.fatal(err)
		return
	}
	if err := n.reconcileSnapshot(log, meta); err != nil {
		n.fatal(err)
		return
	}
	var ents []raft.Entry
	if log.LastIndex() >= log.FirstIndex() {
		if ents, err = log.Entries(log.FirstIndex(), log.LastIndex()+1, 0); err != nil {
			n.fatal(fmt.Errorf("read log: %w", err))
			return
		}
	}
	rc := raft.Recovered{HardState: log.HardState(), Snapshot: log.Snapshot(), Entries: ents, Applied: meta.Index}
	rn, err := raft.New(n.c.raftConfig(n), rc)
	if err != nil {
		n.c.k.Fail(fmt.Errorf("node %d: raft rejected recovered state: %w", n.id, err))
		return
	}
	n.rn, n.log, n.kv, n.applied = rn, log, state, meta.Index
	n.snapMeta, n.snapData = meta, state.encode()
	n.staged, n.writes, n.reads, n.unsynced = nil, nil, nil, false
	n.commit = max(rc.HardState.Commit, rc.Snapshot.Index)
	n.status = nodeRunning
	n.c.chk.onBoot(n)
	n.scheduleTick()
	n.process()
}

// reconcileSnapshot finishes an install that a crash interrupted between
// writing the snapshot file and compacting the log (the file is always
// written first, so it is never behind the log's snapshot).
func (n *raftNode) reconcileSnapshot(log *raftlog.Log, meta raft.SnapshotMeta) error {
	base := log.Snapshot()
	switch {
	case meta.Index < base.Index:
		n.c.k.Fail(fmt.Errorf("node %d: snapshot file at %d behind the log's snapshot %d", n.id, meta.Index, base.Index))
		return errors.New("snapshot file behind log")
	case meta.Index > base.Index:
		if err := log.Compact(meta); err != nil {
			return fmt.Errorf("finish snapshot install: %w", err)
		}
		n.c.count("raft.snapshot_install_resumed")
	}
	return nil
}

// loadSnapshot reads the snapshot file; none means an empty state at 0.
func (n *raftNode) loadSnapshot() (raft.SnapshotMeta, kvState, error) {
	f, err := n.fs.Open(snapFile)
	if errors.Is(err, diskio.ErrNotExist) {
		return raft.SnapshotMeta{}, newKVState(), nil
	}
	if err != nil {
		return raft.SnapshotMeta{}, kvState{}, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return raft.SnapshotMeta{}, kvState{}, fmt.Errorf("snapshot size: %w", err)
	}
	var lastErr error
	for range snapReadRetriesMax {
		b := make([]byte, size)
		if _, err := f.ReadAt(b, 0); err != nil {
			lastErr = fmt.Errorf("read snapshot: %w", err)
			continue
		}
		meta, raw, err := decodeSnapFile(b)
		if err != nil {
			lastErr = err
			continue
		}
		st, err := decodeKVState(raw)
		if err != nil {
			lastErr = err
			continue
		}
		return meta, st, nil
	}
	return raft.SnapshotMeta{}, kvState{}, fmt.Errorf("snapshot file: %w", lastErr)
}

// writeSnapshot replaces the snapshot file atomically and durably: write a
// temporary file, fsync, rename, sync the directory.
func (n *raftNode) writeSnapshot(meta raft.SnapshotMeta, state []byte) error {
	f, err := n.fs.Create(snapTmpFile)
	if err != nil {
		return err
	}
	_, err = f.Write(encodeSnapFile(meta, state))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = n.fs.Rename(snapTmpFile, snapFile)
	}
	if err == nil {
		err = n.fs.SyncDir(".")
	}
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	n.c.count("raft.snapshot_files_written")
	return nil
}

// fatal stops the node for good. Expected on a faulted disk; a bug
// otherwise.
func (n *raftNode) fatal(err error) {
	n.stopErr = err
	n.dropVolatile()
	n.status = nodeStopped
	n.c.count("raft.node_stopped")
	if !n.diskFaulty {
		n.c.k.Fail(fmt.Errorf("node %d stopped with no disk fault injected: %w", n.id, err))
	}
}

func (n *raftNode) dropVolatile() {
	n.c.k.Cancel(n.tickID)
	n.tickID = 0
	n.rn, n.log = nil, nil
	n.kv, n.snapData, n.staged = kvState{}, nil, nil
	n.writes, n.reads = nil, nil
}

// crash loses everything volatile and whatever the disk had not synced.
func (n *raftNode) crash() {
	if !n.live() {
		return
	}
	n.c.chk.onCrash(n)
	n.dropVolatile()
	if n.unsyncedBytes() {
		n.c.count("raft.crash_lost_unsynced")
	}
	n.fs.Crash()
	n.status = nodeCrashed
	n.c.count("raft.crashes")
}

// unsyncedBytes reports whether any log file holds writes a crash may
// lose (a coverage probe: crashes that lose nothing test little).
func (n *raftNode) unsyncedBytes() bool {
	names, err := n.fs.List(raftDir)
	if err != nil {
		return false
	}
	for _, name := range names {
		if p, err := n.fs.PendingOps(raftDir + "/" + name); err == nil && p > 0 {
			return true
		}
	}
	return false
}

func (n *raftNode) restart() {
	if n.status != nodeCrashed {
		return
	}
	n.c.count("raft.restarts")
	n.boot()
}

func (n *raftNode) pause() {
	if n.status != nodeRunning {
		return
	}
	n.c.k.Cancel(n.tickID)
	n.tickID = 0
	n.status = nodePaused
}

func (n *raftNode) resume() {
	if n.status != nodePaused {
		return
	}
	n.status = nodeRunning
	n.scheduleTick()
}

// decommission shuts down a member the group removed; it never returns.
func (n *raftNode) decommission() {
	n.dropVolatile()
	n.status = nodeRemoved
	n.c.count("raft.decommissioned")
}

// scheduleTick paces ticks on the node's own drifting monotonic clock:
// the true-time delay is stretched or shrunk by the drift.
func (n *raftNode) scheduleTick() {
	tick := n.c.cfg.tick
	d := time.Duration(int64(tick) * 1_000_000 / (1_000_000 + n.clk.DriftPPM()))
	n.tickID = n.c.k.Schedule(max(d, 1), "raft.tick", n.tick)
}

func (n *raftNode) tick() {
	n.tickID = 0
	if n.status != nodeRunning {
		return
	}
	n.c.k.TraceU64(n.id)
	if n.unsynced {
		// The AckBeforeFsync knob: the batch acknowledged last tick
		// becomes durable only now.
		n.unsynced = false
		if err := n.log.Sync(); err != nil {
			n.fatal(err)
			return
		}
	}
	n.rn.Tick()
	n.process()
	if n.status == nodeRunning {
		n.scheduleTick()
	}
}

func (n *raftNode) receive(m netio.Message) {
	if n.status != nodeRunning {
		return
	}
	rm, err := raft.Decode(m.Payload)
	if err != nil {
		// The network never corrupts a payload (netio's CRC drops
		// those), so an undecodable one is a codec bug.
		n.c.k.Fail(fmt.Errorf("node %d: decode from %d: %w", n.id, m.From, err))
		return
	}
	if err := n.rn.Step(rm); err != nil {
		n.c.k.Fail(fmt.Errorf("node %d: step %v: %w", n.id, rm, err))
		return
	}
	n.process()
}

// process runs Ready/Advance rounds until the core has no work, then
// serves reads and maybe takes a snapshot.
func (n *raftNode) process() {
	for round := 0; n.status == nodeRunning && n.rn.HasReady(); round++ {
		if round >= readyRoundsMax {
			panic(fmt.Sprintf("sim: node %d: more than %d Ready rounds for one input", n.id, readyRoundsMax))
		}
		rd := n.rn.Ready()
		if !n.handleReady(rd) {
			return
		}
		n.rn.Advance(rd)
	}
	if n.status == nodeRunning {
		n.serveReads()
		n.maybeSnapshot()
	}
}

// handleReady performs steps 1–5 of the contract; false if the node
// stopped on the way.
func (n *raftNode) handleReady(rd raft.Ready) bool {
	if err := n.persist(rd); err != nil {
		if !errors.Is(err, errRunFailed) {
			n.fatal(err)
		}
		return false
	}
	if !n.c.chk.onPersisted(n, rd) {
		return false
	}
	for _, m := range rd.Messages {
		// Send errors are advisory: the protocol retransmits.
		_ = n.tr.Send(netio.Message{To: netio.NodeID(m.To), Type: raftMsgType, Payload: raft.Encode(m)})
	}
	if rd.Snapshot != nil && !n.installSnapshot(*rd.Snapshot) {
		return false
	}
	for _, e := range rd.CommittedEntries {
		if !n.applyEntry(e) {
			return false
		}
	}
	for _, rs := range rd.ReadStates {
		n.readIndexKnown(rs)
	}
	return true
}

// persist is steps 1–3: stage chunks, make a completed snapshot durable,
// append, set the hard state, and sync once.
func (n *raftNode) persist(rd raft.Ready) error {
	for _, ch := range rd.SnapshotChunks {
		if ch.Offset == 0 {
			n.staged, n.stagedMeta = nil, ch.Meta
		}
		if ch.Offset != uint64(len(n.staged)) {
			return n.c.fail(fmt.Errorf("node %d: snapshot chunk at %d, staged %d", n.id, ch.Offset, len(n.staged)))
		}
		n.staged = append(n.staged, ch.Data...)
	}
	if rd.Snapshot != nil {
		if err := n.persistSnapshot(*rd.Snapshot); err != nil {
			return err
		}
	}
	if len(rd.Entries) > 0 {
		if err := n.log.Append(rd.Entries); err != nil {
			return fmt.Errorf("append: %w", err)
		}
	}
	if !rd.HardState.IsEmpty() {
		if err := n.log.SetHardState(rd.HardState); err != nil {
			return fmt.Errorf("set hard state: %w", err)
		}
	}
	if !rd.MustSync {
		// Raft asks for a sync when a commit reaches a membership change
		// (raft/doc.go), so a commit-only HardState may stay unsynced.
		return nil
	}
	if n.c.opts.AckBeforeFsync {
		n.unsynced = true
		return nil
	}
	if err := n.log.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// persistSnapshot writes a received snapshot to the snapshot file and
// makes it the log's base, in that order (see reconcileSnapshot).
func (n *raftNode) persistSnapshot(meta raft.SnapshotMeta) error {
	if meta.Index != n.stagedMeta.Index || meta.Term != n.stagedMeta.Term {
		return n.c.fail(fmt.Errorf("node %d: snapshot %d/%d completed, staged %d/%d",
			n.id, meta.Index, meta.Term, n.stagedMeta.Index, n.stagedMeta.Term))
	}
	if _, err := decodeKVState(n.staged); err != nil {
		return n.c.fail(fmt.Errorf("node %d: received snapshot %d: %w", n.id, meta.Index, err))
	}
	if err := n.writeSnapshot(meta, n.staged); err != nil {
		return err
	}
	if err := n.log.Compact(meta); err != nil {
		return fmt.Errorf("compact to received snapshot: %w", err)
	}
	return nil
}

// installSnapshot is step 5's first half: the state machine jumps to the
// snapshot.
func (n *raftNode) installSnapshot(meta raft.SnapshotMeta) bool {
	st, err := decodeKVState(n.staged)
	if err != nil {
		n.c.k.Fail(fmt.Errorf("node %d: install snapshot: %w", n.id, err))
		return false
	}
	n.kv, n.applied = st, meta.Index
	n.snapMeta, n.snapData = meta, n.staged
	n.staged = nil
	n.c.count("raft.snapshots_installed")
	return n.c.chk.onInstall(n, meta)
}

// applyEntry applies one committed entry and answers the client waiting
// for it here, if any.
func (n *raftNode) applyEntry(e raft.Entry) bool {
	if e.Index != n.applied+1 {
		n.c.k.Fail(fmt.Errorf("node %d: applying %d after %d", n.id, e.Index, n.applied))
		return false
	}
	var cmd kvCmd
	var res kvResult
	if e.Type == raft.EntryNormal {
		var err error
		if cmd, err = decodeKVCmd(e.Data); err != nil {
			n.c.k.Fail(fmt.Errorf("node %d: entry %d: %w", n.id, e.Index, err))
			return false
		}
		res = n.kv.apply(cmd)
	}
	n.applied = e.Index
	if !n.c.chk.onApply(n, e) {
		return false
	}
	if e.Type == raft.EntryNormal {
		n.c.onApplied(n, cmd)
		n.answerWrite(cmd, res)
	}
	return true
}

func (n *raftNode) answerWrite(cmd kvCmd, res kvResult) {
	for i, w := range n.writes {
		if w.client == cmd.client && w.seq == cmd.seq {
			n.writes = append(n.writes[:i], n.writes[i+1:]...)
			if !res.duplicate {
				w.done(res)
			}
			return
		}
	}
}

// submitWrite proposes a client command through this node.
func (n *raftNode) submitWrite(cmd kvCmd, done func(kvResult)) error {
	if err := n.rn.Propose(cmd.encode()); err != nil {
		return err
	}
	if len(n.writes) >= pendingOpsMax {
		n.writes = n.writes[1:]
	}
	n.writes = append(n.writes, pendingWrite{client: cmd.client, seq: cmd.seq, done: done})
	n.process()
	return nil
}

func readCtx(client uint32, seq uint64) uint64 { return uint64(client)<<48 | seq }

// submitRead starts a linearizable read: ReadIndex, then wait until the
// state machine reaches the read index. The ReadsWithoutReadIndex knob
// answers from local state at once instead: stale reads.
func (n *raftNode) submitRead(ctx uint64, key int64, done func(int64, bool)) error {
	if n.c.opts.ReadsWithoutReadIndex {
		v, ok := n.kv.get(key)
		done(v, ok)
		return nil
	}
	if err := n.rn.ReadIndex(binary.LittleEndian.AppendUint64(nil, ctx)); err != nil {
		return err
	}
	if len(n.reads) >= pendingOpsMax {
		n.reads = n.reads[1:]
	}
	n.reads = append(n.reads, pendingRead{ctx: ctx, key: key, done: done})
	n.process()
	return nil
}

func (n *raftNode) readIndexKnown(rs raft.ReadState) {
	if len(rs.Context) != 8 {
		n.c.k.Fail(fmt.Errorf("node %d: read state context of %d bytes", n.id, len(rs.Context)))
		return
	}
	ctx := binary.LittleEndian.Uint64(rs.Context)
	for i := range n.reads {
		if n.reads[i].ctx == ctx && !n.reads[i].indexKnown {
			n.reads[i].index, n.reads[i].indexKnown = rs.Index, true
			return
		}
	}
}

// serveReads answers every read whose index the state machine reached.
func (n *raftNode) serveReads() {
	kept := n.reads[:0]
	var ready []pendingRead
	for _, r := range n.reads {
		if r.indexKnown && r.index <= n.applied {
			ready = append(ready, r)
		} else {
			kept = append(kept, r)
		}
	}
	n.reads = kept
	for _, r := range ready {
		v, ok := n.kv.get(r.key)
		r.done(v, ok)
	}
}

// maybeSnapshot snapshots the state machine every snapshotEvery applied
// entries: write the file durably, then let the core and the log drop
// what it covers.
func (n *raftNode) maybeSnapshot() {
	if n.applied < n.snapMeta.Index+uint64(n.c.cfg.snapshotEvery) {
		return
	}
	st := n.rn.Status()
	if st.Commit != n.applied || st.Applied != n.applied {
		return // the core hands more entries soon; snapshot then
	}
	term, err := n.log.Term(n.applied)
	if err != nil {
		n.c.k.Fail(fmt.Errorf("node %d: term of applied %d: %w", n.id, n.applied, err))
		return
	}
	meta := raft.SnapshotMeta{Index: n.applied, Term: term, Conf: st.Conf}
	data := n.kv.encode()
	if err := n.writeSnapshot(meta, data); err != nil {
		n.fatal(err)
		return
	}
	got, err := n.rn.Compact(n.applied)
	if err != nil {
		n.c.k.Fail(fmt.Errorf("node %d: compact %d: %w", n.id, n.applied, err))
		return
	}
	if !sameSnapMeta(got, meta) {
		n.c.k.Fail(fmt.Errorf("node %d: core's snapshot meta %+v differs from the file's %+v", n.id, got, meta))
		return
	}
	n.snapMeta, n.snapData = meta, data
	if err := n.log.Compact(meta); err != nil {
		n.fatal(fmt.Errorf("compact log: %w", err))
		return
	}
	n.c.count("raft.snapshots_taken")
}

func sameSnapMeta(a, b raft.SnapshotMeta) bool {
	return a.Index == b.Index && a.Term == b.Term &&
		equalIDs(a.Conf.Voters, b.Conf.Voters) && equalIDs(a.Conf.Learners, b.Conf.Learners)
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// snapSource serves the node's current snapshot to the core. It goes
// through the node, not a captured incarnation, so a restarted node serves
// what it now holds.
type snapSource struct{ n *raftNode }

func (s snapSource) ReadChunk(meta raft.SnapshotMeta, offset uint64, maxBytes int) ([]byte, bool, error) {
	n := s.n
	if n.snapData == nil || meta.Index != n.snapMeta.Index || meta.Term != n.snapMeta.Term {
		return nil, false, raft.ErrSnapshotUnavailable
	}
	if offset > uint64(len(n.snapData)) {
		return nil, false, raft.ErrSnapshotUnavailable
	}
	end := min(offset+uint64(maxBytes), uint64(len(n.snapData)))
	return n.snapData[offset:end], end == uint64(len(n.snapData)), nil
}
