package node

import (
	"errors"
	"fmt"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/mvcc"
	"github.com/lineradb/lineradb/raft"
	"github.com/lineradb/lineradb/raft/raftlog"
)

// ErrStopped is wrapped by the cause a stopped node reports.
var ErrStopped = errors.New("node: stopped")

// Node is one replica: the Raft core, its durable log, the MVCC state
// machine, and the gateway API. It is an event-driven object: its owner
// (the simulator, or the runtime's node loop) calls Tick, Receive and the
// client API from one goroutine. Callbacks run on that goroutine, after
// the node has finished handling the event that produced them.
//
// Invariants: st.Applied() is the last applied index and never exceeds the
// raft log's durable commit; while a Ready is being handled no input is fed
// to rn; a stopped node holds no open reader and no pending request.
type Node struct {
	cfg         Config
	rn          *raft.Raft
	log         *raftlog.Log
	st          *mvcc.Store
	ptr         pointer
	snap        raft.SnapshotMeta // latest snapshot whose archive we hold
	incarnation uint64
	ticks       uint64
	stopped     error

	readSeq, reqSeq, txnSeq uint64
	begins                  []*pendingBegin  // by creation
	commits                 []*pendingCommit // by creation
	txns                    map[uint64]*Txn  // open transactions holding readers
	callbacks               []func()
	inCallbacks             bool
	staging                 diskio.File
	// prepared is the index of the received snapshot VerifySnapshot
	// unpacked and verified, which installSnapshot switches to (0: none).
	prepared uint64
	// logUnsynced is set while the raft log holds written state (a hard
	// state that only advanced Commit) that is not fsynced yet; the LSM
	// syncs it before making applied entries durable (lsmFS).
	logUnsynced bool
	// fault is a failure of this node's disk met where the node cannot
	// stop at once (inside a raft Step); process stops the node with it.
	fault error

	m counters
}

// Open recovers (or creates) the replica in cfg.Dir. A configuration error
// returns an error; a disk that cannot vouch for its contents (a corrupt
// raft log, an unreadable LSM) returns a node that is already stopped with
// the cause, so the owner treats every failure the same way.
func Open(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, txns: map[uint64]*Txn{}}
	if err := n.recover(cfg.Rand.Uint64()); err != nil {
		n.stop(err)
	}
	return n, nil
}

func (n *Node) recover(seed uint64) error {
	fs := n.cfg.FS
	if err := fs.MkdirAll(n.cfg.Dir); err != nil {
		return err
	}
	inc, err := n.nextIncarnation(seed)
	if err != nil {
		return err
	}
	n.incarnation = inc
	ptr, found, err := n.readPointer()
	if err != nil {
		return err
	}
	if !found {
		if err := fs.MkdirAll(n.path(lsmDirName(0))); err != nil {
			return err
		}
		if err := n.writePointer(ptr); err != nil {
			return err
		}
	}
	n.ptr = ptr
	log, rec, err := raftlog.Open(fs, n.path(raftDirName), n.cfg.RaftLog)
	if err != nil {
		return err
	}
	n.log = log
	if ptr.meta.Index > rec.Snapshot.Index {
		// A crash between switching the LSM and truncating the log.
		if err := log.Compact(ptr.meta); err != nil {
			return err
		}
	}
	st, err := mvcc.Open(n.lsmFS(), n.path(lsmDirName(ptr.lsmIndex)), n.storeOptions())
	if err != nil {
		return err
	}
	n.st = st
	n.snap = log.Snapshot()
	if err := n.removeOrphans(lsmDirName(ptr.lsmIndex), archiveName(n.snap.Index)); err != nil {
		return err
	}
	return n.startRaft()
}

// lsmFS is the FS the live LSM runs on (see lsmFS).
func (n *Node) lsmFS() diskio.FS { return lsmFS{FS: n.cfg.FS, beforeDurable: n.syncLogForLSM} }

// syncLogForLSM makes the raft log's written state durable before the
// LSM makes applied entries durable, so the durable applied index never
// exceeds the durable commit index.
func (n *Node) syncLogForLSM() error {
	if !n.logUnsynced || n.log == nil {
		return nil
	}
	if err := n.log.Sync(); err != nil {
		return err
	}
	n.logUnsynced = false
	n.m.logSyncsForLSM++
	return nil
}

func (n *Node) storeOptions() mvcc.Options {
	return mvcc.Options{LSM: n.cfg.LSM, RetainedVersions: n.cfg.RetainedVersions, SkipReadSetCheck: n.cfg.Testing.SkipReadSetCheck}
}

func (n *Node) startRaft() error {
	snap, applied := n.log.Snapshot(), n.st.Applied()
	if applied < snap.Index {
		return fmt.Errorf("%w: state machine at %d behind the log's snapshot %d", ErrCorruptState, applied, snap.Index)
	}
	ents, err := n.log.Entries(n.log.FirstIndex(), n.log.LastIndex()+1, 0)
	if err != nil && n.log.LastIndex() >= n.log.FirstIndex() {
		return err
	}
	hs := n.log.HardState()
	if durable := max(hs.Commit, snap.Index); applied > durable && !n.cfg.Testing.AckBeforeFsync {
		// lsmFS syncs the log before every flush; only the canary that
		// never fsyncs the log may come back with the LSM ahead of it.
		return fmt.Errorf("%w: state machine at %d ahead of the durable commit %d", ErrCorruptState, applied, durable)
	}
	rc := raft.Recovered{HardState: hs, Snapshot: snap, Entries: ents, Applied: min(applied, max(hs.Commit, snap.Index))}
	rn, err := raft.New(raft.Config{
		ID: n.cfg.ID, Peers: n.cfg.Peers, Learners: n.cfg.Learners,
		ElectionTicks: n.cfg.ElectionTicks, HeartbeatTicks: n.cfg.HeartbeatTicks,
		PreVote: true, CheckQuorum: true,
		SnapshotChunkBytes: n.cfg.SnapshotChunkBytes,
		SnapshotSource:     snapshotSource{n},
		SnapshotVerifier:   snapshotVerifier{n},
		Rand:               n.cfg.Rand,
	}, rc)
	if err != nil {
		return err
	}
	n.rn = rn
	return nil
}

// stop puts the node in the Stopped state: nothing more is persisted,
// sent, voted or served. Pending requests fail (commits as ambiguous: they
// may have committed elsewhere).
func (n *Node) stop(cause error) {
	if n.stopped != nil {
		return
	}
	n.stopped = fmt.Errorf("%w: %w", ErrStopped, cause)
	n.failPending(fmt.Errorf("%w: %w", kv.ErrUnavailable, n.stopped), fmt.Errorf("%w: %w", kv.ErrAmbiguous, n.stopped))
	n.detachTxns()
	if n.staging != nil {
		n.staging.Close()
		n.staging = nil
	}
	if n.st != nil {
		n.st.Close()
	}
	if n.log != nil {
		n.log.Close()
	}
}

// Stopped returns the cause if the node has stopped, else nil.
func (n *Node) Stopped() error { return n.stopped }

// Close shuts the node down cleanly: pending requests fail, the LSM is
// flushed (so a restart replays less), files are closed.
func (n *Node) Close() error {
	if n.stopped != nil {
		n.runCallbacks()
		return nil
	}
	var err error
	if n.st != nil {
		err = n.st.Flush()
	}
	if n.log != nil && err == nil {
		err = n.log.Sync()
	}
	n.stop(errors.New("closed"))
	n.runCallbacks()
	return err
}

// ID is the node's id.
func (n *Node) ID() uint64 { return n.cfg.ID }

// Tick advances the node's logical time by one tick: Raft timers, request
// timeouts, paced LSM work, and the periodic snapshot.
func (n *Node) Tick() {
	defer n.runCallbacks()
	if n.stopped != nil {
		return
	}
	n.ticks++
	n.rn.Tick()
	n.process()
	n.expire()
	if n.stopped == nil {
		if _, err := n.st.Step(n.cfg.CompactionBudgetBytes); err != nil {
			n.stop(err)
			return
		}
	}
	if n.stopped == nil && n.st.Applied() >= n.snap.Index+n.cfg.SnapshotInterval {
		if err := n.takeSnapshot(); err != nil {
			n.stop(err)
		}
	}
}

// Receive handles one message from the transport. Malformed messages are
// counted and dropped: bad input never stops the node.
func (n *Node) Receive(m netio.Message) {
	defer n.runCallbacks()
	if n.stopped != nil {
		return
	}
	if m.Type != MsgRaft || uint64(m.To) != n.cfg.ID {
		n.m.badMessages++
		return
	}
	msg, err := raft.Decode(m.Payload)
	if err != nil {
		n.m.badMessages++
		return
	}
	if err := n.rn.Step(msg); err != nil {
		n.m.badMessages++
	}
	n.process()
}

// Campaign makes the node start an election now (tests, admin).
func (n *Node) Campaign() error {
	defer n.runCallbacks()
	if n.stopped != nil {
		return n.stopped
	}
	err := n.rn.Campaign()
	n.process()
	return err
}

// later queues a callback to run once the current event is handled.
func (n *Node) later(fn func()) { n.callbacks = append(n.callbacks, fn) }

// runCallbacks runs queued callbacks in order. A callback may call back
// into the node; the callbacks that produces run in this same loop.
func (n *Node) runCallbacks() {
	if n.inCallbacks {
		return
	}
	n.inCallbacks = true
	defer func() { n.inCallbacks = false }()
	for len(n.callbacks) > 0 {
		fn := n.callbacks[0]
		n.callbacks = n.callbacks[1:]
		fn()
	}
}

// process runs the Ready loop until raft has no more work.
func (n *Node) process() {
	if n.fault != nil {
		n.stop(n.fault)
		return
	}
	for n.stopped == nil && n.rn.HasReady() {
		rd := n.rn.Ready()
		if err := n.handleReady(rd); err != nil {
			n.stop(err)
			return
		}
		n.rn.Advance(rd)
		n.checkTerm()
	}
}

// handleReady follows raft's contract: stage chunks, install a snapshot,
// persist entries and hard state (fsync), then send, apply, answer reads.
func (n *Node) handleReady(rd raft.Ready) error {
	if n.cfg.Testing.AckBeforeFsync {
		n.send(rd.Messages)
	}
	if err := n.stageChunks(rd.SnapshotChunks); err != nil {
		return err
	}
	if rd.Snapshot != nil {
		if err := n.installSnapshot(*rd.Snapshot); err != nil {
			return err
		}
	}
	if err := n.persist(rd); err != nil {
		return err
	}
	if !n.cfg.Testing.AckBeforeFsync {
		n.send(rd.Messages)
	}
	for _, e := range rd.CommittedEntries {
		if err := n.apply(e); err != nil {
			return err
		}
	}
	for _, rs := range rd.ReadStates {
		n.readState(rs)
	}
	n.wakeBegins()
	return nil
}

func (n *Node) persist(rd raft.Ready) error {
	if len(rd.Entries) > 0 {
		if err := n.log.Append(rd.Entries); err != nil {
			return err
		}
	}
	if !rd.HardState.IsEmpty() {
		if err := n.log.SetHardState(rd.HardState); err != nil {
			return err
		}
	}
	n.logUnsynced = n.logUnsynced || len(rd.Entries) > 0 || !rd.HardState.IsEmpty()
	// Only when raft asks: a hard state that merely advances Commit may
	// stay unsynced; the LSM syncs it before a flush could make entries
	// applied under it durable (lsmFS).
	if !rd.MustSync {
		return nil
	}
	if err := n.log.Sync(); err != nil {
		return err
	}
	n.logUnsynced = false
	return nil
}

func (n *Node) send(msgs []raft.Message) {
	for _, m := range msgs {
		// Send errors are advisory: raft tolerates lost messages.
		_ = n.cfg.Transport.Send(netio.Message{From: netio.NodeID(n.cfg.ID), To: netio.NodeID(m.To), Type: MsgRaft, Payload: raft.Encode(m)})
	}
}

// apply applies one committed entry to the state machine.
func (n *Node) apply(e raft.Entry) error {
	if e.Index <= n.st.Applied() {
		return nil // the LSM already holds it (recovered ahead of the log's commit)
	}
	if e.Type != raft.EntryNormal || len(e.Data) == 0 {
		return n.st.ApplyEmpty(e.Index)
	}
	c, err := mvcc.DecodeCommit(e.Data)
	if err != nil {
		// Every replica decodes the same bytes the same way, so skipping a
		// malformed entry keeps them identical.
		n.m.malformedEntries++
		return n.st.ApplyEmpty(e.Index)
	}
	out, err := n.st.ApplyCommit(e.Index, c)
	if err != nil {
		return err
	}
	if c.ID.Node == n.cfg.ID && c.ID.Incarnation == n.incarnation {
		n.resolveCommit(c.ID, e.Index, out)
	}
	return nil
}
