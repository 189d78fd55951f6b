package main

import "testing"

func TestRunPasses(t *testing.T) {
	for _, campaign := range []string{"db", "raft", "toy"} {
		if rc := run([]string{"-campaign", campaign, "-seeds", "2"}); rc != 0 {
			t.Fatalf("healthy %s campaign exited %d", campaign, rc)
		}
	}
}

// TestRunFailsOnBrokenToy proves a failing seed makes the command exit
// non-zero, which is what CI relies on.
func TestRunFailsOnBrokenToy(t *testing.T) {
	if rc := run([]string{"-broken-toy", "-seed", "1"}); rc != 1 {
		t.Fatalf("broken campaign exited %d, want 1", rc)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if rc := run([]string{"-nope"}); rc != 2 {
		t.Fatalf("bad flag exited %d, want 2", rc)
	}
	if rc := run([]string{"-campaign", "nope"}); rc != 2 {
		t.Fatalf("unknown campaign exited %d, want 2", rc)
	}
}
