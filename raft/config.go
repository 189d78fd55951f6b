package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Config configures one Raft member. Zero values of optional fields take the
// default documented on the field; Validate reports contradictions.
type Config struct {
	// ID is this member's non-zero node id.
	ID uint64
	// Peers and Learners bootstrap a brand-new group: when the recovered
	// state is empty the core appends one conf-change entry per member at
	// term 1 and treats them as committed (every founding member writes the
	// same entries). Ignored when recovering non-empty state. A node that
	// joins an existing group leaves both empty and learns the membership
	// from the leader's log or snapshot.
	Peers    []uint64
	Learners []uint64

	// ElectionTicks is the election timeout in ticks; a follower campaigns
	// after a random timeout in [ElectionTicks, 2*ElectionTicks). Larger
	// values make spurious elections rarer and failover slower. Default 10.
	ElectionTicks int
	// HeartbeatTicks is the leader's heartbeat interval; it must be well
	// below ElectionTicks. Default 1.
	HeartbeatTicks int

	// PreVote makes a node ask "would you vote for me?" before bumping its
	// term, so a partitioned node that rejoins cannot force a new election.
	PreVote bool
	// CheckQuorum makes a leader step down when it has not heard from a
	// majority within an election timeout, and makes voters ignore vote
	// requests while they hear from a live leader. Required by lease reads.
	CheckQuorum bool

	// MaxEntriesPerMsg bounds the entries in one MsgApp. Default 64.
	MaxEntriesPerMsg int
	// MaxMsgBytes bounds the entry payload bytes in one MsgApp (at least
	// one entry is always sent). Default 1 MiB.
	MaxMsgBytes uint64
	// MaxInflightMsgs bounds the MsgApps in flight to one follower in the
	// replicate state: the pipelining window. Default 256.
	MaxInflightMsgs int
	// MaxInflightBytes bounds the entry bytes in flight to one follower.
	// Default 16 MiB.
	MaxInflightBytes uint64
	// MaxPendingReads bounds queued read-index requests on the leader;
	// beyond it requests fail with ErrReadDropped. Default 4096.
	MaxPendingReads int
	// MaxProposalEntries bounds the entries of one Propose call batch
	// accepted from a forwarded MsgProp. Default 1024.
	MaxProposalEntries int

	// SnapshotChunkBytes is the size of one InstallSnapshot chunk.
	// Default 1 MiB.
	SnapshotChunkBytes int
	// MaxSnapshotChunksInflight bounds unacknowledged chunks per follower.
	// Default 2.
	MaxSnapshotChunksInflight int
	// SnapshotSource reads the application's snapshot bytes. Without it a
	// leader cannot bring up a follower that is behind its compacted log.
	SnapshotSource SnapshotSource
	// SnapshotVerifier, if set, checks a received snapshot's bytes before
	// the core installs it, and rejects a damaged one so the sender
	// restarts the transfer. Without it every complete transfer is
	// installed.
	SnapshotVerifier SnapshotVerifier

	// LeaseReads answers read-index requests from the leader's lease
	// (a majority heard from within ElectionTicks-MaxClockDriftTicks of
	// the heartbeat send) without a heartbeat round. Off by default: it is
	// only safe if tick rates differ by less than MaxClockDriftTicks per
	// election timeout. Requires CheckQuorum.
	LeaseReads bool
	// MaxClockDriftTicks is subtracted from the lease; must be below
	// ElectionTicks.
	MaxClockDriftTicks int

	// Rand draws randomized election timeouts. Required: the core never
	// touches global randomness.
	Rand *rand.Rand

	// Testing holds knobs that deliberately BREAK safety so the simulation
	// campaign can prove its checkers catch the failure. Never set them in
	// production.
	Testing TestingKnobs
}

// TestingKnobs break Raft on purpose. Each is off by default.
type TestingKnobs struct {
	// SkipFigure8Rule lets a leader commit entries of previous terms by
	// counting replicas (Raft paper Figure 8): committed entries can be lost.
	SkipFigure8Rule bool
	// SkipConfChangeTermRule lets a new leader propose a configuration
	// change before committing an entry of its own term (the single-server
	// membership bug found after the dissertation).
	SkipConfChangeTermRule bool
}

// Defaults for Config fields left zero.
const (
	defaultElectionTicks             = 10
	defaultHeartbeatTicks            = 1
	defaultMaxEntriesPerMsg          = 64
	defaultMaxMsgBytes               = 1 << 20
	defaultMaxInflightMsgs           = 256
	defaultMaxInflightBytes          = 16 << 20
	defaultMaxPendingReads           = 4096
	defaultMaxProposalEntries        = 1024
	defaultSnapshotChunkBytes        = 1 << 20
	defaultMaxSnapshotChunksInflight = 2
)

// ErrInvalidConfig wraps every Validate failure.
var ErrInvalidConfig = errors.New("raft: invalid config")

// withDefaults returns c with zero optional fields filled in.
func (c Config) withDefaults() Config {
	setInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setInt(&c.ElectionTicks, defaultElectionTicks)
	setInt(&c.HeartbeatTicks, defaultHeartbeatTicks)
	setInt(&c.MaxEntriesPerMsg, defaultMaxEntriesPerMsg)
	setInt(&c.MaxInflightMsgs, defaultMaxInflightMsgs)
	setInt(&c.MaxPendingReads, defaultMaxPendingReads)
	setInt(&c.MaxProposalEntries, defaultMaxProposalEntries)
	setInt(&c.SnapshotChunkBytes, defaultSnapshotChunkBytes)
	setInt(&c.MaxSnapshotChunksInflight, defaultMaxSnapshotChunksInflight)
	if c.MaxMsgBytes == 0 {
		c.MaxMsgBytes = defaultMaxMsgBytes
	}
	if c.MaxInflightBytes == 0 {
		c.MaxInflightBytes = defaultMaxInflightBytes
	}
	return c
}

// Validate reports the first contradiction in c (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.ID == None:
		return bad("ID must be non-zero")
	case c.Rand == nil:
		return bad("Rand is required")
	case c.HeartbeatTicks < 1 || c.ElectionTicks <= c.HeartbeatTicks:
		return bad("need 1 <= HeartbeatTicks (%d) < ElectionTicks (%d)", c.HeartbeatTicks, c.ElectionTicks)
	case c.MaxEntriesPerMsg < 1 || c.MaxInflightMsgs < 1 || c.MaxPendingReads < 1:
		return bad("maxima must be positive")
	case c.MaxEntriesPerMsg > maxDecodeEntries:
		return bad("MaxEntriesPerMsg %d exceeds the codec limit %d", c.MaxEntriesPerMsg, maxDecodeEntries)
	case c.SnapshotChunkBytes < 1 || c.SnapshotChunkBytes > maxDecodeBytes:
		return bad("SnapshotChunkBytes %d out of range", c.SnapshotChunkBytes)
	case c.MaxSnapshotChunksInflight < 1:
		return bad("MaxSnapshotChunksInflight must be positive")
	case c.LeaseReads && !c.CheckQuorum:
		return bad("LeaseReads requires CheckQuorum")
	case c.MaxClockDriftTicks < 0 || c.MaxClockDriftTicks >= c.ElectionTicks:
		return bad("MaxClockDriftTicks %d must be in [0, ElectionTicks)", c.MaxClockDriftTicks)
	}
	return nil
}
