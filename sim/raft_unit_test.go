package sim

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/raft"
)

func TestKVCmdCodec(t *testing.T) {
	c := kvCmd{kind: kvCAS, client: 3, seq: 99, key: 2, value: -5, expect: 1 << 40}
	got, err := decodeKVCmd(c.encode())
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	bad := map[string][]byte{
		"empty":     nil,
		"short":     c.encode()[:kvCmdBytes-1],
		"long":      append(c.encode(), 0),
		"magic":     append([]byte{0}, c.encode()[1:]...),
		"kind":      kvCmd{kind: 9, client: 1, seq: 1}.encode(),
		"client":    kvCmd{kind: kvPut, client: kvClientsMax, seq: 1}.encode(),
		"key":       kvCmd{kind: kvPut, client: 1, seq: 1, key: kvKeysMax}.encode(),
		"neg key":   kvCmd{kind: kvPut, client: 1, seq: 1, key: -1}.encode(),
		"zero kind": kvCmd{kind: 0, client: 1, seq: 1}.encode(),
	}
	for name, b := range bad {
		if _, err := decodeKVCmd(b); !errors.Is(err, errKVMalformed) {
			t.Errorf("%s: err = %v, want errKVMalformed", name, err)
		}
	}
}

func TestKVStateDedupAndCAS(t *testing.T) {
	s := newKVState()
	if r := s.apply(kvCmd{kind: kvCAS, client: 1, seq: 1, key: 0, expect: 0, value: 5}); r.swapped {
		t.Fatal("cas on an absent key swapped")
	}
	s.apply(kvCmd{kind: kvPut, client: 1, seq: 2, key: 0, value: 7})
	if r := s.apply(kvCmd{kind: kvCAS, client: 2, seq: 1, key: 0, expect: 7, value: 8}); !r.swapped {
		t.Fatal("matching cas did not swap")
	}
	// A duplicate (seq not above the client's last) has no effect.
	if r := s.apply(kvCmd{kind: kvPut, client: 1, seq: 2, key: 0, value: 100}); !r.duplicate {
		t.Fatal("duplicate command applied")
	}
	if v, ok := s.get(0); !ok || v != 8 {
		t.Fatalf("get = %d,%v want 8", v, ok)
	}
}

func TestKVStateCodecRejectsDamage(t *testing.T) {
	s := newKVState()
	s.apply(kvCmd{kind: kvPut, client: 1, seq: 1, key: 1, value: 42})
	b := s.encode()
	got, err := decodeKVState(b)
	if err != nil || got.hash() != s.hash() {
		t.Fatalf("round trip: %v", err)
	}
	for bit := 0; bit < 8*len(b); bit++ {
		d := append([]byte(nil), b...)
		d[bit/8] ^= 1 << (bit % 8)
		if _, err := decodeKVState(d); err == nil {
			t.Fatalf("bit %d flipped: accepted", bit)
		}
	}
	if _, err := decodeKVState(b[:len(b)-1]); err == nil {
		t.Fatal("truncated state accepted")
	}
}

func TestSnapFileCodecRejectsDamage(t *testing.T) {
	meta := raft.SnapshotMeta{Index: 12, Term: 3, Conf: raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{5}}}
	state := newKVState().encode()
	b := encodeSnapFile(meta, state)
	gotMeta, gotState, err := decodeSnapFile(b)
	if err != nil || !sameSnapMeta(gotMeta, meta) || string(gotState) != string(state) {
		t.Fatalf("round trip: %+v %v", gotMeta, err)
	}
	for bit := 0; bit < 8*len(b); bit++ {
		d := append([]byte(nil), b...)
		d[bit/8] ^= 1 << (bit % 8)
		if _, _, err := decodeSnapFile(d); err == nil {
			t.Fatalf("bit %d flipped: accepted", bit)
		}
	}
	for n := 0; n < len(b); n++ {
		if _, _, err := decodeSnapFile(b[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
}

// TestKVDecodersNeverPanic feeds random bytes (seed printed) to every
// decoder: bad input returns an error, never a panic.
func TestKVDecodersNeverPanic(t *testing.T) {
	const seed = 20251122
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	for range 20_000 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		_, _ = decodeKVCmd(b)
		_, _ = decodeKVState(b)
		_, _, _ = decodeSnapFile(b)
	}
}

// quietCluster runs a fault-free cluster of three founders for a while so
// the checker has records to be tampered against.
func quietCluster(t *testing.T) *raftCluster {
	t.Helper()
	opts := RaftOptions{NoFaults: true, tune: func(c *raftConfig) {
		c.nodes, c.snapshotEvery = 3, 1000
	}}
	k := NewKernel(5)
	cfg := drawRaftConfig(k, opts)
	nw, err := NewNetwork(k, cfg.net)
	if err != nil {
		t.Fatal(err)
	}
	c := newRaftCluster(k, nw, cfg, opts)
	for _, cl := range c.clients {
		cl.scheduleNext()
	}
	if err := k.RunFor(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if c.leader() == nil || c.chk.commitMax < 5 {
		t.Fatalf("quiet cluster made no progress: %s", c.nodesLine())
	}
	return c
}

func follower(c *raftCluster) *raftNode {
	for _, n := range c.nodes {
		if n.status == nodeRunning && n.rn.Role() != raft.RoleLeader {
			return n
		}
	}
	return nil
}

func wantCheckFailure(t *testing.T, c *raftCluster, ok bool, substr string) {
	t.Helper()
	if ok {
		t.Fatalf("checker accepted a violation; want %q", substr)
	}
	if err := c.k.Err(); err == nil || !strings.Contains(err.Error(), substr) {
		t.Fatalf("kernel error = %v, want %q", err, substr)
	}
}

// TestRaftCheckerRejectsViolations proves each safety check can fail, by
// feeding it one forged observation against a healthy run's records.
func TestRaftCheckerRejectsViolations(t *testing.T) {
	t.Run("two leaders in a term", func(t *testing.T) {
		c := quietCluster(t)
		l, f := c.leader(), follower(c)
		wantCheckFailure(t, c, c.chk.noteLeader(f.id, l.rn.Term()), "election safety")
	})
	t.Run("commit index falls", func(t *testing.T) {
		c := quietCluster(t)
		f := follower(c)
		rd := raft.Ready{HardState: raft.HardState{Term: f.rn.Term(), Commit: f.commit - 1}}
		wantCheckFailure(t, c, c.chk.onPersisted(f, rd), "commit index fell")
	})
	t.Run("same index and term, different entry", func(t *testing.T) {
		c := quietCluster(t)
		f := follower(c)
		i := f.log.LastIndex()
		term, _ := f.log.Term(i)
		prev, _ := f.log.Term(i - 1)
		forged := raft.Entry{Index: i, Term: term, Data: []byte("forged")}
		wantCheckFailure(t, c, c.chk.noteEntry(f, forged, prev), "log matching")
	})
	t.Run("committed entries differ", func(t *testing.T) {
		c := quietCluster(t)
		f := follower(c)
		wantCheckFailure(t, c, c.chk.noteCommitted(f, 2, 99), "committed entries differ")
	})
	t.Run("leader lacks a committed entry", func(t *testing.T) {
		c := quietCluster(t)
		l := c.leader()
		i := l.log.LastIndex() - 1
		c.chk.committed[i]++ // pretend a different entry was committed there
		c.chk.commitTerm[i] = 1
		wantCheckFailure(t, c, c.chk.checkLeaderComplete(l), "leader completeness")
	})
	t.Run("different state after the same index", func(t *testing.T) {
		c := quietCluster(t)
		f := follower(c)
		ents, err := f.log.Entries(f.applied, f.applied+1, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.kv.values[0]++ // this replica's state machine diverged
		wantCheckFailure(t, c, c.chk.onApply(f, ents[0]), "state machine safety")
	})
	t.Run("snapshot unlike applied state", func(t *testing.T) {
		c := quietCluster(t)
		f := follower(c)
		f.kv.values[0]++
		meta := raft.SnapshotMeta{Index: f.applied}
		wantCheckFailure(t, c, c.chk.onInstall(f, meta), "state machine safety")
	})
}
