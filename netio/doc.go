// Package netio is the network seam between nodes: a Message envelope and a
// Transport that moves it. Production uses the TCP transport; the simulator
// uses its own network, which implements the same interface with latency,
// loss, duplication, reordering, clogging and partitions.
//
// The contract is deliberately weak, because the simulator exercises every
// weakness it allows:
//
//  1. Send is best-effort and never blocks. A message may be dropped,
//     delayed, duplicated or reordered; the protocols above (Raft) tolerate
//     all of it.
//  2. A delivered message is delivered whole and unmodified: corruption on
//     the wire is detected (CRC32C) and the frame discarded.
//  3. The handler is called for each delivered message. With TCP it runs on
//     a connection goroutine, so it must only hand the message to its owner
//     (post it to the node loop); the simulator calls it from its one loop.
package netio
