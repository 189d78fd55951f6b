package node

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/raft/raftlog"
)

// MsgRaft is the netio message type that carries raft.Encode(m).
const MsgRaft netio.MessageType = 1

// Defaults for Config fields left zero.
const (
	DefaultSnapshotInterval      = 10_000
	DefaultElectionTicks         = 10
	DefaultHeartbeatTicks        = 1
	DefaultPendingMax            = 4096
	DefaultCompactionBudgetBytes = 1 << 20
	// DefaultMaxCommitBytes is the default bound on one encoded commit.
	DefaultMaxCommitBytes = 32 << 20
	// MaxCommitBytesLimit is the largest MaxCommitBytes accepted. One
	// commit is one Raft entry, and an entry must fit, with the framing
	// around it, in one raft log record (64 MiB), one raft message decode
	// (64 MiB per byte string) and one netio frame (netio's default
	// maximum, 64 MiB): 48 MiB leaves room for the rest.
	MaxCommitBytesLimit = 48 << 20
)

// Config configures one replica. Zero optional fields take the default
// documented on the field.
type Config struct {
	// ID is this replica's non-zero node id.
	ID uint64
	// FS and Dir hold everything the replica stores (raft log, LSM
	// directories, snapshot archives).
	FS  diskio.FS
	Dir string
	// Transport carries outbound messages (type MsgRaft). Inbound messages
	// reach the node through Receive; the owner wires the handler.
	Transport netio.Transport
	// Peers and Learners bootstrap a brand-new group (every founder passes
	// the same lists). A replica joining an existing group passes neither
	// and is added with AddPeer/AddLearner on the leader.
	Peers    []uint64
	Learners []uint64
	// Rand drives election timeouts and the first incarnation number of a
	// fresh directory (later ones count up durably). Required:
	// the node never touches global randomness.
	Rand *rand.Rand

	// ElectionTicks and HeartbeatTicks are Raft's timeouts in ticks
	// (defaults 10 and 1). PreVote and CheckQuorum are always on: a
	// partitioned replica must not disrupt the group when it returns.
	ElectionTicks  int
	HeartbeatTicks int
	// BeginTimeoutTicks bounds how long Begin waits for a read version
	// (ReadIndex answer, then the local apply) before failing with
	// kv.ErrUnavailable. Default 4 × ElectionTicks.
	BeginTimeoutTicks int
	// CommitTimeoutTicks bounds how long a proposed commit waits to be
	// applied locally before it is reported kv.ErrAmbiguous. Longer waits
	// turn fewer slow commits into ambiguous ones, at the cost of clients
	// hanging longer on a dead leader. Default 8 × ElectionTicks.
	CommitTimeoutTicks int
	// PendingMax bounds the outstanding Begins plus Commits; beyond it new
	// requests fail at once with kv.ErrUnavailable. Default 4096.
	PendingMax int
	// MaxCommitBytes bounds one encoded commit entry; a larger commit
	// fails with kv.ErrTooLarge before it is proposed. Raft sends an entry
	// whole (MaxMsgBytes never splits one), so this is also the largest
	// message replication must carry: keep it below the transport's
	// frame limit. Larger lets bigger single-transaction loads through, at
	// the cost of memory on every replica while the entry is in flight and
	// in the log. Default 32 MiB; at most MaxCommitBytesLimit.
	MaxCommitBytes int

	// RetainedVersions is the MVCC history window in Raft entries (the
	// same on every replica: it decides commits). Default
	// mvcc.DefaultRetainedVersions.
	RetainedVersions uint64
	// SnapshotInterval is how many applied entries trigger a snapshot and
	// log truncation (the runbook's raft.snapshot_interval). Default 10000.
	SnapshotInterval uint64
	// SnapshotChunkBytes is the InstallSnapshot chunk size (default Raft's).
	SnapshotChunkBytes int
	// CompactionBudgetBytes is the LSM compaction input processed per Tick.
	// Default 1 MiB.
	CompactionBudgetBytes int64
	// LSM and RaftLog configure the storage engines. LSM.DisableWAL is
	// forced on (the Raft log is the WAL).
	LSM     lsm.Options
	RaftLog raftlog.Options

	// Testing holds canaries that break safety on purpose.
	Testing TestingKnobs
}

// TestingKnobs deliberately break the node so the simulation campaign can
// prove its checkers catch each failure. Never set them in production.
type TestingKnobs struct {
	// AckBeforeFsync sends each Ready's messages (votes, acks) before its
	// entries are persisted, and never fsyncs the Raft log: a crash then
	// loses entries a quorum acknowledged.
	AckBeforeFsync bool
	// ReadsWithoutReadIndex makes Begin read at the local applied index
	// without a ReadIndex round: stale reads on lagging or deposed
	// replicas.
	ReadsWithoutReadIndex bool
	// SkipReadSetCheck applies commits without validating their read sets:
	// write skew and lost updates commit.
	SkipReadSetCheck bool
	// BrokenTombstoneGC makes the LSM's compaction filter drop old MVCC
	// tombstones without its safety checks (lsm.Options'
	// TestingUnsafeFilterAnywhere): a dropped tombstone uncovers the value
	// it deleted, which reads come back with.
	BrokenTombstoneGC bool
}

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("node: invalid config")

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.ElectionTicks, DefaultElectionTicks)
	def(&c.HeartbeatTicks, DefaultHeartbeatTicks)
	def(&c.BeginTimeoutTicks, 4*c.ElectionTicks)
	def(&c.CommitTimeoutTicks, 8*c.ElectionTicks)
	def(&c.PendingMax, DefaultPendingMax)
	def(&c.MaxCommitBytes, DefaultMaxCommitBytes)
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = DefaultSnapshotInterval
	}
	if c.CompactionBudgetBytes == 0 {
		c.CompactionBudgetBytes = DefaultCompactionBudgetBytes
	}
	c.LSM.DisableWAL = true
	c.RaftLog.UnsafeSkipFsync = c.Testing.AckBeforeFsync
	c.LSM.TestingUnsafeFilterAnywhere = c.Testing.BrokenTombstoneGC
	return c
}

func (c Config) validate() error {
	switch {
	case c.ID == 0:
		return fmt.Errorf("%w: ID is zero", ErrInvalidConfig)
	case c.FS == nil || c.Dir == "":
		return fmt.Errorf("%w: FS and Dir are required", ErrInvalidConfig)
	case c.Transport == nil:
		return fmt.Errorf("%w: Transport is required", ErrInvalidConfig)
	case c.Rand == nil:
		return fmt.Errorf("%w: Rand is required", ErrInvalidConfig)
	case c.BeginTimeoutTicks < 0 || c.CommitTimeoutTicks < 0 || c.PendingMax < 0 || c.MaxCommitBytes < 0:
		return fmt.Errorf("%w: negative timeout or bound", ErrInvalidConfig)
	case c.MaxCommitBytes > MaxCommitBytesLimit:
		return fmt.Errorf("%w: MaxCommitBytes %d above %d", ErrInvalidConfig, c.MaxCommitBytes, MaxCommitBytesLimit)
	}
	return nil
}
