package raft

import "testing"

// A single voter's replication cycle (Propose, Ready with the entry,
// Advance, Ready with it committed, Advance) sends no message and must
// not allocate in steady state: entries are shared with the log, and an
// unchanged soft state must not cost a heap allocation per Ready. (The
// log array grows now and then; AllocsPerRun's integer average over many
// runs hides that amortized cost, not a per-cycle allocation.)
func TestSingleVoterCycleDoesNotAllocate(t *testing.T) {
	if invariantsEnabled {
		t.Skip("the invariants build checks (and allocates) after every input")
	}
	nw := newNetwork(t, 1, nil)
	elect(t, nw, 1)
	r := nw.raft(1)
	payload := []byte("x")
	cycle := func() {
		if err := r.Propose(payload); err != nil {
			t.Fatal(err)
		}
		for r.HasReady() {
			rd := r.Ready()
			if len(rd.Messages) > 0 {
				t.Fatalf("single voter sent %v", rd.Messages)
			}
			r.Advance(rd)
		}
	}
	cycle()
	if allocs := testing.AllocsPerRun(1000, cycle); allocs != 0 {
		t.Fatalf("single-voter cycle allocates %.0f times", allocs)
	}
	if st := r.Status(); st.Commit != st.LastIndex || st.Applied != st.Commit {
		t.Fatalf("not everything committed and applied: %+v", st)
	}
}
