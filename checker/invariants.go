package checker

import "fmt"

// Expensive self-checks, compiled in with -tags invariants. Each one
// recomputes a result by an independent method and panics on
// disagreement: a checker that is wrong about a history is worse than
// none.

// assertAcyclicIffNoComponents cross-checks Tarjan with Kahn's algorithm:
// the graph (edges in mask) has a cycle iff some component was found.
func (g *graph) assertAcyclicIffNoComponents(mask EdgeKind, comps [][]int) {
	if !invariantsOn {
		return
	}
	indeg := make([]int, len(g.out))
	for _, es := range g.out {
		for _, e := range es {
			if e.kinds&mask != 0 {
				indeg[e.to]++
			}
		}
	}
	var ready []int
	for v, d := range indeg {
		if d == 0 {
			ready = append(ready, v)
		}
	}
	sorted := 0
	for len(ready) > 0 {
		v := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		sorted++
		for _, e := range g.out[v] {
			if e.kinds&mask == 0 {
				continue
			}
			if indeg[e.to]--; indeg[e.to] == 0 {
				ready = append(ready, e.to)
			}
		}
	}
	if cyclic := sorted < len(g.out); cyclic != (len(comps) > 0) {
		panic(fmt.Sprintf("checker: Kahn says cyclic=%v, Tarjan found %d components", cyclic, len(comps)))
	}
}

// assertEvents checks a history's event log against its records: times
// never decrease, every op is invoked once and returns at most once, and
// statuses agree with the returns.
func (h History) assertEvents() {
	if !invariantsOn || len(h.Events) == 0 {
		return
	}
	invoked := make([]bool, len(h.Records))
	returned := make([]bool, len(h.Records))
	for i, ev := range h.Events {
		if i > 0 && ev.Time < h.Events[i-1].Time {
			panic(fmt.Sprintf("checker: event %d at %v precedes event %d at %v", i, ev.Time, i-1, h.Events[i-1].Time))
		}
		seen := invoked
		if ev.Type == EventReturn {
			seen = returned
		}
		if seen[ev.ID] {
			panic(fmt.Sprintf("checker: op %d has two %v events", ev.ID, ev.Type))
		}
		seen[ev.ID] = true
	}
	for i := range h.Records {
		if !invoked[i] || returned[i] != (h.Records[i].Status != StatusPending) {
			panic(fmt.Sprintf("checker: op %d events disagree with status %s", i, h.Records[i].Status))
		}
	}
}
