// Package exec plans and executes SQL statements over an open kv.Txn: name
// resolution and typing of expressions (with PostgreSQL's rules for
// untyped literals and parameters), logical plans, and their materialising
// execution; DDL against the catalog; DML maintaining rows, secondary
// indexes and constraints.
//
// Contract:
//
//  1. Prepare(stmt, env, paramTypes) resolves names against the catalog
//     as seen by the given transaction and returns a Prepared with the
//     result columns and the inferred parameter types.
//  2. Prepared.Execute(ctx) runs synchronously on ctx.Txn and returns the
//     rows and command tag. It never begins or commits a transaction.
//  3. Errors are *sqlerr.Error; resource limits (work rows, series
//     length, nesting) become 54000/54001 errors, never a hang or panic;
//     Ctx.WorkMemBytes bounds the bytes the statement's operators hold at
//     once (workmem.go), past it 53200 (no spilling to disk).
//  4. If Ctx.Interrupted is set it is polled before every kv operation and
//     every pollRowsInterval rows of work; its error ends the statement.
//  5. COPY: PrepareCopyFrom gives the data's columns and an Insert of typed
//     rows with every constraint; PrepareCopyTo plans COPY TO as a query
//     (tag "COPY n").
//
// Access paths (access.go): a table is read through its primary index or
// one secondary index, fixing a key prefix by equality and bounding the
// next key column by a range (<, <=, >, >=, BETWEEN), forward or in
// reverse. When the path already yields the ORDER BY (index order is ASC
// NULLS LAST per column, DESC NULLS FIRST for DESC columns or a reverse
// walk) the sort is dropped, and a LIMIT with no sort, aggregate or
// DISTINCT above the scan is pushed into it with the WHERE filter: the
// scan reads in growing batches and stops at LIMIT+OFFSET passing rows.
// EXPLAIN prints the path ("Index Scan [Backward] using i on t (cond)",
// "Range Scan", "Point Lookup", "Seq Scan", "(stops at LIMIT)").
//
// UPDATE ... FROM and DELETE ... USING join the target with the other
// items under WHERE and act on each target row once (update_from.go).
// DEFAULT and CHECK texts are parsed once per distinct text
// (exprcache.go) and compiled per prepare.
//
// Execution materialises each plan node's rows (bounded by workRowsMax per
// node): simple, deterministic, and enough until streaming is needed.
// Correlated subqueries re-run their plan per outer row; uncorrelated ones
// run once per execution.
package exec
