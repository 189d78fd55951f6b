package netio

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by NewTCP to zero TCPConfig fields.
const (
	DefaultPeerQueueMax        = 1024
	DefaultPeerQueueBytesMax   = 2 * DefaultMaxFrameBytes
	DefaultInboundConnsMax     = 1024
	DefaultDialTimeout         = 3 * time.Second
	DefaultWriteTimeout        = 10 * time.Second
	DefaultHandshakeTimeout    = 5 * time.Second
	DefaultReconnectBackoffMin = 50 * time.Millisecond
	DefaultReconnectBackoffMax = 2 * time.Second
)

// Fixed sizes of the TCP transport's buffers and batches.
const (
	// writeBufferBytes is each peer connection's bufio.Writer size: frames
	// smaller than it are coalesced into one write syscall.
	writeBufferBytes = 64 << 10
	// readBufferBytes is each inbound connection's bufio.Reader size.
	readBufferBytes = 64 << 10
	// writeBatchFramesMax bounds how many queued frames one flush carries,
	// so a busy peer's frames still reach the wire at a steady pace.
	writeBatchFramesMax = 256
	// acceptRetryMin and acceptRetryMax bound the pause after a failed
	// Accept (e.g. out of file descriptors) so the loop does not spin.
	acceptRetryMin = 5 * time.Millisecond
	acceptRetryMax = time.Second
)

// ErrForeignSender is returned by Send for a message whose From is not the
// transport's own node: the receiver would reject the frame and drop the
// connection with it.
var ErrForeignSender = errors.New("netio: message From is not this node")

// TCPConfig configures a TCPTransport. Zero fields take the documented
// defaults; negative values are an error.
type TCPConfig struct {
	// ID is this node; it is sent in every handshake and must be non-zero.
	ID NodeID
	// ListenAddr is the address to accept peers on, e.g. ":9090", or
	// "127.0.0.1:0" for an ephemeral port (see Addr).
	ListenAddr string
	// Peers maps each peer to its address. It is copied; change membership
	// later with AddPeer and RemovePeer.
	Peers map[NodeID]string
	// Handler receives every delivered message, on the goroutine of the
	// connection it arrived on, possibly concurrently for different
	// connections. It must hand the message off quickly (post it to the
	// node loop): a slow handler stalls that connection. It must not call
	// Close. Required.
	Handler Handler
	// MaxFrameBytes is the largest frame, header included, sent or
	// accepted; larger sends fail with ErrTooLarge and a larger inbound
	// frame closes its connection. Use the same value on every node.
	// Default DefaultMaxFrameBytes; at most MaxFrameBytesLimit.
	MaxFrameBytes int
	// PeerQueueMax is how many frames may wait for each peer's writer.
	// Beyond it Send fails with ErrQueueFull: a bigger queue rides out a
	// longer stall but delivers staler messages. Default
	// DefaultPeerQueueMax.
	PeerQueueMax int
	// PeerQueueBytesMax bounds the bytes of the frames waiting for each
	// peer, so a stalled peer costs at most this much memory however large
	// its frames. It must be at least MaxFrameBytes, so any frame Send
	// accepts fits an empty queue. Default DefaultPeerQueueBytesMax, raised
	// to MaxFrameBytes if that is larger.
	PeerQueueBytesMax int
	// InboundConnsMax bounds concurrently open inbound connections; more
	// are closed on accept. Default DefaultInboundConnsMax.
	InboundConnsMax int
	// DialTimeout bounds one connection attempt. Default DefaultDialTimeout.
	DialTimeout time.Duration
	// WriteTimeout bounds one batch write to a peer; a peer that stops
	// reading for longer loses its connection (and the batch) instead of
	// stalling its writer forever. Default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds how long an inbound connection may take to
	// send its handshake. Default DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// ReconnectBackoffMin and ReconnectBackoffMax bound the pause between
	// connection attempts to an unreachable peer: it starts at the minimum,
	// doubles per failure up to the maximum, is jittered so a cluster
	// restarting together does not redial in lockstep, and resets once a
	// connection carries a frame. Defaults DefaultReconnectBackoffMin and
	// DefaultReconnectBackoffMax.
	ReconnectBackoffMin time.Duration
	ReconnectBackoffMax time.Duration
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger

	// ServerTLS and ClientTLS turn on TLS for every connection: inbound
	// connections are TLS server connections with ServerTLS, dials are TLS
	// client connections with ClientTLS. Set both or neither; for mutual
	// authentication between nodes use MutualTLS, which builds a pair that
	// requires and verifies a certificate from the cluster's CA on both
	// sides. With TLS on, a plaintext peer fails at the listener's TLS
	// handshake (counted in BadHandshakes) and never reaches the hello.
	ServerTLS *tls.Config
	ClientTLS *tls.Config

	// AdvertiseAddr is the address sent in every hello for peers to reach
	// this node at (see LearnPeers). Default: the listener's address; a
	// receiver replaces an unspecified host (0.0.0.0, ::) with the address
	// the connection came from.
	AdvertiseAddr string
	// LearnPeers makes an inbound connection from a node this transport
	// has no address for add that node as a peer at the address its hello
	// advertised, so a node started without peers can answer the leader
	// that adds it. An address set by Peers or AddPeer is never replaced
	// by a learned one. Without TLS, anyone who can connect can name
	// itself any id — as it can already send frames as any id.
	LearnPeers bool
	// PeerLearned, if set, is called after LearnPeers added a peer, on the
	// connection's goroutine; like Handler it must return quickly and not
	// call Close.
	PeerLearned func(id NodeID, addr string)
}

// withDefaults returns c with zero fields defaulted, or an error naming the
// first invalid field.
func (c TCPConfig) withDefaults() (TCPConfig, error) {
	if c.ID == 0 {
		return c, errors.New("netio: TCPConfig.ID must be non-zero")
	}
	if c.Handler == nil {
		return c, errors.New("netio: TCPConfig.Handler is required")
	}
	defaultInt(&c.MaxFrameBytes, DefaultMaxFrameBytes)
	defaultInt(&c.PeerQueueMax, DefaultPeerQueueMax)
	defaultInt(&c.PeerQueueBytesMax, max(DefaultPeerQueueBytesMax, c.MaxFrameBytes))
	defaultInt(&c.InboundConnsMax, DefaultInboundConnsMax)
	defaultDuration(&c.DialTimeout, DefaultDialTimeout)
	defaultDuration(&c.WriteTimeout, DefaultWriteTimeout)
	defaultDuration(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	defaultDuration(&c.ReconnectBackoffMin, DefaultReconnectBackoffMin)
	defaultDuration(&c.ReconnectBackoffMax, DefaultReconnectBackoffMax)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, c.validate()
}

func (c TCPConfig) validate() error {
	switch {
	case c.MaxFrameBytes < FrameOverheadBytes || c.MaxFrameBytes > MaxFrameBytesLimit:
		return fmt.Errorf("netio: MaxFrameBytes %d outside [%d, %d]",
			c.MaxFrameBytes, FrameOverheadBytes, MaxFrameBytesLimit)
	case c.PeerQueueMax < 0 || c.InboundConnsMax < 0:
		return errors.New("netio: PeerQueueMax and InboundConnsMax must be positive")
	case c.PeerQueueBytesMax < c.MaxFrameBytes:
		return fmt.Errorf("netio: PeerQueueBytesMax %d below MaxFrameBytes %d",
			c.PeerQueueBytesMax, c.MaxFrameBytes)
	case c.DialTimeout < 0 || c.WriteTimeout < 0 || c.HandshakeTimeout < 0:
		return errors.New("netio: timeouts must be positive")
	case c.ReconnectBackoffMin < 0 || c.ReconnectBackoffMax < c.ReconnectBackoffMin:
		return fmt.Errorf("netio: reconnect backoff [%v, %v] is not a valid range",
			c.ReconnectBackoffMin, c.ReconnectBackoffMax)
	case (c.ServerTLS == nil) != (c.ClientTLS == nil):
		return errors.New("netio: ServerTLS and ClientTLS must be set together")
	case c.ServerTLS != nil && len(c.ServerTLS.Certificates) == 0 && c.ServerTLS.GetCertificate == nil:
		return errors.New("netio: ServerTLS has no certificate")
	}
	if c.AdvertiseAddr != "" {
		if err := checkAdvertiseAddr(c.AdvertiseAddr); err != nil {
			return fmt.Errorf("netio: AdvertiseAddr: %w", err)
		}
	}
	for id, addr := range c.Peers {
		if err := c.checkPeer(id, addr); err != nil {
			return err
		}
	}
	return nil
}

func (c TCPConfig) checkPeer(id NodeID, addr string) error {
	if id == 0 || id == c.ID {
		return fmt.Errorf("netio: peer id %d is zero or this node", id)
	}
	if addr == "" {
		return fmt.Errorf("netio: peer %d has no address", id)
	}
	return nil
}

func defaultInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

func defaultDuration(v *time.Duration, d time.Duration) {
	if *v == 0 {
		*v = d
	}
}

// TCPTransport is the production Transport: one outbound TCP connection per
// peer, fed by a bounded queue and a writer goroutine, and one reader
// goroutine per inbound connection. Its methods are safe for concurrent
// use.
type TCPTransport struct {
	cfg   TCPConfig
	ln    net.Listener
	log   *slog.Logger
	stats tcpCounters

	// closed is set once, under mu, by Close; readers check it without the
	// lock before each handler call.
	closed atomic.Bool
	// closing is closed by Close to wake the accept loop's retry pause.
	closing chan struct{}
	// wg counts every goroutine the transport started. It is only
	// incremented under mu while !closed, so Close's Wait sees them all.
	wg sync.WaitGroup

	mu sync.RWMutex
	// peers holds the writer of each current peer.
	peers map[NodeID]*peerWriter
	// inbound holds every open inbound connection (len <= InboundConnsMax).
	inbound map[net.Conn]struct{}
	// inboundByPeer maps a sender to its newest inbound connection, whose
	// arrival closes the previous one: a sender dials anew only when it
	// has given up on the old connection.
	inboundByPeer map[NodeID]net.Conn
}

var _ Transport = (*TCPTransport)(nil)

// NewTCP validates cfg, listens on cfg.ListenAddr and starts a writer per
// configured peer. Connections are dialed lazily by those writers, so
// peers need not be up yet.
func NewTCP(cfg TCPConfig) (*TCPTransport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("netio: listen on %q: %w", cfg.ListenAddr, err)
	}
	if cfg.AdvertiseAddr == "" {
		cfg.AdvertiseAddr = ln.Addr().String()
	}
	if err := checkAdvertiseAddr(cfg.AdvertiseAddr); err != nil {
		ln.Close()
		return nil, fmt.Errorf("netio: advertised address: %w", err)
	}
	if cfg.ServerTLS != nil {
		// The TLS handshake runs on the reader's first read, inside
		// HandshakeTimeout, never in the accept loop.
		ln = tls.NewListener(ln, cfg.ServerTLS)
	}
	t := &TCPTransport{
		cfg:           cfg,
		ln:            ln,
		log:           cfg.Logger.With("node", uint64(cfg.ID)),
		closing:       make(chan struct{}),
		peers:         make(map[NodeID]*peerWriter),
		inbound:       make(map[net.Conn]struct{}),
		inboundByPeer: make(map[NodeID]net.Conn),
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.wg.Add(1)
	go t.acceptLoop()
	for id, addr := range cfg.Peers {
		t.startPeerLocked(id, addr)
	}
	t.cfg.Peers = nil // the live set is t.peers
	return t, nil
}

// Addr returns the address the transport listens on, with the real port
// when ListenAddr asked for port 0.
func (t *TCPTransport) Addr() net.Addr { return t.ln.Addr() }

// ID returns the node this transport speaks for.
func (t *TCPTransport) ID() NodeID { return t.cfg.ID }

// Send encodes m and queues it for m.To's writer without blocking. m is not
// retained: the caller may reuse m.Payload once Send returns. A nil error
// means only that the frame was queued.
func (t *TCPTransport) Send(m Message) error {
	if m.From != t.cfg.ID {
		return fmt.Errorf("%w: From %d, this node %d", ErrForeignSender, m.From, t.cfg.ID)
	}
	frame, err := AppendFrame(nil, m, t.cfg.MaxFrameBytes)
	if err != nil {
		return err
	}
	checkEncodedFrame(frame, m, t.cfg.MaxFrameBytes)
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed.Load() {
		return ErrClosed
	}
	p, ok := t.peers[m.To]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, m.To)
	}
	if !p.enqueue(frame) {
		t.stats.droppedQueueFull.Add(1)
		return fmt.Errorf("%w: peer %d", ErrQueueFull, m.To)
	}
	return nil
}

// AddPeer makes id reachable at addr. Re-adding a peer with a new address
// replaces its writer (dropping frames queued for the old address); with
// the same address it does nothing.
func (t *TCPTransport) AddPeer(id NodeID, addr string) error {
	if err := t.cfg.checkPeer(id, addr); err != nil {
		return err
	}
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		return ErrClosed
	}
	old := t.peers[id]
	if old != nil && old.addr == addr {
		t.mu.Unlock()
		return nil
	}
	t.startPeerLocked(id, addr)
	t.mu.Unlock()
	if old != nil {
		old.stopAndWait()
	}
	return nil
}

// RemovePeer forgets id: its writer stops, its queued frames are dropped
// and its connection closes. Later Sends to id fail with ErrUnknownPeer.
// Inbound connections from id are left alone; the peer closes them.
func (t *TCPTransport) RemovePeer(id NodeID) error {
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		return ErrClosed
	}
	p, ok := t.peers[id]
	delete(t.peers, id)
	t.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, id)
	}
	p.stopAndWait()
	return nil
}

// startPeerLocked starts a writer for id at addr, replacing any in the map.
func (t *TCPTransport) startPeerLocked(id NodeID, addr string) {
	p := newPeerWriter(t, id, addr)
	t.peers[id] = p
	t.wg.Add(1)
	go p.run()
}

// Close stops the listener, every writer and every connection, and waits
// for all of the transport's goroutines to return; after it returns the
// handler is not called again. Queued frames are dropped. Close must not
// be called from the handler. Later calls wait the same way and return nil.
func (t *TCPTransport) Close() error {
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		t.wg.Wait()
		return nil
	}
	t.closed.Store(true)
	close(t.closing)
	peers := make([]*peerWriter, 0, len(t.peers))
	for _, p := range t.peers {
		peers = append(peers, p)
	}
	conns := make([]net.Conn, 0, len(t.inbound))
	for c := range t.inbound {
		conns = append(conns, c)
	}
	t.mu.Unlock()

	err := t.ln.Close()
	for _, p := range peers {
		p.stop()
	}
	for _, c := range conns {
		c.Close()
	}
	t.wg.Wait()
	return err
}

// Stats returns a snapshot of the transport's counters.
func (t *TCPTransport) Stats() TCPStats { return t.stats.snapshot() }

// sleepOrDone waits d or until done is closed, and reports whether d
// elapsed.
func sleepOrDone(d time.Duration, done <-chan struct{}) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}
