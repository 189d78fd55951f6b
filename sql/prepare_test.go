package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

// mustRun runs q and fails the test on any error result.
func mustRun(t *testing.T, s *Session, store *memkv.Store, q string) []Result {
	t.Helper()
	rs := Run(s, store, q)
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("%s: %s %s", q, r.Err.Code, r.Err.Message)
		}
	}
	return rs
}

// wantCode fails unless rs holds an error with SQLSTATE code.
func wantCode(t *testing.T, rs []Result, code string) {
	t.Helper()
	for _, r := range rs {
		if r.Err != nil {
			if r.Err.Code != code {
				t.Fatalf("got %s (%s), want %s", r.Err.Code, r.Err.Message, code)
			}
			return
		}
	}
	t.Fatalf("no error, want %s; results %s", code, dump(rs))
}

func typeOIDs(ts []types.T) []types.OID {
	out := make([]types.OID, len(ts))
	for i, t := range ts {
		out[i] = t.OID
	}
	return out
}

func TestPrepareDescribesWithoutExecuting(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY, b text, c numeric(6,2))")

	p, err := Prepare(s, store, "INSERT INTO t VALUES ($1, $2, $3) RETURNING c", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := typeOIDs(p.ParamTypes); len(got) != 3 || got[0] != types.OIDInt4 || got[1] != types.OIDText || got[2] != types.OIDNumeric {
		t.Fatalf("param types %v", got)
	}
	if len(p.Columns) != 1 || p.Columns[0].Name != "c" || p.Columns[0].T.OID != types.OIDNumeric {
		t.Fatalf("columns %+v", p.Columns)
	}
	if rs := mustRun(t, s, store, "SELECT count(*) FROM t"); dump(rs) != "SELECT 1\n  0\n" {
		t.Fatalf("Prepare executed the INSERT: %s", dump(rs))
	}
	for i := int64(1); i <= 2; i++ {
		rs := Execute(s, store, p, []types.Datum{types.DInt(i), types.DString("x"), types.Null}, nil)
		if dump(rs) != "INSERT 0 1\n  NULL\n" {
			t.Fatalf("execute %d: %s", i, dump(rs))
		}
	}
	sel, err := Prepare(s, store, "SELECT b, a + $1 AS n FROM t WHERE a = $2", []types.OID{types.OIDInt8})
	if err != nil {
		t.Fatal(err)
	}
	if got := typeOIDs(sel.ParamTypes); got[0] != types.OIDInt8 || got[1] != types.OIDInt4 {
		t.Fatalf("client-given type not kept: %v", got)
	}
	if sel.Columns[0].Name != "b" || sel.Columns[1].T.OID != types.OIDInt8 {
		t.Fatalf("columns %+v", sel.Columns)
	}
	if rs := Execute(s, store, sel, []types.Datum{types.DInt(10), types.DInt(2)}, nil); dump(rs) != "SELECT 1\n  x|12\n" {
		t.Fatalf("select: %s", dump(rs))
	}
	untyped, err := Prepare(s, store, "SELECT $1", nil)
	if err != nil || untyped.ParamTypes[0].OID != types.OIDText {
		t.Fatalf("an unconstrained parameter is text: %+v %v", untyped, err)
	}
}

func TestPrepareErrors(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	for _, c := range []struct{ q, code string }{
		{"SELECT 1; SELECT 2", "42601"},
		{"SELECT * FROM missing", "42P01"},
		{"SELEC 1", "42601"},
	} {
		if _, err := Prepare(s, store, c.q, nil); err == nil || err.Code != c.code {
			t.Errorf("Prepare(%q) = %v, want %s", c.q, err, c.code)
		}
	}
	if _, err := Prepare(s, store, "SELECT $1", []types.OID{999999}); err == nil {
		t.Errorf("an unknown parameter type OID was accepted")
	}
	p, err := Prepare(s, store, "SELECT a FROM t WHERE a = $1", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, Execute(s, store, p, nil, nil), "08P01")
	// The table changes shape: the described columns no longer hold.
	star, err := Prepare(s, store, "SELECT * FROM t", nil)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, s, store, "ALTER TABLE t ADD COLUMN b int")
	wantCode(t, Execute(s, store, star, nil, nil), "0A000")

	// A failed Parse inside a block aborts it, as in PostgreSQL.
	mustRun(t, s, store, "BEGIN")
	if _, err := Prepare(s, store, "SELECT * FROM missing", nil); err == nil {
		t.Fatal("no error")
	}
	if s.InTransaction() != 'E' {
		t.Fatalf("status %c after a failed Parse in a block, want E", s.InTransaction())
	}
	if _, err := Prepare(s, store, "SELECT 1", nil); err == nil || err.Code != "25P02" {
		t.Fatalf("Prepare in an aborted block: %v", err)
	}
	rb, err := Prepare(s, store, "ROLLBACK", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs := Execute(s, store, rb, nil, nil); dump(rs) != "ROLLBACK\n" || s.InTransaction() != 'I' {
		t.Fatalf("prepared ROLLBACK: %s status %c", dump(rs), s.InTransaction())
	}
}

func TestPreparedTransactionControl(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	prep := func(q string) *Prepared {
		p, err := Prepare(s, store, q, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return p
	}
	begin, commit, ins := prep("BEGIN"), prep("COMMIT"), prep("INSERT INTO t VALUES ($1)")
	show := prep("SHOW TimeZone")
	if len(show.Columns) != 1 || show.Columns[0].Name != "TimeZone" {
		t.Fatalf("SHOW described as %+v", show.Columns)
	}
	if rs := Execute(s, store, begin, nil, nil); dump(rs) != "BEGIN\n" || s.InTransaction() != 'T' {
		t.Fatalf("BEGIN: %s %c", dump(rs), s.InTransaction())
	}
	// Prepared inside the block: sees the block's own uncommitted DDL.
	mustRun(t, s, store, "CREATE TABLE u (x text)")
	if _, err := Prepare(s, store, "SELECT x FROM u", nil); err != nil {
		t.Fatalf("prepare in block: %v", err)
	}
	Execute(s, store, ins, []types.Datum{types.DInt(7)}, nil)
	if rs := Execute(s, store, commit, nil, nil); dump(rs) != "COMMIT\n" || s.InTransaction() != 'I' {
		t.Fatalf("COMMIT: %s %c", dump(rs), s.InTransaction())
	}
	if rs := mustRun(t, s, store, "SELECT a FROM t"); dump(rs) != "SELECT 1\n  7\n" {
		t.Fatalf("after commit: %s", dump(rs))
	}
	empty := prep("")
	if !empty.Empty() || len(Execute(s, store, empty, nil, nil)) != 0 {
		t.Fatalf("empty query")
	}
}

// TestPrepareStepsOutsideBlock checks the sans-IO shape: describing
// outside a block borrows a read-only transaction and gives it back.
func TestPrepareStepsOutsideBlock(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	step := s.StartPrepare("SELECT a FROM t", nil)
	if step.Action != ActionBegin || !step.BeginOpts.ReadOnly {
		t.Fatalf("first action %v %+v, want a read-only begin", step.Action, step.BeginOpts)
	}
	txn, err := store.Begin(step.BeginOpts)
	if err != nil {
		t.Fatal(err)
	}
	step = s.ResumeBegin(txn, err)
	if step.Action != ActionAbort || step.Txn != txn {
		t.Fatalf("second action %v, want abort of the describing txn", step.Action)
	}
	store.Abort(txn)
	step = s.ResumeAbort()
	if step.Action != ActionDone || step.Prepared == nil || len(step.Prepared.Columns) != 1 {
		t.Fatalf("done: %+v", step)
	}
}
