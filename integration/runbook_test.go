package integration

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRunbookPlainPeersAndAddNode runs the runbook's "Three-Node Cluster"
// commands as written — plain host:port peers, listeners on 0.0.0.0,
// --bootstrap-cluster on node 1 only, node 1 started first and left to
// wait for the others — then its "Adding a Node" procedure: node 4 started
// with no peers at all, added with POST /admin/add-peer on the leader.
func TestRunbookPlainPeersAndAddNode(t *testing.T) {
	c := &cluster{t: t, root: t.TempDir()}
	for i := range 3 {
		p := newProc(t, c.root, uint64(i+1))
		p.plainPeers, p.bindAll = true, true
		c.nodes = append(c.nodes, p)
	}
	for _, p := range c.nodes {
		for _, q := range c.nodes {
			if q != p {
				p.peers = append(p.peers, q)
			}
		}
	}
	c.nodes[0].bootstrap = true
	t.Cleanup(func() { c.cleanup(t) })

	// Node 1 starts alone and must wait for its founders to answer.
	c.nodes[0].start(t)
	waitFor(t, "node 1 to wait for its peers", 10*time.Second, func() (bool, string) {
		return strings.Contains(c.nodes[0].logTail(), "learning the node ids"), "no discovery log line yet"
	})
	time.Sleep(300 * time.Millisecond)
	if !c.nodes[0].running() {
		t.Fatalf("node 1 gave up before its peers started:\n%s", c.nodes[0].logTail())
	}
	c.nodes[1].start(t)
	c.nodes[2].start(t)
	leader := c.waitLeader(nil, 30*time.Second)
	st, err := leader.status()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Voters, []uint64{1, 2, 3}) {
		t.Fatalf("voters %v, want [1 2 3]", st.Voters)
	}

	execRetry(t, c.nodes[0], "CREATE TABLE kv (k INT PRIMARY KEY, v INT)", 30*time.Second)
	all := map[int64]int64{}
	for i, p := range c.nodes {
		for j := range 5 {
			k := int64(i*100 + j)
			execRetry(t, p, fmt.Sprintf("INSERT INTO kv VALUES (%d, %d)", k, k*10), 20*time.Second)
			all[k] = k * 10
		}
	}
	for _, p := range c.nodes {
		checkRows(t, fmt.Sprintf("node %d", p.id), readRows(t, p), all)
	}

	// Adding a Node, step 1: start node 4 with no peers. It must not found
	// a cluster of its own.
	three := &cluster{t: t, root: c.root, nodes: slices.Clone(c.nodes)}
	n4 := newProc(t, c.root, 4)
	n4.bindAll = true
	c.nodes = append(c.nodes, n4) // for cleanup; three is the cluster so far
	n4.start(t)
	waitFor(t, "node 4 to wait to be added", 15*time.Second, func() (bool, string) {
		st, err := n4.status()
		if err != nil {
			return false, err.Error()
		}
		return len(st.Voters) == 0 && st.Leader == 0 && strings.Contains(n4.logTail(), "waiting for a leader to add it"),
			fmt.Sprintf("voters %v leader %d", st.Voters, st.Leader)
	})
	// Step 2: add it from the leader.
	leader = three.waitLeader(nil, 20*time.Second)
	code, body, err := leader.post("/admin/add-peer", fmt.Sprintf(`{"node_id": 4, "addr": %q}`, n4.raftAddr()))
	if err != nil || code != 200 {
		t.Fatalf("add-peer: %d %s %v", code, body, err)
	}
	// Step 3: wait for it to catch up; it serves reads and writes.
	c.waitCaughtUp(n4, 30*time.Second)
	checkRows(t, "node 4", readRows(t, n4), all)
	execRetry(t, n4, "INSERT INTO kv VALUES (400, 4000)", 20*time.Second)
	all[400] = 4000
	waitFor(t, "the leader to see node 4 healthy", 15*time.Second, func() (bool, string) {
		st, err := c.waitLeader(nil, 20*time.Second).status()
		if err != nil {
			return false, err.Error()
		}
		for _, p := range st.Peers {
			if p.ID == 4 {
				return p.Status == "healthy" && p.Addr == n4.raftAddr(), fmt.Sprintf("%+v", p)
			}
		}
		return false, fmt.Sprintf("peers %+v", st.Peers)
	})
	for _, p := range c.nodes {
		checkRows(t, fmt.Sprintf("node %d with node 4 added", p.id), readRows(t, p), all)
	}
}

// cleanup kills what is still running and, on failure, prints each log.
func (c *cluster) cleanup(t *testing.T) {
	for _, p := range c.nodes {
		if p.running() {
			p.kill()
		}
	}
	if t.Failed() {
		for _, p := range c.nodes {
			if p.logPath != "" {
				b, _ := os.ReadFile(p.logPath)
				t.Logf("--- node %d log (%s) ---\n%s", p.id, p.logPath, tail(string(b), 6000))
			}
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
