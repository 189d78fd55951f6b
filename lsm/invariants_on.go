//go:build invariants

package lsm

// invariantsOn compiles in the expensive whole-state checks; `make test`
// builds with -tags invariants.
const invariantsOn = true
