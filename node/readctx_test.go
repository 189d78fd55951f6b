package node

import (
	"testing"

	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/raft"
)

// Sim seed 292: a read-index answer meant for one Begin resolved another.
// Read contexts were per-node counters, so node 2's first Begin and node
// 1's first Begin had the same context, and an answer to node 1 that
// reached node 2 (relayed by a deposed leader under its own id) gave node
// 2 a read index from before a commit it had to observe. A restart reset
// the counter, so a late answer to an earlier incarnation could do the
// same. These tests deliver such answers by hand.

// readIndexAnswer decodes m if it is a MsgReadIndexResp.
func readIndexAnswer(m netio.Message) (raft.Message, bool) {
	rm, err := raft.Decode(m.Payload)
	return rm, err == nil && rm.Type == raft.MsgReadIndexResp
}

// redirect returns m as if the leader had sent it to node to.
func redirect(t *testing.T, m netio.Message, to uint64) netio.Message {
	t.Helper()
	rm, err := raft.Decode(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	rm.To = to
	return netio.Message{From: m.From, To: netio.NodeID(to), Type: m.Type, Payload: raft.Encode(rm)}
}

// followers returns the two non-leaders of a three-node cluster.
func followers(c *cluster, lead uint64) (uint64, uint64) {
	var f []uint64
	for _, id := range c.ids {
		if id != lead {
			f = append(f, id)
		}
	}
	return f[0], f[1]
}

// startBegin starts a Begin on node id and returns what it resolved to
// so far (done is false while it waits).
type heldBegin struct {
	txn  *Txn
	err  error
	done bool
}

func startBegin(c *cluster, id uint64) *heldBegin {
	r := &heldBegin{}
	c.nodes[id].Begin(kv.TxnOptions{ReadOnly: true}, func(t *Txn, err error) { r.txn, r.err, r.done = t, err, true })
	return r
}

// checkNotStale fails if r resolved at a read version below version.
func checkNotStale(t *testing.T, r *heldBegin, version uint64) {
	t.Helper()
	if r.done && r.err == nil && r.txn.ReadVersion() < version {
		t.Fatalf("stale read: Begin resolved at read version %d by another request's answer; "+
			"a commit at %d was acknowledged before it began", r.txn.ReadVersion(), version)
	}
}

func TestReadAnswerToAnotherNodeIsIgnored(t *testing.T) {
	c := newCluster(t, 292, 3, nil)
	lead := c.waitLeader()
	a, b := followers(c, lead)
	if _, err := c.put(lead, "k", "old"); err != nil {
		t.Fatal(err)
	}
	// a's first Begin: keep a copy of the leader's answer.
	var answer netio.Message
	var index uint64
	c.tap = func(m netio.Message) bool {
		if rm, ok := readIndexAnswer(m); ok && uint64(m.To) == a && index == 0 {
			answer, index = m, rm.Index
		}
		return true
	}
	txn, err := c.begin(a, kv.TxnOptions{ReadOnly: true})
	if err != nil || index == 0 {
		t.Fatalf("begin on %d: %v (answer index %d)", a, err, index)
	}
	c.nodes[a].Abort(txn)
	c.tap = nil
	c.runUntil("b applies the answer's index", 200, func() bool { return c.nodes[b].Status().Applied >= index })
	// b misses the next commit.
	c.isolated[b] = true
	res, err := c.put(lead, "k", "new")
	if err != nil {
		t.Fatal(err)
	}
	// b's first Begin (the same counter value a's had) gets a's answer.
	r := startBegin(c, b)
	c.nodes[b].Receive(redirect(t, answer, b))
	checkNotStale(t, r, res.Version)
	if got := c.nodes[b].Metrics().ForeignReadStates; got != 1 {
		t.Fatalf("node %d counted %d foreign read states, want 1", b, got)
	}
	c.isolated[b] = false
	c.runUntil("b's own answer", 200, func() bool { return r.done })
	checkNotStale(t, r, res.Version)
	if r.err != nil {
		t.Fatalf("b's Begin failed: %v", r.err)
	}
}

func TestReadAnswerToEarlierIncarnationIsIgnored(t *testing.T) {
	c := newCluster(t, 293, 3, nil)
	lead := c.waitLeader()
	_, b := followers(c, lead)
	if _, err := c.put(lead, "k", "old"); err != nil {
		t.Fatal(err)
	}
	// b's first Begin: its answer is held back (a slow network).
	var answer netio.Message
	var index uint64
	c.tap = func(m netio.Message) bool {
		if rm, ok := readIndexAnswer(m); ok && uint64(m.To) == b {
			answer, index = m, rm.Index
			return false
		}
		return true
	}
	startBegin(c, b)
	c.runUntil("the answer to b's first Begin", 200, func() bool { return index != 0 })
	c.runUntil("b applies the answer's index", 200, func() bool { return c.nodes[b].Status().Applied >= index })
	// b restarts and misses a commit: it hears only heartbeats (so it
	// knows the leader and can ask for a read index).
	inc := c.nodes[b].incarnation
	if err := c.nodes[b].Close(); err != nil {
		t.Fatal(err)
	}
	c.nodes[b] = nil
	res, err := c.put(lead, "k", "new")
	if err != nil {
		t.Fatal(err)
	}
	c.tap = func(m netio.Message) bool {
		rm, err := raft.Decode(m.Payload)
		return uint64(m.To) != b || (err == nil && rm.Type == raft.MsgHeartbeat)
	}
	c.restart(b)
	if got := c.nodes[b].incarnation; got != inc+1 {
		t.Fatalf("node %d restarted as incarnation %d, want %d", b, got, inc+1)
	}
	c.runUntil("b learns the leader", 200, func() bool { return c.nodes[b].Status().Lead == lead })
	// The new incarnation's first Begin gets the old incarnation's answer.
	r := startBegin(c, b)
	if r.done {
		t.Fatalf("Begin on %d resolved at once: %v", b, r.err)
	}
	c.nodes[b].Receive(answer)
	checkNotStale(t, r, res.Version)
	c.tap = nil
	c.runUntil("b's own answer", 200, func() bool { return r.done })
	checkNotStale(t, r, res.Version)
	if r.err != nil {
		t.Fatalf("b's Begin failed: %v", r.err)
	}
}
