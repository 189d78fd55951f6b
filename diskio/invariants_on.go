//go:build invariants

package diskio

// invariantsEnabled turns on MemFS's O(size of the FS) self-check after
// every state change.
const invariantsEnabled = true
