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
// hello and replies, answers a discovery probe and closes it, or else
// decodes frames and hands them to the handler until the connection ends
// or a frame is bad.
func (t *TCPTransport) serveInbound(conn net.Conn) {
	defer t.wg.Done()
	h, err := t.handshakeInbound(conn)
	if err != nil {
		t.forgetInbound(conn, 0)
		if !t.closed.Load() {
			t.stats.badHandshakes.Add(1)
			t.log.Warn("netio: rejected inbound connection", "remote", conn.RemoteAddr(), "err", err)
		}
		return
	}
	if h.probe() {
		t.stats.probesAnswered.Add(1)
		t.log.Debug("netio: answered a discovery probe", "from", uint64(h.from), "remote", conn.RemoteAddr())
		t.forgetInbound(conn, 0)
		return
	}
	defer t.forgetInbound(conn, h.from)
	t.learnPeer(h, conn.RemoteAddr())
	t.claimInbound(h.from, conn)
	err = t.readFrames(conn, h.from)
	switch {
	case t.closed.Load() || err == nil:
	case errors.As(err, new(*FrameError)):
		t.stats.badFrames.Add(1)
		t.log.Warn("netio: bad frame, closing connection", "peer", uint64(h.from),
			"remote", conn.RemoteAddr(), "err", err)
	default:
		t.log.Info("netio: inbound connection ended", "peer", uint64(h.from), "err", err)
	}
}

// handshakeInbound reads and validates the hello within HandshakeTimeout
// (with TLS, the TLS handshake runs inside the same deadline), replies
// with this node's id, and returns the hello. A valid hello addressed to
// another node still gets the reply, so the dialer learns whose address
// it has, and is then refused.
func (t *TCPTransport) handshakeInbound(conn net.Conn) (hello, error) {
	if err := conn.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout)); err != nil {
		return hello{}, err
	}
	h, err := readHello(conn)
	if err != nil {
		return hello{}, err
	}
	if _, err := conn.Write(appendReply(nil, t.cfg.ID)); err != nil {
		return hello{}, fmt.Errorf("%w: writing reply: %v", ErrBadHandshake, err)
	}
	// A node that reached itself (its own address among its peers) still
	// gets the reply, so it can tell.
	if h.from == t.cfg.ID {
		return hello{}, fmt.Errorf("%w: sender claims to be this node %d", ErrBadHandshake, h.from)
	}
	if !h.probe() && h.to != t.cfg.ID {
		return hello{}, fmt.Errorf("%w: addressed to node %d, this is node %d", ErrBadHandshake, h.to, t.cfg.ID)
	}
	// Peers may be idle for long stretches; liveness of an idle connection
	// is left to TCP keep-alive.
	return h, conn.SetDeadline(time.Time{})
}

// learnPeer adds h's sender as a peer at its advertised address when
// LearnPeers is on and the transport has no address for it yet.
func (t *TCPTransport) learnPeer(h hello, remote net.Addr) {
	if !t.cfg.LearnPeers || h.addr == "" {
		return
	}
	addr := resolveAdvertised(h.addr, remote)
	if addr == "" || t.cfg.checkPeer(h.from, addr) != nil {
		return
	}
	t.mu.Lock()
	if t.closed.Load() || t.peers[h.from] != nil {
		t.mu.Unlock()
		return
	}
	t.startPeerLocked(h.from, addr)
	t.mu.Unlock()
	t.stats.peersLearned.Add(1)
	t.log.Info("netio: learned a peer's address from its hello", "peer", uint64(h.from), "addr", addr)
	if t.cfg.PeerLearned != nil {
		t.cfg.PeerLearned(h.from, addr)
	}
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
