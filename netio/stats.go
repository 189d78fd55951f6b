package netio

import "sync/atomic"

// TCPStats is a snapshot of a TCPTransport's counters, all cumulative since
// NewTCP. Counters are read one by one, so a snapshot taken under traffic
// need not be consistent across fields.
type TCPStats struct {
	// FramesSent and BytesSent count frames (and their bytes, headers
	// included) a writer handed to the kernel in a successful flush. Sent
	// is not delivered: the peer may still lose them.
	FramesSent uint64
	BytesSent  uint64
	// FramesReceived and BytesReceived count frames decoded intact from
	// inbound connections and passed to the handler's caller.
	FramesReceived uint64
	BytesReceived  uint64
	// BadFrames counts inbound frames rejected as truncated, oversized,
	// corrupt (CRC mismatch) or misaddressed; each closed its connection.
	BadFrames uint64
	// BadHandshakes counts inbound connections closed because their first
	// bytes were not a valid handshake addressed to this node.
	BadHandshakes uint64
	// DroppedQueueFull counts Sends refused with ErrQueueFull.
	DroppedQueueFull uint64
	// DroppedSendError counts frames lost because the connection carrying
	// them failed before they were flushed.
	DroppedSendError uint64
	// Dials counts outbound connections established; Reconnects counts
	// those that replaced an earlier connection to the same peer;
	// DialErrors counts failed connection attempts.
	Dials      uint64
	Reconnects uint64
	DialErrors uint64
	// ProbesAnswered counts discovery probes (hellos addressed to node 0)
	// this node replied to.
	ProbesAnswered uint64
	// PeersLearned counts peers added from an inbound hello (LearnPeers).
	PeersLearned uint64
	// WrongNode counts outbound connections closed because the node that
	// replied was not the peer the dialer expected at that address.
	WrongNode uint64
	// InboundAccepted counts inbound connections accepted;
	// InboundRejected counts those closed at once because InboundConnsMax
	// were already open.
	InboundAccepted uint64
	InboundRejected uint64
}

// tcpCounters are the live counters behind TCPStats; each is updated
// atomically by whichever goroutine observes the event.
type tcpCounters struct {
	framesSent       atomic.Uint64
	bytesSent        atomic.Uint64
	framesReceived   atomic.Uint64
	bytesReceived    atomic.Uint64
	badFrames        atomic.Uint64
	badHandshakes    atomic.Uint64
	droppedQueueFull atomic.Uint64
	droppedSendError atomic.Uint64
	dials            atomic.Uint64
	reconnects       atomic.Uint64
	dialErrors       atomic.Uint64
	probesAnswered   atomic.Uint64
	peersLearned     atomic.Uint64
	wrongNode        atomic.Uint64
	inboundAccepted  atomic.Uint64
	inboundRejected  atomic.Uint64
}

func (c *tcpCounters) snapshot() TCPStats {
	return TCPStats{
		FramesSent:       c.framesSent.Load(),
		BytesSent:        c.bytesSent.Load(),
		FramesReceived:   c.framesReceived.Load(),
		BytesReceived:    c.bytesReceived.Load(),
		BadFrames:        c.badFrames.Load(),
		BadHandshakes:    c.badHandshakes.Load(),
		DroppedQueueFull: c.droppedQueueFull.Load(),
		DroppedSendError: c.droppedSendError.Load(),
		Dials:            c.dials.Load(),
		Reconnects:       c.reconnects.Load(),
		DialErrors:       c.dialErrors.Load(),
		ProbesAnswered:   c.probesAnswered.Load(),
		PeersLearned:     c.peersLearned.Load(),
		WrongNode:        c.wrongNode.Load(),
		InboundAccepted:  c.inboundAccepted.Load(),
		InboundRejected:  c.inboundRejected.Load(),
	}
}
