package netio

import "errors"

// NodeID names a node in the cluster. Zero is never a valid node.
type NodeID uint64

// MessageType is opaque to the transport; the protocol above defines it.
type MessageType uint16

// Message is the envelope every node-to-node message travels in.
type Message struct {
	From    NodeID
	To      NodeID
	Type    MessageType
	Payload []byte
}

// Handler receives delivered messages.
type Handler func(Message)

// Errors Send may report. They are advisory: a nil error does not mean the
// message will arrive.
var (
	ErrUnknownPeer = errors.New("netio: unknown peer")
	ErrQueueFull   = errors.New("netio: peer queue full")
	ErrClosed      = errors.New("netio: transport closed")
	ErrTooLarge    = errors.New("netio: message exceeds maximum frame size")
)

// Transport sends messages to peers and delivers received ones to the
// handler it was created with.
type Transport interface {
	// Send queues m for delivery to m.To without blocking.
	Send(m Message) error
	// Close stops sending and receiving and releases resources. After Close
	// returns the handler is not called again.
	Close() error
}
