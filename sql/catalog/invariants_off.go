//go:build !invariants

package catalog

// invariantsOn enables the expensive checks of the descriptor cache: a
// cached descriptor is re-encoded on every hit to prove nobody mutated it.
const invariantsOn = false
