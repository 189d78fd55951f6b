//go:build !invariants

package raft

// invariantsEnabled reports whether checkInvariants runs (and allocates)
// after every input, for tests that count allocations.
const invariantsEnabled = false

func (r *Raft) checkInvariants() {}
