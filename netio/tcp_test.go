package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("netio.seed", 0, "seed for the TCP tests' random payloads (0: pick one and print it)")

// waitMax bounds every wait in these tests. It is a guard against hangs,
// not a performance assertion: on a healthy machine waits end in
// milliseconds.
const waitMax = 15 * time.Second

// testSeed returns the seed for t, printing it so a failure can be
// replayed with -netio.seed.
func testSeed(t *testing.T) uint64 {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d (replay: go test ./netio -run '^%s$' -netio.seed=%d)", seed, t.Name(), seed)
	return seed
}

// collector is a Handler that records messages and notices calls made after
// the test declared its transport closed.
type collector struct {
	mu     sync.Mutex
	msgs   []Message
	closed atomic.Bool
	// lateCalls counts calls that began, or were still running, after the
	// test set closed (which it does once Close has returned).
	lateCalls atomic.Int64
	// slow makes each call linger, so a Close that does not wait for its
	// readers is caught with a call in flight.
	slow time.Duration
}

func (c *collector) handle(m Message) {
	if c.closed.Load() {
		c.lateCalls.Add(1)
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
	if c.slow > 0 {
		time.Sleep(c.slow)
		if c.closed.Load() {
			c.lateCalls.Add(1)
		}
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func (c *collector) snapshot() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.msgs...)
}

// waitFor waits until at least n messages have arrived.
func (c *collector) waitFor(t *testing.T, n int) []Message {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d messages", n), func() bool { return c.count() >= n })
	return c.snapshot()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitMax)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, waitMax)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// newTestTCP starts a transport for id on an ephemeral loopback port.
func newTestTCP(t *testing.T, id NodeID, c *collector, mods ...func(*TCPConfig)) *TCPTransport {
	t.Helper()
	cfg := TCPConfig{
		ID:                  id,
		ListenAddr:          "127.0.0.1:0",
		Handler:             c.handle,
		ReconnectBackoffMin: 5 * time.Millisecond,
		ReconnectBackoffMax: 100 * time.Millisecond,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	tr, err := NewTCP(cfg)
	if err != nil {
		t.Fatalf("NewTCP(%d): %v", id, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// connect makes every transport a peer of every other.
func connect(t *testing.T, trs ...*TCPTransport) {
	t.Helper()
	for _, a := range trs {
		for _, b := range trs {
			if a != b {
				if err := a.AddPeer(b.ID(), b.Addr().String()); err != nil {
					t.Fatalf("AddPeer: %v", err)
				}
			}
		}
	}
}

// payloadFor derives message seq from -> to from the seed alone, so the
// receiver can check every byte. The first 8 bytes carry seq.
func payloadFor(seed uint64, from, to NodeID, seq uint64) []byte {
	rng := rand.New(rand.NewPCG(seed^uint64(from)<<48^uint64(to)<<32, seq))
	p := binary.BigEndian.AppendUint64(nil, seq)
	for range rng.IntN(3000) {
		p = append(p, byte(rng.Uint32()))
	}
	return p
}

// sendRetry sends m, retrying while the peer's queue is full.
func sendRetry(t *testing.T, tr *TCPTransport, m Message) {
	deadline := time.Now().Add(waitMax)
	for {
		err := tr.Send(m)
		if err == nil {
			return
		}
		if !errors.Is(err, ErrQueueFull) || time.Now().After(deadline) {
			t.Errorf("Send to %d: %v", m.To, err)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// sendSeq sends messages 0..n-1 from tr to each of the given peers.
func sendSeq(t *testing.T, seed uint64, tr *TCPTransport, to []NodeID, n int) {
	for seq := range uint64(n) {
		for _, id := range to {
			m := Message{From: tr.ID(), To: id, Type: MessageType(seq % 7), Payload: payloadFor(seed, tr.ID(), id, seq)}
			sendRetry(t, tr, m)
		}
	}
}

// checkSeq checks that msgs hold exactly messages 0..n-1 from each sender,
// in order (one fault-free TCP connection per pair keeps order), intact.
func checkSeq(t *testing.T, seed uint64, to NodeID, msgs []Message, from []NodeID, n int) {
	t.Helper()
	next := make(map[NodeID]uint64)
	for _, m := range msgs {
		seq := next[m.From]
		want := Message{From: m.From, To: to, Type: MessageType(seq % 7), Payload: payloadFor(seed, m.From, to, seq)}
		if !sameMessage(m, want) {
			t.Fatalf("node %d: message %d from %d differs from what was sent (type %d, %d bytes)",
				to, seq, m.From, m.Type, len(m.Payload))
		}
		next[m.From] = seq + 1
	}
	for _, id := range from {
		if next[id] != uint64(n) {
			t.Fatalf("node %d: got %d messages from %d, want %d", to, next[id], id, n)
		}
	}
	if len(next) != len(from) {
		t.Fatalf("node %d: messages from %d senders, want %d", to, len(next), len(from))
	}
}

func TestTCPTwoPeers(t *testing.T) {
	seed := testSeed(t)
	const n = 2000
	ca, cb := &collector{}, &collector{}
	a, b := newTestTCP(t, 1, ca), newTestTCP(t, 2, cb)
	connect(t, a, b)
	var wg sync.WaitGroup
	wg.Go(func() { sendSeq(t, seed, a, []NodeID{2}, n) })
	wg.Go(func() { sendSeq(t, seed, b, []NodeID{1}, n) })
	wg.Wait()
	checkSeq(t, seed, 2, cb.waitFor(t, n), []NodeID{1}, n)
	checkSeq(t, seed, 1, ca.waitFor(t, n), []NodeID{2}, n)
	for _, tr := range []*TCPTransport{a, b} {
		s := tr.Stats()
		if s.FramesSent != n || s.FramesReceived != n || s.BadFrames != 0 || s.BadHandshakes != 0 || s.Reconnects != 0 {
			t.Fatalf("node %d stats: %+v", tr.ID(), s)
		}
		if s.BytesSent == 0 || s.BytesReceived == 0 {
			t.Fatalf("node %d counted no bytes: %+v", tr.ID(), s)
		}
	}
}

func TestTCPThreePeers(t *testing.T) {
	seed := testSeed(t)
	const n = 500
	cs := []*collector{{}, {}, {}}
	trs := []*TCPTransport{newTestTCP(t, 1, cs[0]), newTestTCP(t, 2, cs[1]), newTestTCP(t, 3, cs[2])}
	connect(t, trs...)
	var wg sync.WaitGroup
	for _, tr := range trs {
		wg.Go(func() { sendSeq(t, seed, tr, others(tr.ID()), n) })
	}
	wg.Wait()
	for i, c := range cs {
		id := NodeID(i + 1)
		checkSeq(t, seed, id, c.waitFor(t, 2*n), others(id), n)
	}
}

func others(id NodeID) []NodeID {
	var ids []NodeID
	for _, o := range []NodeID{1, 2, 3} {
		if o != id {
			ids = append(ids, o)
		}
	}
	return ids
}

// garbageCase is a connection that misbehaves at the listener.
type garbageCase struct {
	name      string
	bytes     []byte
	halfClose bool // close our write side after sending, as a crashed sender would
	handshake bool // true if the handshake is valid and the fault is in a frame
	replied   bool // true if the listener replies before closing
}

func garbageCases(t *testing.T, seed uint64, maxFrameBytes int) []garbageCase {
	rng := rand.New(rand.NewPCG(seed, 0))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random[0] = 'x' // never the magic, whatever the seed
	hs := appendHello(nil, hello{from: 9, to: 2})
	badMagic := bytes.Clone(hs)
	badMagic[0] = 'X'
	frame := func(from, to NodeID) []byte {
		return mustFrame(t, Message{From: from, To: to, Type: 1, Payload: []byte("garbage test")})
	}
	badCRC := frame(9, 2)
	badCRC[len(badCRC)-1] ^= 0x40
	withHS := func(b ...[]byte) []byte { return bytes.Join(append([][]byte{hs}, b...), nil) }
	return []garbageCase{
		{name: "random bytes", bytes: random},
		{name: "bad magic", bytes: badMagic},
		{name: "handshake for another node", bytes: appendHello(nil, hello{from: 9, to: 3}), replied: true},
		{name: "version 1 handshake", bytes: []byte("LNDB\x00\x01\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x02\xde\xad\xbe\xef")},
		{name: "hello claiming to be the listener", bytes: appendHello(nil, hello{from: 2, to: 2}), replied: true},
		{name: "hello advertising a bad address", bytes: resum(helloWithRawAddr("x"))},
		{name: "silent after connect", bytes: nil},
		{name: "huge length prefix", bytes: withHS([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}), handshake: true},
		{name: "one byte over the maximum", bytes: withHS(binary.BigEndian.AppendUint32(nil, uint32(maxFrameBytes-7)), make([]byte, 64)), handshake: true},
		{name: "truncated frame", bytes: withHS(frame(9, 2)[:20]), halfClose: true, handshake: true},
		{name: "bad crc", bytes: withHS(badCRC), handshake: true},
		{name: "frame from another sender", bytes: withHS(frame(8, 2)), handshake: true},
		{name: "frame for another node", bytes: withHS(frame(9, 5)), handshake: true},
	}
}

// expectClosedByPeer sends g at addr (the listener being node 2) and waits
// for the listener to close the connection, checking that it replied
// exactly when g says it should.
func expectClosedByPeer(t *testing.T, addr string, g garbageCase) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitMax)
	if err != nil {
		t.Fatalf("%s: dial: %v", g.name, err)
	}
	defer conn.Close()
	if _, err := conn.Write(g.bytes); err != nil {
		t.Fatalf("%s: write: %v", g.name, err)
	}
	if g.halfClose {
		conn.(*net.TCPConn).CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(waitMax))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the transport did not close the connection (read %d bytes)", g.name, len(got))
	}
	replied := g.replied || g.handshake
	if want := appendReply(nil, 2); replied && !bytes.Equal(got, want) || !replied && len(got) > 0 {
		t.Fatalf("%s: listener sent %x, want a reply: %v", g.name, got, replied)
	}
}

// TestTCPGarbage throws malformed connections at a transport and checks
// that each is closed alone while a real peer keeps being served.
func TestTCPGarbage(t *testing.T) {
	seed := testSeed(t)
	ca, cb := &collector{}, &collector{}
	a := newTestTCP(t, 1, ca)
	b := newTestTCP(t, 2, cb, func(c *TCPConfig) {
		c.HandshakeTimeout = 200 * time.Millisecond
		c.MaxFrameBytes = 1 << 16
	})
	connect(t, a, b)
	sendSeq(t, seed, a, []NodeID{2}, 10)
	cb.waitFor(t, 10)

	// Control: a raw connection that follows the protocol is served, so
	// the rejections below are for the faults, not for being raw.
	control := bytes.Join([][]byte{appendHello(nil, hello{from: 9, to: 2}), mustFrame(t, Message{From: 9, To: 2, Type: 4, Payload: []byte("ok")})}, nil)
	expectClosedByPeer(t, b.Addr().String(), garbageCase{name: "control", bytes: control, halfClose: true, replied: true})
	if got := cb.waitFor(t, 11)[10]; got.From != 9 || string(got.Payload) != "ok" {
		t.Fatalf("control message: got %+v", got)
	}

	cases := garbageCases(t, seed, 1<<16)
	wantHandshakes, wantFrames := uint64(0), uint64(0)
	for _, g := range cases {
		expectClosedByPeer(t, b.Addr().String(), g)
		if g.handshake {
			wantFrames++
		} else {
			wantHandshakes++
		}
		waitUntil(t, g.name+" counted", func() bool {
			s := b.Stats()
			return s.BadFrames == wantFrames && s.BadHandshakes == wantHandshakes
		})
	}

	// The real peer's connection was never disturbed and still works,
	// and b still reaches a.
	sendSeq(t, seed, a, []NodeID{2}, 100)
	msgs := cb.waitFor(t, 111)
	checkSeq(t, seed, 2, msgs[11:], []NodeID{1}, 100)
	sendSeq(t, seed, b, []NodeID{1}, 5)
	checkSeq(t, seed, 1, ca.waitFor(t, 5), []NodeID{2}, 5)
	if s := a.Stats(); s.Reconnects != 0 || s.Dials != 1 {
		t.Fatalf("the real peer's connection was disturbed: %+v", a.Stats())
	}
	if s := b.Stats(); s.BadFrames != wantFrames || s.BadHandshakes != wantHandshakes {
		t.Fatalf("b stats %+v, want %d bad frames and %d bad handshakes", s, wantFrames, wantHandshakes)
	}
}

// TestTCPPeerRestart closes the receiver, starts a new one at the same
// address, and checks the sender reconnects and delivers again.
func TestTCPPeerRestart(t *testing.T) {
	seed := testSeed(t)
	ca, cb := &collector{}, &collector{}
	a, b := newTestTCP(t, 1, ca), newTestTCP(t, 2, cb)
	connect(t, a, b)
	sendSeq(t, seed, a, []NodeID{2}, 20)
	checkSeq(t, seed, 2, cb.waitFor(t, 20), []NodeID{1}, 20)

	addr := b.Addr().String()
	if err := b.Close(); err != nil {
		t.Fatalf("close b: %v", err)
	}
	cb2 := &collector{}
	newTestTCP(t, 2, cb2, func(c *TCPConfig) { c.ListenAddr = addr })

	// Frames sent around the restart may be lost; keep sending until one
	// lands, then everything sent after must arrive.
	waitUntil(t, "a message at the restarted peer", func() bool {
		_ = a.Send(Message{From: 1, To: 2, Type: 99})
		time.Sleep(5 * time.Millisecond)
		return cb2.count() > 0
	})
	before := cb2.count()
	const n = 200
	sendSeq(t, seed, a, []NodeID{2}, n)
	msgs := cb2.waitFor(t, before+n)
	var fresh []Message
	for _, m := range msgs {
		if m.Type != 99 {
			fresh = append(fresh, m)
		}
	}
	checkSeq(t, seed, 2, fresh, []NodeID{1}, n)
	if s := a.Stats(); s.Reconnects < 1 {
		t.Fatalf("sender never counted a reconnect: %+v", s)
	}
}

// TestTCPCloseUnderTraffic closes both transports while messages flow both
// ways, then checks for panics, late handler calls and leaked goroutines.
func TestTCPCloseUnderTraffic(t *testing.T) {
	ca, cb := &collector{slow: 2 * time.Millisecond}, &collector{slow: 2 * time.Millisecond}
	a, b := newTestTCP(t, 1, ca), newTestTCP(t, 2, cb)
	connect(t, a, b)
	var senders sync.WaitGroup
	for _, pair := range [][2]*TCPTransport{{a, b}, {b, a}, {a, b}, {b, a}} {
		senders.Go(func() { flood(t, pair[0], pair[1].ID()) })
	}
	ca.waitFor(t, 50)
	cb.waitFor(t, 50)

	if err := b.Close(); err != nil {
		t.Errorf("close b: %v", err)
	}
	cb.closed.Store(true)
	if err := a.Close(); err != nil {
		t.Errorf("close a: %v", err)
	}
	ca.closed.Store(true)
	senders.Wait()

	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.Send(Message{From: 1, To: 2}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
	if err := a.AddPeer(3, "127.0.0.1:1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddPeer after Close: %v, want ErrClosed", err)
	}
	if err := a.RemovePeer(2); !errors.Is(err, ErrClosed) {
		t.Fatalf("RemovePeer after Close: %v, want ErrClosed", err)
	}
	// Once no transport goroutine is left, every handler call is over, so
	// the late-call count is final.
	checkNoTransportGoroutines(t)
	if n := ca.lateCalls.Load() + cb.lateCalls.Load(); n != 0 {
		t.Fatalf("handler calls began or ran on after Close returned: %d", n)
	}
}

// flood sends from tr to peer until tr is closed.
func flood(t *testing.T, tr *TCPTransport, to NodeID) {
	payload := make([]byte, 512)
	for {
		err := tr.Send(Message{From: tr.ID(), To: to, Type: 1, Payload: payload})
		switch {
		case errors.Is(err, ErrClosed):
			return
		case errors.Is(err, ErrQueueFull):
			runtime.Gosched()
		case err != nil:
			t.Errorf("flood: %v", err)
			return
		}
	}
}

// checkNoTransportGoroutines waits for every goroutine running transport
// code to exit, and fails listing those that do not.
func checkNoTransportGoroutines(t *testing.T) {
	t.Helper()
	var leaked []string
	waitUntilOrNot := time.Now().Add(waitMax)
	for {
		leaked = transportGoroutines()
		if len(leaked) == 0 || time.Now().After(waitUntilOrNot) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(leaked) > 0 {
		t.Fatalf("%d transport goroutines still running after Close:\n%s",
			len(leaked), strings.Join(leaked, "\n\n"))
	}
}

func transportGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "netio.(*TCPTransport)") || strings.Contains(g, "netio.(*peerWriter)") {
			found = append(found, g)
		}
	}
	return found
}

// TestTCPSendErrors checks each Send error, and that a full queue fails
// fast instead of blocking.
func TestTCPSendErrors(t *testing.T) {
	deadAddr := unusedAddr(t)
	const queueMax = 4
	a := newTestTCP(t, 1, &collector{}, func(c *TCPConfig) {
		c.PeerQueueMax = queueMax
		c.MaxFrameBytes = 1024
		c.Peers = map[NodeID]string{2: deadAddr}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range queueMax {
			if err := a.Send(Message{From: 1, To: 2}); err != nil {
				t.Errorf("send %d into an empty queue: %v", i, err)
			}
		}
		for range 3 {
			if err := a.Send(Message{From: 1, To: 2}); !errors.Is(err, ErrQueueFull) {
				t.Errorf("send into a full queue: %v, want ErrQueueFull", err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(waitMax):
		t.Fatal("Send blocked on a full queue")
	}
	if s := a.Stats(); s.DroppedQueueFull != 3 {
		t.Fatalf("DroppedQueueFull=%d, want 3", s.DroppedQueueFull)
	}
	cases := []struct {
		m    Message
		want error
	}{
		{Message{From: 1, To: 3}, ErrUnknownPeer},
		{Message{From: 1, To: 0}, ErrUnknownPeer},
		{Message{From: 1, To: 2, Payload: make([]byte, 1024)}, ErrTooLarge},
		{Message{From: 5, To: 2}, ErrForeignSender},
	}
	for _, c := range cases {
		if err := a.Send(c.m); !errors.Is(err, c.want) {
			t.Errorf("Send(to %d, from %d, %d bytes): %v, want %v", c.m.To, c.m.From, len(c.m.Payload), err, c.want)
		}
	}
	waitUntil(t, "a failed dial", func() bool { return a.Stats().DialErrors > 0 })
}

// unusedAddr returns a loopback address nobody listens on: a writer for it
// never connects, so nothing drains its queue.
func unusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestTCPQueueBytesMax(t *testing.T) {
	a := newTestTCP(t, 1, &collector{}, func(c *TCPConfig) {
		c.MaxFrameBytes = 1024
		c.PeerQueueBytesMax = 2047
		c.Peers = map[NodeID]string{2: unusedAddr(t)}
	})
	big := Message{From: 1, To: 2, Payload: make([]byte, 998)} // a 1024-byte frame
	if err := a.Send(big); err != nil {
		t.Fatalf("first big frame: %v", err)
	}
	if err := a.Send(big); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("second big frame (2048 bytes queued > 2047): %v, want ErrQueueFull", err)
	}
	if err := a.Send(Message{From: 1, To: 2}); err != nil {
		t.Fatalf("small frame within the byte budget: %v", err)
	}
}

// TestTCPInboundConnsMax checks that connections beyond the bound are
// closed at once and counted, while the open one is kept.
func TestTCPInboundConnsMax(t *testing.T) {
	c := &collector{}
	b := newTestTCP(t, 2, c, func(c *TCPConfig) { c.InboundConnsMax = 1 })
	first, err := net.Dial("tcp", b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	first.Write(appendHello(nil, hello{from: 9, to: 2}))
	waitUntil(t, "the first connection accepted", func() bool { return b.Stats().InboundAccepted == 1 })
	expectClosedByPeer(t, b.Addr().String(), garbageCase{name: "over the bound", bytes: appendHello(nil, hello{from: 8, to: 2})})
	if s := b.Stats(); s.InboundRejected != 1 || s.InboundAccepted != 1 {
		t.Fatalf("stats %+v, want 1 accepted and 1 rejected", s)
	}
	first.Write(mustFrame(t, Message{From: 9, To: 2, Type: 5}))
	if got := c.waitFor(t, 1)[0]; got.From != 9 || got.Type != 5 {
		t.Fatalf("message on the kept connection: %+v", got)
	}
}

func TestTCPAddRemovePeer(t *testing.T) {
	seed := testSeed(t)
	ca, cb := &collector{}, &collector{}
	a, b := newTestTCP(t, 1, ca), newTestTCP(t, 2, cb)
	// A wrong address first; re-adding with the right one replaces it.
	if err := a.AddPeer(2, "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	connect(t, a, b)
	sendSeq(t, seed, a, []NodeID{2}, 10)
	checkSeq(t, seed, 2, cb.waitFor(t, 10), []NodeID{1}, 10)

	if err := a.RemovePeer(2); err != nil {
		t.Fatalf("RemovePeer: %v", err)
	}
	if err := a.Send(Message{From: 1, To: 2}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("Send to a removed peer: %v, want ErrUnknownPeer", err)
	}
	if err := a.RemovePeer(2); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("second RemovePeer: %v, want ErrUnknownPeer", err)
	}
	if err := a.AddPeer(2, b.Addr().String()); err != nil {
		t.Fatalf("AddPeer again: %v", err)
	}
	if err := a.AddPeer(2, b.Addr().String()); err != nil {
		t.Fatalf("AddPeer with the same address: %v", err)
	}
	sendSeq(t, seed, a, []NodeID{2}, 10)
	checkSeq(t, seed, 2, cb.waitFor(t, 20)[10:], []NodeID{1}, 10)

	for _, bad := range []struct {
		id   NodeID
		addr string
	}{{0, "127.0.0.1:1"}, {1, "127.0.0.1:1"}, {3, ""}} {
		if err := a.AddPeer(bad.id, bad.addr); err == nil {
			t.Errorf("AddPeer(%d, %q) accepted", bad.id, bad.addr)
		}
	}
}

func TestNewTCPConfigErrors(t *testing.T) {
	h := func(Message) {}
	cases := []struct {
		name string
		cfg  TCPConfig
	}{
		{"zero id", TCPConfig{Handler: h, ListenAddr: "127.0.0.1:0"}},
		{"no handler", TCPConfig{ID: 1, ListenAddr: "127.0.0.1:0"}},
		{"tiny max frame", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", MaxFrameBytes: FrameOverheadBytes - 1}},
		{"huge max frame", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", MaxFrameBytes: MaxFrameBytesLimit + 1}},
		{"negative queue", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", PeerQueueMax: -1}},
		{"queue bytes below max frame", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:0",
			MaxFrameBytes: 4096, PeerQueueBytesMax: 4095}},
		{"backoff min > max", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:0",
			ReconnectBackoffMin: time.Second, ReconnectBackoffMax: time.Millisecond}},
		{"peer is self", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", Peers: map[NodeID]string{1: "x:1"}}},
		{"bad listen address", TCPConfig{ID: 1, Handler: h, ListenAddr: "127.0.0.1:99999"}},
	}
	for _, c := range cases {
		if tr, err := NewTCP(c.cfg); err == nil {
			tr.Close()
			t.Errorf("%s: NewTCP accepted the config", c.name)
		}
	}
}
