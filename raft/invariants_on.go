//go:build invariants

package raft

// checkInvariants runs the expensive whole-state checks after every input
// when built with -tags invariants (make test does).
func (r *Raft) checkInvariants() {
	if err := r.verify(); err != nil {
		panic(err)
	}
}
