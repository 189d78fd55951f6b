//go:build !invariants

package raft

func (r *Raft) checkInvariants() {}
