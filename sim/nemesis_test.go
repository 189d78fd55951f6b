package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/netio"
)

// fakeProcs records the nemesis's process calls and checks they pair up.
type fakeProcs struct {
	state map[netio.NodeID]string
	calls int
	err   error
}

func (f *fakeProcs) transition(id netio.NodeID, from, to string) {
	f.calls++
	if f.state[id] != from && f.err == nil {
		f.err = fmt.Errorf("node %d: %s -> %s, but it was %s", id, from, to, f.state[id])
	}
	f.state[id] = to
}

func (f *fakeProcs) Crash(id netio.NodeID)   { f.transition(id, "up", "crashed") }
func (f *fakeProcs) Restart(id netio.NodeID) { f.transition(id, "crashed", "up") }
func (f *fakeProcs) Pause(id netio.NodeID)   { f.transition(id, "up", "paused") }
func (f *fakeProcs) Resume(id netio.NodeID)  { f.transition(id, "paused", "up") }

func allFaults(nodes int) NemesisConfig {
	c := SwarmNemesis(NewKernel(1).Rand("x"), nodes)
	for i := range c.Enabled {
		c.Enabled[i] = true
	}
	c.DownMax = 2
	c.IntervalMean = 20 * time.Millisecond
	c.DriftPPMMax = 100_000
	return c
}

// TestNemesisFiresEveryKindAndHealsEverything runs every fault kind against
// a 5-node network, checking after every event that no more than DownMax
// nodes are down, then that the heal left nothing behind.
func TestNemesisFiresEveryKindAndHealsEverything(t *testing.T) {
	const nodes = 5
	k := NewKernel(99)
	net, err := NewNetwork(k, DefaultNetConfig())
	if err != nil {
		t.Fatal(err)
	}
	procs := &fakeProcs{state: map[netio.NodeID]string{}}
	clocks := map[netio.NodeID]*clock.Sim{}
	for i := 1; i <= nodes; i++ {
		id := netio.NodeID(i)
		net.Join(id, func(netio.Message) {})
		procs.state[id] = "up"
		clocks[id] = clock.NewSim(k.Now, time.Unix(0, 0))
	}
	cfg := allFaults(nodes)
	nem := NewNemesis(k, net, net.Members(), procs, func(id netio.NodeID) *clock.Sim { return clocks[id] }, cfg)
	k.AddCheck("downmax", func() error {
		down := 0
		for _, id := range net.Members() {
			if net.NodeState(id) != NodeUp {
				down++
			}
		}
		if down > cfg.DownMax {
			return fmt.Errorf("%d nodes down, max %d", down, cfg.DownMax)
		}
		return procs.err
	})
	nem.Start(20 * time.Second)
	if err := k.RunFor(21 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !nem.Healed() {
		t.Fatal("nemesis never healed")
	}
	fired := map[string]uint64{}
	for _, c := range nem.Counters() {
		fired[c.Name] = c.Count
	}
	for kind := FaultKind(0); kind < faultKindCount; kind++ {
		if fired["nemesis."+kind.String()] == 0 {
			t.Errorf("%s never fired", kind)
		}
	}
	assertHealed(t, net, procs, clocks)
}

func assertHealed(t *testing.T, net *Network, procs *fakeProcs, clocks map[netio.NodeID]*clock.Sim) {
	t.Helper()
	if p := net.FaultProbs(); p != (FaultProbs{}) {
		t.Errorf("probabilities after heal: %+v", p)
	}
	for _, a := range net.Members() {
		if net.NodeState(a) != NodeUp || procs.state[a] != "up" {
			t.Errorf("node %d is %v/%s after heal", a, net.NodeState(a), procs.state[a])
		}
		if clocks[a].DriftPPM() != 0 {
			t.Errorf("node %d drifts %d ppm after heal", a, clocks[a].DriftPPM())
		}
		for _, b := range net.Members() {
			if net.Blocked(a, b) {
				t.Errorf("%d->%d blocked after heal", a, b)
			}
		}
	}
	if len(net.clogUntil) != 0 {
		t.Errorf("%d clogs left after heal", len(net.clogUntil))
	}
}

// TestNemesisDisabledKindsNeverFire: a swarm mix with only drop on must
// inject nothing else.
func TestNemesisDisabledKindsNeverFire(t *testing.T) {
	k := NewKernel(5)
	net, err := NewNetwork(k, DefaultNetConfig())
	if err != nil {
		t.Fatal(err)
	}
	procs := &fakeProcs{state: map[netio.NodeID]string{}}
	for i := 1; i <= 3; i++ {
		net.Join(netio.NodeID(i), func(netio.Message) {})
		procs.state[netio.NodeID(i)] = "up"
	}
	cfg := allFaults(3)
	cfg.Enabled = [faultKindCount]bool{FaultDrop: true}
	nem := NewNemesis(k, net, net.Members(), procs, func(netio.NodeID) *clock.Sim { return nil }, cfg)
	nem.Start(5 * time.Second)
	if err := k.RunFor(6 * time.Second); err != nil {
		t.Fatal(err)
	}
	cs := nem.Counters()
	if len(cs) != 1 || cs[0].Name != "nemesis.drop" || cs[0].Count == 0 {
		t.Fatalf("counters = %v, want only nemesis.drop", cs)
	}
	if procs.calls != 0 {
		t.Fatalf("%d process calls with crash and pause off", procs.calls)
	}
}

func TestSwarmNemesisVariesAcrossSeeds(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(0); seed < 50; seed++ {
		c := SwarmNemesis(NewKernel(seed).Rand("swarm"), 5)
		if c.DropProb < 0 || c.DropProb > 0.3 || c.DownMax < 1 || c.DownMax > 2 {
			t.Fatalf("seed %d: out-of-range mix %+v", seed, c)
		}
		seen[c.EnabledNames()] = true
	}
	if len(seen) < 40 {
		t.Fatalf("only %d distinct fault mixes in 50 seeds", len(seen))
	}
}
