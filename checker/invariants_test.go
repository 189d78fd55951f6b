//go:build invariants

package checker

import (
	"testing"
	"time"
)

func expectPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatalf("%s: invariant check did not fire", what)
		}
	}()
	f()
}

func TestInvariantKahnCatchesMissedCycle(t *testing.T) {
	g := g6()
	nodes, in := allNodes(6)
	g.assertAcyclicIffNoComponents(edgeAllMask, g.sccs(nodes, in, edgeAllMask))
	expectPanic(t, "cycle with no component", func() { g.assertAcyclicIffNoComponents(edgeAllMask, nil) })
	expectPanic(t, "component with no cycle", func() {
		g.assertAcyclicIffNoComponents(EdgeWR|EdgeRW, [][]int{{0, 1}})
	})
}

func TestInvariantEventsCatchBrokenLog(t *testing.T) {
	r := NewRecorder(0)
	id, _ := r.Invoke(0, Get(1), time.Second)
	_ = r.Return(id, Reply{}, 2*time.Second)
	h := r.History()
	h.Events[0].Time = 3 * time.Second
	expectPanic(t, "time going backwards", h.assertEvents)
	h = r.History()
	h.Records[0].Status = StatusPending
	expectPanic(t, "status disagreeing with events", h.assertEvents)
}
