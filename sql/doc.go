// Package sql is LineraDB's SQL front end: a sans-IO Session that turns
// query strings into results over the transactional KV API.
//
// The session never begins or commits a kv transaction itself: both are
// asynchronous in the replicated store (ReadIndex, Raft), so the session
// asks its driver to do them and is resumed with the outcome:
//
//	s := sql.NewSession(sql.SessionConfig{Clock: clk, Database: "lineradb", User: "app"})
//	step := s.Start("BEGIN; UPDATE t SET v = v + 1; COMMIT")
//	for step.Action != sql.ActionDone {
//		switch step.Action {
//		case sql.ActionBegin:
//			txn, err := store.Begin(step.BeginOpts)
//			step = s.ResumeBegin(txn, err)
//		case sql.ActionCommit:
//			res, err := store.Commit(step.Txn)
//			step = s.ResumeCommit(res, err)
//		case sql.ActionAbort:
//			store.Abort(step.Txn)
//			step = s.ResumeAbort()
//		}
//	}
//	results := step.Results // one per statement run
//
// Run does exactly this loop against a kv.Store.
//
// Transaction semantics follow PostgreSQL: statements outside BEGIN run in
// their own transaction (autocommit); a failed statement inside a
// transaction block puts it in the aborted state, where everything but
// ROLLBACK (or ROLLBACK TO SAVEPOINT) gets 25P02 and COMMIT rolls back.
// As in PostgreSQL's simple query protocol, the first error ends the
// processing of a multi-statement query string. Isolation levels: SERIALIZABLE → serializable; REPEATABLE
// READ → snapshot isolation; READ COMMITTED and READ UNCOMMITTED →
// serializable, which the SQL standard allows (a stronger level may always
// be substituted). Savepoints are implemented by buffering writes per
// savepoint (package kvbuf) and flushing them into the kv transaction at
// COMMIT.
//
// Invariants: a Session is used by one goroutine; between Start and
// ActionDone exactly one Action is outstanding; the kv transaction is open
// exactly while the session is in a transaction block or running an
// autocommit statement.
package sql
