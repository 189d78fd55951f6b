package main

import "testing"

func TestRunPasses(t *testing.T) {
	if rc := run([]string{"-seeds", "3"}); rc != 0 {
		t.Fatalf("healthy campaign exited %d", rc)
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
}
