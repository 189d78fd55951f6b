package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/mvcc"
)

// bigLSM keeps a 70,000-key test from spending its time in tiny flushes.
func bigLSM(cfg *Config) {
	cfg.LSM = lsm.Options{MemtableSizeBytes: 4 << 20, SSTableSizeBytes: 4 << 20, BlockCacheSizeBytes: 1 << 20}
}

func rowKey(i int) []byte { return fmt.Appendf(nil, "/t/1/%08d", i) }

// loadRows commits rows [from, to) in one transaction through node id.
func loadRows(t *testing.T, c *cluster, id uint64, from, to int) {
	t.Helper()
	txn, err := c.begin(id, kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		if err := txn.Put(rowKey(i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.commit(id, txn); err != nil {
		t.Fatalf("load [%d,%d): %v", from, to, err)
	}
}

// TestTruncateOfManyRowsDoesNotCrashLoop reproduces the pgbench crash
// loop: two loads of 35,000 rows and a TRUNCATE (one DeleteRange over the
// 70,000 keys). The DeleteRange used to become one tombstone per key, an
// LSM batch over its op limit and a panic while applying the committed
// entry, on every replica and again after every restart. Now every
// replica applies it, including one restarted from a crash that replays
// it from the log.
func TestTruncateOfManyRowsDoesNotCrashLoop(t *testing.T) {
	const rows = 70_000
	c := newCluster(t, 1, 3, bigLSM)
	lead := c.waitLeader()
	loadRows(t, c, lead, 0, rows/2)
	loadRows(t, c, lead, rows/2, rows)
	txn, err := c.begin(lead, kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.DeleteRange([]byte("/t/1/"), []byte("/t/10")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.commit(lead, txn); err != nil {
		t.Fatalf("truncate: %v", err)
	}
	follower := c.ids[0]
	if follower == lead {
		follower = c.ids[1]
	}
	c.crash(follower)
	c.restart(follower)
	c.converge()
	for _, id := range c.ids {
		if got, err := c.get(id, string(rowKey(rows/2))); err != nil || got != "<none>" {
			t.Fatalf("node %d reads a truncated row: %q %v", id, got, err)
		}
	}
	if m := c.nodes[lead].Metrics(); m.Apply.RangeDeletes != 1 {
		t.Fatalf("apply counters %+v", m.Apply)
	}
}

// TestOversizedCommitRejectedBeforeProposing: a commit over
// MaxCommitBytes, or over the per-commit write limit, fails with
// kv.ErrTooLarge at the gateway and never reaches the log.
func TestOversizedCommitRejectedBeforeProposing(t *testing.T) {
	c := newCluster(t, 2, 3, func(cfg *Config) { cfg.MaxCommitBytes = 4 << 10 })
	lead := c.waitLeader()
	c.converge()
	before := c.nodes[lead].Status().Commit

	txn, err := c.begin(lead, kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		txn.Put(rowKey(i), make([]byte, 100)) // ~11 KiB encoded
	}
	if _, err := c.commit(lead, txn); !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("commit over MaxCommitBytes: %v", err)
	}

	txn, err = c.begin(lead, kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range mvcc.WritesMax {
		if err := txn.Delete(rowKey(i % 10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Delete(rowKey(0)); !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("write past WritesMax: %v", err)
	}
	txn.finish()

	for range 50 {
		c.step()
	}
	if after := c.nodes[lead].Status().Commit; after != before {
		t.Fatalf("an oversized commit reached the log: commit index %d → %d", before, after)
	}
	if m := c.nodes[lead].Metrics(); m.CommitsTooLarge != 1 {
		t.Fatalf("CommitsTooLarge %d", m.CommitsTooLarge)
	}
	// A commit under the limit still goes through.
	if _, err := c.put(lead, "k", "v"); err != nil {
		t.Fatal(err)
	}
}

// TestOversizedCommitEntryAbortsOnEveryReplica: an entry no gateway would
// propose (over the per-commit write limit) is applied as an abort, the
// same on every replica; none panics or stops.
func TestOversizedCommitEntryAbortsOnEveryReplica(t *testing.T) {
	c := newCluster(t, 3, 3, bigLSM)
	lead := c.waitLeader()
	n := c.nodes[lead]
	cm := &mvcc.Commit{ID: mvcc.ReqID{Node: 99, Seq: 1}, ReadVersion: n.Status().Applied}
	for i := range mvcc.CommitWritesMax + 1 {
		cm.Writes = append(cm.Writes, mvcc.Write{Kind: mvcc.WritePut, Key: rowKey(i), Value: []byte("x")})
	}
	if err := n.rn.Propose(cm.Encode()); err != nil {
		t.Fatal(err)
	}
	c.converge()
	for _, id := range c.ids {
		if !c.live(id) {
			t.Fatalf("node %d stopped: %v", id, c.nodes[id].Stopped())
		}
		if m := c.nodes[id].Metrics(); m.Apply.TooLarge != 1 {
			t.Fatalf("node %d apply counters %+v", id, m.Apply)
		}
		if got, err := c.get(id, string(rowKey(0))); err != nil || got != "<none>" {
			t.Fatalf("node %d: oversized commit wrote %q %v", id, got, err)
		}
	}
}

func TestMaxCommitBytesValidated(t *testing.T) {
	c := newCluster(t, 4, 1, nil)
	c.nodes[1].Close()
	cfg := c.config(1, []uint64{1})
	cfg.MaxCommitBytes = MaxCommitBytesLimit + 1
	if _, err := Open(cfg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxCommitBytes") {
		t.Fatalf("MaxCommitBytes over the limit: %v", err)
	}
	cfg.MaxCommitBytes = MaxCommitBytesLimit
	n, err := Open(cfg)
	if err != nil {
		t.Fatalf("MaxCommitBytes at the limit: %v", err)
	}
	c.nodes[1] = n
}
