// Package pgcatalog owns LineraDB's pg_catalog and information_schema: the
// virtual tables and catalog functions that psql (\d, \dt, \d TABLE, \di,
// \l, \dn, \du) and drivers (pgx's type loading) query, computed from the
// catalog (package catalog) as the statement's transaction sees it.
//
// Contract:
//
//  1. Importing the package registers every virtual table and function
//     with package exec (exec.RegisterVirtualTable, exec.RegisterFunction)
//     from init functions; nothing is registered later.
//  2. Rewrite(query) is applied to a query string before parsing. It
//     turns the constructs catalog queries use and the executor lacks
//     (COLLATE "default", ~, ::regclass, ARRAY(subquery), catalogs that
//     are always empty here) into supported SQL, and returns any other
//     query unchanged.
//  3. Rows are computed per execution from catalog.ListTables through
//     Ctx.Txn: catalog reads join the transaction's read set like any
//     other read, so they are consistent with the statement's snapshot.
//  4. SetRoleSource lets the server supply the role list (pg_roles,
//     pg_authid, pg_user, pg_get_userbyid); the default is the session
//     user as the bootstrap superuser.
//
// Wiring: package sql calls Rewrite on every query string it parses (the
// simple-query path in Session.Start and the extended-protocol Prepare)
// and imports this package, which registers the tables at init. With that
// in place, testdata/psql's scripts print byte-for-byte what PostgreSQL 15
// prints (TestPsqlGolden, run against a server at LINERADB_PSQL_ADDR).
//
// OIDs: built-in types, namespaces, access methods, collations and
// tablespaces use PostgreSQL 15's OIDs. Every table owns a block of
// oidBlockSize OIDs derived from its catalog ID (see oids.go), holding
// its own OID, its row type, its indexes, constraints and sequences, so
// OIDs are stable, identical on every replica, and need no counter.
//
// Invariants: output never depends on map iteration order (rows follow
// OID or catalog order); every row has exactly its table's column count
// (checked at each scan); array-typed and "char" columns are text here
// (int2vector "1 2", arrays "{1,2}").
package pgcatalog
