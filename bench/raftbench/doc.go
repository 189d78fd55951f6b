// Package raftbench measures LineraDB's Raft core against etcd's raft
// (go.etcd.io/raft/v3) driven the same way: three members in one goroutine,
// in-memory storage, no ticks after the election, and a closed loop that
// keeps a fixed number of proposals in flight. It lives in the bench
// module so that the main module never imports etcd.
//
// # What one round does (identical for both implementations)
//
//  1. Propose on the leader, one entry per Propose call, until
//     InflightMax entries are proposed but not yet applied on all three
//     members.
//  2. For each member in order: if it has a Ready, persist its entries
//     and hard state into in-memory storage (no disk, no copy of the
//     payload), queue its messages on the in-memory network, apply its
//     committed entries to a checking state machine, then Advance.
//  3. Deliver every queued message, in FIFO order, by Step on its
//     destination. Messages are passed as structs: no encoding.
//
// Every CompactEveryEntries applied indexes, each member's log is compacted
// up to the lowest index applied on all three, so memory stays bounded.
//
// # What is counted
//
// An entry counts once it is applied on all three members. Messages are
// counted as they enter the network. Allocations and CPU time are measured
// by the caller (testing.B, or Measure with runtime and getrusage).
//
// # Invariants
//
//   - Every member applies payload sequence numbers 0, 1, 2, ... exactly
//     once and in order (stateMachine.apply rejects anything else), so a
//     harness or library bug shows up as an error, not as a fast number.
//   - Payload buffers come from a ring of 2×InflightMax slots: a slot is
//     reused only after its previous entry was applied on all members.
//   - No round may be empty: a round that proposes nothing, handles no
//     Ready and delivers no message is a stall and ends the run with an
//     error (without ticks nothing could ever wake the group up).
package raftbench
