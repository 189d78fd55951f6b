package netio

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestTCPDiscover probes a transport for its id, and checks that probing
// does not disturb the prober's established connection to the same node.
func TestTCPDiscover(t *testing.T) {
	seed := testSeed(t)
	ca, cb := &collector{}, &collector{}
	a, b := newTestTCP(t, 1, ca), newTestTCP(t, 2, cb)
	connect(t, a, b)
	sendSeq(t, seed, a, []NodeID{2}, 10)
	cb.waitFor(t, 10)

	ctx := context.Background()
	for range 3 {
		id, err := Discover(ctx, b.Addr().String(), DiscoverConfig{ID: 1})
		if err != nil || id != 2 {
			t.Fatalf("Discover(b) = %d, %v; want 2", id, err)
		}
	}
	if id, err := a.Discover(ctx, b.Addr().String()); err != nil || id != 2 {
		t.Fatalf("a.Discover(b) = %d, %v; want 2", id, err)
	}
	if s := b.Stats(); s.ProbesAnswered != 4 || s.BadHandshakes != 0 {
		t.Fatalf("b stats after 4 probes: %+v", s)
	}
	// The probes came from node 1 too, yet a's real connection survived.
	sendSeq(t, seed, a, []NodeID{2}, 10)
	checkSeq(t, seed, 2, cb.waitFor(t, 20)[10:], []NodeID{1}, 10)
	if s := a.Stats(); s.Reconnects != 0 || s.Dials != 1 {
		t.Fatalf("a probe disturbed a's connection: %+v", s)
	}

	if _, err := Discover(ctx, b.Addr().String(), DiscoverConfig{ID: 2}); !errors.Is(err, ErrProbeSelf) {
		t.Fatalf("probing one's own address: %v, want ErrProbeSelf", err)
	}
	if _, err := Discover(ctx, unusedAddr(t), DiscoverConfig{ID: 1}); err == nil {
		t.Fatal("Discover of an address nobody listens on succeeded")
	}
	if _, err := Discover(ctx, b.Addr().String(), DiscoverConfig{}); err == nil {
		t.Fatal("Discover without an id succeeded")
	}
}

// TestTCPWrongNode gives a a stale address book: node 3 "lives" where
// node 2 does. The reply names node 2, so a drops the connection instead
// of sending node 3's frames there.
func TestTCPWrongNode(t *testing.T) {
	cb := &collector{}
	b := newTestTCP(t, 2, cb)
	a := newTestTCP(t, 1, &collector{}, func(c *TCPConfig) {
		c.Peers = map[NodeID]string{3: b.Addr().String()}
	})
	if err := a.Send(Message{From: 1, To: 3, Type: 1}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a wrong-node refusal on both sides", func() bool {
		return a.Stats().WrongNode > 0 && b.Stats().BadHandshakes > 0
	})
	if n := cb.count(); n != 0 || a.Stats().FramesSent != 0 {
		t.Fatalf("frames crossed a wrong-node connection: delivered %d, stats %+v", n, a.Stats())
	}
}

// TestTCPLearnPeers starts node 4 with no peers, as a node waiting to be
// added: the first connection from node 1 teaches it where node 1 is, so it
// can answer. A transport without LearnPeers learns nothing, and a learned
// address never replaces a configured one.
func TestTCPLearnPeers(t *testing.T) {
	seed := testSeed(t)
	var mu sync.Mutex
	learned := map[NodeID]string{}
	ca, c4 := &collector{}, &collector{}
	a := newTestTCP(t, 1, ca)
	n4 := newTestTCP(t, 4, c4, func(c *TCPConfig) {
		c.LearnPeers = true
		c.PeerLearned = func(id NodeID, addr string) {
			mu.Lock()
			learned[id] = addr
			mu.Unlock()
		}
	})
	if err := n4.Send(Message{From: 4, To: 1}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("node 4 knows node 1 before any contact: %v", err)
	}
	if err := a.AddPeer(4, n4.Addr().String()); err != nil {
		t.Fatal(err)
	}
	sendSeq(t, seed, a, []NodeID{4}, 5)
	c4.waitFor(t, 5)
	sendSeq(t, seed, n4, []NodeID{1}, 5)
	checkSeq(t, seed, 1, ca.waitFor(t, 5), []NodeID{4}, 5)
	mu.Lock()
	got := learned[1]
	mu.Unlock()
	if got != a.Addr().String() || n4.Stats().PeersLearned != 1 {
		t.Fatalf("learned %q (stats %+v), want node 1 at %s", got, n4.Stats(), a.Addr())
	}

	// Node 5 knows node 1 at a wrong address and does not learn: node 1's
	// connection must not change that.
	c5 := &collector{}
	wrong := unusedAddr(t)
	n5 := newTestTCP(t, 5, c5, func(c *TCPConfig) {
		c.LearnPeers = true
		c.Peers = map[NodeID]string{1: wrong}
	})
	n6 := newTestTCP(t, 6, &collector{})
	for _, n := range []*TCPTransport{n5, n6} {
		if err := a.AddPeer(n.ID(), n.Addr().String()); err != nil {
			t.Fatal(err)
		}
		sendRetry(t, a, Message{From: 1, To: n.ID(), Type: 1})
	}
	c5.waitFor(t, 1)
	waitUntil(t, "node 6 reached", func() bool { return n6.Stats().FramesReceived == 1 })
	if s := n5.Stats(); s.PeersLearned != 0 {
		t.Fatalf("node 5 replaced a configured address: %+v", s)
	}
	if err := n6.Send(Message{From: 6, To: 1}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("node 6 learned a peer without LearnPeers: %v", err)
	}
}
