//go:build invariants

package raft

// invariantsEnabled reports whether checkInvariants runs (and allocates)
// after every input, for tests that count allocations.
const invariantsEnabled = true

// checkInvariants runs the expensive whole-state checks after every input
// when built with -tags invariants (make test does).
func (r *Raft) checkInvariants() {
	if err := r.verify(); err != nil {
		panic(err)
	}
}
