package checker

import (
	"fmt"
	"strings"
)

// Finding and explaining cycles. A history is serializable (strictly, with
// realtime edges) iff its dependency graph is acyclic, so every strongly
// connected component of more than one txn is an anomaly. For each one we
// report one concrete cycle, looking for the weakest kind first, so a
// component containing a pure write cycle is reported as G0 rather than as
// the G2 that a careless search might stumble on:
//
//  1. G0: a cycle of ww edges;
//  2. G1c: a cycle of ww and wr edges with at least one wr;
//  3. G-single: one rw edge closed by a ww/wr path (tries bounded);
//  4. G2: any cycle of ww, wr and rw edges;
//  5. strict mode only: a cycle that needs a realtime edge.
//
// The reported kind is computed from the labels of the cycle found, so it
// is right even when step 3's bound makes step 4 find a G-single.

// gSingleTriesMax bounds the rw edges tried per component in step 3: each
// try is a breadth-first search, and a huge component must not make the
// checker quadratic. Past it, step 4 still finds (and names) a cycle.
const gSingleTriesMax = 256

// cstep is a cycle edge between graph nodes.
type cstep struct {
	from, to int
	kind     EdgeKind
}

func (c *laCheck) findCycles() {
	all := edgeDataMask
	if c.opts.Strict {
		all = edgeAllMask
	}
	every := make([]int, len(c.nodes))
	in := make([]bool, len(c.nodes))
	for v := range every {
		every[v], in[v] = v, true
	}
	comps := c.g.sccs(every, in, all)
	c.g.assertAcyclicIffNoComponents(all, comps)
	for _, comp := range comps {
		steps := c.cycleIn(comp)
		if steps == nil {
			panic(fmt.Sprintf("checker: no cycle found in a strongly connected component of %d txns", len(comp)))
		}
		c.checkCycle(steps)
		c.report(c.cycleAnomaly(steps))
	}
}

// cycleIn returns one cycle of comp, weakest kind first (steps 1-5 above).
func (c *laCheck) cycleIn(comp []int) []cstep {
	in := c.membership(comp)
	if steps := c.cycleWithin(comp, in, EdgeWW, EdgeWW); steps != nil {
		return steps
	}
	if steps := c.cycleWithin(comp, in, EdgeWW|EdgeWR, EdgeWR); steps != nil {
		return steps
	}
	if steps := c.gSingle(comp, in); steps != nil {
		return steps
	}
	if steps := c.cycleWithin(comp, in, edgeDataMask, edgeDataMask); steps != nil {
		return steps
	}
	if c.opts.Strict {
		return c.cycleWithin(comp, in, edgeAllMask, EdgeRealtime)
	}
	return nil
}

func (c *laCheck) membership(nodes []int) []bool {
	in := make([]bool, len(c.nodes))
	for _, v := range nodes {
		in[v] = true
	}
	return in
}

// cycleWithin finds a cycle inside comp using edges in mask that contains
// at least one edge with a kind in first. Within a strongly connected
// sub-component every internal edge closes into a cycle, so one
// breadth-first search per sub-component suffices.
func (c *laCheck) cycleWithin(comp []int, in []bool, mask, first EdgeKind) []cstep {
	for _, sub := range c.g.sccs(comp, in, mask) {
		subIn := c.membership(sub)
		for _, a := range sub {
			for _, e := range c.g.out[a] {
				if e.kinds&first == 0 || !subIn[e.to] {
					continue
				}
				if steps := c.closeCycle(a, e.to, subIn, mask, mask); steps != nil {
					return steps
				}
			}
		}
	}
	return nil
}

// gSingle looks for an rw edge a -> b closed by a ww/wr path b -> a.
func (c *laCheck) gSingle(comp []int, in []bool) []cstep {
	tries := 0
	for _, a := range comp {
		for _, e := range c.g.out[a] {
			if e.kinds&EdgeRW == 0 || !in[e.to] {
				continue
			}
			if tries++; tries > gSingleTriesMax {
				return nil
			}
			if steps := c.closeCycle(a, e.to, in, EdgeRW, EdgeWW|EdgeWR); steps != nil {
				return steps
			}
		}
	}
	return nil
}

// closeCycle returns the cycle a -> b -> ... -> a, where the path back
// from b uses only edges in back. Each edge is labelled with its weakest
// kind among those the search allowed.
func (c *laCheck) closeCycle(a, b int, in []bool, first, back EdgeKind) []cstep {
	path := c.g.path(b, a, in, back)
	if path == nil {
		return nil
	}
	steps := []cstep{{a, b, (c.g.kinds(a, b) & (first | back)).preferred()}}
	for i := 1; i < len(path); i++ {
		k := c.g.kinds(path[i-1], path[i]) & back
		steps = append(steps, cstep{path[i-1], path[i], k.preferred()})
	}
	return steps
}

// checkCycle asserts that steps is a closed walk of real edges.
func (c *laCheck) checkCycle(steps []cstep) {
	for i, s := range steps {
		if s.kind == 0 || c.g.kinds(s.from, s.to)&s.kind == 0 {
			panic(fmt.Sprintf("checker: cycle step %d (%d -> %d %v) is not an edge", i, s.from, s.to, s.kind))
		}
		if next := steps[(i+1)%len(steps)]; next.from != s.to {
			panic(fmt.Sprintf("checker: cycle step %d ends at %d, next starts at %d", i, s.to, next.from))
		}
	}
}

// classify names a cycle by its edges (Adya): rw edges make it G-single
// (one) or G2 (more); otherwise wr edges make it G1c; otherwise G0. A
// realtime edge adds the "-realtime" suffix.
func classify(steps []cstep) AnomalyKind {
	var ww, wr, rw, rt int
	for _, s := range steps {
		switch s.kind {
		case EdgeWW:
			ww++
		case EdgeWR:
			wr++
		case EdgeRW:
			rw++
		case EdgeRealtime:
			rt++
		}
	}
	kind := AnomalyG0
	switch {
	case rw > 1:
		kind = AnomalyG2
	case rw == 1:
		kind = AnomalyGSingle
	case wr > 0:
		kind = AnomalyG1c
	}
	if rt > 0 {
		kind += realtimeSuffix
	}
	return kind
}

// cycleAnomaly turns a cycle into a report, rotated to start at its
// smallest txn so the same cycle always prints the same way:
//
//	G-single cycle: T3 -rw-> T7 -wr-> T3
//	  T3 < T7: T3 read key 1 = [], missing T7's append of 5, which came next
//	  T7 < T3: T3 read key 2 = [6], observing T7's append of 6
func (c *laCheck) cycleAnomaly(steps []cstep) Anomaly {
	start := 0
	for i, s := range steps {
		if c.nodes[s.from] < c.nodes[steps[start].from] {
			start = i
		}
	}
	steps = append(steps[start:len(steps):len(steps)], steps[:start]...)
	a := Anomaly{Kind: classify(steps)}
	var b strings.Builder
	fmt.Fprintf(&b, "%s cycle: T%d", a.Kind, c.txnID(steps[0].from))
	for _, s := range steps {
		fmt.Fprintf(&b, " -%s-> T%d", s.kind, c.txnID(s.to))
	}
	for _, s := range steps {
		why := c.explainStep(s.from, s.to, s.kind)
		a.Txns = append(a.Txns, c.txnID(s.from))
		a.Cycle = append(a.Cycle, Step{From: c.txnID(s.from), To: c.txnID(s.to), Kind: s.kind, Why: why})
		fmt.Fprintf(&b, "\n  T%d < T%d: %s", c.txnID(s.from), c.txnID(s.to), why)
	}
	a.Explanation = b.String()
	return a
}

func (c *laCheck) txnID(node int) OpID { return c.txns[c.nodes[node]].rec.ID }
