//go:build invariants

package sim

// invariantsEnabled turns on O(n) self-checks after every event.
const invariantsEnabled = true
