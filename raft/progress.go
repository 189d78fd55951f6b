package raft

import "fmt"

// ProgressState is how the leader currently talks to one follower.
type ProgressState uint8

const (
	// StateProbe: the leader does not know where the follower's log
	// matches; it sends one MsgApp per heartbeat interval and waits.
	StateProbe ProgressState = iota
	// StateReplicate: logs match up to Match; the leader pipelines MsgApps
	// optimistically, bounded by the inflight window.
	StateReplicate
	// StateSnapshot: the follower needs entries the leader compacted; the
	// leader streams a snapshot in chunks.
	StateSnapshot
)

func (s ProgressState) String() string {
	switch s {
	case StateProbe:
		return "probe"
	case StateReplicate:
		return "replicate"
	case StateSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// inflights is the bounded window of MsgApps sent but not acknowledged in
// the replicate state: each slot records the message's last index and its
// payload bytes.
type inflights struct {
	lastIndexes  []uint64
	sizes        []uint64
	sizeBytes    uint64
	countMax     int
	sizeBytesMax uint64
}

func newInflights(countMax int, sizeBytesMax uint64) inflights {
	assert(countMax > 0, "inflight count maximum must be positive")
	return inflights{
		lastIndexes:  make([]uint64, 0, countMax),
		sizes:        make([]uint64, 0, countMax),
		countMax:     countMax,
		sizeBytesMax: sizeBytesMax,
	}
}

func (in *inflights) full() bool {
	return len(in.lastIndexes) >= in.countMax || in.sizeBytes >= in.sizeBytesMax
}

func (in *inflights) add(lastIndex, sizeBytes uint64) {
	assert(!in.full(), "inflights overflow")
	n := len(in.lastIndexes)
	assert(n == 0 || in.lastIndexes[n-1] < lastIndex, "inflights out of order")
	in.lastIndexes = append(in.lastIndexes, lastIndex)
	in.sizes = append(in.sizes, sizeBytes)
	in.sizeBytes += sizeBytes
}

// freeLE releases every message whose last index is <= i.
func (in *inflights) freeLE(i uint64) {
	n := 0
	for n < len(in.lastIndexes) && in.lastIndexes[n] <= i {
		in.sizeBytes -= in.sizes[n]
		n++
	}
	in.lastIndexes = append(in.lastIndexes[:0], in.lastIndexes[n:]...)
	in.sizes = append(in.sizes[:0], in.sizes[n:]...)
}

// freeFirst releases the oldest message; used when a heartbeat response
// proves the follower is alive while the window is stuck full.
func (in *inflights) freeFirst() {
	if len(in.lastIndexes) > 0 {
		in.freeLE(in.lastIndexes[0])
	}
}

func (in *inflights) reset() { in.freeLE(^uint64(0)) }

func (in *inflights) count() int { return len(in.lastIndexes) }

// snapSend tracks one chunked snapshot transfer to a follower.
type snapSend struct {
	meta           SnapshotMeta
	sentOffset     uint64 // next byte to send
	ackedOffset    uint64 // bytes the follower confirmed
	chunksInflight int
	sentLast       bool
	// ackedAtHeartbeat and stalledHeartbeats detect a stalled transfer.
	ackedAtHeartbeat  uint64
	stalledHeartbeats int
}

// Progress is the leader's view of one member.
//
// Invariants: Match < Next; in StateSnapshot snap is non-nil; Match only
// grows within a term.
type Progress struct {
	Match, Next uint64
	State       ProgressState
	// probeSent pauses a probing follower until it answers or a heartbeat
	// response arrives.
	probeSent bool
	// RecentActive is set by any response and cleared by check-quorum.
	RecentActive bool
	IsLearner    bool
	// readSeqAcked is the highest read round the member echoed.
	readSeqAcked uint64
	// sentTickAcked is the highest heartbeat send tick echoed (leases).
	sentTickAcked uint64
	ins           inflights
	snap          *snapSend
	// appendQueued asks flushAppends for MsgApps to this member;
	// appendForced asks for one even if no entry is new (see queueAppend).
	appendQueued, appendForced bool
}

func (pr *Progress) becomeProbe() {
	pr.Next = pr.Match + 1
	pr.State, pr.probeSent, pr.snap = StateProbe, false, nil
	pr.ins.reset()
}

func (pr *Progress) becomeReplicate() {
	pr.State, pr.probeSent, pr.snap = StateReplicate, false, nil
	pr.Next = pr.Match + 1
	pr.ins.reset()
}

func (pr *Progress) becomeSnapshot(meta SnapshotMeta) {
	pr.State, pr.probeSent = StateSnapshot, false
	pr.snap = &snapSend{meta: meta}
	pr.ins.reset()
}

// maybeUpdate records an acknowledgement of index n.
func (pr *Progress) maybeUpdate(n uint64) bool {
	updated := false
	if pr.Match < n {
		pr.Match = n
		updated = true
		pr.probeSent = false
	}
	if pr.Next < n+1 {
		pr.Next = n + 1
	}
	return updated
}

// maybeDecrTo handles a rejection of prevIndex rejected, moving Next back to
// hint (already clamped by the caller). It returns false for stale
// rejections that must be ignored.
func (pr *Progress) maybeDecrTo(rejected, hint uint64) bool {
	if rejected <= pr.Match {
		return false // stale: we already know it matches there
	}
	if pr.State == StateReplicate {
		pr.Next = max(pr.Match+1, min(rejected, hint))
		return true
	}
	if pr.Next-1 != rejected {
		return false // not the probe we are waiting for
	}
	pr.Next = max(pr.Match+1, min(rejected, hint))
	pr.probeSent = false
	return true
}

// isPaused reports whether the leader must not send a MsgApp now.
func (pr *Progress) isPaused() bool {
	switch pr.State {
	case StateProbe:
		return pr.probeSent
	case StateReplicate:
		return pr.ins.full()
	}
	return true
}

// sentEntries updates flow control after sending entries ending at last.
func (pr *Progress) sentEntries(count int, last, sizeBytes uint64) {
	switch pr.State {
	case StateReplicate:
		if count > 0 {
			pr.Next = last + 1
			pr.ins.add(last, sizeBytes)
		}
	case StateProbe:
		pr.probeSent = true
	}
}
