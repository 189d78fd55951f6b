package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

func mustPrepare(t *testing.T, s *Session, store *memkv.Store, q string) *Prepared {
	t.Helper()
	p, err := Prepare(s, store, q, nil)
	if err != nil {
		t.Fatalf("prepare %s: %s %s", q, err.Code, err.Message)
	}
	return p
}

// TestPlanReusedWhileCatalogUnchanged: the second execution runs the
// first one's plan; DDL from another session makes the next one replan.
func TestPlanReusedWhileCatalogUnchanged(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{User: "u"}), NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10), (2, 20)")
	p := mustPrepare(t, a, store, "SELECT v FROM t WHERE id = $1")
	wantDump(t, Execute(a, store, p, []types.Datum{types.DInt(1)}, nil), "SELECT 1\n  10\n")
	first := p.cache.plan
	wantDump(t, Execute(a, store, p, []types.Datum{types.DInt(2)}, nil), "SELECT 1\n  20\n")
	if first == nil || p.cache.plan != first {
		t.Fatal("the second execution did not reuse the first one's plan")
	}
	mustRun(t, b, store, "CREATE INDEX t_v ON t (v)")
	wantDump(t, Execute(a, store, p, []types.Datum{types.DInt(2)}, nil), "SELECT 1\n  20\n")
	if p.cache.plan == first {
		t.Fatal("a plan from an older catalog version was reused")
	}
}

// TestPlanReplannedAfterDDL: a prepared INSERT enforces a CHECK and a
// unique index added after its plan was cached (by another session, and
// by its own transaction), and a changed result type still fails 0A000.
func TestPlanReplannedAfterDDL(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{User: "u"}), NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE t (id int PRIMARY KEY, v int)")
	ins := mustPrepare(t, a, store, "INSERT INTO t VALUES ($1, $2)")
	exec := func(id, v int64) []Result {
		return Execute(a, store, ins, []types.Datum{types.DInt(id), types.DInt(v)}, nil)
	}
	wantDump(t, exec(1, 10), "INSERT 0 1\n")
	wantDump(t, exec(2, 20), "INSERT 0 1\n")
	mustRun(t, b, store, "ALTER TABLE t ADD CONSTRAINT small CHECK (v < 100)")
	wantCode(t, exec(3, 300), "23514")
	mustRun(t, b, store, "CREATE UNIQUE INDEX t_v ON t (v)")
	wantCode(t, exec(4, 10), "23505")
	// The transaction's own DDL: the cached plan predates it.
	wantDump(t, exec(5, 50), "INSERT 0 1\n")
	mustRun(t, a, store, "BEGIN; ALTER TABLE t ADD CONSTRAINT even CHECK (v % 2 = 0)")
	wantCode(t, exec(6, 61), "23514")
	mustRun(t, a, store, "ROLLBACK")
	wantDump(t, exec(6, 61), "INSERT 0 1\n")

	sel := mustPrepare(t, a, store, "SELECT * FROM t WHERE id = $1")
	Execute(a, store, sel, []types.Datum{types.DInt(1)}, nil)
	mustRun(t, b, store, "ALTER TABLE t ADD COLUMN w int")
	wantCode(t, Execute(a, store, sel, []types.Datum{types.DInt(1)}, nil), "0A000")
}

// TestPlanFollowsTimeZone: literals are parsed in the session's time
// zone at plan time, so SET TimeZone must not reuse the plan.
func TestPlanFollowsTimeZone(t *testing.T) {
	store := memkv.New()
	a := NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE z (id int PRIMARY KEY)")
	p := mustPrepare(t, a, store, "SELECT extract(epoch FROM '2020-01-01 00:00:00'::timestamptz)::int FROM z")
	mustRun(t, a, store, "INSERT INTO z VALUES (1)")
	utc := dump(Execute(a, store, p, nil, nil))
	mustRun(t, a, store, "SET TimeZone = 'Europe/Paris'")
	paris := dump(Execute(a, store, p, nil, nil))
	if utc == paris {
		t.Fatalf("same result in UTC and Europe/Paris: %s", utc)
	}
}
