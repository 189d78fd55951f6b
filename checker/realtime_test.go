package checker

import (
	"math/rand/v2"
	"testing"
)

// The realtime edges are a transitive reduction of the interval order;
// their reachability must equal the full relation "i returned before j
// was invoked", or strict mode would miss (or invent) cycles.
func TestRealtimeReductionPreservesOrder(t *testing.T) {
	forEachSeed(t, "realtime reduction", func(t *testing.T, rng *rand.Rand) {
		n := 2 + rng.IntN(40)
		ops := make([]genOp, n)
		for i := range ops {
			ops[i].client = i
			ops[i].op = Txn(Append(int64(i), 1))
			genTimes(rng, &ops[i], 0, n)
			ops[i].reply = Reply{Txn: ops[i].op.Txn}
		}
		h := record(t, ops)
		c := &laCheck{h: h, opts: strict, writers: map[keyValue]writeRef{},
			reads: map[int64][]readRef{}, orders: map[int64][]int64{}}
		if err := c.collect(); err != nil {
			t.Fatal(err)
		}
		c.buildGraph()
		_, in := allNodes(len(c.nodes))
		for u := range c.nodes {
			for v := range c.nodes {
				if u == v {
					continue
				}
				a, b := c.txns[c.nodes[u]].rec, c.txns[c.nodes[v]].rec
				want := a.ReturnTime < b.InvokeTime
				got := c.g.path(u, v, in, EdgeRealtime) != nil
				if got != want {
					t.Fatalf("T%d [%v,%v] -> T%d [%v,%v]: reachable %v, want %v",
						a.ID, a.InvokeTime, a.ReturnTime, b.ID, b.InvokeTime, b.ReturnTime, got, want)
				}
			}
		}
	})
}
