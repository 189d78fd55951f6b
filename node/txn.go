package node

import (
	"encoding/binary"
	"fmt"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/mvcc"
	"github.com/lineradb/lineradb/raft"
)

// pendingBegin is a Begin waiting for its read index, then for the local
// replica to apply that far.
type pendingBegin struct {
	seq           uint64
	opts          kv.TxnOptions
	cb            func(*Txn, error)
	deadlineTicks uint64
	index         uint64
	haveIndex     bool
}

// pendingCommit is a proposed commit waiting to be applied locally.
type pendingCommit struct {
	id            mvcc.ReqID
	cb            func(kv.CommitResult, error)
	term          uint64
	deadlineTicks uint64
}

func (n *Node) pendingFull() bool { return len(n.begins)+len(n.commits) >= n.cfg.PendingMax }

func (n *Node) unavailable(cause error) error {
	return fmt.Errorf("%w: %w", kv.ErrUnavailable, cause)
}

// Begin starts a transaction. cb receives it once the node has a
// linearizable read version: a ReadIndex round through the leader (any
// replica may serve), then the local apply reaching that index; the
// transaction reads at the local applied index at that moment, which is at
// least the read index. Failures are kv.ErrUnavailable: a Begin has no
// effect, so it is always safe to retry.
func (n *Node) Begin(opts kv.TxnOptions, cb func(*Txn, error)) {
	defer n.runCallbacks()
	switch {
	case n.stopped != nil:
		n.later(func() { cb(nil, n.unavailable(n.stopped)) })
		return
	case n.pendingFull():
		n.m.beginsUnavailable++
		n.later(func() { cb(nil, n.unavailable(fmt.Errorf("node: %d requests pending", n.cfg.PendingMax))) })
		return
	}
	n.readSeq++
	pb := &pendingBegin{seq: n.readSeq, opts: opts, cb: cb, deadlineTicks: n.ticks + uint64(n.cfg.BeginTimeoutTicks)}
	if n.cfg.Testing.ReadsWithoutReadIndex {
		pb.index, pb.haveIndex = n.st.Applied(), true
	} else if err := n.rn.ReadIndex(n.readContext(pb.seq)); err != nil {
		n.m.beginsUnavailable++
		n.later(func() { cb(nil, n.unavailable(err)) })
		return
	}
	n.begins = append(n.begins, pb)
	n.process()
	n.wakeBegins()
}

// readContextBytes is the size of a read-index context: node id,
// incarnation, per-incarnation sequence number.
const readContextBytes = 8 + 8 + 8

// readContext identifies a Begin's read-index request across the whole
// cluster and every restart. A per-node counter alone is not enough: an
// answer can reach a node that did not ask (a deposed leader relaying a
// peer's request under its own id, sim seed 292) or a later incarnation
// of the node that asked, and the counters of two nodes, or of two
// incarnations, collide. Matching such an answer to the wrong Begin
// hands it a read index from before commits it must observe.
func (n *Node) readContext(seq uint64) []byte {
	b := make([]byte, 0, readContextBytes)
	b = binary.BigEndian.AppendUint64(b, n.cfg.ID)
	b = binary.BigEndian.AppendUint64(b, n.incarnation)
	return binary.BigEndian.AppendUint64(b, seq)
}

// readState resolves the Begin that rs answers. An answer to a request
// this incarnation did not issue is counted and ignored.
func (n *Node) readState(rs raft.ReadState) {
	ctx := rs.Context
	if len(ctx) != readContextBytes || binary.BigEndian.Uint64(ctx) != n.cfg.ID ||
		binary.BigEndian.Uint64(ctx[8:]) != n.incarnation {
		n.m.foreignReadStates++
		return
	}
	seq := binary.BigEndian.Uint64(ctx[16:])
	for _, pb := range n.begins {
		if pb.seq == seq && !pb.haveIndex {
			pb.index, pb.haveIndex = rs.Index, true
		}
	}
}

// wakeBegins finishes every Begin whose read index has been applied.
func (n *Node) wakeBegins() {
	if n.stopped != nil {
		return
	}
	kept := n.begins[:0]
	for _, pb := range n.begins {
		if pb.haveIndex && pb.index <= n.st.Applied() {
			n.finishBegin(pb)
		} else {
			kept = append(kept, pb)
		}
	}
	clear(n.begins[len(kept):])
	n.begins = kept
}

func (n *Node) finishBegin(pb *pendingBegin) {
	n.txnSeq++
	t := &Txn{n: n, id: n.txnSeq, opts: pb.opts, r: n.st.NewReader()}
	t.rv = t.r.Version()
	n.txns[t.id] = t
	n.m.beginsOK++
	n.later(func() { pb.cb(t, nil) })
}

// Commit proposes txn's commit entry and reports its outcome once the
// entry is applied locally: the version it committed at, or
// kv.ErrSerialization / kv.ErrTooOld. kv.ErrUnavailable means the proposal
// never left (safe to retry); kv.ErrAmbiguous means it may or may not
// commit (leadership changed, or CommitTimeoutTicks passed). A transaction
// with no writes commits at once without a proposal.
func (n *Node) Commit(t *Txn, cb func(kv.CommitResult, error)) {
	defer n.runCallbacks()
	if t == nil || t.n != n {
		n.later(func() { cb(kv.CommitResult{}, fmt.Errorf("node: transaction from another node")) })
		return
	}
	if t.done {
		n.later(func() { cb(kv.CommitResult{}, kv.ErrTxnDone) })
		return
	}
	t.finish()
	switch {
	case n.stopped != nil:
		n.later(func() { cb(kv.CommitResult{}, n.unavailable(n.stopped)) })
		return
	case len(t.buf.Writes) == 0:
		n.m.readOnlyCommits++
		n.later(func() { cb(kv.CommitResult{}, nil) })
		return
	case n.pendingFull():
		n.m.commitsUnavailable++
		n.later(func() {
			cb(kv.CommitResult{}, n.unavailable(fmt.Errorf("node: %d requests pending", n.cfg.PendingMax)))
		})
		return
	}
	n.reqSeq++
	id := mvcc.ReqID{Node: n.cfg.ID, Incarnation: n.incarnation, Seq: n.reqSeq}
	c := t.buf.Commit(id, t.rv, t.opts.Isolation)
	data, err := n.encodeCommit(c)
	if err != nil {
		n.m.commitsTooLarge++
		n.later(func() { cb(kv.CommitResult{}, err) })
		return
	}
	if err := n.rn.Propose(data); err != nil {
		n.m.commitsUnavailable++
		n.later(func() { cb(kv.CommitResult{}, n.unavailable(err)) })
		return
	}
	n.commits = append(n.commits, &pendingCommit{id: id, cb: cb, term: n.rn.Term(), deadlineTicks: n.ticks + uint64(n.cfg.CommitTimeoutTicks)})
	n.process()
}

// encodeCommit returns c's entry payload, or an error wrapping
// kv.ErrTooLarge if c must not be proposed: over a per-commit limit the
// apply path would abort it at (Commit.CheckLimits), or over
// MaxCommitBytes encoded, more than replication is configured to carry.
func (n *Node) encodeCommit(c *mvcc.Commit) ([]byte, error) {
	if err := c.CheckLimits(); err != nil {
		return nil, err
	}
	data := c.Encode()
	if len(data) > n.cfg.MaxCommitBytes {
		return nil, fmt.Errorf("%w: commit of %d bytes encoded, max_commit_bytes is %d", kv.ErrTooLarge, len(data), n.cfg.MaxCommitBytes)
	}
	return data, nil
}

// Abort discards the transaction. Aborting a finished one is a no-op.
func (n *Node) Abort(t *Txn) {
	if t != nil && t.n == n && !t.done {
		t.finish()
	}
}

func (n *Node) resolveCommit(id mvcc.ReqID, index uint64, out mvcc.Outcome) {
	for i, pc := range n.commits {
		if pc.id != id {
			continue
		}
		n.commits = append(n.commits[:i], n.commits[i+1:]...)
		switch out {
		case mvcc.OutcomeCommitted:
			n.m.commitsOK++
			n.later(func() { pc.cb(kv.CommitResult{Version: index}, nil) })
		case mvcc.OutcomeSerialization:
			n.m.commitsSerialization++
			n.later(func() { pc.cb(kv.CommitResult{}, kv.ErrSerialization) })
		case mvcc.OutcomeTooOld:
			n.m.commitsTooOld++
			n.later(func() { pc.cb(kv.CommitResult{}, kv.ErrTooOld) })
		case mvcc.OutcomeTooLarge:
			// Unreachable from this gateway (encodeCommit checks first)
			// unless the limits differ between versions of the binary.
			n.m.commitsTooLarge++
			n.later(func() { pc.cb(kv.CommitResult{}, kv.ErrTooLarge) })
		case mvcc.OutcomeDuplicate:
			// A duplicate is applied only after its original committed,
			// and the original resolved the request.
			panic(fmt.Sprintf("node: pending commit %v resolved as a duplicate", id))
		default:
			n.m.commitsUnavailable++
			n.later(func() { pc.cb(kv.CommitResult{}, out.Err()) })
		}
		return
	}
}

// checkTerm fails, as ambiguous, every pending commit proposed in an
// earlier term: the leader that took it may be gone, and the entry may
// yet commit or vanish.
func (n *Node) checkTerm() {
	term := n.rn.Term()
	kept := n.commits[:0]
	for _, pc := range n.commits {
		if pc.term == term {
			kept = append(kept, pc)
			continue
		}
		n.failCommit(pc, fmt.Errorf("%w: term changed from %d to %d while in flight", kv.ErrAmbiguous, pc.term, term))
	}
	clear(n.commits[len(kept):])
	n.commits = kept
}

func (n *Node) failCommit(pc *pendingCommit, err error) {
	n.m.commitsAmbiguous++
	n.later(func() { pc.cb(kv.CommitResult{}, err) })
}

// expire fails requests past their deadline.
func (n *Node) expire() {
	keptB := n.begins[:0]
	for _, pb := range n.begins {
		if pb.deadlineTicks > n.ticks {
			keptB = append(keptB, pb)
			continue
		}
		n.m.beginsUnavailable++
		n.later(func() {
			pb.cb(nil, n.unavailable(fmt.Errorf("node: no read version within %d ticks", n.cfg.BeginTimeoutTicks)))
		})
	}
	clear(n.begins[len(keptB):])
	n.begins = keptB
	keptC := n.commits[:0]
	for _, pc := range n.commits {
		if pc.deadlineTicks > n.ticks {
			keptC = append(keptC, pc)
			continue
		}
		n.failCommit(pc, fmt.Errorf("%w: not applied within %d ticks", kv.ErrAmbiguous, n.cfg.CommitTimeoutTicks))
	}
	clear(n.commits[len(keptC):])
	n.commits = keptC
}

func (n *Node) failPending(beginErr, commitErr error) {
	for _, pb := range n.begins {
		n.m.beginsUnavailable++
		n.later(func() { pb.cb(nil, beginErr) })
	}
	for _, pc := range n.commits {
		n.failCommit(pc, commitErr)
	}
	n.begins, n.commits = nil, nil
}

// detachTxns releases every open transaction's reader (before the LSM is
// closed or replaced); their later reads fail with kv.ErrTooOld.
func (n *Node) detachTxns() {
	for _, id := range sortedTxnIDs(n.txns) {
		n.txns[id].r.Close()
	}
	clear(n.txns)
}

func sortedTxnIDs(m map[uint64]*Txn) []uint64 {
	ids := make([]uint64, 0, len(m))
	//detlint:ordered collected ids are sorted below
	for id := range m {
		ids = append(ids, id)
	}
	sortU64(ids)
	return ids
}

// Txn is an open transaction on a Node. It implements kv.Txn: reads are
// served from the local replica's snapshot at the read version, writes are
// buffered until Commit. Use it only on the node's goroutine.
type Txn struct {
	n    *Node
	id   uint64
	opts kv.TxnOptions
	rv   uint64
	r    *mvcc.Reader
	buf  mvcc.TxnBuffer
	done bool
}

var _ kv.Txn = (*Txn)(nil)

func (t *Txn) finish() {
	t.done = true
	t.r.Close()
	delete(t.n.txns, t.id)
}

// ReadVersion is the version the transaction reads at.
func (t *Txn) ReadVersion() uint64 { return t.rv }

// Options returns the options the transaction began with.
func (t *Txn) Options() kv.TxnOptions { return t.opts }

func (t *Txn) check(writing bool) error {
	switch {
	case t.done:
		return kv.ErrTxnDone
	case t.n.stopped != nil:
		return t.n.unavailable(t.n.stopped)
	case t.r.Closed():
		return kv.ErrTooOld
	case t.rv < t.n.st.Horizon(t.n.st.Applied()):
		t.r.Close() // let compaction drop what it pinned
		return kv.ErrTooOld
	case writing && t.opts.ReadOnly:
		return kv.ErrReadOnly
	}
	return nil
}

// readErr stops the node on a storage failure met while reading: a
// checksum mismatch must never be served, and the disk state is suspect.
func (t *Txn) readErr(err error) error {
	if err != nil {
		t.n.stop(err)
		t.n.runCallbacks()
		return t.n.unavailable(err)
	}
	return nil
}

// Get returns key's value as the transaction sees it.
func (t *Txn) Get(key []byte) ([]byte, bool, error) {
	if err := t.check(false); err != nil {
		return nil, false, err
	}
	v, ok, err := t.buf.Get(t.r, key)
	if err != nil {
		return nil, false, t.readErr(err)
	}
	return v, ok, nil
}

// Scan returns the entries in [start, end) as the transaction sees them.
func (t *Txn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	out, err := t.buf.Scan(t.r, start, end, limit, reverse)
	if err != nil {
		return nil, t.readErr(err)
	}
	return out, nil
}

func (t *Txn) write(w mvcc.Write) error {
	if err := t.check(true); err != nil {
		return err
	}
	return t.buf.Add(w)
}

// Put buffers a write of key.
func (t *Txn) Put(key, value []byte) error {
	return t.write(mvcc.Write{Kind: mvcc.WritePut, Key: key, Value: value})
}

// Delete buffers a deletion of key.
func (t *Txn) Delete(key []byte) error {
	return t.write(mvcc.Write{Kind: mvcc.WriteDelete, Key: key})
}

// DeleteRange buffers the deletion of every key in [start, end).
func (t *Txn) DeleteRange(start, end []byte) error {
	return t.write(mvcc.Write{Kind: mvcc.WriteDeleteRange, Key: start, End: end})
}
