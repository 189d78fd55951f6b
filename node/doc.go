// Package node is one LineraDB replica: the Raft core (package raft), its
// durable log (raft/raftlog), the MVCC state machine (node/mvcc) over the
// LSM, and the transactional API that gateways use (node/kv's contract, in
// callback style). runtime.go wires it to real time and TCP for
// production; everything else is deterministic and runs inside the
// simulator in one goroutine.
//
// # Design decisions
//
//  1. The Raft log is the WAL. The LSM runs with DisableWAL; each committed
//     entry is applied as one LSM batch at Seq = its index, so LSM sequence
//     numbers, MVCC versions and Raft indexes are one number. Every entry,
//     even a no-op, writes the applied record, so the LSM's DurableSeq is
//     the durable applied index; restart replays the log after it.
//  2. Validation happens at apply time and is a function of the replicated
//     state alone (see node/mvcc): values carry their version and a
//     tombstone flag; a commit at index i aborts TooOld if its read version
//     is below i − RetainedVersions, Serialization if anything it read
//     (serializable) or writes (snapshot isolation) has a newer version;
//     else its writes land at i. Duplicated proposals are deduplicated by
//     request id.
//  3. Reads: Begin gets a read index by raft ReadIndex (a follower asks the
//     leader); once the LOCAL replica has applied that far the transaction
//     reads at the local applied index (≥ the read index, so still
//     linearizable) from an LSM snapshot pinned there. Any replica serves.
//     A read-index request's context is (node id, incarnation, sequence):
//     unique across the cluster and across restarts, because an answer
//     can reach a node, or an incarnation, that did not ask (sim seed
//     292), and one matched to the wrong Begin is a stale read. The
//     incarnation is a counter in the node's directory, bumped durably at
//     every Open; answers to other contexts are counted and ignored.
//     Writes are buffered in the Txn. Commit proposes the commit entry and
//     waits for it to be applied locally; read-only transactions commit
//     without a proposal.
//  4. Snapshots are LSM checkpoints at an applied index, packed into a
//     self-describing archive (archive.go) that raft streams in chunks
//     through SnapshotSource. The receiver stages the chunks durably and,
//     when the last one arrives and before raft installs anything
//     (raft.SnapshotVerifier), unpacks them into a NEW LSM directory,
//     verifying the archive's checksums, every table's own block
//     checksums and that it opens at the snapshot's index; then it
//     switches the LSM pointer file (diskio cannot rename directories).
//     A snapshot that fails is a peer's bad input: rejected, and raft
//     sends it again. The sender proves each archive the same way right
//     after packing it, since the archive's checksums only cover what its
//     disk returned (a bit flip on read would verify and spread, sim seed
//     2043); damage is retried (snapshotPackAttemptsMax) and then stops
//     the sender. The log is truncated behind each snapshot; one is taken
//     every SnapshotInterval applied entries or on TakeSnapshot.
//  5. Faults stop the node (fail-stop): a failed fsync or poisoned raft
//     log, a corrupt raft log at open, an LSM error (poisoning, a checksum
//     mismatch from a bit flip on read), a damaged snapshot — and disk
//     full (ENOSPC): rather than keep a Raft member that cannot persist,
//     the node stops with the cause and must be restarted once space is
//     back. A stopped node sends nothing, votes for nobody, serves no read
//     and fails every pending request. Malformed messages from the network
//     are counted and dropped, and a damaged snapshot from a peer is
//     rejected; neither ever stops the node.
//  6. The Node is driven by its owner: Tick, Receive, the client API
//     (Begin, Txn ops, Commit, Abort) and admin calls (AddPeer,
//     AddLearner, RemovePeer, TransferLeadership, TakeSnapshot, Status,
//     Metrics). Time is ticks; every timeout is in ticks.
//
// # Contract
//
// One goroutine owns a Node. For every input:
//
//  1. The input is fed to the Raft core (Tick, Step, Propose, ReadIndex,
//     ProposeConfChange...), never while a Ready is outstanding.
//  2. The Ready loop runs (process): stage snapshot chunks (fsync); install
//     a complete snapshot (the verified new LSM, pointer switch, then
//     raftlog.Compact);
//     append entries and hard state, and fsync if rd.MustSync (a hard
//     state that only advances Commit stays unsynced until the LSM is
//     about to make entries applied under it durable: lsmFS syncs the
//     log right before any manifest write); only then send messages;
//     apply committed entries to the MVCC store in order (resolving this
//     node's pending commits by request id); record read states and wake
//     Begins whose read index is applied; Advance. Repeat while HasReady.
//  3. Pending commits proposed in an earlier term are failed as
//     kv.ErrAmbiguous; on Tick, Begins past BeginTimeoutTicks fail with
//     kv.ErrUnavailable and commits past CommitTimeoutTicks with
//     kv.ErrAmbiguous; the LSM does one paced Step; a snapshot is taken if
//     SnapshotInterval entries were applied since the last.
//  4. Callbacks queued while handling the input run last, in order, on
//     the same goroutine; they may call back into the node.
//
// Commit outcomes: a version (committed), kv.ErrSerialization or
// kv.ErrTooOld (decided by applying the entry: certainly not committed),
// kv.ErrUnavailable (the proposal never left: safe to retry) or
// kv.ErrAmbiguous (it may or may not commit). A commit is never reported
// failed if it might have committed.
//
// # Crash safety of the on-disk layout (storage.go)
//
//   - Open reads the LSM pointer, opens the raft log, and if the pointer's
//     snapshot is newer than the log's, finishes the interrupted install
//     by compacting the log; it then opens the LSM and deletes orphans
//     (other LSM directories, stale archives, staging, checkpoints).
//   - A snapshot install makes the new LSM durable before the pointer
//     names it, and the pointer durable before the log is truncated, so
//     every crash leaves either the old state with its log or the new
//     state, never a log truncated past the state machine.
//
// # Invariants
//
//   - st.Applied() is the index of the last applied entry and never
//     exceeds the durable commit index of the raft log; in particular the
//     LSM's durable applied index never does, because the log is synced
//     before every LSM manifest write (lsmFS), the only way a flush
//     becomes durable. Open refuses a directory where it would (only the
//     AckBeforeFsync canary may produce one).
//   - No input reaches the Raft core while a Ready is outstanding.
//   - A Begin is resolved only by the answer to its own read context
//     (this node, this incarnation, its sequence number).
//   - Every pending commit was proposed in the current term; every open
//     Txn holds an LSM snapshot until it finishes, is detached (snapshot
//     install, stop) or falls below the history window.
//   - A stopped node has no pending request and no open reader.
//
// # Test knobs (Config.Testing), each proven by a test to break something
//
//   - AckBeforeFsync: messages leave before entries are persisted and the
//     log is never fsynced — a crash loses acknowledged writes.
//   - ReadsWithoutReadIndex: Begin reads at the local applied index — a
//     partitioned replica serves stale reads.
//   - SkipReadSetCheck: commits are not validated — lost updates and write
//     skew commit.
//   - BrokenTombstoneGC: compaction drops old tombstones even over the
//     older versions they hide — a deleted value comes back.
//
// # Limits
//
//   - Reads are served only at the applied index when Begin completes, not
//     at an arbitrary older version: the LSM merges versions between open
//     snapshots, so a single snapshot pinned at the horizon would not keep
//     every version above it readable. Each transaction pins its own
//     snapshot instead; old versions are GCed behind the oldest open
//     transaction, and a transaction whose read version falls below
//     applied − RetainedVersions gets kv.ErrTooOld.
//   - Tombstone values are physically removed by compaction only once
//     they are below DurableApplied − RetainedVersions (see node/mvcc,
//     "Tombstone GC"); until then each deleted key costs its tombstone.
//   - One commit is one Raft entry and one LSM batch. Commit refuses,
//     with kv.ErrTooLarge before proposing, a commit over the per-commit
//     limits (mvcc.Commit.CheckLimits: writes, range deletions, key and
//     value sizes) or over MaxCommitBytes encoded (default 32 MiB, at
//     most 48 MiB, under the 64 MiB raft-log record, raft decode and netio
//     frame limits; raft sends an oversized entry alone, never split).
//     An entry that is over a limit anyway applies as an abort on every
//     replica, and an undecodable one as a no-op: nothing on the apply
//     path panics because of an entry's size or content.
//   - Pending requests are kept in slices scanned linearly (bounded by
//     PendingMax).
//   - Peer addresses are the transport's concern: AddPeer changes the
//     membership; the runtime's AddPeerAddr must be called on every member
//     for the new address.
package node
