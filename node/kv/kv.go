package kv

import "errors"

// Isolation is a transaction's isolation level.
type Isolation uint8

const (
	// Serializable validates every key and range read at commit: the
	// default, and with linearizable read versions, strict serializability.
	Serializable Isolation = iota
	// SnapshotIsolation validates only write-write conflicts.
	SnapshotIsolation
)

// TxnOptions are fixed when a transaction begins.
type TxnOptions struct {
	Isolation Isolation
	ReadOnly  bool
}

// KeyValue is one entry returned by a scan.
type KeyValue struct {
	Key   []byte
	Value []byte
}

// Errors a Txn or a commit may report. Gateways map them to SQLSTATEs.
var (
	// ErrSerialization: something the transaction read or wrote was written
	// by a transaction that committed after its read version. Retry.
	// SQLSTATE 40001.
	ErrSerialization = errors.New("kv: could not serialize access due to concurrent update")
	// ErrAmbiguous: the commit may or may not have taken effect (the leader
	// was lost while it was in flight). Never reported as a failure.
	// SQLSTATE 40003 (statement_completion_unknown).
	ErrAmbiguous = errors.New("kv: transaction outcome unknown")
	// ErrTooOld: the read version is older than the retained history.
	// SQLSTATE 72000 (snapshot_too_old).
	ErrTooOld = errors.New("kv: transaction too old: its read version is no longer retained")
	// ErrReadOnly: a write in a read-only transaction. SQLSTATE 25006.
	ErrReadOnly = errors.New("kv: cannot write in a read-only transaction")
	// ErrUnavailable: no leader or quorum; the request was not started.
	// SQLSTATE 57P03 (cannot_connect_now) — safe to retry.
	ErrUnavailable = errors.New("kv: cluster unavailable")
	// ErrTooLarge: the transaction exceeds a per-commit limit (writes,
	// range deletions, key or value size, encoded bytes); it was rejected
	// before it was proposed, or aborted at apply. Retrying cannot help;
	// split the work. SQLSTATE 54000 (program_limit_exceeded).
	ErrTooLarge = errors.New("kv: transaction too large")
	// ErrTxnDone: the transaction was already committed or aborted.
	ErrTxnDone = errors.New("kv: transaction already finished")
)

// Txn is an open transaction. Reads see the database as of ReadVersion plus
// the transaction's own buffered writes. A Txn is used by one goroutine.
type Txn interface {
	// ReadVersion is the version the transaction reads at.
	ReadVersion() uint64
	// Get returns the value of key, and whether it exists.
	Get(key []byte) (value []byte, found bool, err error)
	// Scan returns up to limit entries with start <= key < end, in
	// ascending order (descending if reverse). limit <= 0 means no limit.
	// A nil end means no upper bound. Only the part of the range actually
	// observed joins the read set (a limited scan reads up to its last key).
	Scan(start, end []byte, limit int, reverse bool) ([]KeyValue, error)
	// Put buffers a write of key.
	Put(key, value []byte) error
	// Delete buffers a deletion of key.
	Delete(key []byte) error
	// DeleteRange buffers a deletion of every key in [start, end).
	DeleteRange(start, end []byte) error
}

// CommitResult reports a successful commit.
type CommitResult struct {
	// Version is the version at which the writes became visible (the Raft
	// index of the commit entry). Zero for a read-only transaction.
	Version uint64
}

// Store begins and finishes transactions synchronously. Production gateways
// use it directly (the calls block on the node loop); the simulator's
// drivers use the node's asynchronous API instead, and package sql never
// calls Begin or Commit itself (see package sql's Session).
type Store interface {
	Begin(opts TxnOptions) (Txn, error)
	Commit(txn Txn) (CommitResult, error)
	Abort(txn Txn)
}
