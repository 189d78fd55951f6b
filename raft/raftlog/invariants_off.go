//go:build !invariants

package raftlog

// invariantsEnabled turns on the O(entries) checks in checkInvariants.
const invariantsEnabled = false
