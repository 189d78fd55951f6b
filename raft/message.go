package raft

import (
	"fmt"
	"strings"
)

// MessageType names a Raft message. The numbering is part of the wire format
// (see codec.go): append new types at the end, never renumber.
type MessageType uint8

const (
	// MsgApp carries entries after (Index, LogTerm) and the leader's commit.
	MsgApp MessageType = iota + 1
	// MsgAppResp acknowledges (Index = last matching index) or rejects a
	// MsgApp (Reject, Index = rejected prev index, RejectHint/LogTerm = the
	// follower's conflict index and term for fast backtracking).
	MsgAppResp
	// MsgHeartbeat asserts leadership; carries Commit and ReadSeq/SentTick.
	MsgHeartbeat
	// MsgHeartbeatResp echoes ReadSeq and SentTick.
	MsgHeartbeatResp
	// MsgVote asks for a vote at Term; Index/LogTerm describe the
	// candidate's last entry.
	MsgVote
	// MsgVoteResp grants or (Reject) refuses a vote.
	MsgVoteResp
	// MsgPreVote asks "would you vote for me at Term?" without anyone
	// changing term (thesis §9.6).
	MsgPreVote
	// MsgPreVoteResp answers a MsgPreVote.
	MsgPreVoteResp
	// MsgProp forwards proposed entries from a follower to the leader.
	MsgProp
	// MsgReadIndex forwards a read-index request (Context) to the leader.
	MsgReadIndex
	// MsgReadIndexResp answers a forwarded read: Index is the read index.
	MsgReadIndexResp
	// MsgSnap carries one chunk of a snapshot: Snapshot (meta), SnapOffset,
	// SnapData, SnapLast.
	MsgSnap
	// MsgSnapResp acknowledges chunks up to SnapOffset bytes, or (Reject)
	// asks the leader to restart the transfer from offset 0.
	MsgSnapResp
	// MsgTimeoutNow tells the leadership-transfer target to campaign now.
	MsgTimeoutNow
	// MsgTransferLeader forwards a TransferLeadership request from a
	// non-leader to the leader it knows: Index is the target voter's id,
	// Term the sender's term, so a request that outlives that leader's
	// term (delayed, duplicated) is dropped instead of moving leadership
	// in a term the operator never saw.
	MsgTransferLeader

	msgTypeCount = int(MsgTransferLeader) + 1
)

var msgTypeNames = [msgTypeCount]string{
	"MsgUnknown", "MsgApp", "MsgAppResp", "MsgHeartbeat", "MsgHeartbeatResp",
	"MsgVote", "MsgVoteResp", "MsgPreVote", "MsgPreVoteResp", "MsgProp",
	"MsgReadIndex", "MsgReadIndexResp", "MsgSnap", "MsgSnapResp", "MsgTimeoutNow",
	"MsgTransferLeader",
}

func (t MessageType) String() string {
	if t.valid() {
		return msgTypeNames[t]
	}
	return fmt.Sprintf("MsgType(%d)", uint8(t))
}

func (t MessageType) valid() bool { return t >= MsgApp && int(t) < msgTypeCount }

// isResponse reports whether t answers a request (used to decide whether
// a stale-term message deserves a reply).
func (t MessageType) isResponse() bool {
	switch t {
	case MsgAppResp, MsgHeartbeatResp, MsgVoteResp, MsgPreVoteResp, MsgReadIndexResp, MsgSnapResp:
		return true
	}
	return false
}

// campaignTransfer marks a MsgVote sent because of MsgTimeoutNow: voters let
// it through even while they believe the current leader is alive.
const campaignTransfer = "transfer"

// Message is one Raft message between two members of the group. Fields not
// used by a type are zero. The netio layer carries Encode(m) as its payload.
type Message struct {
	Type MessageType
	From uint64
	To   uint64
	Term uint64
	// LogTerm is the term of the entry at Index (MsgApp, votes) or the
	// conflict term hint (rejecting MsgAppResp).
	LogTerm uint64
	Index   uint64
	Commit  uint64
	Entries []Entry
	Reject  bool
	// RejectHint is the follower's suggested next index on a rejection.
	RejectHint uint64
	// Context is an opaque request id (reads) or campaignTransfer (votes).
	Context []byte
	// ReadSeq is the leader's read-confirmation round, echoed by followers.
	ReadSeq uint64
	// SentTick is the leader's tick count when it sent a heartbeat, echoed
	// back so lease reads can be bounded by send time, not receive time.
	SentTick uint64

	Snapshot   SnapshotMeta
	SnapOffset uint64
	SnapData   []byte
	SnapLast   bool
}

// String renders m compactly for traces and golden files. It is
// deterministic: no maps, no pointers.
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d->%d %s Term:%d", m.From, m.To, m.Type, m.Term)
	switch m.Type {
	case MsgApp:
		fmt.Fprintf(&b, " Log:%d/%d Commit:%d", m.LogTerm, m.Index, m.Commit)
	case MsgAppResp:
		if m.Reject {
			fmt.Fprintf(&b, " Rejected (Hint: %d/%d) Index:%d", m.LogTerm, m.RejectHint, m.Index)
		} else {
			fmt.Fprintf(&b, " Log:0/%d", m.Index)
		}
	case MsgHeartbeat, MsgHeartbeatResp:
		fmt.Fprintf(&b, " Commit:%d ReadSeq:%d", m.Commit, m.ReadSeq)
	case MsgVote, MsgPreVote:
		fmt.Fprintf(&b, " Log:%d/%d", m.LogTerm, m.Index)
	case MsgVoteResp, MsgPreVoteResp:
		if m.Reject {
			b.WriteString(" Rejected")
		}
	case MsgReadIndexResp:
		fmt.Fprintf(&b, " Index:%d", m.Index)
	case MsgTransferLeader:
		fmt.Fprintf(&b, " Target:%d", m.Index)
	case MsgSnap:
		fmt.Fprintf(&b, " Snapshot:%d/%d Offset:%d Bytes:%d Last:%v",
			m.Snapshot.Term, m.Snapshot.Index, m.SnapOffset, len(m.SnapData), m.SnapLast)
	case MsgSnapResp:
		fmt.Fprintf(&b, " Offset:%d Reject:%v", m.SnapOffset, m.Reject)
	}
	if len(m.Context) > 0 {
		fmt.Fprintf(&b, " Ctx:%q", m.Context)
	}
	if len(m.Entries) > 0 {
		b.WriteString(" Entries:[")
		for i, e := range m.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(entryString(e))
		}
		b.WriteString("]")
	}
	return b.String()
}

func entryString(e Entry) string {
	switch e.Type {
	case EntryNoop:
		return fmt.Sprintf("%d/%d noop", e.Term, e.Index)
	case EntryConfChange:
		cc, err := DecodeConfChange(e.Data)
		if err != nil {
			return fmt.Sprintf("%d/%d conf(bad)", e.Term, e.Index)
		}
		return fmt.Sprintf("%d/%d %s", e.Term, e.Index, cc)
	}
	return fmt.Sprintf("%d/%d %q", e.Term, e.Index, e.Data)
}
