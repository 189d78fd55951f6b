package netio

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// DiscoverConfig configures Discover.
type DiscoverConfig struct {
	// ID is the node asking; it is sent in the probe and must be non-zero.
	ID NodeID
	// TLS, when set, is the client configuration to dial with (a cluster
	// running with TLS refuses plaintext probes). Use the ClientTLS the
	// transport uses.
	TLS *tls.Config
	// Timeout bounds the whole probe: dial, TLS, hello and reply. Default
	// DefaultDialTimeout + DefaultHandshakeTimeout.
	Timeout time.Duration
}

// ErrProbeSelf reports a probe answered by the probing node itself: the
// address is this node's own.
var ErrProbeSelf = errors.New("netio: discovery probe reached this node")

// Discover asks the node listening at addr for its id: it dials, sends a
// probe (a hello addressed to node 0), reads the reply and closes. It
// makes one attempt; callers retry while the node is not up yet. The node
// at addr must run a transport of this handshake version.
func Discover(ctx context.Context, addr string, cfg DiscoverConfig) (NodeID, error) {
	if cfg.ID == 0 {
		return 0, errors.New("netio: Discover needs this node's id")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultDialTimeout + DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	conn, err := dial(ctx, addr, cfg.Timeout, cfg.TLS)
	if err != nil {
		return 0, fmt.Errorf("netio: discover %s: %w", addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, err
	}
	// Closing the connection when ctx ends unblocks the write and read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Write(appendHello(nil, hello{from: cfg.ID})); err != nil {
		return 0, fmt.Errorf("netio: discover %s: %w", addr, err)
	}
	id, err := readReply(conn)
	if err != nil {
		return 0, fmt.Errorf("netio: discover %s: %w", addr, err)
	}
	if id == cfg.ID {
		return 0, fmt.Errorf("%w: %s answers as node %d", ErrProbeSelf, addr, id)
	}
	return id, nil
}

// Discover asks the node at addr for its id with this transport's id, TLS
// configuration and timeouts; see the package function Discover.
func (t *TCPTransport) Discover(ctx context.Context, addr string) (NodeID, error) {
	return Discover(ctx, addr, DiscoverConfig{ID: t.cfg.ID, TLS: t.cfg.ClientTLS,
		Timeout: t.cfg.DialTimeout + t.cfg.HandshakeTimeout})
}
