#!/bin/sh
# Regenerates the psql golden files (*.out) from a PostgreSQL 15 server:
#   PGHOST=127.0.0.1 PGPORT=55432 PGUSER=postgres testdata/psql/gen_golden.sh
# The database "lineradb" must exist; its tables are dropped and recreated
# from schema.sql. \l lists every database of the server, so databases.out
# keeps only the header, the row of "lineradb" and a one-row footer: that
# is what a LineraDB cluster, which serves one database, prints.
set -eu
cd "$(dirname "$0")"
PSQL="psql -X -q --no-psqlrc -d lineradb"
$PSQL -c 'DROP TABLE IF EXISTS accounts, items' -f schema.sql >/dev/null
$PSQL -f describe.sql >describe.out 2>&1
$PSQL -f describe_plus.sql >describe_plus.out 2>&1
$PSQL -f roles.sql >roles.out 2>&1
$PSQL -f databases.sql 2>&1 | awk -F'|' '
	/^== / || /^Name\|/ || /^List of databases/ { print; next }
	$1 == "lineradb" { print; next }
	/^\([0-9]+ rows?\)$/ { print "(1 row)" }' >databases.out
