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
//	/meta/version           catalog version (decimal text): bumped in the
//	                        same transaction by every write of a name
//	                        entry or a table descriptor
//
// Contract: every function reads and writes through the transaction it is
// given. The one cache is Cache (cache.go), owned by a session: decoded
// descriptors keyed by catalog version. Each transaction reaches it
// through a View, and LookupTable serves read-only callers from it:
//
//  1. the first lookup of a transaction reads /meta/version (one KV read,
//     in the read set: a schema change committed after the read version
//     aborts the transaction at commit, as a changed descriptor would);
//  2. a version newer than the cache's empties the cache; an older one
//     (an older snapshot) reads through without caching;
//  3. hits return the shared descriptor; misses read and decode it, and
//     cache it (at most CacheTablesMax tables);
//  4. once the transaction writes /meta/version (any DDL) the view reads
//     through for the rest of it: its descriptors are uncommitted.
//
// Because every descriptor write bumps the version, the catalog's content
// is a function of the version's committed value, so a descriptor cached
// under version V is exactly what any transaction reading V would decode. Only the "public" schema holds tables; pg_catalog and
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
