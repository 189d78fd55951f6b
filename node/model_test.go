package node

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"pgregory.net/rapid"
)

// modelTxn pairs a transaction on the cluster with its twin in memkv.
type modelTxn struct {
	node uint64
	real *Txn
	ref  kv.Txn
}

// TestModelAgainstMemkv drives random interleaved transactions, one
// operation at a time, through a 3-node cluster and through memkv, and
// requires the same read results and the same commit/abort decisions —
// except that the node may abort, conservatively, a commit a logged range
// deletion overlaps (see package mvcc), never commit one memkv aborts.
func TestModelAgainstMemkv(t *testing.T) {
	var commits, aborts, conservative int
	defer func() {
		// The workload must exercise both decisions, or it proves little.
		if !t.Failed() && (commits == 0 || aborts == 0) {
			t.Fatalf("commits %d aborts %d: workload too tame", commits, aborts)
		}
		t.Logf("commits %d, serialization aborts %d (%d by the range-deletion log)", commits, aborts, conservative)
	}()
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64Range(1, 1<<20).Draw(rt, "seed")
		c := newCluster(t, seed, 3, nil)
		c.waitLeader()
		ref := memkv.New()
		var open []*modelTxn
		keyGen := rapid.SampledFrom([]string{"a", "b", "c", "d", "e"})
		value := func() []byte { return fmt.Appendf(nil, "v%d", rapid.IntRange(0, 99).Draw(rt, "value")) }
		pick := func() *modelTxn { return open[rapid.IntRange(0, len(open)-1).Draw(rt, "txn")] }
		ops := rapid.IntRange(10, 60).Draw(rt, "ops")
		for range ops {
			if len(open) == 0 || (len(open) < 4 && rapid.IntRange(0, 4).Draw(rt, "begin?") == 0) {
				opts := kv.TxnOptions{Isolation: kv.Isolation(rapid.IntRange(0, 1).Draw(rt, "iso"))}
				id := uint64(rapid.IntRange(1, 3).Draw(rt, "node"))
				real, err := c.begin(id, opts)
				if err != nil {
					rt.Fatalf("begin on %d: %v", id, err)
				}
				rtx, _ := ref.Begin(opts)
				open = append(open, &modelTxn{node: id, real: real, ref: rtx})
				continue
			}
			m := pick()
			switch op := rapid.IntRange(0, 6).Draw(rt, "op"); op {
			case 0:
				k := []byte(keyGen.Draw(rt, "key"))
				v1, ok1, err1 := m.real.Get(k)
				v2, ok2, err2 := m.ref.Get(k)
				if !bytes.Equal(v1, v2) || ok1 != ok2 || (err1 == nil) != (err2 == nil) {
					rt.Fatalf("get %s: node %q %v %v, memkv %q %v %v", k, v1, ok1, err1, v2, ok2, err2)
				}
			case 1:
				s, e := keyGen.Draw(rt, "start"), keyGen.Draw(rt, "end")
				var end []byte
				if e != "e" {
					end = []byte(e)
				}
				limit, rev := rapid.IntRange(0, 3).Draw(rt, "limit"), rapid.Bool().Draw(rt, "reverse")
				r1, err1 := m.real.Scan([]byte(s), end, limit, rev)
				r2, err2 := m.ref.Scan([]byte(s), end, limit, rev)
				if fmt.Sprint(r1) != fmt.Sprint(r2) || (err1 == nil) != (err2 == nil) {
					rt.Fatalf("scan [%s,%s) %d %v: node %s %v, memkv %s %v", s, end, limit, rev, r1, err1, r2, err2)
				}
			case 2, 3:
				k, v := []byte(keyGen.Draw(rt, "key")), value()
				m.real.Put(k, v)
				m.ref.Put(k, v)
			case 4:
				if rapid.Bool().Draw(rt, "range?") {
					s, e := []byte(keyGen.Draw(rt, "start")), []byte(keyGen.Draw(rt, "end"))
					m.real.DeleteRange(s, e)
					m.ref.DeleteRange(s, e)
				} else {
					k := []byte(keyGen.Draw(rt, "key"))
					m.real.Delete(k)
					m.ref.Delete(k)
				}
			case 5:
				logHits := c.nodes[m.node].Metrics().Apply.RangeDeleteConflicts
				res1, err1 := c.commit(m.node, m.real)
				if errors.Is(err1, kv.ErrSerialization) && c.nodes[m.node].Metrics().Apply.RangeDeleteConflicts > logHits {
					// The range-deletion log is conservative: it
					// cannot tell whether a range deleted the key
					// read, so the node may abort where memkv
					// commits. The reverse (a missed conflict) stays
					// a failure below.
					ref.Abort(m.ref)
					conservative++
					aborts++
					open = remove(open, m)
					continue
				}
				res2, err2 := ref.Commit(m.ref)
				if !errors.Is(err1, err2) && (err1 != nil || err2 != nil) {
					rt.Fatalf("commit: node %v, memkv %v", err1, err2)
				}
				if res1.Version != 0 {
					commits++
				}
				if errors.Is(err1, kv.ErrSerialization) {
					aborts++
				}
				if (res1.Version == 0) != (res2.Version == 0) {
					rt.Fatalf("commit versions: node %d, memkv %d", res1.Version, res2.Version)
				}
				open = remove(open, m)
			case 6:
				c.nodes[m.node].Abort(m.real)
				ref.Abort(m.ref)
				open = remove(open, m)
			}
		}
		for _, m := range open {
			c.nodes[m.node].Abort(m.real)
		}
		c.converge()
	})
}

func remove(s []*modelTxn, m *modelTxn) []*modelTxn {
	out := s[:0]
	for _, x := range s {
		if x != m {
			out = append(out, x)
		}
	}
	return out
}
