package node

import (
	"fmt"
	"testing"

	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
)

// TestTombstoneGCReplicasAgree: two replicas compact with tiny memtables
// and drop old tombstone values; the third never flushes, so it keeps them
// all. Their state checksums at the same index must still agree, and the
// deleted keys read absent through every replica.
func TestTombstoneGCReplicasAgree(t *testing.T) {
	c := newCluster(t, 7, 3, func(cfg *Config) {
		cfg.RetainedVersions = 20
		cfg.LSM = lsm.Options{MemtableSizeBytes: 4 << 10, SSTableSizeBytes: 8 << 10,
			BlockCacheSizeBytes: 64 << 10, L0CompactionTrigger: 1}
		if cfg.ID == 3 {
			cfg.LSM.MemtableSizeBytes = 64 << 20
		}
	})
	lead := c.waitLeader()
	const nKeys = 150
	for i := range nKeys {
		if _, err := c.put(lead, fmt.Sprintf("key%03d", i), fmt.Sprintf("value%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range nKeys {
		txn, err := c.begin(lead, kv.TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		txn.Delete([]byte(fmt.Sprintf("key%03d", i)))
		if _, err := c.commit(lead, txn); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 { // move past the window, with flushes on 1 and 2
		if _, err := c.put(lead, fmt.Sprintf("filler%03d", i%10), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	c.converge()
	drops := map[uint64]int64{}
	for _, id := range c.ids {
		drops[id] = c.nodes[id].Metrics().LSM.CompactionFilterDrops
		if got, err := c.get(id, "key042"); err != nil || got != "<none>" {
			t.Fatalf("node %d reads deleted key042 = %q, %v", id, got, err)
		}
	}
	t.Logf("tombstones dropped per node: %v", drops)
	if drops[1] == 0 || drops[2] == 0 || drops[3] != 0 {
		t.Fatalf("setup: want tombstones dropped on nodes 1 and 2 only, got %v", drops)
	}
}
