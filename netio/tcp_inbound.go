package netio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// acceptLoop accepts inbound connections until the listener is closed and
// starts a reader goroutine for each.
func (t *TCPTransport) acceptLoop() {
	defer t.wg.Done()
	retry := acceptRetryMin
	for {
		conn, err := t.ln.Accept()
		if err != nil {
			if t.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Typically out of file descriptors: pause instead of spinning,
			// and keep the listener, which is not at fault.
			t.log.Warn("netio: accept failed", "err", err, "retry", retry)
			if !sleepOrDone(retry, t.closing) {
				return
			}
			retry = min(2*retry, acceptRetryMax)
			continue
		}
		retry = acceptRetryMin
		if t.trackInbound(conn) {
			go t.serveInbound(conn)
		}
	}
}

// trackInbound registers conn and counts its reader in wg, or closes conn
// if the transport is closed or InboundConnsMax connections are open.
func (t *TCPTransport) trackInbound(conn net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed.Load() {
		conn.Close()
		return false
	}
	if len(t.inbound) >= t.cfg.InboundConnsMax {
		t.stats.inboundRejected.Add(1)
		t.log.Warn("netio: too many inbound connections", "remote", conn.RemoteAddr(),
			"max", t.cfg.InboundConnsMax)
		conn.Close()
		return false
	}
	t.inbound[conn] = struct{}{}
	t.stats.inboundAccepted.Add(1)
	t.wg.Add(1)
	return true
}

// forgetInbound unregisters and closes conn.
func (t *TCPTransport) forgetInbound(conn net.Conn, from NodeID) {
	t.mu.Lock()
	delete(t.inbound, conn)
	if from != 0 && t.inboundByPeer[from] == conn {
		delete(t.inboundByPeer, from)
	}
	t.mu.Unlock()
	conn.Close()
}

// claimInbound records conn as from's newest connection and closes the one
// it replaces.
func (t *TCPTransport) claimInbound(from NodeID, conn net.Conn) {
	t.mu.Lock()
	old := t.inboundByPeer[from]
	t.inboundByPeer[from] = conn
	t.mu.Unlock()
	if old != nil && old != conn {
		t.log.Info("netio: peer reconnected, closing its previous connection", "peer", uint64(from))
		old.Close()
	}
}

// serveInbound is an inbound connection's reader goroutine: it checks the
// handshake, then decodes frames and hands them to the handler until the
// connection ends or a frame is bad.
func (t *TCPTransport) serveInbound(conn net.Conn) {
	defer t.wg.Done()
	from, err := t.readHandshake(conn)
	if err != nil {
		t.forgetInbound(conn, 0)
		if !t.closed.Load() {
			t.stats.badHandshakes.Add(1)
			t.log.Warn("netio: rejected inbound connection", "remote", conn.RemoteAddr(), "err", err)
		}
		return
	}
	defer t.forgetInbound(conn, from)
	t.claimInbound(from, conn)
	err = t.readFrames(conn, from)
	switch {
	case t.closed.Load() || err == nil:
	case errors.As(err, new(*FrameError)):
		t.stats.badFrames.Add(1)
		t.log.Warn("netio: bad frame, closing connection", "peer", uint64(from),
			"remote", conn.RemoteAddr(), "err", err)
	default:
		t.log.Info("netio: inbound connection ended", "peer", uint64(from), "err", err)
	}
}

// readHandshake reads and validates the handshake within HandshakeTimeout
// and returns the sender.
func (t *TCPTransport) readHandshake(conn net.Conn) (NodeID, error) {
	if err := conn.SetReadDeadline(time.Now().Add(t.cfg.HandshakeTimeout)); err != nil {
		return 0, err
	}
	var b [handshakeBytes]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return 0, fmt.Errorf("%w: reading: %v", ErrBadHandshake, err)
	}
	from, to, err := decodeHandshake(b[:])
	if err != nil {
		return 0, err
	}
	if to != t.cfg.ID {
		return 0, fmt.Errorf("%w: addressed to node %d, this is node %d", ErrBadHandshake, to, t.cfg.ID)
	}
	if from == t.cfg.ID {
		return 0, fmt.Errorf("%w: sender claims to be this node %d", ErrBadHandshake, from)
	}
	// Peers may be idle for long stretches; liveness of an idle connection
	// is left to TCP keep-alive.
	return from, conn.SetReadDeadline(time.Time{})
}

// readFrames delivers frames from conn until it ends (nil error on a clean
// end between frames) or a frame is bad (*FrameError).
func (t *TCPTransport) readFrames(conn net.Conn, from NodeID) error {
	br := bufio.NewReaderSize(conn, readBufferBytes)
	for {
		m, size, err := ReadFrame(br, t.cfg.MaxFrameBytes)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if m.From != from || m.To != t.cfg.ID {
			return frameErrorf(ErrFrameMalformed,
				"frame from %d to %d on a connection from %d to %d", m.From, m.To, from, t.cfg.ID)
		}
		t.stats.framesReceived.Add(1)
		t.stats.bytesReceived.Add(uint64(size))
		if t.closed.Load() {
			return nil
		}
		t.cfg.Handler(m)
	}
}
