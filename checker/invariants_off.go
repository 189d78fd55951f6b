//go:build !invariants

package checker

// invariantsOn enables the expensive cross-checks; `make test` builds
// with -tags invariants.
const invariantsOn = false
