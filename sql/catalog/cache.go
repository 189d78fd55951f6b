package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/lineradb/lineradb/node/kv"
)

// versionKey holds the catalog version: a counter that every transaction
// changing a name or a table descriptor bumps (bumpVersion), so the
// catalog's content is a function of the counter's committed value. Two
// concurrent schema changes both read and write it, so one of them
// aborts (40001) under either isolation level.
var versionKey = []byte("/meta/version")

// CacheTablesMax bounds the descriptors one Cache holds; past it, lookups
// of further tables go to the KV store (and decode) every time.
const CacheTablesMax = 256

// Version reads the catalog version through txn (0 if no schema change
// ever committed).
func Version(txn kv.Txn) (uint64, error) {
	b, ok, err := txn.Get(versionKey)
	if err != nil || !ok {
		return 0, err
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("catalog: corrupt version counter %q: %w", b, err)
	}
	return v, nil
}

// bumpVersion increments the catalog version in txn. Every write of a
// /meta/name/ or /meta/table/ key calls it: that is what makes cached
// descriptors safe to key by version.
func bumpVersion(txn kv.Txn) error {
	v, err := Version(txn)
	if err != nil {
		return err
	}
	return txn.Put(versionKey, []byte(strconv.FormatUint(v+1, 10)))
}

// Cache holds decoded table descriptors of one catalog version. It is
// owned by one session (one goroutine) and outlives its transactions;
// each transaction reaches it through a View.
//
// Invariants: every entry was read at catalog version `version` by a
// transaction that had not changed the catalog; entries are never
// mutated (callers of LookupTable promise it; the invariants build
// re-encodes each hit to check).
type Cache struct {
	version uint64
	tables  map[string]cacheEntry
	// Hits and Misses count LookupTable calls served from the cache and
	// from the KV store (tests and benchmarks read them).
	Hits, Misses uint64
}

type cacheEntry struct {
	t   *Table
	enc []byte // the descriptor's JSON, kept only with invariantsOn
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{tables: map[string]cacheEntry{}} }

// View is a kv.Txn that reads descriptors through a Cache for one
// transaction. It reads the catalog version once (joining the read set,
// so a schema change committed after the transaction's read version
// aborts it at commit like a changed descriptor would); after the
// transaction writes the catalog version itself (any DDL), it bypasses
// the cache, since its descriptors are its own uncommitted ones.
type View struct {
	kv.Txn
	cache       *Cache
	versionRead bool
	version     uint64
	dirty       bool // this transaction changed the catalog
}

// Wrap returns txn with the cache in front of its descriptor reads.
func (c *Cache) Wrap(txn kv.Txn) *View { return &View{Txn: txn, cache: c} }

// Put marks the view dirty when it writes the catalog version.
func (v *View) Put(key, value []byte) error {
	v.noteWrite(key)
	return v.Txn.Put(key, value)
}

// Delete marks the view dirty when it deletes the catalog version.
func (v *View) Delete(key []byte) error {
	v.noteWrite(key)
	return v.Txn.Delete(key)
}

// DeleteRange marks the view dirty when the range covers the version.
func (v *View) DeleteRange(start, end []byte) error {
	if bytes.Compare(start, versionKey) <= 0 && (end == nil || bytes.Compare(versionKey, end) < 0) {
		v.dirty = true
	}
	return v.Txn.DeleteRange(start, end)
}

func (v *View) noteWrite(key []byte) {
	if bytes.Equal(key, versionKey) {
		v.dirty = true
	}
}

// CatalogVersion returns the catalog version the transaction reads, and
// false if the transaction changed the catalog (its own version is not
// a committed one, and nothing may be cached under it).
func (v *View) CatalogVersion() (uint64, bool, error) {
	if v.dirty {
		return 0, false, nil
	}
	if !v.versionRead {
		ver, err := Version(v.Txn)
		if err != nil {
			return 0, false, err
		}
		v.version, v.versionRead = ver, true
	}
	return v.version, !v.dirty, nil
}

// LookupTable is GetTable for callers that never modify the descriptor:
// through a View it may return a shared, cached one. DDL, which edits
// the descriptor it read, must use GetTable.
func LookupTable(txn kv.Txn, name string) (*Table, error) {
	v, ok := txn.(*View)
	if !ok {
		return GetTable(txn, name)
	}
	return v.lookupTable(name)
}

func (v *View) lookupTable(name string) (*Table, error) {
	ver, ok, err := v.CatalogVersion()
	if err != nil {
		return nil, err
	}
	c := v.cache
	if !ok || ver < c.version {
		// Our own DDL, or an older snapshot than the cache's: read through.
		c.Misses++
		return GetTable(v.Txn, name)
	}
	if ver > c.version {
		c.version, c.tables = ver, map[string]cacheEntry{}
	}
	if e, hit := c.tables[name]; hit {
		c.Hits++
		e.check()
		return e.t, nil
	}
	c.Misses++
	t, err := GetTable(v.Txn, name)
	if err != nil || t == nil || len(c.tables) >= CacheTablesMax {
		return t, err
	}
	e := cacheEntry{t: t}
	if invariantsOn {
		e.enc = mustJSON(t)
	}
	c.tables[name] = e
	return t, nil
}

// check proves (with invariantsOn) that nobody mutated a cached
// descriptor: a mutation would leak into every later transaction.
func (e cacheEntry) check() {
	if invariantsOn && !bytes.Equal(mustJSON(e.t), e.enc) {
		panic(fmt.Sprintf("catalog: cached descriptor of %q was modified", e.t.Name))
	}
}

func mustJSON(t *Table) []byte {
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("catalog: descriptor does not encode: %v", err))
	}
	return b
}
