// Package mvcc is LineraDB's replicated state machine: the MVCC key-value
// state that every replica derives, identically, from the committed Raft
// log. It owns the LSM (package lsm) of one replica, the stored form of
// versioned values, the commit entry's codec, the apply-time validation of
// optimistic transactions, and the gateway-side transaction buffer.
//
// # Design
//
//   - Versions are Raft indexes. Each committed entry is applied as one LSM
//     batch with WriteOptions.Seq = entry index, so LSM sequence numbers,
//     MVCC versions and Raft indexes are one number. Every applied entry
//     (commits, aborts, no-ops, membership changes) writes at least the
//     applied record, so the LSM's LastSeq is always the applied index and
//     DurableSeq the durable applied index.
//   - The Raft log is the WAL: the LSM runs with DisableWAL; after a crash
//     the owner replays the log from DurableApplied()+1.
//   - Every stored user value carries the version that wrote it and a
//     tombstone flag (a delete is a tombstone VALUE, never an LSM delete),
//     so "the newest version of key k" is readable from the latest state,
//     the same on every replica, and validation at apply time is a function
//     of the replicated state alone.
//   - A delete-range is ONE LSM range tombstone at the entry's index, O(1)
//     whatever the number of keys it covers (a TRUNCATE of a million rows
//     is one small batch). The transaction's writes are resolved in program
//     order first (a point write a later range covers is dropped; the
//     ranges are merged), and the surviving point writes are written at
//     the same index, which a range tombstone never hides. Readers honour
//     the tombstone through their LSM snapshot: a version before it still
//     sees the keys.
//   - A range tombstone leaves no per-key version for validation to see,
//     so every committed range is also logged in the replicated state:
//     sysRangeDelPrefix | index → its ranges. Validation treats a key as
//     written after rv if its newest point version is, OR a range logged
//     at an index > rv covers it (a range read: overlaps it). That is
//     conservative — the log does not know whether the key existed — so
//     it may abort a commit memkv would accept (a retry), never the
//     reverse. Log records below the horizon are pruned with the dedup
//     records: no commit that can still apply has a read version below it.
//     The store keeps an upper bound on the log's newest index (read from
//     the log at Open — which covers restarts and snapshot installs — and
//     raised by every applied range deletion); a validation whose read
//     version is at or above it has nothing to read and skips the scan.
//   - Commits are deduplicated by request id (a proposal the network
//     duplicates must not apply twice): a committed request leaves a record
//     keyed by (read version, id). Records whose read version is below the
//     horizon are range-deleted every dedupGCEveryEntries entries; a
//     duplicate that old aborts as too old anyway, so the GC is safe.
//
// # Contract (applying entry i)
//
//  1. ApplyEmpty(i) for an entry with no transactional effect, or
//     ApplyCommit(i, c) for a commit entry; i must be Applied()+1 in
//     normal operation (any index above Applied() is accepted).
//  2. ApplyCommit decides, in order: c.ReadVersion >= i → Invalid;
//     c over a per-commit limit (Commit.CheckLimits) → TooLarge;
//     c.ReadVersion < Horizon(i) = i − RetainedVersions → TooOld; the
//     request already committed → Duplicate; serializable: a read key or
//     a key in a read range has a version > c.ReadVersion → Serialization;
//     snapshot isolation: the same check on the written keys and ranges;
//     otherwise Committed, and the writes land at version i.
//  3. An error from either call is an LSM failure (I/O, poisoning,
//     corruption): the state is unknown and the owner must stop.
//
// Reads: NewReader pins an LSM snapshot at Applied() (only the latest state
// is guaranteed intact: the LSM merges versions between open snapshots).
// Compaction therefore keeps exactly what open readers can see and GCs the
// rest: old versions are collected behind the oldest read version in use,
// and tombstones behind the history window too (Tombstone GC, below).
// The owner bounds how long a reader may live (the node's window: a reader
// whose version falls below applied − RetainedVersions reports
// kv.ErrTooOld).
//
// TxnBuffer mirrors kv/memkv's Txn (read-your-writes, read set recording,
// limited scans observing only up to their last key), so the replicated
// store and the reference model can be compared operation by operation.
//
// # Invariants
//
//   - LSM LastSeq == applied index; entries are applied at strictly
//     increasing indexes (checkNext panics otherwise).
//   - Stored user values decode (kind, version); a value's version is the
//     index of the entry that wrote it, never above Applied().
//   - Every Reader is closed before Close.
//   - The LSM's filter horizon is Horizon(DurableApplied()) and never moves
//     backwards (syncFilterHorizon panics otherwise).
//   - No range-deletion log record is above newestRangeDel (checked on
//     every skipped scan under the invariants tag).
//
// # Limits
//
// One entry becomes one LSM batch, so a commit carries at most
// CommitWritesMax writes (the LSM's batch op limit less the store's own
// ops), CommitRangeDeletesMax of them range deletions, and keys and values
// of at most 1 MiB. Gateways check Commit.CheckLimits before proposing
// (kv.ErrTooLarge, SQLSTATE 54000); apply re-checks and aborts with
// OutcomeTooLarge, so no committed entry can make the LSM panic — a panic
// there would recur at every replay of the log.
//
// # Tombstone GC
//
// Old versions below every reader are dropped by compaction. The newest
// version of a deleted key — its tombstone value — is dropped by the LSM's
// compaction filter (dropOldTombstone) once its version is below the GC
// horizon DurableApplied() − RetainedVersions (lsm.DB.SetFilterHorizon,
// refreshed before every apply, Step and CompactAll). Why that is safe:
//
//  1. The LSM asks the filter only about a key's newest version in the
//     compaction, with no open snapshot older than it, and drops it only
//     if no table outside the compaction may hold an older version: no
//     older value can resurface, so the key becomes absent.
//  2. Readers read a tombstone as absent, so no reader (at any snapshot)
//     sees a difference.
//  3. Validation asks "is the newest version of k above rv?" only for
//     rv >= Horizon(i) (older read versions abort TooOld first). A
//     tombstone below the GC horizon is below every such rv, so it answers
//     "no", exactly like an absent key.
//  4. The horizon trails the DURABLE applied index: after a crash the log
//     replays from DurableApplied()+1, and every replayed commit has a
//     horizon above the GC horizon of any earlier compaction, so it decides
//     as it did the first time. (Trailing the applied index would let a
//     compaction drop a tombstone that a replayed commit still needs.) A
//     checkpoint sent as a snapshot holds only entries at or below its
//     index, compacted against horizons below it, so the same holds for a
//     replica that installs it.
//
// Checksum leaves out tombstones below Horizon(Applied()) — above every GC
// horizon — so replicas at the same index agree whether or not their
// compactions have dropped them. Range-deletion and dedup records are
// pruned separately, by replicated range deletions (above).
package mvcc
