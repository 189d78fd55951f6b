package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// step drives one session's step to completion and returns its results.
func TestSerializationFailureThenRetry(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{}), NewSession(SessionConfig{})
	mustRun(t, a, store, "CREATE TABLE acct (id int PRIMARY KEY, bal int); INSERT INTO acct VALUES (1, 100), (2, 100)")
	mustRun(t, a, store, "BEGIN")
	mustRun(t, b, store, "BEGIN")
	mustRun(t, a, store, "UPDATE acct SET bal = bal - 10 WHERE id = 1")
	mustRun(t, b, store, "UPDATE acct SET bal = bal - 20 WHERE id = 1")
	mustRun(t, a, store, "COMMIT")
	rs := Run(b, store, "COMMIT")
	wantCode(t, rs, "40001")
	if b.InTransaction() != 'I' {
		t.Fatalf("after a failed COMMIT the session is %c, want I", b.InTransaction())
	}
	// The client retries the whole transaction, which now succeeds.
	mustRun(t, b, store, "BEGIN; UPDATE acct SET bal = bal - 20 WHERE id = 1; COMMIT")
	if got := dump(mustRun(t, a, store, "SELECT bal FROM acct WHERE id = 1")); got != "SELECT 1\n  70\n" {
		t.Fatalf("balance %s, want 70 (both transfers, once each)", got)
	}
	// Write skew is caught under SERIALIZABLE (the default) ...
	mustRun(t, a, store, "BEGIN; SELECT sum(bal) FROM acct")
	mustRun(t, b, store, "BEGIN; SELECT sum(bal) FROM acct")
	mustRun(t, a, store, "UPDATE acct SET bal = bal - 100 WHERE id = 1")
	mustRun(t, b, store, "UPDATE acct SET bal = bal - 100 WHERE id = 2")
	mustRun(t, a, store, "COMMIT")
	wantCode(t, Run(b, store, "COMMIT"), "40001")
	// ... and allowed under REPEATABLE READ (snapshot isolation).
	mustRun(t, a, store, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT sum(bal) FROM acct")
	mustRun(t, b, store, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT sum(bal) FROM acct")
	mustRun(t, a, store, "UPDATE acct SET bal = bal + 1 WHERE id = 1")
	mustRun(t, b, store, "UPDATE acct SET bal = bal + 1 WHERE id = 2")
	mustRun(t, a, store, "COMMIT")
	mustRun(t, b, store, "COMMIT")
	// An autocommit statement that loses a race reports 40001 too.
	mustRun(t, a, store, "BEGIN; UPDATE acct SET bal = 0 WHERE id = 2")
	step := b.Start("UPDATE acct SET bal = 5 WHERE id = 2")
	if step.Action != ActionBegin {
		t.Fatalf("autocommit starts with %v", step.Action)
	}
	txn, err := store.Begin(step.BeginOpts)
	step = b.ResumeBegin(txn, err)
	if step.Action != ActionCommit {
		t.Fatalf("autocommit then asks for %v", step.Action)
	}
	mustRun(t, a, store, "COMMIT")
	res, err := store.Commit(step.Txn)
	step = b.ResumeCommit(res, err)
	wantCode(t, step.Results, "40001")
}

func TestAbortedBlockUntilRollback(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	mustRun(t, s, store, "BEGIN; INSERT INTO t VALUES (1)")
	wantCode(t, Run(s, store, "INSERT INTO t VALUES (1)"), "23505")
	if s.InTransaction() != 'E' {
		t.Fatalf("status %c, want E", s.InTransaction())
	}
	for _, q := range []string{"SELECT 1", "INSERT INTO t VALUES (2)", "SAVEPOINT x", "SHOW TimeZone", "SET application_name = 'x'"} {
		wantCode(t, Run(s, store, q), "25P02")
	}
	// COMMIT of an aborted block rolls back, with the ROLLBACK tag.
	if got := dump(Run(s, store, "COMMIT")); got != "ROLLBACK\n" {
		t.Fatalf("COMMIT in an aborted block: %s", got)
	}
	if got := dump(mustRun(t, s, store, "SELECT count(*) FROM t")); got != "SELECT 1\n  0\n" {
		t.Fatalf("the aborted block's insert survived: %s", got)
	}
	// ROLLBACK also ends it; the rest of a multi-statement string is skipped.
	rs := Run(s, store, "BEGIN; SELECT 1/0; SELECT 2")
	if len(rs) != 2 || rs[1].Err == nil || s.InTransaction() != 'E' {
		t.Fatalf("multi-statement after an error: %s", dump(rs))
	}
	if got := dump(Run(s, store, "ROLLBACK; SELECT 3")); got != "ROLLBACK\nSELECT 1\n  3\n" {
		t.Fatalf("ROLLBACK: %s", got)
	}
}

func TestSavepoints(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	rs := mustRun(t, s, store, `BEGIN; INSERT INTO t VALUES (1); SAVEPOINT one; INSERT INTO t VALUES (2);
		SAVEPOINT two; INSERT INTO t VALUES (3); ROLLBACK TO SAVEPOINT one; INSERT INTO t VALUES (4);
		SELECT a FROM t ORDER BY a`)
	if got := dump(rs[len(rs)-1:]); got != "SELECT 2\n  1\n  4\n" {
		t.Fatalf("ROLLBACK TO undid the wrong writes: %s", got)
	}
	// The savepoint survives ROLLBACK TO; two was dropped with it.
	wantCode(t, Run(s, store, "RELEASE SAVEPOINT two"), "3B001")
	mustRun(t, s, store, "ROLLBACK")
	mustRun(t, s, store, `BEGIN; SAVEPOINT a; INSERT INTO t VALUES (10); RELEASE a; SAVEPOINT b; INSERT INTO t VALUES (11);
		ROLLBACK TO b; INSERT INTO t VALUES (12); COMMIT`)
	if got := dump(mustRun(t, s, store, "SELECT a FROM t ORDER BY a")); got != "SELECT 2\n  10\n  12\n" {
		t.Fatalf("after RELEASE and ROLLBACK TO: %s", got)
	}
	// ROLLBACK TO recovers an aborted block, keeping the earlier writes.
	mustRun(t, s, store, "BEGIN; INSERT INTO t VALUES (20); SAVEPOINT s")
	wantCode(t, Run(s, store, "INSERT INTO t VALUES (20)"), "23505")
	mustRun(t, s, store, "ROLLBACK TO SAVEPOINT s; INSERT INTO t VALUES (21); COMMIT")
	if got := dump(mustRun(t, s, store, "SELECT a FROM t WHERE a >= 20 ORDER BY a")); got != "SELECT 2\n  20\n  21\n" {
		t.Fatalf("after recovering with ROLLBACK TO: %s", got)
	}
	wantCode(t, Run(s, store, "SAVEPOINT outside"), "25P01")
}

func TestReadOnlyTransactions(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY); INSERT INTO t VALUES (1)")
	mustRun(t, s, store, "BEGIN READ ONLY")
	if got := dump(mustRun(t, s, store, "SELECT a FROM t; SHOW transaction_read_only")); got != "SELECT 1\n  1\nSHOW\n  on\n" {
		t.Fatalf("read-only block: %s", got)
	}
	wantCode(t, Run(s, store, "INSERT INTO t VALUES (2)"), "25006")
	mustRun(t, s, store, "ROLLBACK")
	wantCode(t, Run(s, store, "START TRANSACTION READ ONLY; CREATE TABLE u (x int)"), "25006")
	mustRun(t, s, store, "ROLLBACK")
	mustRun(t, s, store, "SET default_transaction_read_only = on")
	wantCode(t, Run(s, store, "DELETE FROM t"), "25006")
	mustRun(t, s, store, "SET default_transaction_read_only = off")
	mustRun(t, s, store, "DELETE FROM t")
}
