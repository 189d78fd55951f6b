// Package raft is LineraDB's consensus core: Raft as a pure, deterministic
// state machine. It owns elections (randomized timeouts, pre-vote,
// check-quorum), log replication (batching, pipelining, flow control, fast
// backtracking, the Figure 8 commit rule), linearizable reads (ReadIndex
// and optional leader leases), proposal forwarding, leadership transfer,
// log compaction with chunked InstallSnapshot, single-server membership
// changes with learners, and the binary codec for its messages.
//
// It does no I/O, reads no clock, starts no goroutine and draws randomness
// only from the *rand.Rand in its Config. Time is Tick(); durability is the
// caller's job (raft/raftlog holds the durable log); the network is the
// caller's job (Encode/Decode produce the netio payload).
//
// # Contract
//
// One goroutine owns a *Raft. Inputs are Tick, Step (a received message),
// Propose, ProposeConfChange, ReadIndex, TransferLeadership, Campaign and
// Compact. Each may queue work; the owner then runs this loop:
//
//  1. If HasReady(), take rd := Ready(). From now until Advance, feed no
//     input (inputs return ErrReadyOutstanding; Tick panics).
//  2. Stage rd.SnapshotChunks durably, in order (offset 0 restarts).
//  3. Persist rd.Entries — first discarding stored entries at index >=
//     rd.Entries[0].Index — and then rd.HardState if non-empty. If
//     rd.Snapshot is non-nil, record it as the log's base (entries at or
//     below its index are gone). Fsync if rd.MustSync. A HardState that
//     only advances Commit may be written without an fsync unless
//     MustSync says otherwise (it does when the commit reaches a
//     membership change).
//  4. Only now send rd.Messages (in any order; they may be lost,
//     duplicated or reordered — the protocol tolerates it). A message must
//     never leave before the state it depends on is durable: a vote or an
//     acknowledgement given and then forgotten by a crash breaks safety.
//  5. If rd.Snapshot is non-nil, install the staged snapshot into the state
//     machine. Then apply rd.CommittedEntries in order (skip EntryNoop; an
//     EntryConfChange has already taken effect in the core, rd.ConfState
//     reports the result). Act on membership (e.g. shut a removed member
//     down) from rd.ConfState, not Status: Status may show a change whose
//     commit is not durable yet.
//  6. Deliver rd.ReadStates: a read with Context may be served once the
//     state machine has applied ReadState.Index.
//  7. Call Advance(rd).
//
// Entries handed out in a Ready (Entries, CommittedEntries, Messages'
// Entries) share the core's memory and must not be modified; they remain
// valid after Advance.
//
// Whenever the application has durably snapshotted its state at an
// applied index i, it may call Compact(i); the core drops its in-memory log
// up to i and returns the SnapshotMeta (with the membership at i). The
// Config's SnapshotSource must then be able to serve that snapshot's bytes
// in chunks to followers that fell behind it.
//
// On restart pass the recovered HardState, snapshot meta, entries and the
// state machine's applied index in Recovered. A brand-new group's founders
// pass Config.Peers; joiners pass nothing and learn from the leader.
//
// # Design choices
//
//   - Membership changes take effect when their entry commits, so the
//     configuration is a function of the committed prefix and the snapshot.
//     A leader proposes one only after committing an entry of its own term
//     and while no other change is uncommitted.
//   - The commit of a membership change is durable before it is acted
//     on: Ready.MustSync is true whenever HardState.Commit reaches a conf
//     change entry that no earlier Ready's commit reached, so the fsync
//     precedes the messages sent under the new configuration and the
//     ConfState reported to the owner. Restart rebuilds the membership
//     from the durable commit, so a member comes back under exactly the
//     membership it last reported, never an older one. Without this a
//     leader that committed the removal of the other voter of a pair,
//     whose removed peer was then shut down, could crash, restart under
//     the pair, and campaign for the gone member's vote forever (sim seed
//     11603). Commits of normal entries alone stay unsynced (the entries
//     are durable on a quorum; a restarted member relearns the commit).
//     We keep activation at commit rather than using the latest
//     configuration in the log (thesis §4.1) because truncating an
//     uncommitted suffix then never has to undo a change; the cost is that
//     the surviving voters must learn a removal's commit before the
//     removed member is shut down. In a pair whose leader removes itself,
//     the survivor learns the commit from the leader's last broadcast or,
//     if that is lost, by winning an election with the removed member's
//     vote; so the operator must wait for the survivor's ConfState.
//   - A leader counts its own entries toward commit only once they are
//     durable (after the Advance that covered them).
//   - TransferLeadership works on any member: a non-leader forwards it
//     to the leader it knows as MsgTransferLeader (ErrNoLeader if it knows
//     none), and the leader runs it as if called locally. The request
//     carries the sender's term, so a delayed or duplicated one cannot
//     move leadership in a later term; it is fire-and-forget like a
//     forwarded proposal (the caller watches the leader change). Asking
//     again for the transfer under way keeps its deadline, so retries
//     cannot hold proposals off indefinitely.
//   - Read-index confirmation uses a round counter echoed by heartbeats, not
//     request contexts, so one round confirms every read registered before.
//   - A leader whose removal is pending accepts no proposals, so when it
//     steps down (at the removal's commit, after broadcasting that commit)
//     some remaining member holds its whole log and can win an election.
//   - A leader is removed and steps down; it does not linger. Members that
//     may not campaign (removed, learners) forget the leader after an
//     election timeout without contact, so their lease check never blocks
//     elections forever.
//   - Snapshot chunks are combined only within one transfer (same sender,
//     term and meta); a follower that kept chunks from an earlier round may
//     acknowledge beyond what the current round sent, and the leader skips
//     ahead. Lost chunks are resent from the acknowledged offset after
//     snapshotStalledHeartbeatsMax heartbeat responses without progress.
//   - A received snapshot is bad input until checked: with a
//     Config.SnapshotVerifier the follower asks the application when the
//     last chunk arrives, and a rejected transfer is answered with
//     MsgSnapResp{Reject}, which makes the leader restart it from offset
//     0. Installing first and finding the damage later would leave the
//     follower nothing to do but stop (sim seeds 501, 2043).
//   - Proposals are batched per Ready: Propose, acknowledgements and
//     commit advances only mark followers; HasReady/Ready build the
//     MsgApps, so every entry and commit since the last Ready shares one
//     MsgApp per follower (split only by MaxEntriesPerMsg/MaxMsgBytes).
//     An owner that feeds several inputs before asking for a Ready gets
//     fewer, larger messages; one that asks after each input loses
//     nothing.
//   - Flow control: per follower at most MaxInflightMsgs appends and
//     MaxInflightBytes entry bytes in flight (replicate state), one probe
//     per heartbeat (probe state), MaxSnapshotChunksInflight chunks
//     (snapshot state). Read requests are bounded by MaxPendingReads.
//
// # Testing knobs
//
// Config.Testing.SkipFigure8Rule and SkipConfChangeTermRule deliberately
// break safety so checkers (here and in sim) can prove they catch it.
//
// # Invariants
//
// Checked by verify (after every input under the invariants build tag):
//
//   - snapshot index <= applied <= committed <= last index; committed
//     never decreases and committed entries are never truncated;
//   - entries are contiguous and their terms never decrease; the last
//     entry's term <= the current term;
//   - the configuration in force is the one at the commit index, and the
//     newest conf change entry in force is at or below it;
//   - a leader voted for itself, knows itself as leader, and for every
//     peer Match < Next and Match <= last index.
//
// Protocol-level properties (election safety, log matching, leader
// completeness, state machine safety) are checked across members by the
// randomized test in this package and by the simulator.
package raft
