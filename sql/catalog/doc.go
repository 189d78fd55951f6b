// Package catalog owns the schema: table, column, index, constraint and
// sequence descriptors, stored in the KV space under /meta/ so that schema
// changes are transactional and replicated like any other write.
//
// Layout:
//
//	/meta/nextid            next descriptor ID (decimal text)
//	/meta/name/<relname>    JSON {kind, table id, index id} — tables,
//	                        indexes and sequences share one namespace, as
//	                        relations do in a PostgreSQL schema
//	/meta/table/<id>        JSON Table descriptor
//	/meta/seq/<name>        sequence state: last value (decimal text)
//
// Contract: every function reads and writes through the transaction it is
// given; nothing is cached across transactions here (a session-level cache
// can sit above it). Only the "public" schema holds tables; pg_catalog and
// information_schema are virtual (served by the planner's virtual tables).
//
// Sequences are transactional here, unlike PostgreSQL: nextval's increment
// rolls back with its transaction, and two transactions drawing from one
// sequence conflict (one gets 40001 and retries). Values stay unique.
//
// Invariants: column and index IDs are never reused within a table; a
// table's primary index (ID 1) always exists (a hidden rowid column backs
// tables declared without a primary key).
package catalog
