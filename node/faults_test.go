package node

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/node/kv"
)

var faultSeeds = flag.Int("node.seeds", 6, "seeds for TestReplicasIdenticalUnderFaults")

// outcome of one unique-key write, for the no-false-failure check.
type writeOutcome struct {
	key, value string
	err        error
}

// TestReplicasIdenticalUnderFaults runs a random workload of unique-key
// writes through random nodes while nodes crash (losing unsynced writes,
// with torn sectors) and restart, messages drop, snapshots are taken every
// few entries, a new node joins (by snapshot) and is promoted, and a
// founder is removed. Afterwards every member must hold the same state at
// the same applied index, every acknowledged write must be there, and
// every write reported failed (not ambiguous) must not.
func TestReplicasIdenticalUnderFaults(t *testing.T) {
	var installs, ambiguous uint64
	for seed := uint64(1); seed <= uint64(*faultSeeds); seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			i, a := runFaultSeed(t, seed)
			installs += i
			ambiguous += a
		})
	}
	if !t.Failed() && installs == 0 {
		t.Fatal("no snapshot was ever installed: the test does not reach the install path")
	}
	t.Logf("snapshot installs %d, ambiguous commits %d", installs, ambiguous)
}

func runFaultSeed(t *testing.T, seed uint64) (installs, ambiguous uint64) {
	t.Logf("seed %d (replay: go test ./node -run 'TestReplicasIdenticalUnderFaults/seed=%d$')", seed, seed)
	c := newCluster(t, seed, 3, func(cfg *Config) { cfg.SnapshotInterval = 40 })
	for _, fs := range c.fss {
		fs.Configure(diskio.MemFSConfig{TearProbability: 0.3})
	}
	c.waitLeader()
	var outs []writeOutcome
	down := map[uint64]bool{}
	removed := uint64(0)
	for i := range 150 {
		switch r := c.rng.IntN(20); {
		case r == 0 && len(down) == 0:
			id := c.ids[c.rng.IntN(len(c.ids))]
			if id != removed {
				c.crash(id)
				down[id] = true
			}
		case r == 1 && len(down) > 0:
			for _, id := range slices.Sorted(mapKeys(down)) {
				c.restart(id)
				delete(down, id)
			}
		case r == 2:
			c.dropRate = float64(c.rng.IntN(3)) / 10
		}
		if i == 50 {
			joinNode(t, c, 4)
		}
		if i == 100 && len(down) == 0 {
			removed = 2
			removeNode(t, c, removed)
		}
		id := c.ids[c.rng.IntN(len(c.ids))]
		if !c.live(id) || id == removed {
			c.step()
			continue
		}
		key, value := fmt.Sprint("k", i), fmt.Sprint("v", seed, "-", i)
		_, err := c.put(id, key, value)
		outs = append(outs, writeOutcome{key, value, err})
		if errors.Is(err, kv.ErrAmbiguous) {
			ambiguous++
		}
	}
	for _, id := range slices.Sorted(mapKeys(down)) {
		c.restart(id)
	}
	c.dropRate = 0
	c.converge()
	st := c.nodes[c.waitLeader()].Status()
	if !slices.Contains(st.Voters, 4) || (removed != 0 && slices.Contains(st.Voters, removed)) {
		t.Fatalf("seed %d: membership %v after join of 4 and removal of %d", seed, st.Voters, removed)
	}
	checkOutcomes(t, c, outs)
	for _, id := range c.ids {
		if c.live(id) {
			installs += c.nodes[id].Metrics().SnapshotsInstalled
		}
	}
	return installs, ambiguous
}

func mapKeys(m map[uint64]bool) func(func(uint64) bool) {
	return func(yield func(uint64) bool) {
		ids := make([]uint64, 0, len(m))
		//detlint:ordered test helper; callers sort
		for id := range m {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if !yield(id) {
				return
			}
		}
	}
}

// joinNode starts node id empty, adds it as a learner, then promotes it.
func joinNode(t *testing.T, c *cluster, id uint64) {
	t.Helper()
	c.addNode(id, nil)
	lead := c.waitLeader()
	c.runUntil("learner added", 500, func() bool {
		lead = c.leader()
		if lead == 0 {
			return false
		}
		if slices.Contains(c.nodes[lead].Status().Learners, id) {
			return true
		}
		c.nodes[lead].AddLearner(id)
		return false
	})
	c.runUntil("learner promoted", 2000, func() bool {
		lead = c.leader()
		if lead == 0 {
			return false
		}
		st := c.nodes[lead].Status()
		if slices.Contains(st.Voters, id) {
			return true
		}
		if c.live(id) && c.nodes[id].Status().Applied+5 >= st.Commit {
			c.nodes[lead].AddPeer(id)
		}
		return false
	})
}

func removeNode(t *testing.T, c *cluster, id uint64) {
	t.Helper()
	c.runUntil("member removed", 2000, func() bool {
		lead := c.leader()
		if lead == 0 {
			return false
		}
		if !slices.Contains(c.nodes[lead].Status().Voters, id) {
			return true
		}
		c.nodes[lead].RemovePeer(id)
		return false
	})
	c.nodes[id].Close()
	c.nodes[id] = nil
}

// checkOutcomes reads every written key from the leader: acknowledged
// writes must be there, writes reported failed must not be.
func checkOutcomes(t *testing.T, c *cluster, outs []writeOutcome) {
	t.Helper()
	lead := c.waitLeader()
	for _, o := range outs {
		got, err := c.get(lead, o.key)
		if err != nil {
			t.Fatalf("seed %d: read %s: %v", c.seed, o.key, err)
		}
		switch {
		case o.err == nil && got != o.value:
			t.Fatalf("seed %d: acknowledged write %s=%s lost (read %q)", c.seed, o.key, o.value, got)
		case o.err != nil && !errors.Is(o.err, kv.ErrAmbiguous) && got != "<none>":
			t.Fatalf("seed %d: write %s reported failed (%v) but took effect", c.seed, o.key, o.err)
		}
	}
}
