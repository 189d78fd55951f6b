package checker

import (
	"fmt"
	"testing"
)

// g6 is 0 -ww-> 1 -wr-> 2 -rw-> 0, a ww 2-cycle 3 <-> 4, and 5 alone.
func g6() *graph {
	g := newGraph(6)
	g.add(0, 1, EdgeWW)
	g.add(1, 2, EdgeWR)
	g.add(2, 0, EdgeRW)
	g.add(3, 4, EdgeWW)
	g.add(4, 3, EdgeWW)
	g.add(4, 3, EdgeRealtime) // merged with the ww edge
	g.add(2, 5, EdgeRW)
	g.finish()
	return g
}

func allNodes(n int) ([]int, []bool) {
	nodes, in := make([]int, n), make([]bool, n)
	for i := range nodes {
		nodes[i], in[i] = i, true
	}
	return nodes, in
}

func TestGraphSCCs(t *testing.T) {
	g := g6()
	nodes, in := allNodes(6)
	for _, tc := range []struct {
		mask EdgeKind
		want string
	}{
		{edgeAllMask, "[[0 1 2] [3 4]]"},
		{EdgeWW | EdgeWR, "[[3 4]]"},
		{EdgeRealtime, "[]"},
		{EdgeWR | EdgeRW, "[]"},
	} {
		got := fmt.Sprint(g.sccs(nodes, in, tc.mask))
		if got != tc.want {
			t.Errorf("sccs(mask %d) = %s, want %s", uint8(tc.mask), got, tc.want)
		}
	}
	in[1] = false
	if got := fmt.Sprint(g.sccs(nodes, in, edgeAllMask)); got != "[[3 4]]" {
		t.Errorf("sccs without node 1 = %s", got)
	}
	if k := g.kinds(4, 3); k != EdgeWW|EdgeRealtime {
		t.Errorf("merged edge kinds = %d", uint8(k))
	}
}

func TestGraphPath(t *testing.T) {
	g := g6()
	_, in := allNodes(6)
	if got := fmt.Sprint(g.path(1, 0, in, edgeAllMask)); got != "[1 2 0]" {
		t.Errorf("path 1->0 = %s", got)
	}
	if p := g.path(1, 0, in, EdgeWW|EdgeWR); p != nil {
		t.Errorf("path 1->0 without rw = %v, want none", p)
	}
	if p := g.path(5, 0, in, edgeAllMask); p != nil {
		t.Errorf("path from a sink = %v", p)
	}
}

func TestGraphRejectsSelfEdge(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatalf("self edge accepted")
		}
	}()
	newGraph(2).add(1, 1, EdgeWW)
}

func TestClassify(t *testing.T) {
	cyc := func(kinds ...EdgeKind) []cstep {
		var s []cstep
		for i, k := range kinds {
			s = append(s, cstep{i, (i + 1) % len(kinds), k})
		}
		return s
	}
	for _, tc := range []struct {
		steps []cstep
		want  AnomalyKind
	}{
		{cyc(EdgeWW, EdgeWW), AnomalyG0},
		{cyc(EdgeWW, EdgeWR), AnomalyG1c},
		{cyc(EdgeRW, EdgeWR, EdgeWW), AnomalyGSingle},
		{cyc(EdgeRW, EdgeRW), AnomalyG2},
		{cyc(EdgeRW, EdgeRealtime), AnomalyGSingle + realtimeSuffix},
		{cyc(EdgeWW, EdgeRealtime), AnomalyG0 + realtimeSuffix},
	} {
		if got := classify(tc.steps); got != tc.want {
			t.Errorf("classify(%v) = %s, want %s", tc.steps, got, tc.want)
		}
	}
}
