package raft

import "testing"

// quorumOf is the commit rule's arithmetic: the value a majority reaches.
func TestQuorumOf(t *testing.T) {
	cases := []struct {
		vals   []uint64
		quorum int
		want   uint64
	}{
		{nil, 1, 0},
		{[]uint64{5}, 1, 5},
		{[]uint64{1, 9, 5}, 2, 5},
		{[]uint64{9, 9, 1}, 2, 9},
		{[]uint64{3, 1, 4, 1, 5}, 3, 3},
		{[]uint64{7, 7, 7, 7}, 3, 7},
		{[]uint64{1, 2, 3, 4}, 3, 2},
		// Larger than the stack buffer: still correct.
		{[]uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 6},
	}
	for _, c := range cases {
		if got := quorumOf(append([]uint64(nil), c.vals...), c.quorum); got != c.want {
			t.Errorf("quorumOf(%v, %d) = %d, want %d", c.vals, c.quorum, got, c.want)
		}
	}
}

// A quorum larger than the voter count is a caller bug, not input.
func TestQuorumOfRejectsImpossibleQuorum(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("quorumOf accepted a quorum of 3 out of 2 values")
		}
	}()
	quorumOf([]uint64{1, 2}, 3)
}

// The quorum computations run per acknowledgement and must not allocate
// for groups up to quorumVotersStackMax.
func TestQuorumMatchDoesNotAllocate(t *testing.T) {
	nw := newNetwork(t, 5, nil)
	elect(t, nw, 1)
	r := nw.raft(1)
	allocs := testing.AllocsPerRun(100, func() {
		_ = r.quorumMatch()
		_ = r.quorumValue(func(pr *Progress) uint64 { return pr.readSeqAcked }, r.reads.seq)
	})
	if allocs != 0 {
		t.Fatalf("quorum computations allocate %.1f times per call", allocs)
	}
}
