package checker

import (
	"fmt"
	"sort"
)

// EdgeKind is a dependency between two transactions, as a bit set because
// one pair can be related several ways (ww on one key, wr on another).
// The order of the bits is the order of preference when a cycle's edge is
// labelled: the weakest anomaly that explains it.
type EdgeKind uint8

const (
	// EdgeWW: the source appended the value right before the target's
	// append in a key's version order.
	EdgeWW EdgeKind = 1 << iota
	// EdgeWR: the target read a list whose last element the source appended.
	EdgeWR
	// EdgeRW: the source read a list that the target's append came
	// right after (an anti-dependency).
	EdgeRW
	// EdgeRealtime: the source completed before the target was invoked.
	EdgeRealtime

	edgeDataMask = EdgeWW | EdgeWR | EdgeRW
	edgeAllMask  = edgeDataMask | EdgeRealtime
)

func (k EdgeKind) String() string {
	switch k {
	case EdgeWW:
		return "ww"
	case EdgeWR:
		return "wr"
	case EdgeRW:
		return "rw"
	case EdgeRealtime:
		return "realtime"
	}
	return fmt.Sprintf("edges(%#x)", uint8(k))
}

// preferred returns the lowest (weakest) kind in k.
func (k EdgeKind) preferred() EdgeKind { return k & -k }

// graph is a dependency graph over dense node numbers 0..n-1. Adjacency
// lists are sorted by target with one entry per target, so every walk over
// it is deterministic.
type graph struct {
	out  [][]gedge
	done bool
}

type gedge struct {
	to    int
	kinds EdgeKind
}

func newGraph(n int) *graph { return &graph{out: make([][]gedge, n)} }

func (g *graph) add(from, to int, k EdgeKind) {
	if g.done {
		panic("checker: graph edge added after finish")
	}
	if from == to {
		panic(fmt.Sprintf("checker: self edge on node %d", from))
	}
	g.out[from] = append(g.out[from], gedge{to: to, kinds: k})
}

// finish sorts and merges the adjacency lists; no edges may follow.
func (g *graph) finish() {
	for v, es := range g.out {
		sort.Slice(es, func(i, j int) bool { return es[i].to < es[j].to })
		merged := es[:0]
		for _, e := range es {
			if n := len(merged); n > 0 && merged[n-1].to == e.to {
				merged[n-1].kinds |= e.kinds
				continue
			}
			merged = append(merged, e)
		}
		g.out[v] = merged
	}
	g.done = true
}

// kinds returns the kinds of the edge from -> to (0 if none).
func (g *graph) kinds(from, to int) EdgeKind {
	es := g.out[from]
	i := sort.Search(len(es), func(i int) bool { return es[i].to >= to })
	if i < len(es) && es[i].to == to {
		return es[i].kinds
	}
	return 0
}

// sccs returns the strongly connected components of more than one node of
// the subgraph induced by the nodes with in[v], using only edges with a
// kind in mask (Tarjan's algorithm). Each component is sorted ascending and
// components are ordered by their smallest node.
func (g *graph) sccs(nodes []int, in []bool, mask EdgeKind) [][]int {
	t := tarjan{g: g, in: in, mask: mask,
		index: make(map[int]int, len(nodes)), low: make(map[int]int, len(nodes)),
		onStack: make(map[int]bool, len(nodes))}
	for _, v := range nodes {
		if _, seen := t.index[v]; !seen {
			t.visit(v)
		}
	}
	for _, c := range t.comps {
		sort.Ints(c)
	}
	sort.Slice(t.comps, func(i, j int) bool { return t.comps[i][0] < t.comps[j][0] })
	return t.comps
}

type tarjan struct {
	g       *graph
	in      []bool
	mask    EdgeKind
	next    int
	index   map[int]int
	low     map[int]int
	onStack map[int]bool
	stack   []int
	comps   [][]int
}

// visit is Tarjan's strongconnect. Recursion depth is bounded by the
// number of transactions, which Go's growable stacks handle.
func (t *tarjan) visit(v int) {
	t.index[v], t.low[v] = t.next, t.next
	t.next++
	t.stack = append(t.stack, v)
	t.onStack[v] = true
	for _, e := range t.g.out[v] {
		if e.kinds&t.mask == 0 || !t.in[e.to] {
			continue
		}
		if _, seen := t.index[e.to]; !seen {
			t.visit(e.to)
			t.low[v] = min(t.low[v], t.low[e.to])
		} else if t.onStack[e.to] {
			t.low[v] = min(t.low[v], t.index[e.to])
		}
	}
	if t.low[v] != t.index[v] {
		return
	}
	var comp []int
	for {
		w := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.onStack[w] = false
		comp = append(comp, w)
		if w == v {
			break
		}
	}
	if len(comp) > 1 {
		t.comps = append(t.comps, comp)
	}
}

// path returns a shortest path from -> ... -> to (both included) through
// nodes with in[v] and edges with a kind in mask, or nil if there is none.
// Breadth-first over sorted adjacency, so the path found is deterministic.
func (g *graph) path(from, to int, in []bool, mask EdgeKind) []int {
	parent := map[int]int{from: -1}
	queue := []int{from}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, e := range g.out[v] {
			if e.kinds&mask == 0 || !in[e.to] {
				continue
			}
			if _, seen := parent[e.to]; seen {
				continue
			}
			parent[e.to] = v
			if e.to == to {
				return unwind(parent, to)
			}
			queue = append(queue, e.to)
		}
	}
	return nil
}

func unwind(parent map[int]int, to int) []int {
	var rev []int
	for v := to; v != -1; v = parent[v] {
		rev = append(rev, v)
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
