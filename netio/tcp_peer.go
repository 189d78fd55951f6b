package netio

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// peerWriter owns the outbound side of one peer: a bounded queue of encoded
// frames, and one goroutine (run) that dials the peer, writes the
// handshake, then drains the queue onto the connection in batches,
// redialing with backoff whenever the connection fails.
//
// Frames wait in the queue while the peer is unreachable; once it is full,
// Send fails fast with ErrQueueFull. Frames in a batch whose write fails
// are lost, not retried: the protocol above retries what matters.
type peerWriter struct {
	t    *TCPTransport
	id   NodeID
	addr string
	log  *slog.Logger

	// queue holds encoded frames; its capacity is TCPConfig.PeerQueueMax.
	// It is never closed (Send may race with stop); stop is signalled by
	// ctx instead.
	queue chan []byte
	// queuedBytes is the size of the frames in queue, kept at most
	// TCPConfig.PeerQueueBytesMax by enqueue.
	queuedBytes atomic.Int64
	// ctx is cancelled by stop; it aborts a dial in progress and a backoff
	// pause.
	ctx    context.Context
	cancel context.CancelFunc
	// done is closed when run returns.
	done chan struct{}
	// everConnected is touched only by run's goroutine.
	everConnected bool

	mu sync.Mutex
	// conn is the current connection, if any, kept so stop can close it
	// and so unblock a writer stuck in a write.
	conn    net.Conn
	stopped bool
}

func newPeerWriter(t *TCPTransport, id NodeID, addr string) *peerWriter {
	if t.cfg.PeerQueueMax <= 0 || t.cfg.PeerQueueBytesMax < t.cfg.MaxFrameBytes {
		panic("netio: peer queue bounds not validated")
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &peerWriter{
		t:      t,
		id:     id,
		addr:   addr,
		log:    t.log.With("peer", uint64(id), "addr", addr),
		queue:  make(chan []byte, t.cfg.PeerQueueMax),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
}

// enqueue queues frame without blocking and reports whether there was room
// under both the frame and the byte bound.
func (p *peerWriter) enqueue(frame []byte) bool {
	size := int64(len(frame))
	if p.queuedBytes.Add(size) > int64(p.t.cfg.PeerQueueBytesMax) {
		p.queuedBytes.Add(-size)
		return false
	}
	select {
	case p.queue <- frame:
		return true
	default:
		p.queuedBytes.Add(-size)
		return false
	}
}

// dequeue takes a queued frame without blocking, if there is one.
func (p *peerWriter) dequeue() ([]byte, bool) {
	select {
	case frame := <-p.queue:
		p.dequeued(frame)
		return frame, true
	default:
		return nil, false
	}
}

// dequeued releases frame's bytes from the queue's byte budget.
func (p *peerWriter) dequeued(frame []byte) {
	if p.queuedBytes.Add(-int64(len(frame))) < 0 {
		panic("netio: peer queue byte count went negative")
	}
}

// stop tells run to return and closes the current connection so a blocked
// write returns too. It does not wait.
func (p *peerWriter) stop() {
	p.cancel()
	p.mu.Lock()
	p.stopped = true
	conn := p.conn
	p.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

func (p *peerWriter) stopAndWait() {
	p.stop()
	<-p.done
}

// run is the writer goroutine: connect, serve until the connection fails,
// back off, repeat until stopped.
func (p *peerWriter) run() {
	defer p.t.wg.Done()
	defer close(p.done)
	cfg := &p.t.cfg
	backoff := cfg.ReconnectBackoffMin
	for p.ctx.Err() == nil {
		if conn, ok := p.connect(); ok && p.serve(conn) {
			// The connection carried frames, so the peer was healthy until
			// just now: redial at once and start backoff afresh.
			backoff = cfg.ReconnectBackoffMin
			continue
		}
		if !sleepOrDone(jitter(backoff), p.ctx.Done()) {
			return
		}
		backoff = min(2*backoff, cfg.ReconnectBackoffMax)
	}
}

// jitter returns a duration in [d/2, d], so writers that failed together
// spread their retries out.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(d-half+1)
}

// dial opens a connection to addr: plain TCP, or TLS (handshake included,
// all within DialTimeout) when tlsCfg is set.
func dial(ctx context.Context, addr string, timeout time.Duration, tlsCfg *tls.Config) (net.Conn, error) {
	nd := &net.Dialer{Timeout: timeout}
	if tlsCfg == nil {
		return nd.DialContext(ctx, "tcp", addr)
	}
	td := tls.Dialer{NetDialer: nd, Config: tlsCfg}
	return td.DialContext(ctx, "tcp", addr)
}

// connect dials the peer and registers the connection for stop.
func (p *peerWriter) connect() (net.Conn, bool) {
	conn, err := dial(p.ctx, p.addr, p.t.cfg.DialTimeout, p.t.cfg.ClientTLS)
	if err != nil {
		if p.ctx.Err() == nil {
			p.t.stats.dialErrors.Add(1)
			p.log.Debug("netio: dial failed", "err", err)
		}
		return nil, false
	}
	p.mu.Lock()
	stopped := p.stopped
	if !stopped {
		p.conn = conn
	}
	p.mu.Unlock()
	if stopped {
		conn.Close()
		return nil, false
	}
	return conn, true
}

// connected counts an established connection (one whose handshake
// succeeded).
func (p *peerWriter) connected() {
	p.t.stats.dials.Add(1)
	if p.everConnected {
		p.t.stats.reconnects.Add(1)
	}
	p.everConnected = true
	p.log.Info("netio: connected to peer")
}

// serve writes the handshake, then batches of queued frames, until the
// connection fails or the writer is stopped. It closes conn before it
// returns, and reports whether any frame was flushed.
func (p *peerWriter) serve(conn net.Conn) (delivered bool) {
	defer p.dropConn(conn)
	bw := bufio.NewWriterSize(conn, writeBufferBytes)
	if err := p.handshake(conn, bw); err != nil {
		p.log.Warn("netio: handshake with peer failed", "err", err)
		return false
	}
	p.connected()
	// The listener writes nothing after its reply, so the watcher may read.
	dead := p.watch(conn)
	for {
		select {
		case <-p.ctx.Done():
			return delivered
		case <-dead:
			p.log.Info("netio: peer closed the connection")
			return delivered
		case frame := <-p.queue:
			p.dequeued(frame)
			if err := p.writeBatch(conn, bw, frame); err != nil {
				p.log.Warn("netio: write to peer failed", "err", err)
				return delivered
			}
			delivered = true
		}
	}
}

// handshake writes the hello and reads the reply within HandshakeTimeout,
// and fails unless the reply comes from the peer this writer serves.
func (p *peerWriter) handshake(conn net.Conn, bw *bufio.Writer) error {
	cfg := &p.t.cfg
	if err := conn.SetDeadline(time.Now().Add(cfg.HandshakeTimeout)); err != nil {
		return err
	}
	h := hello{from: cfg.ID, to: p.id, addr: cfg.AdvertiseAddr}
	if _, err := bw.Write(appendHello(nil, h)); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	id, err := readReply(conn)
	if err != nil {
		return err
	}
	if id != p.id {
		p.t.stats.wrongNode.Add(1)
		return fmt.Errorf("%w: expected node %d at %s, node %d replied", ErrWrongNode, p.id, p.addr, id)
	}
	return conn.SetDeadline(time.Time{})
}

// writeBatch writes first and whatever else is queued, up to
// writeBatchFramesMax frames, then flushes once.
func (p *peerWriter) writeBatch(conn net.Conn, bw *bufio.Writer, first []byte) error {
	frames, size := uint64(1), uint64(len(first))
	err := conn.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
	if err == nil {
		_, err = bw.Write(first)
	}
	for err == nil && frames < writeBatchFramesMax {
		frame, ok := p.dequeue()
		if !ok {
			break
		}
		frames++
		size += uint64(len(frame))
		_, err = bw.Write(frame)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		p.t.stats.droppedSendError.Add(frames)
		return err
	}
	p.t.stats.framesSent.Add(frames)
	p.t.stats.bytesSent.Add(size)
	return nil
}

// watch returns a channel closed when conn is closed by either side. The
// receiver never writes on this connection, so a read returning at all
// means the connection is over; noticing it here lets the writer redial
// before it has a frame to lose on the dead connection.
func (p *peerWriter) watch(conn net.Conn) <-chan struct{} {
	dead := make(chan struct{})
	p.t.wg.Add(1) // the writer's own count is held, so this cannot race Wait
	go func() {
		defer p.t.wg.Done()
		defer close(dead)
		var b [1]byte
		_, _ = conn.Read(b[:])
	}()
	return dead
}

// dropConn unregisters and closes conn, which also ends its watcher.
func (p *peerWriter) dropConn(conn net.Conn) {
	p.mu.Lock()
	if p.conn == conn {
		p.conn = nil
	}
	p.mu.Unlock()
	conn.Close()
}
