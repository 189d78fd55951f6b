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
// # Extended query protocol
//
// StartPrepare(query, paramOIDs) parses one statement and describes it
// without executing it: Step.Prepared (at ActionDone) carries ParamTypes
// (one per $n: the client's type, else inferred from context, else text)
// and Columns (the RowDescription; nil if no rows). Outside a transaction
// block describing borrows a read-only transaction (ActionBegin, then
// ActionAbort); inside one it reads through the block's transaction, so
// it sees the block's own DDL. StartExecute(p, params) then runs it
// through the same steps as Start — autocommit, transaction control
// (BEGIN/COMMIT prepared by pgx), the aborted state, COPY. Execution reuses
// the last plan while the executing transaction reads the catalog version
// it was made at (plancache.go), and plans again otherwise; if a new
// plan's result columns no longer match the description the statement
// fails with 0A000 "cached plan must not change result type". Table
// descriptors come from a per-session cache keyed by the catalog version
// (catalog.Cache); Start's query strings from a per-session parse cache
// (parsecache.go).
// Prepare and Execute are the synchronous drivers:
//
//	p, err := sql.Prepare(s, store, "SELECT b FROM t WHERE a = $1", nil)
//	results := sql.Execute(s, store, p, []types.Datum{types.DInt(1)}, nil)
//
// # COPY
//
// COPY t [(cols)] FROM STDIN: once the statement's transaction is open the
// session returns ActionCopyIn with Step.CopyIn: Spec (columns with types,
// FORMAT text|csv, DELIMITER, NULL, HEADER, QUOTE, ESCAPE; zero = the
// format's default) and Insert(rows), which inserts typed rows in the
// open transaction with every constraint. The driver parses the client's
// CopyData per Spec, calls Insert in bounded batches, then
// ResumeCopyIn(rowsInserted, firstErr); the statement then commits
// (autocommit) or stays in the block, with tag "COPY n" or the error.
// COPY t [(cols)] TO STDOUT and COPY (query) TO STDOUT are ordinary
// results whose Result.Copy is the spec to encode the Rows by. Files and
// programs are refused (0A000). DriveCopy is Drive with a row source.
//
// COPY ... (FORMAT binary) has the same steps with Spec.Format
// CopyBinary: the driver decodes PostgreSQL's binary COPY stream.
//
// # Roles
//
// CREATE ROLE / CREATE USER name [WITH] [LOGIN] [SUPERUSER] [CREATEDB]
// [CREATEROLE] [INHERIT] [REPLICATION] [BYPASSRLS] [CONNECTION LIMIT n]
// [PASSWORD 'pw' | NULL], ALTER ROLE/USER with the same options, and
// DROP ROLE/USER [IF EXISTS] are stored in the KV space (/meta/role/,
// roles.go), so they are transactional and replicated like tables. A
// password is stored only as its SCRAM-SHA-256 verifier (internal/scram;
// salts from SessionConfig.Rand); a verifier or md5 hash given as the
// password is stored as it is. LookupRole is how the server's password
// check reads them. The bootstrap superuser (SessionConfig.Superuser,
// default the session user) is OID 10 and owns every object; it is
// configured, not stored. Privileges follow PostgreSQL: a stored role
// needs SUPERUSER, or CREATEROLE for non-superuser targets (42501), and
// any role may change its own password. pg_roles, pg_authid, pg_user and
// psql's \du list the bootstrap superuser and the stored roles
// (roles_catalog.go hooks pgcatalog.SetRoleSource).
//
// Query strings pass through pgcatalog.Rewrite before parsing (Start and
// StartPrepare), so psql's \d family and pgx's type loading run on the
// executor's SQL subset; other queries are returned unchanged, cheaply.
//
// # Limits and cancellation
//
// SessionConfig.MaxResultRows (and SetMaxResultRows) fails a statement
// whose result exceeds it with 54000.
//
// Work memory: SessionConfig.WorkMemBytes is the session's work_mem
// (the server's server.work_mem_mb; SET work_mem '64kB'|'4MB'|... and
// RESET change it per session, within PostgreSQL's 64kB..2097151kB; 0,
// for tests and the simulator, is unlimited and SHOWs "unlimited"). Each
// statement has one account of that size, charged with an estimate of
// the rows (datum sizes plus a fixed per-row overhead, exec's rowBytes)
// and hash entries held at once by sorts, hash and nested-loop joins,
// aggregation tables (with the argument rows of DISTINCT, ORDER BY,
// array_agg and string_agg aggregates; count, sum, avg, min, max and
// bool_* fold to constant state in PostgreSQL and are not charged),
// DISTINCT and set-operation sets, recursive CTEs,
// materialised CTEs and cached subquery results. The statement's result
// is not charged: PostgreSQL streams it, and max_result_rows bounds it.
// A statement past it fails with 53200 naming work_mem and the operator.
// Deliberate difference from PostgreSQL: PostgreSQL spills sorts and
// hashes to temporary files past work_mem, counts each operator
// separately; LineraDB does not spill yet, so the budget is a hard
// per-statement limit on what its operators hold at once.
// SessionConfig.Interrupted is polled
// before every kv operation and every few hundred rows of work; the error
// it returns (57014 for a cancel request or statement_timeout) ends the
// statement, which then fails like any other.
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
