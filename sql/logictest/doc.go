// Package logictest runs sqllogictest-format scripts (testdata/logic/*.test
// at the repository root) twice: against an in-process Session on memkv
// (TestLogic), and through a pgwire server on a loopback socket with
// pgconn (TestLogicPgwire), where every record goes through the simple
// query protocol and every single-statement query record also through
// the extended one (in a transaction or savepoint rolled back before the
// simple run), whose text rows must be the same. Both read the same
// expected text, so pgwire's rendering is held to PostgreSQL's.
//
// Records, separated by blank lines:
//
//	statement ok
//	<sql>
//
//	statement error <SQLSTATE or regexp on the message>
//	<sql>
//
//	query <one letter per column: T text, I integer, R float/numeric, B bool> [rowsort|valuesort]
//	<sql>
//	----
//	<one line per row, values separated by single spaces; NULL, (empty)>
//
// The expected results are what PostgreSQL 15 answers (pg_compare.sh runs
// the same files against a local PostgreSQL, compares statuses, SQLSTATEs
// and rows, and with --write regenerates the results). A record preceded
// by a comment line starting "# lineradb:" is one where LineraDB
// deliberately differs (a construct it rejects with 0A000); the comment
// says why, and pg_compare.sh does not ask PostgreSQL about it.
package logictest
