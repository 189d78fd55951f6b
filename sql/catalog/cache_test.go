package catalog

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

func createTable(t *testing.T, store *memkv.Store, name string) {
	t.Helper()
	txn, err := store.Begin(kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := AllocID(txn)
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{ID: id, Name: name, Columns: []Column{{ID: 1, Name: "a", Type: types.Int8}},
		Primary: Index{ID: PrimaryIndexID, Name: name + "_pkey", Columns: []uint32{1}, Desc: []bool{false}}, NextColumn: 2, NextIndex: 2}
	if err := CreateTable(txn, tbl); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Commit(txn); err != nil {
		t.Fatal(err)
	}
}

func lookup(t *testing.T, store *memkv.Store, c *Cache, name string) *Table {
	t.Helper()
	txn, err := store.Begin(kv.TxnOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Abort(txn)
	tbl, err := LookupTable(c.Wrap(txn), name)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// TestCacheVersioned: hits within a version, a miss after any DDL.
func TestCacheVersioned(t *testing.T) {
	store := memkv.New()
	createTable(t, store, "a")
	c := NewCache()
	first := lookup(t, store, c, "a")
	if again := lookup(t, store, c, "a"); again != first || c.Hits != 1 {
		t.Fatalf("second lookup: same=%v hits=%d, want the cached descriptor", again == first, c.Hits)
	}
	createTable(t, store, "b") // any DDL bumps the version
	if next := lookup(t, store, c, "a"); next == first {
		t.Fatal("a descriptor cached under an older catalog version was served")
	}
}

// TestCacheDetectsMutation: with the invariants tag, modifying a cached
// descriptor (a caller breaking LookupTable's contract) panics at the
// next hit instead of leaking into later transactions.
func TestCacheDetectsMutation(t *testing.T) {
	if !invariantsOn {
		t.Skip("needs -tags invariants")
	}
	store := memkv.New()
	createTable(t, store, "a")
	c := NewCache()
	lookup(t, store, c, "a").Columns[0].Name = "mutated"
	defer func() {
		if recover() == nil {
			t.Fatal("a mutated cached descriptor was served without a panic")
		}
	}()
	lookup(t, store, c, "a")
}
