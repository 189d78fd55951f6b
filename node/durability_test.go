package node

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node/kv"
)

// A hard state that only advances Commit is not fsynced per Ready; the
// LSM syncs the raft log before a flush makes entries applied under it
// durable (lsmFS). This test crashes a follower right after each of its
// LSM flushes — the moment the durable applied index moves — and checks
// that it restarts with applied <= its durable commit. Writes are sparse
// so the commit of the last one reaches the follower alone (a commit-only
// hard state), which is when the flush can outrun the log's fsync.
func TestAppliedNotAheadOfDurableCommitAfterFlushCrash(t *testing.T) {
	c := newCluster(t, 17, 3, func(cfg *Config) { cfg.LSM.MemtableSizeBytes = 2 << 10 })
	lead := c.waitLeader()
	f, _ := followers(c, lead)
	crashes, writes := 0, 0
	// unsynced records, per crash, whether the log held an unsynced
	// commit when the flush came (lsmFS synced it): the window this test
	// is about.
	var unsynced []bool
	for round := 0; crashes < 6 && round < 5000; round++ {
		if writes < round/10 && c.live(lead) {
			writes++
			proposeAsync(c.nodes[lead], fmt.Sprintf("k%04d", writes), strings.Repeat("v", 200))
		}
		syncs := c.nodes[f].Metrics().LogSyncsForLSM
		if !c.stepUntilFlush(f) {
			continue
		}
		crashes++
		unsynced = append(unsynced, c.nodes[f].Metrics().LogSyncsForLSM > syncs)
		c.crash(f)
		c.restart(f) // stops at open if applied > durable commit
		n := c.nodes[f]
		applied, durable := n.st.Applied(), max(n.log.HardState().Commit, n.log.Snapshot().Index)
		if applied > durable {
			t.Fatalf("crash %d: node %d restarted with applied %d > durable commit %d", crashes, f, applied, durable)
		}
		if lead = c.waitLeader(); lead == f {
			f, _ = followers(c, lead)
		}
	}
	if crashes < 6 || !slices.Contains(unsynced, true) {
		t.Fatalf("%d flushes seen on the follower, unsynced commit at each: %v", crashes, unsynced)
	}
	c.converge()
}

// proposeAsync writes key=value through n without waiting for the outcome.
func proposeAsync(n *Node, key, value string) {
	n.Begin(kv.TxnOptions{}, func(txn *Txn, err error) {
		if err != nil {
			return
		}
		txn.Put([]byte(key), []byte(value))
		n.Commit(txn, func(kv.CommitResult, error) {})
	})
}

// stepUntilFlush runs one round like step, one input at a time, and stops
// as soon as node id's durable applied index moves (an LSM flush): it
// reports whether that happened. Undelivered messages stay queued.
func (c *cluster) stepUntilFlush(id uint64) bool {
	c.steps++
	flushed := func() func() bool {
		before := c.nodes[id].Status().DurableApplied
		return func() bool { return c.live(id) && c.nodes[id].Status().DurableApplied != before }
	}()
	q := c.queue
	c.queue = nil
	for i, m := range q {
		from, to := uint64(m.From), uint64(m.To)
		if c.isolated[from] || c.isolated[to] || c.nodes[to] == nil || c.nodes[from] == nil {
			continue
		}
		c.nodes[to].Receive(m)
		if to == id && flushed() {
			c.queue = append(q[i+1:], c.queue...)
			return true
		}
	}
	for _, nid := range c.ids {
		if n := c.nodes[nid]; n != nil {
			n.Tick()
			if nid == id && flushed() {
				return true
			}
		}
	}
	return false
}
