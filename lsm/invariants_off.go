//go:build !invariants

package lsm

const invariantsOn = false
