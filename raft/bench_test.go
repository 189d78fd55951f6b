package raft

import (
	"fmt"
	"testing"
)

// Benchmarks of the replication hot path over the in-package test network:
// three members elected the usual way (newNetwork, Campaign, stabilize),
// then driven by a lean loop that skips the network's checking and codec
// so that the time and allocations measured are the core's own. One op is
// one entry applied on all three members.
//
//	go test -run '^$' -bench Propose -benchmem ./raft/
//
// batch is how many Propose calls the leader gets before the loop handles
// Readies and delivers messages until the group is idle; batch=1 is a
// client that waits for each commit, batch=1024 a pipelined one.

// benchCompactEveryEntries bounds the in-memory logs during a benchmark.
const benchCompactEveryEntries = 10_000

// benchGroup drives a test network's members without its safety checks.
type benchGroup struct {
	b       *testing.B
	nw      *network
	ids     []uint64
	queue   []Message
	spare   []Message
	applied map[uint64]uint64
	// appliedNormal counts EntryNormal entries applied per member.
	appliedNormal map[uint64]int
	messages      uint64
	compactedAt   uint64
}

func newBenchGroup(b *testing.B) *benchGroup {
	nw := newNetwork(b, 3, func(c *Config) { c.PreVote, c.CheckQuorum = true, true })
	nw.raft(1).Campaign()
	nw.stabilize()
	if nw.leader() != 1 {
		b.Fatalf("leader %d, want 1", nw.leader())
	}
	g := &benchGroup{b: b, nw: nw, ids: nw.ids(), applied: map[uint64]uint64{}, appliedNormal: map[uint64]int{}}
	for _, id := range g.ids {
		g.applied[id] = nw.apps[id].applied
	}
	return g
}

// handleReadies runs one Ready/Advance per member that has work.
func (g *benchGroup) handleReadies() bool {
	did := false
	for _, id := range g.ids {
		r := g.nw.raft(id)
		if !r.HasReady() {
			continue
		}
		did = true
		rd := r.Ready()
		g.queue = append(g.queue, rd.Messages...)
		g.messages += uint64(len(rd.Messages))
		for _, e := range rd.CommittedEntries {
			if e.Index != g.applied[id]+1 {
				g.b.Fatalf("node %d applies %d after %d", id, e.Index, g.applied[id])
			}
			g.applied[id] = e.Index
			if e.Type == EntryNormal {
				g.appliedNormal[id]++
			}
		}
		r.Advance(rd)
	}
	return did
}

// pump handles Readies and delivers messages until the group is idle.
func (g *benchGroup) pump() {
	for {
		did := g.handleReadies()
		if len(g.queue) == 0 && !did {
			return
		}
		q := g.queue
		g.queue = g.spare[:0]
		for _, m := range q {
			if err := g.nw.raft(m.To).Step(m); err != nil {
				g.b.Fatalf("step %v: %v", m, err)
			}
		}
		clear(q)
		g.spare = q
	}
}

// maybeCompact compacts every log to the lowest applied index.
func (g *benchGroup) maybeCompact() {
	low := g.applied[g.ids[0]]
	for _, id := range g.ids {
		low = min(low, g.applied[id])
	}
	if low < g.compactedAt+benchCompactEveryEntries {
		return
	}
	for _, id := range g.ids {
		if _, err := g.nw.raft(id).Compact(low); err != nil {
			g.b.Fatalf("compact %d at %d: %v", id, low, err)
		}
	}
	g.compactedAt = low
}

func BenchmarkPropose(b *testing.B) {
	for _, bc := range []struct{ batch, sizeBytes int }{{1, 16}, {32, 16}, {1024, 16}, {1024, 256}} {
		b.Run(fmt.Sprintf("batch=%d/size=%d", bc.batch, bc.sizeBytes), func(b *testing.B) {
			benchmarkPropose(b, bc.batch, bc.sizeBytes)
		})
	}
}

func benchmarkPropose(b *testing.B, batch, sizeBytes int) {
	g := newBenchGroup(b)
	payload := make([]byte, sizeBytes)
	leader := g.nw.raft(1)
	b.ReportAllocs()
	b.SetBytes(int64(sizeBytes))
	b.ResetTimer()
	for proposed := 0; proposed < b.N; {
		n := min(batch, b.N-proposed)
		for range n {
			if err := leader.Propose(payload); err != nil {
				b.Fatalf("propose: %v", err)
			}
		}
		proposed += n
		g.pump()
		g.maybeCompact()
	}
	b.StopTimer()
	for _, id := range g.ids {
		if g.appliedNormal[id] != b.N {
			b.Fatalf("node %d applied %d entries, want %d", id, g.appliedNormal[id], b.N)
		}
	}
	b.ReportMetric(float64(g.messages)/float64(b.N), "msgs/entry")
}
