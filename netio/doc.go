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
//
// # TCP transport
//
// TCPTransport (tcp.go) is production-only code: it uses goroutines, net,
// time and sync, which the determinism contract keeps out of the core
// packages, and it stays thin. It owns the wire format (frame.go, with the
// layout documented there, and handshake.go: handshake version 2), one
// outbound connection per peer and the inbound connections peers open to
// it. Connections are one-way for frames: a node writes frames only on
// connections it dialed and reads them only on connections it accepted;
// the listener writes exactly one thing, its handshake reply.
//
// A message's path:
//
//  1. Send checks the message, encodes it as a frame (its size checked
//     against MaxFrameBytes) and queues it for the destination peer,
//     failing with ErrQueueFull rather than waiting when the peer's
//     queue is at PeerQueueMax frames or PeerQueueBytesMax bytes.
//  2. The peer's writer goroutine dials (with jittered exponential backoff
//     between failures; TLS when ClientTLS is set), writes the hello
//     (its id, the peer's id, its advertised address) and reads the reply
//     (the listener's id) within HandshakeTimeout. A reply from another
//     node than the peer (a stale address) closes the connection
//     (ErrWrongNode, Stats.WrongNode). Then it drains the queue in
//     batches of at most writeBatchFramesMax frames, flushing once per
//     batch. A failed write loses its batch and the connection; the writer
//     dials again.
//  3. The receiver's accept loop hands each connection to a reader
//     goroutine, which (within HandshakeTimeout, TLS handshake included
//     when ServerTLS is set) reads the hello, replies with its own id,
//     refuses a hello addressed to another node, with LearnPeers adds an
//     unknown sender as a peer at its advertised address, and then decodes
//     frames and calls the handler for each.
//  4. A bad handshake (garbage, an old version, a failed TLS handshake, a
//     client certificate not from the CA), a bad frame (truncated,
//     oversized, CRC mismatch, or addressed other than the hello said)
//     closes that one connection and is counted in Stats; the listener and
//     other connections carry on.
//
// Discovery: a node given only host:port for a peer learns its id with
// Discover, which sends a probe (a hello addressed to node 0); the
// listener replies with its id and closes the probe without touching the
// prober's other connections.
//
// TLS: ServerTLS and ClientTLS (see MutualTLS) make every connection TLS,
// with both sides presenting a certificate from the cluster's CA. The
// hello runs inside TLS, so ids are only ever claimed by certified nodes.
//
// Invariants:
//
//   - Every goroutine the transport starts is counted in its WaitGroup
//     before it starts, and Close waits for all of them: after Close
//     returns no transport goroutine runs and the handler is not called.
//   - Each peer queue holds at most PeerQueueMax frames and
//     PeerQueueBytesMax bytes; at most InboundConnsMax inbound connections
//     are open; no buffer is sized by a length read from the wire before
//     that length has been checked against MaxFrameBytes.
//   - A frame handed to the handler passed its CRC and came on a
//     connection whose hello named the frame's sender and this node (and,
//     with TLS, whose peer proved a certificate from the CA).
//   - A handshake reads at most helloBytesMax bytes; its length field is
//     checked against AdvertiseAddrBytesMax before the rest is read.
//   - A learned address never replaces one set by Peers or AddPeer.
package netio
