package checker

import (
	"fmt"
	"sort"
	"time"
)

// The dependency graph over committed transactions (Adya's direct
// serialization graph, as Elle infers it from list-append histories):
//
//   - ww  T1 -> T2: T2's append to k comes right after T1's in k's order;
//   - wr  T1 -> T2: T2 read k, and the last element it saw (not counting
//     its own appends) T1 appended;
//   - rw  T1 -> T2: T1 read k, and the next element in k's order after what
//     it saw was appended by T2 (T1 did not see T2's write: an
//     anti-dependency);
//   - realtime T1 -> T2 (strict mode only): T1 returned before T2 was invoked.
//
// Only transactions that committed (or were promoted) are nodes; edges to
// aborted writers are dropped (the aborted read is reported as G1a).

// edgeID names one reason for one edge.
type edgeID struct {
	from, to int
	kind     EdgeKind
}

// edgeWhy is the evidence behind a data edge, kept for the explanation.
type edgeWhy struct {
	key   int64
	prev  int64   // ww: the source's value
	value int64   // ww, wr, rw: the target's (ww, rw) or source's (wr) value
	read  []int64 // wr, rw: the list the reader saw
}

func (c *laCheck) buildGraph() {
	for ti := range c.txns {
		if c.txns[ti].state == txnCommitted {
			c.txns[ti].node = len(c.nodes)
			c.nodes = append(c.nodes, ti)
		}
	}
	c.g = newGraph(len(c.nodes))
	c.why = map[edgeID]edgeWhy{}
	for _, k := range c.keys {
		c.addKeyEdges(k)
	}
	if c.opts.Strict {
		c.addRealtimeEdges()
	}
	c.g.finish()
	for _, es := range c.g.out {
		c.res.Stats.Edges += len(es)
	}
}

// edge adds a dependency between the writers/readers txns a and b when
// both are graph nodes and distinct; the first evidence for it is kept.
func (c *laCheck) edge(a, b int, kind EdgeKind, why edgeWhy) {
	from, to := c.txns[a].node, c.txns[b].node
	if from < 0 || to < 0 || from == to {
		return
	}
	id := edgeID{from, to, kind}
	if _, ok := c.why[id]; !ok {
		c.why[id] = why
		c.g.add(from, to, kind)
	}
}

func (c *laCheck) addKeyEdges(k int64) {
	order, consistent := c.orders[k]
	if consistent {
		for i := 1; i < len(order); i++ {
			w1, ok1 := c.writers[keyValue{k, order[i-1]}]
			w2, ok2 := c.writers[keyValue{k, order[i]}]
			if ok1 && ok2 {
				c.edge(w1.txn, w2.txn, EdgeWW, edgeWhy{key: k, prev: order[i-1], value: order[i]})
			}
		}
	}
	for _, r := range c.reads[k] {
		if v, w, ok := c.lastForeign(r); ok {
			c.edge(w.txn, r.txn, EdgeWR, edgeWhy{key: k, value: v, read: r.values})
		}
		if consistent && len(r.values) < len(order) {
			c.addRWEdge(k, r, order)
		}
	}
}

// addRWEdge adds reader -> writer of the value after what r saw. When that
// writer also wrote the last value r saw, r read an intermediate state:
// that is reported as G1b, and the edge would only restate it as a cycle.
func (c *laCheck) addRWEdge(k int64, r readRef, order []int64) {
	n := len(r.values)
	w, ok := c.writers[keyValue{k, order[n]}]
	if !ok {
		return
	}
	if n > 0 {
		if prev, ok := c.writers[keyValue{k, order[n-1]}]; ok && prev.txn == w.txn {
			return
		}
	}
	c.edge(r.txn, w.txn, EdgeRW, edgeWhy{key: k, value: order[n], read: r.values})
}

// addRealtimeEdges adds T1 -> T2 whenever T1 returned before T2 was
// invoked, keeping only the transitive reduction of that interval order
// (it has the same cycles and far fewer edges): T1 -> T2 is kept unless
// some T3 was invoked after T1 returned and returned before T2 began.
// Promoted txns never returned, so they only receive realtime edges.
func (c *laCheck) addRealtimeEdges() {
	var done []int // nodes that returned, by return time
	for v, ti := range c.nodes {
		if c.txns[ti].rec.Status == StatusOK {
			done = append(done, v)
		}
	}
	ret := func(v int) time.Duration { return c.txns[c.nodes[v]].rec.ReturnTime }
	inv := func(v int) time.Duration { return c.txns[c.nodes[v]].rec.InvokeTime }
	sort.SliceStable(done, func(i, j int) bool { return ret(done[i]) < ret(done[j]) })
	// maxInv[i] is the latest invocation among done[:i+1].
	maxInv := make([]time.Duration, len(done))
	for i, v := range done {
		maxInv[i] = inv(v)
		if i > 0 {
			maxInv[i] = max(maxInv[i], maxInv[i-1])
		}
	}
	for v := range c.nodes {
		n := sort.Search(len(done), func(i int) bool { return ret(done[i]) >= inv(v) })
		if n == 0 {
			continue
		}
		m := maxInv[n-1]
		first := sort.Search(n, func(i int) bool { return ret(done[i]) >= m })
		for _, u := range done[first:n] {
			c.edgeNodes(u, v, EdgeRealtime)
		}
	}
}

func (c *laCheck) edgeNodes(from, to int, kind EdgeKind) {
	c.edge(c.nodes[from], c.nodes[to], kind, edgeWhy{})
}

// explainStep says in words why step's source precedes its target.
func (c *laCheck) explainStep(from, to int, kind EdgeKind) string {
	a, b := c.txns[c.nodes[from]].rec, c.txns[c.nodes[to]].rec
	w := c.why[edgeID{from, to, kind}]
	switch kind {
	case EdgeWW:
		return fmt.Sprintf("T%d appended %d to key %d right after T%d appended %d",
			b.ID, w.value, w.key, a.ID, w.prev)
	case EdgeWR:
		return fmt.Sprintf("T%d read key %d = %s, observing T%d's append of %d",
			b.ID, w.key, formatInts(w.read), a.ID, w.value)
	case EdgeRW:
		return fmt.Sprintf("T%d read key %d = %s, missing T%d's append of %d, which came next",
			a.ID, w.key, formatInts(w.read), b.ID, w.value)
	case EdgeRealtime:
		return fmt.Sprintf("T%d returned at %s, before T%d was invoked at %s",
			a.ID, formatTime(a.ReturnTime), b.ID, formatTime(b.InvokeTime))
	}
	panic(fmt.Sprintf("checker: explaining edge kind %v", kind))
}
