package raft

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Hostile or corrupt-but-decodable messages from members and strangers:
// the core must reject or absorb them without panicking or breaking its
// own invariants (verified after every step; -tags invariants also checks
// inside Step).
func TestRandomMessagesDoNotPanic(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		nw := newNetwork(t, 3, func(c *Config) { c.PreVote = seed%2 == 0; c.CheckQuorum = true })
		elect(t, nw, 1)
		for i := range 10 {
			nw.raft(1).Propose([]byte(fmt.Sprint(i)))
		}
		nw.stabilize()
		// Forged messages can of course break cross-node safety; only
		// each node's own integrity is checked here.
		nw.collect = true
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("seed %d: panic: %v", seed, p)
				}
			}()
			for range 2000 {
				to := uint64(1 + rng.IntN(3))
				m := randomMessage(rng, to, nw.raft(to))
				_ = nw.raft(to).Step(m)
				nw.handleReady(to)
				nw.queue = nil
				if err := nw.raft(to).verify(); err != nil {
					t.Fatalf("seed %d after %v: %v", seed, m, err)
				}
			}
		}()
	}
}

func randomMessage(rng *rand.Rand, to uint64, r *Raft) Message {
	near := func(v uint64) uint64 {
		d := uint64(rng.IntN(5))
		if rng.IntN(2) == 0 && v >= d {
			return v - d
		}
		return v + d
	}
	m := Message{
		Type: MessageType(1 + rng.IntN(msgTypeCount-1)), From: uint64(1 + rng.IntN(5)), To: to,
		Term: near(r.term), LogTerm: near(r.log.lastTerm()), Index: near(r.log.lastIndex()),
		Commit: near(r.log.committed), Reject: rng.IntN(3) == 0, RejectHint: near(r.log.lastIndex()),
		ReadSeq: uint64(rng.IntN(5)), SentTick: near(r.ticks), SnapOffset: uint64(rng.IntN(40)),
		SnapLast: rng.IntN(2) == 0, SnapData: []byte("data"),
		Snapshot: SnapshotMeta{Index: near(r.log.lastIndex()), Term: near(r.term), Conf: ConfState{Voters: []uint64{1, 2, 3}}},
	}
	if m.Type == MsgProp || m.Type == MsgReadIndex {
		m.Term = 0
	}
	term := m.LogTerm
	for i := range rng.IntN(4) {
		term += uint64(rng.IntN(2))
		m.Entries = append(m.Entries, Entry{Term: term, Index: m.Index + 1 + uint64(i), Data: []byte("x")})
	}
	return m
}
