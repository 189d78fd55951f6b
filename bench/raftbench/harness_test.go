package raftbench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// TestBothImplsApplyEverythingInOrder runs each implementation through
// several compactions and checks every member applied every payload once,
// in order (stateMachine.apply enforces the order on the way).
func TestBothImplsApplyEverythingInOrder(t *testing.T) {
	for _, impl := range Impls {
		for _, size := range []int{16, 256} {
			t.Run(fmt.Sprintf("impl=%s/size=%d", impl, size), func(t *testing.T) {
				const seed, entries = 1, 25_000
				t.Logf("seed=%d", seed)
				h, err := New(Options{Impl: impl, EntrySizeBytes: size, Seed: seed, CompactEveryEntries: 4096})
				if err != nil {
					t.Fatal(err)
				}
				st, err := h.Run(entries)
				if err != nil {
					t.Fatal(err)
				}
				if st.Entries != entries {
					t.Fatalf("applied on all members: %d, want %d", st.Entries, entries)
				}
				for i := range membersCount {
					if got := h.c.machine(i).next; got != entries {
						t.Errorf("member %d applied %d payloads, want %d", i, got, entries)
					}
				}
				if h.compactedTo == 0 {
					t.Errorf("no compaction happened in %d entries", entries)
				}
				if st.Messages == 0 || st.Rounds == 0 {
					t.Errorf("stats %+v: no messages or rounds counted", st)
				}
				t.Logf("stats %+v, %.2f msgs/entry", st, float64(st.Messages)/float64(st.Entries))
			})
		}
	}
}

// TestRunsAreDeterministic: the harness has no hidden randomness, so two
// runs from the same seed send the same messages in the same rounds.
func TestRunsAreDeterministic(t *testing.T) {
	for _, impl := range Impls {
		var stats [2]Stats
		for k := range stats {
			h, err := New(Options{Impl: impl, EntrySizeBytes: 16, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if stats[k], err = h.Run(5000); err != nil {
				t.Fatal(err)
			}
		}
		if stats[0] != stats[1] {
			t.Errorf("%s: runs differ: %+v vs %+v", impl, stats[0], stats[1])
		}
	}
}

// TestRunAppendsToEarlierRuns: a second Run continues the sequence.
func TestRunAppendsToEarlierRuns(t *testing.T) {
	h, err := New(Options{Impl: ImplLineraDB, EntrySizeBytes: 16, InflightMax: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 100, 3} {
		st, err := h.Run(n)
		if err != nil {
			t.Fatal(err)
		}
		if st.Entries != uint64(n) {
			t.Fatalf("Run(%d) applied %d", n, st.Entries)
		}
	}
	if got := h.appliedAll(); got != 104 {
		t.Fatalf("applied on all members: %d, want 104", got)
	}
}

// TestStallIsReported: with every message lost nothing can commit, and the
// run must end with errStalled instead of spinning forever.
func TestStallIsReported(t *testing.T) {
	for _, impl := range Impls {
		h, err := New(Options{Impl: impl, EntrySizeBytes: 16, dropAll: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Run(10); !errors.Is(err, errStalled) {
			t.Errorf("%s: Run with a dead network returned %v, want errStalled", impl, err)
		}
	}
}

// TestStateMachineRejectsBadHistories feeds the checker broken sequences:
// each must be rejected.
func TestStateMachineRejectsBadHistories(t *testing.T) {
	payload := func(seq uint64) []byte {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint64(b, seq)
		return b
	}
	cases := map[string][][]byte{
		"gap":       {payload(0), payload(2)},
		"duplicate": {payload(0), payload(1), payload(1)},
		"reordered": {payload(1), payload(0)},
		"short":     {payload(0), {1, 2, 3}},
	}
	for name, history := range cases {
		var sm stateMachine
		var err error
		for _, p := range history {
			if err = sm.apply(p); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("%s: history accepted", name)
		}
	}
	var sm stateMachine
	for seq := range uint64(3) {
		if err := sm.apply(payload(seq)); err != nil {
			t.Fatalf("good history rejected at %d: %v", seq, err)
		}
	}
}

// TestPayloadRingSlots: consecutive payloads carry their sequence number
// and a slot comes back only after slotsCount proposals.
func TestPayloadRingSlots(t *testing.T) {
	p := newPayloads(16, 4)
	first := p.next(0)
	for seq := uint64(1); seq < 4; seq++ {
		b := p.next(seq)
		if &b[0] == &first[0] {
			t.Fatalf("slot reused after %d proposals", seq)
		}
		if got := binary.LittleEndian.Uint64(b); got != seq || len(b) != 16 || cap(b) != 16 {
			t.Fatalf("payload %d: seq %d len %d cap %d", seq, got, len(b), cap(b))
		}
	}
	if again := p.next(4); &again[0] != &first[0] {
		t.Fatal("slot 0 not reused after slotsCount proposals")
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{Impl: "zookeeper", EntrySizeBytes: 16},
		{Impl: ImplEtcd, EntrySizeBytes: 4},
		{Impl: ImplLineraDB, EntrySizeBytes: 16, InflightMax: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
