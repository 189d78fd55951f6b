package sim

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lineradb/lineradb/netio"
)

// testNet is a network with n nodes (ids 1..n) that records deliveries.
type testNet struct {
	k     *Kernel
	net   *Network
	tr    map[netio.NodeID]netio.Transport
	got   []netio.Message
	count map[path]int
}

func newTestNet(t *testing.T, n int, cfg NetConfig) *testNet {
	t.Helper()
	k := NewKernel(7)
	net, err := NewNetwork(k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNet{k: k, net: net, tr: map[netio.NodeID]netio.Transport{}, count: map[path]int{}}
	for i := 1; i <= n; i++ {
		id := netio.NodeID(i)
		tn.tr[id] = net.Join(id, func(m netio.Message) {
			tn.got = append(tn.got, m)
			tn.count[path{m.From, m.To}]++
		})
	}
	return tn
}

func (tn *testNet) send(t *testing.T, from, to netio.NodeID, payload string) {
	t.Helper()
	err := tn.tr[from].Send(netio.Message{To: to, Type: 1, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
}

// sendAll sends k messages on every path and runs the network dry.
func (tn *testNet) sendAll(t *testing.T, k int) {
	t.Helper()
	for i := 0; i < k; i++ {
		for from := range netio.NodeID(len(tn.tr)) {
			for to := range netio.NodeID(len(tn.tr)) {
				if from != to {
					tn.send(t, from+1, to+1, fmt.Sprint(i))
				}
			}
		}
	}
	if err := tn.k.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestNetworkDeliversCopies(t *testing.T) {
	tn := newTestNet(t, 2, DefaultNetConfig())
	buf := []byte("hello")
	if err := tn.tr[1].Send(netio.Message{To: 2, Type: 3, Payload: buf}); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX") // sender reuses its buffer before delivery
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(tn.got) != 1 {
		t.Fatalf("got %d messages, want 1", len(tn.got))
	}
	m := tn.got[0]
	if m.From != 1 || m.To != 2 || m.Type != 3 || !bytes.Equal(m.Payload, []byte("hello")) {
		t.Fatalf("got %+v", m)
	}
}

func TestNetworkSendErrors(t *testing.T) {
	cfg := DefaultNetConfig()
	cfg.PayloadBytesMax = 4
	cfg.InFlightMax = 2
	tn := newTestNet(t, 2, cfg)
	cases := []struct {
		m    netio.Message
		want error
	}{
		{netio.Message{To: 9}, netio.ErrUnknownPeer},
		{netio.Message{To: 2, Payload: make([]byte, 5)}, netio.ErrTooLarge},
	}
	for _, c := range cases {
		if err := tn.tr[1].Send(c.m); !errors.Is(err, c.want) {
			t.Fatalf("send %+v: err %v, want %v", c.m, err, c.want)
		}
	}
	if err := tn.tr[1].Send(netio.Message{From: 2, To: 2}); err == nil {
		t.Fatal("spoofed From accepted")
	}
	tn.send(t, 1, 2, "a")
	tn.send(t, 1, 2, "b")
	if err := tn.tr[1].Send(netio.Message{To: 2}); !errors.Is(err, netio.ErrQueueFull) {
		t.Fatalf("err %v, want ErrQueueFull", err)
	}
	tn.tr[1].Close()
	if err := tn.tr[1].Send(netio.Message{To: 2}); !errors.Is(err, netio.ErrClosed) {
		t.Fatalf("err %v, want ErrClosed", err)
	}
}

func TestNetworkFIFOWithoutReorder(t *testing.T) {
	tn := newTestNet(t, 2, DefaultNetConfig())
	for i := 0; i < 200; i++ {
		tn.send(t, 1, 2, fmt.Sprint(i))
	}
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	for i, m := range tn.got {
		if string(m.Payload) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q: path not FIFO", i, m.Payload)
		}
	}
	if tn.net.Count(CounterReorder) != 0 {
		t.Fatal("reorder counted with probability zero")
	}
}

func TestNetworkFaultsFire(t *testing.T) {
	cases := []struct {
		name    string
		probs   FaultProbs
		counter string
		check   func(tn *testNet) error
	}{
		{"drop", FaultProbs{Drop: 0.5}, CounterDrop, func(tn *testNet) error {
			if len(tn.got) >= 600 {
				return fmt.Errorf("delivered %d of 600 with drops", len(tn.got))
			}
			return nil
		}},
		{"dup", FaultProbs{Dup: 0.5}, CounterDup, func(tn *testNet) error {
			if len(tn.got) <= 600 {
				return fmt.Errorf("delivered %d of 600 with dups", len(tn.got))
			}
			return nil
		}},
		{"reorder", FaultProbs{Reorder: 0.5}, CounterReorder, func(tn *testNet) error {
			return checkSomeInversion(tn.got)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn := newTestNet(t, 3, DefaultNetConfig())
			if err := tn.net.SetFaultProbs(c.probs); err != nil {
				t.Fatal(err)
			}
			tn.sendAll(t, 100) // 600 messages
			if tn.net.Count(c.counter) == 0 {
				t.Fatalf("counter %s is zero", c.counter)
			}
			if err := c.check(tn); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkSomeInversion reports an error unless some path delivered a later
// message (by send index) before an earlier one.
func checkSomeInversion(got []netio.Message) error {
	last := map[path]int{}
	for _, m := range got {
		var i int
		fmt.Sscan(string(m.Payload), &i)
		p := path{m.From, m.To}
		if prev, ok := last[p]; ok && i < prev {
			return nil
		}
		last[p] = i
	}
	return errors.New("no message overtook another")
}

func TestNetworkSymmetricPartition(t *testing.T) {
	tn := newTestNet(t, 5, DefaultNetConfig())
	tn.net.Partition([]netio.NodeID{1, 2}, []netio.NodeID{3, 4, 5})
	tn.sendAll(t, 3)
	wantBlocked := func(a, b netio.NodeID) bool { return (a <= 2) != (b <= 2) }
	tn.assertPaths(t, wantBlocked, 3)
	if tn.net.Count(CounterPartitionDrop) != 3*12 {
		t.Fatalf("partition drops = %d, want 36", tn.net.Count(CounterPartitionDrop))
	}
}

func TestNetworkAsymmetricPartition(t *testing.T) {
	tn := newTestNet(t, 3, DefaultNetConfig())
	tn.net.BlockPath(1, 2)
	tn.sendAll(t, 2)
	tn.assertPaths(t, func(a, b netio.NodeID) bool { return a == 1 && b == 2 }, 2)
}

func TestNetworkIsolateAndHeal(t *testing.T) {
	tn := newTestNet(t, 4, DefaultNetConfig())
	tn.net.Isolate(3)
	tn.sendAll(t, 2)
	tn.assertPaths(t, func(a, b netio.NodeID) bool { return a == 3 || b == 3 }, 2)
	tn.net.Heal()
	tn.got, tn.count = nil, map[path]int{}
	tn.sendAll(t, 2)
	tn.assertPaths(t, func(a, b netio.NodeID) bool { return false }, 2)
}

// assertPaths checks that exactly the paths blocked(a, b) got nothing and
// every other path got want messages.
func (tn *testNet) assertPaths(t *testing.T, blocked func(a, b netio.NodeID) bool, want int) {
	t.Helper()
	for a := netio.NodeID(1); a <= netio.NodeID(len(tn.tr)); a++ {
		for b := netio.NodeID(1); b <= netio.NodeID(len(tn.tr)); b++ {
			if a == b {
				continue
			}
			got := tn.count[path{a, b}]
			if blocked(a, b) && got != 0 {
				t.Errorf("%d->%d blocked but delivered %d", a, b, got)
			}
			if !blocked(a, b) && got != want {
				t.Errorf("%d->%d open but delivered %d, want %d", a, b, got, want)
			}
			if blocked(a, b) != tn.net.Blocked(a, b) {
				t.Errorf("Blocked(%d,%d) = %v", a, b, tn.net.Blocked(a, b))
			}
		}
	}
}

func TestNetworkPartitionCatchesInFlight(t *testing.T) {
	tn := newTestNet(t, 2, DefaultNetConfig())
	tn.send(t, 1, 2, "x")
	tn.net.BlockPath(1, 2) // after send, before arrival
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(tn.got) != 0 {
		t.Fatal("in-flight message crossed a new partition")
	}
}

func TestNetworkClogDelaysWithoutLoss(t *testing.T) {
	tn := newTestNet(t, 2, DefaultNetConfig())
	tn.net.Clog(1, 2, 500*time.Millisecond)
	for i := 0; i < 10; i++ {
		tn.send(t, 1, 2, fmt.Sprint(i))
		tn.send(t, 2, 1, fmt.Sprint(i))
	}
	if err := tn.k.RunFor(400 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if tn.count[path{1, 2}] != 0 || tn.count[path{2, 1}] != 10 {
		t.Fatalf("before unclog: 1->2 %d, 2->1 %d", tn.count[path{1, 2}], tn.count[path{2, 1}])
	}
	if err := tn.k.RunFor(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if tn.count[path{1, 2}] != 10 {
		t.Fatalf("after unclog: 1->2 delivered %d, want 10", tn.count[path{1, 2}])
	}
	if tn.net.Count(CounterClogDelay) != 10 {
		t.Fatalf("clog delays = %d", tn.net.Count(CounterClogDelay))
	}
}

func TestNetworkCrashDropsPauseHolds(t *testing.T) {
	tn := newTestNet(t, 3, DefaultNetConfig())
	tn.net.SetNodeState(2, NodeCrashed)
	tn.net.SetNodeState(3, NodePaused)
	tn.send(t, 1, 2, "to-crashed")
	tn.send(t, 1, 3, "to-paused")
	tn.send(t, 2, 1, "from-crashed")
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(tn.got) != 0 {
		t.Fatalf("delivered %d messages to/from down nodes", len(tn.got))
	}
	for _, c := range []string{CounterDownDrop, CounterPauseHold, CounterDownSend} {
		if tn.net.Count(c) != 1 {
			t.Errorf("counter %s = %d, want 1", c, tn.net.Count(c))
		}
	}
	tn.net.SetNodeState(2, NodeUp)
	tn.net.SetNodeState(3, NodeUp)
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(tn.got) != 1 || string(tn.got[0].Payload) != "to-paused" {
		t.Fatalf("after resume got %v, want only the held message", tn.got)
	}
}

func TestNetworkRejoinAfterClose(t *testing.T) {
	tn := newTestNet(t, 2, DefaultNetConfig())
	tn.send(t, 1, 2, "old")
	tn.tr[2].Close()
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(tn.got) != 0 || tn.net.Count(CounterClosedDrop) != 1 {
		t.Fatal("closed endpoint received a message")
	}
	var got []string
	tn.net.Join(2, func(m netio.Message) { got = append(got, string(m.Payload)) })
	tn.send(t, 1, 2, "new")
	if err := tn.k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "new" {
		t.Fatalf("rejoined endpoint got %v", got)
	}
}

func TestNetworkRejectsBadConfig(t *testing.T) {
	bad := []func(*NetConfig){
		func(c *NetConfig) { c.LatencyMin = -1 },
		func(c *NetConfig) { c.LatencyMax = 0 },
		func(c *NetConfig) { c.DropProb = 1.5 },
		func(c *NetConfig) { c.InFlightMax = 0 },
	}
	for i, f := range bad {
		cfg := DefaultNetConfig()
		f(&cfg)
		if _, err := NewNetwork(NewKernel(1), cfg); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}
