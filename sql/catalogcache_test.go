package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// TestCatalogCacheFollowsOtherSessionsDDL: session a caches t's
// descriptor, session b changes, drops and recreates t; every autocommit
// statement of a sees the catalog as of its own transaction.
func TestCatalogCacheFollowsOtherSessionsDDL(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{User: "u"}), NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10)")
	mustRun(t, a, store, "SELECT * FROM t")
	mustRun(t, a, store, "SELECT * FROM t")
	if a.cat.Hits == 0 {
		t.Fatalf("the second SELECT did not hit the cache (hits=%d misses=%d)", a.cat.Hits, a.cat.Misses)
	}
	mustRun(t, b, store, "ALTER TABLE t ADD COLUMN w int DEFAULT 5")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1|10|5\n")
	mustRun(t, a, store, "INSERT INTO t VALUES (2, 20, 7)")
	mustRun(t, b, store, "DROP TABLE t; CREATE TABLE t (k text PRIMARY KEY)")
	wantDump(t, mustRun(t, a, store, "INSERT INTO t VALUES ('x'); SELECT * FROM t"), "INSERT 0 1\nSELECT 1\n  x\n")
	mustRun(t, b, store, "DROP TABLE t")
	wantCode(t, Run(a, store, "SELECT * FROM t"), "42P01")
}

// TestCatalogCacheSnapshotAndConflict: a transaction keeps the catalog of
// its read version while another session's DDL commits, and its commit
// then fails with 40001 if it wrote (it used a descriptor that is no
// longer current).
func TestCatalogCacheSnapshotAndConflict(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{User: "u"}), NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10)")
	mustRun(t, a, store, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM t")
	mustRun(t, b, store, "ALTER TABLE t ADD COLUMN w int DEFAULT 5")
	// b's session caches the new version; a must still see the old shape.
	wantDump(t, mustRun(t, b, store, "SELECT * FROM t"), "SELECT 1\n  1|10|5\n")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1|10\n")
	mustRun(t, a, store, "COMMIT")
	// Serializable writer racing a schema change: the index it did not
	// know about would miss its row, so it must not commit.
	mustRun(t, a, store, "BEGIN; INSERT INTO t VALUES (2, 20, 0)")
	mustRun(t, b, store, "CREATE UNIQUE INDEX t_v ON t (v)")
	wantCode(t, Run(a, store, "COMMIT"), "40001")
	// The same under REPEATABLE READ: the version read conflicts with
	// the DDL's write of it only under SERIALIZABLE, so check the index
	// is complete instead.
	mustRun(t, a, store, "INSERT INTO t VALUES (3, 30, 0)")
	wantCode(t, Run(b, store, "INSERT INTO t VALUES (4, 30, 0)"), "23505")
}

// TestCatalogCacheOwnDDL: a transaction's own DDL is visible to its later
// statements, and after ROLLBACK nothing of it is cached.
func TestCatalogCacheOwnDDL(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{User: "u"}), NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
	mustRun(t, a, store, "SELECT * FROM t")
	mustRun(t, a, store, "BEGIN; SELECT * FROM t; ALTER TABLE t ADD COLUMN x int DEFAULT 9")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1|9\n")
	mustRun(t, a, store, "ROLLBACK")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1\n")
	// DDL in a savepoint rolled back: still the uncommitted path, still right.
	mustRun(t, a, store, "BEGIN; SAVEPOINT s; ALTER TABLE t ADD COLUMN y int; ROLLBACK TO SAVEPOINT s")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1\n")
	mustRun(t, a, store, "COMMIT")
	// Committed DDL of a's own is seen by b and by a's next transaction.
	mustRun(t, a, store, "BEGIN; ALTER TABLE t ADD COLUMN z int DEFAULT 3; COMMIT")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1|3\n")
	wantDump(t, mustRun(t, b, store, "SELECT * FROM t"), "SELECT 1\n  1|3\n")
}

func wantDump(t *testing.T, rs []Result, want string) {
	t.Helper()
	if got := dump(rs); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
