package raft

import (
	"errors"
	"fmt"
	"slices"
)

// Log compaction and InstallSnapshot in chunks (Raft §7).
//
// The snapshot's bytes belong to the state machine; the core only moves
// them. The leader pulls chunks from a SnapshotSource; the follower's
// Ready carries each received chunk (SnapshotChunks) for the application to
// stage durably, and, with the last chunk, Snapshot: the meta of a
// snapshot that is now complete and must be installed before Advance.
// A chunk at offset 0 always restarts the transfer (the application drops
// any staged bytes); any gap makes the follower ask for a restart, and so
// does a complete snapshot the application's SnapshotVerifier rejects.

// SnapshotSource is implemented by the application. ReadChunk returns up to
// maxBytes of the snapshot identified by meta, starting at offset, and
// whether this chunk ends the snapshot (offset == size yields an empty last
// chunk). The bytes for one meta must not change while it is served. It is called from inside Step/Tick
// so it must be deterministic and must not block; return
// ErrSnapshotUnavailable if the snapshot is gone (the core retries later
// with the newest snapshot meta).
type SnapshotSource interface {
	ReadChunk(meta SnapshotMeta, offset uint64, maxBytes int) (chunk []byte, last bool, err error)
}

// SnapshotVerifier is implemented by an application that checks received
// snapshot bytes before the core installs them: a peer's snapshot may have
// been damaged on the sender's disk or on the way, and that is bad input —
// rejected and fetched again — never a reason for the receiver to stop.
//
// VerifySnapshot is called from inside Step when the last chunk of a
// transfer arrives. pending are the received chunks not yet handed out in
// a Ready, in order, ending with the last one; the chunks before them
// were handed out and are staged (a chunk at offset 0 in pending restarts
// the snapshot, as in staging). It must be deterministic and must not
// block. A nil error installs the snapshot (Ready.Snapshot); an error
// rejects the transfer: nothing is installed, the last chunk is not handed
// out, and the sender restarts the transfer from offset 0.
type SnapshotVerifier interface {
	VerifySnapshot(meta SnapshotMeta, pending []SnapshotChunk) error
}

// ErrSnapshotUnavailable is returned by a SnapshotSource whose snapshot is
// not (or no longer) readable.
var ErrSnapshotUnavailable = errors.New("raft: snapshot unavailable")

// SnapshotChunk is one received piece of a snapshot, to be staged by the
// application. Offset 0 means "start over".
type SnapshotChunk struct {
	Meta   SnapshotMeta
	Offset uint64
	Data   []byte
	Last   bool
}

// snapshotStalledHeartbeatsMax is how many heartbeat responses without a
// chunk acknowledgement make the leader assume chunks were lost.
const snapshotStalledHeartbeatsMax = 3

// snapRecv is the follower's state for a transfer in progress.
// Bytes are only combined within one transfer: one sender in one term
// (only one leader per term, and a node's snapshot for a given meta is
// immutable). Two leaders' snapshots of the same index may differ in
// layout, so chunks from another term or sender never extend staging.
type snapRecv struct {
	meta SnapshotMeta
	term uint64
	from uint64
	next uint64 // next expected offset
}

// Compact tells the core the application durably snapshotted its state
// at index (which must be applied): the in-memory log behind it is
// dropped, and the returned meta (with the membership at index) is what
// the application records and what the leader will send to laggards.
func (r *Raft) Compact(index uint64) (SnapshotMeta, error) {
	if r.outstanding {
		return SnapshotMeta{}, ErrReadyOutstanding
	}
	switch {
	case index <= r.log.snapIndex:
		return SnapshotMeta{}, fmt.Errorf("%w: %d <= %d", ErrCompacted, index, r.log.snapIndex)
	case index > r.log.applied:
		return SnapshotMeta{}, fmt.Errorf("%w: %d > applied %d", ErrUnavailable, index, r.log.applied)
	}
	term, _ := r.log.term(index)
	meta := SnapshotMeta{Index: index, Term: term, Conf: r.confAt(index)}
	r.log.compact(index)
	r.snap = cloneMeta(meta)
	r.counters.Compactions++
	r.checkInvariants()
	return cloneMeta(meta), nil
}

func cloneMeta(m SnapshotMeta) SnapshotMeta {
	m.Conf = ConfState{Voters: slices.Clone(m.Conf.Voters), Learners: slices.Clone(m.Conf.Learners)}
	return m
}

// startSnapshot switches id to the snapshot state and sends the first
// chunks. It returns whether anything was sent.
func (r *Raft) startSnapshot(id uint64, pr *Progress) bool {
	if r.cfg.SnapshotSource == nil || r.snap.Index == 0 {
		r.counters.SnapshotsUnavailable++
		return false
	}
	pr.becomeSnapshot(cloneMeta(r.snap))
	r.counters.SnapshotsSent++
	return r.sendSnapshotChunks(id, pr)
}

// sendSnapshotChunks sends chunks while the chunk window is open.
func (r *Raft) sendSnapshotChunks(id uint64, pr *Progress) bool {
	sent := false
	for pr.State == StateSnapshot && !pr.snap.sentLast && pr.snap.chunksInflight < r.cfg.MaxSnapshotChunksInflight {
		s := pr.snap
		data, last, err := r.cfg.SnapshotSource.ReadChunk(s.meta, s.sentOffset, r.cfg.SnapshotChunkBytes)
		if err != nil || len(data) > r.cfg.SnapshotChunkBytes {
			// Try again later (on a heartbeat response) from scratch,
			// probably with a newer snapshot.
			r.counters.SnapshotsUnavailable++
			pr.becomeProbe()
			pr.probeSent = true
			return sent
		}
		r.send(Message{To: id, Type: MsgSnap, Snapshot: cloneMeta(s.meta), SnapOffset: s.sentOffset, SnapData: data, SnapLast: last})
		s.sentOffset += uint64(len(data))
		s.chunksInflight++
		s.sentLast = last
		sent = true
	}
	return sent
}

// resendSnapshot runs on every heartbeat response from a follower in the
// snapshot state: chunks may have been lost, so resend from the last
// acknowledged offset (the follower ignores duplicates).
func (r *Raft) resendSnapshot(id uint64, pr *Progress) {
	s := pr.snap
	if s.ackedOffset != s.ackedAtHeartbeat {
		s.ackedAtHeartbeat, s.stalledHeartbeats = s.ackedOffset, 0
		return
	}
	s.stalledHeartbeats++
	if s.stalledHeartbeats < snapshotStalledHeartbeatsMax {
		return
	}
	s.stalledHeartbeats = 0
	s.sentOffset, s.chunksInflight, s.sentLast = s.ackedOffset, 0, false
	r.sendSnapshotChunks(id, pr)
}

func (r *Raft) handleSnapshotResponse(m Message) {
	pr := r.progress[m.From]
	if pr == nil {
		return
	}
	pr.RecentActive = true
	if pr.State != StateSnapshot {
		return
	}
	s := pr.snap
	if m.Reject {
		r.counters.SnapshotRestarts++
		*s = snapSend{meta: s.meta}
		r.sendSnapshotChunks(m.From, pr)
		return
	}
	if m.SnapOffset <= s.ackedOffset {
		return // stale
	}
	// An ack beyond what this round sent is legitimate: the follower kept
	// chunks of the same snapshot from us, in this term, from an earlier
	// round (see snapRecv), and our bytes for one meta never change.
	s.ackedOffset = m.SnapOffset
	if s.chunksInflight > 0 {
		s.chunksInflight--
	}
	if s.sentOffset < s.ackedOffset {
		// The follower kept chunks from before a resend: skip ahead.
		s.sentOffset, s.chunksInflight, s.sentLast = s.ackedOffset, 0, false
	}
	r.sendSnapshotChunks(m.From, pr)
}

// handleSnapshotChunk is the follower side of MsgSnap.
func (r *Raft) handleSnapshotChunk(m Message) {
	meta := m.Snapshot
	if meta.Index <= r.log.committed || r.log.matchTerm(meta.Index, meta.Term) {
		// We have (or will have from the log) everything it contains.
		r.snapRecv = nil
		r.setCommit(min(meta.Index, r.log.lastIndex()))
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
		return
	}
	if m.SnapOffset == 0 {
		r.snapRecv = &snapRecv{meta: cloneMeta(meta), term: r.term, from: m.From}
	}
	rs := r.snapRecv
	switch {
	case rs == nil || rs.term != r.term || rs.from != m.From || !sameMeta(rs.meta, meta) || m.SnapOffset > rs.next:
		r.snapRecv = nil
		r.send(Message{To: m.From, Type: MsgSnapResp, Reject: true})
		return
	case m.SnapOffset < rs.next:
		r.send(Message{To: m.From, Type: MsgSnapResp, SnapOffset: rs.next})
		return
	}
	chunk := SnapshotChunk{Meta: cloneMeta(meta), Offset: m.SnapOffset, Data: m.SnapData, Last: m.SnapLast}
	if m.SnapLast && !r.verifySnapshot(meta, chunk) {
		r.snapRecv = nil
		r.counters.SnapshotsRejected++
		r.send(Message{To: m.From, Type: MsgSnapResp, Reject: true})
		return
	}
	r.chunks = append(r.chunks, chunk)
	rs.next += uint64(len(m.SnapData))
	if !m.SnapLast {
		r.send(Message{To: m.From, Type: MsgSnapResp, SnapOffset: rs.next})
		return
	}
	r.installSnapshot(meta)
	r.send(Message{To: m.From, Type: MsgAppResp, Index: meta.Index})
}

// verifySnapshot asks the application's verifier, if any, whether the
// transfer that last completes may be installed.
func (r *Raft) verifySnapshot(meta SnapshotMeta, last SnapshotChunk) bool {
	if r.cfg.SnapshotVerifier == nil {
		return true
	}
	pending := append(slices.Clip(r.chunks), last)
	return r.cfg.SnapshotVerifier.VerifySnapshot(cloneMeta(meta), pending) == nil
}

func sameMeta(a, b SnapshotMeta) bool {
	return a.Index == b.Index && a.Term == b.Term &&
		slices.Equal(a.Conf.Voters, b.Conf.Voters) && slices.Equal(a.Conf.Learners, b.Conf.Learners)
}

// installSnapshot replaces the log with a complete received snapshot. The
// application installs the state from the staged chunks when it sees
// Ready.Snapshot.
func (r *Raft) installSnapshot(meta SnapshotMeta) {
	r.snapRecv = nil
	r.log.restore(meta)
	r.snap = cloneMeta(meta)
	r.conf = newMembership(meta.Conf)
	r.conf.index = meta.Index
	r.confChanged = true
	m := cloneMeta(meta)
	r.installed = &m
	r.counters.SnapshotsInstalled++
}
