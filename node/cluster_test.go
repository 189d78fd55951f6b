package node

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/raft"
)

// cluster is an in-memory, single-goroutine, deterministic cluster: every
// node has its own MemFS, messages go through one FIFO queue, and time is
// the step count. Same seed, same run.
type cluster struct {
	t        *testing.T
	seed     uint64
	rng      *rand.Rand
	ids      []uint64
	nodes    map[uint64]*Node
	fss      map[uint64]*diskio.MemFS
	queue    []netio.Message
	isolated map[uint64]bool
	dropRate float64
	knobs    TestingKnobs
	tweak    func(*Config)
	founders []uint64
	steps    int
	// tap, if set, sees every message about to be delivered and may
	// drop it (return false): tests capture and replay messages with it.
	tap func(m netio.Message) bool
}

type testTransport struct {
	c    *cluster
	from uint64
}

func (tt testTransport) Send(m netio.Message) error {
	m.Payload = bytes.Clone(m.Payload)
	tt.c.queue = append(tt.c.queue, m)
	return nil
}

func (tt testTransport) Close() error { return nil }

func newCluster(t *testing.T, seed uint64, size int, tweak func(*Config)) *cluster {
	t.Helper()
	c := &cluster{
		t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x6e6f6465)),
		nodes: map[uint64]*Node{}, fss: map[uint64]*diskio.MemFS{}, isolated: map[uint64]bool{}, tweak: tweak,
	}
	for i := 1; i <= size; i++ {
		c.founders = append(c.founders, uint64(i))
	}
	for _, id := range c.founders {
		c.addNode(id, c.founders)
	}
	t.Cleanup(func() {
		for _, id := range c.ids {
			if n := c.nodes[id]; n != nil {
				n.Close()
			}
		}
	})
	return c
}

func (c *cluster) config(id uint64, peers []uint64) Config {
	cfg := Config{
		ID: id, FS: c.fss[id], Dir: "n", Transport: testTransport{c, id}, Peers: peers,
		Rand:             rand.New(rand.NewPCG(c.seed, id+uint64(c.steps)<<16)),
		ElectionTicks:    10,
		SnapshotInterval: 1 << 40,
		LSM:              lsm.Options{MemtableSizeBytes: 8 << 10, SSTableSizeBytes: 16 << 10, BlockCacheSizeBytes: 64 << 10},
		Testing:          c.knobs,
	}
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	return cfg
}

// addNode creates a node; peers is nil for a joiner.
func (c *cluster) addNode(id uint64, peers []uint64) {
	if _, ok := c.fss[id]; !ok {
		c.ids = append(c.ids, id)
		c.fss[id] = diskio.NewMemFS(c.seed*1000 + id)
	}
	n, err := Open(c.config(id, peers))
	if err != nil {
		c.t.Fatal(err)
	}
	if n.Stopped() != nil {
		c.t.Fatalf("node %d stopped at open: %v", id, n.Stopped())
	}
	c.nodes[id] = n
}

// crash kills node id's process and its machine's power.
func (c *cluster) crash(id uint64) {
	c.nodes[id] = nil
	c.fss[id].Crash()
}

func (c *cluster) restart(id uint64) {
	peers := c.founders
	if !slices.Contains(c.founders, id) {
		peers = nil
	}
	c.addNode(id, peers)
}

func (c *cluster) live(id uint64) bool { return c.nodes[id] != nil && c.nodes[id].Stopped() == nil }

// deliver hands every queued message to its destination (messages sent
// while delivering wait for the next round).
func (c *cluster) deliver() {
	q := c.queue
	c.queue = nil
	for _, m := range q {
		from, to := uint64(m.From), uint64(m.To)
		if c.isolated[from] || c.isolated[to] || c.nodes[to] == nil || c.nodes[from] == nil {
			continue
		}
		if c.dropRate > 0 && c.rng.Float64() < c.dropRate {
			continue
		}
		if c.tap != nil && !c.tap(m) {
			continue
		}
		c.nodes[to].Receive(m)
	}
}

// step is one round: deliver, then tick every node.
func (c *cluster) step() {
	c.steps++
	c.deliver()
	for _, id := range c.ids {
		if n := c.nodes[id]; n != nil {
			n.Tick()
		}
	}
}

func (c *cluster) runUntil(what string, maxSteps int, cond func() bool) {
	c.t.Helper()
	for range maxSteps {
		if cond() {
			return
		}
		c.step()
	}
	if !cond() {
		c.t.Fatalf("seed %d: %s not reached in %d steps", c.seed, what, maxSteps)
	}
}

func (c *cluster) leader() uint64 {
	for _, id := range c.ids {
		if c.live(id) && c.nodes[id].Status().Role.String() == "leader" && !c.isolated[id] {
			return id
		}
	}
	return 0
}

func (c *cluster) waitLeader() uint64 {
	c.t.Helper()
	c.runUntil("a leader known to all", 500, func() bool {
		lead := c.leader()
		if lead == 0 {
			return false
		}
		st := c.nodes[lead].Status()
		for _, id := range append(st.Voters, st.Learners...) {
			if c.live(id) && !c.isolated[id] && c.nodes[id].Status().Lead != lead {
				return false
			}
		}
		return true
	})
	return c.leader()
}

// begin runs Begin on node id to completion.
func (c *cluster) begin(id uint64, opts kv.TxnOptions) (*Txn, error) {
	c.t.Helper()
	var txn *Txn
	var err error
	done := false
	c.nodes[id].Begin(opts, func(t *Txn, e error) { txn, err, done = t, e, true })
	c.runUntil("begin", 1000, func() bool { return done || c.nodes[id] == nil })
	if !done {
		return nil, errors.New("node crashed")
	}
	return txn, err
}

func (c *cluster) commit(id uint64, txn *Txn) (kv.CommitResult, error) {
	c.t.Helper()
	var res kv.CommitResult
	var err error
	done := false
	c.nodes[id].Commit(txn, func(r kv.CommitResult, e error) { res, err, done = r, e, true })
	c.runUntil("commit", 1000, func() bool { return done || c.nodes[id] == nil })
	if !done {
		return res, kv.ErrAmbiguous
	}
	return res, err
}

// put commits key=value through node id, retrying while unavailable.
func (c *cluster) put(id uint64, key, value string) (kv.CommitResult, error) {
	c.t.Helper()
	txn, err := c.begin(id, kv.TxnOptions{})
	if err != nil {
		return kv.CommitResult{}, err
	}
	txn.Put([]byte(key), []byte(value))
	return c.commit(id, txn)
}

func (c *cluster) get(id uint64, key string) (string, error) {
	c.t.Helper()
	txn, err := c.begin(id, kv.TxnOptions{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer c.nodes[id].Abort(txn)
	v, ok, err := txn.Get([]byte(key))
	if err != nil {
		return "", err
	}
	if !ok {
		return "<none>", nil
	}
	return string(v), nil
}

// converge runs until every live, connected node has applied the same
// index as the leader's commit, then compares their state checksums.
func (c *cluster) converge() uint64 {
	c.t.Helper()
	lead := c.waitLeader()
	// A fresh write makes every member learn the latest commit.
	if _, err := c.put(lead, "\x00converge", fmt.Sprint(c.steps)); err != nil {
		c.t.Fatalf("seed %d: converge write: %v", c.seed, err)
	}
	target := c.nodes[lead].Status().Commit
	members := c.nodes[lead].Status().Voters
	members = append(members, c.nodes[lead].Status().Learners...)
	c.runUntil("replicas to catch up", 2000, func() bool {
		var first uint64
		for _, id := range members {
			if !c.live(id) {
				continue
			}
			a := c.nodes[id].Status().Applied
			if a < target || (first != 0 && a != first) {
				return false
			}
			first = a
		}
		return true
	})
	var applied, sum uint64
	compared := 0
	for _, id := range members {
		if !c.live(id) {
			continue
		}
		a, s, err := c.nodes[id].StateChecksum()
		if err != nil {
			c.t.Fatal(err)
		}
		compared++
		if compared == 1 {
			applied, sum = a, s
			continue
		}
		if a != applied || s != sum {
			c.t.Fatalf("seed %d: node %d has checksum %x at %d, want %x at %d", c.seed, id, s, a, sum, applied)
		}
	}
	if compared < len(members)/2+1 {
		c.t.Fatalf("seed %d: only %d of %d members live", c.seed, compared, len(members))
	}
	return applied
}

func TestClusterWriteReadEveryNode(t *testing.T) {
	c := newCluster(t, 1, 3, nil)
	c.waitLeader()
	for _, id := range c.ids {
		if _, err := c.put(id, fmt.Sprint("k", id), fmt.Sprint("v", id)); err != nil {
			t.Fatalf("put via %d: %v", id, err)
		}
	}
	for _, reader := range c.ids {
		for _, id := range c.ids {
			got, err := c.get(reader, fmt.Sprint("k", id))
			if err != nil || got != fmt.Sprint("v", id) {
				t.Fatalf("node %d reads k%d = %q, %v", reader, id, got, err)
			}
		}
	}
	c.converge()
}

// TestRoleTermMatchesStatus: the cheap accessor agrees with Status on
// every live node at every step of an election and some writes.
func TestRoleTermMatchesStatus(t *testing.T) {
	c := newCluster(t, 6, 3, nil)
	leaders := 0
	check := func() {
		for _, id := range c.ids {
			if !c.live(id) {
				continue
			}
			st := c.nodes[id].Status()
			role, term, lead := c.nodes[id].RoleTerm()
			if role != st.Role || term != st.Term || lead != st.Lead {
				t.Fatalf("node %d: RoleTerm %v/%d/%d, Status %v/%d/%d", id, role, term, lead, st.Role, st.Term, st.Lead)
			}
			if role == raft.RoleLeader {
				leaders++
			}
		}
	}
	for range 100 { // the first election
		check()
		c.step()
	}
	lead := c.waitLeader()
	if _, err := c.put(lead, "k", "v"); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		check()
		c.step()
	}
	if leaders == 0 {
		t.Fatal("no leader seen: the comparison never covered the leader")
	}
}
