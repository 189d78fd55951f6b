#!/bin/sh
# Runs every logic test file against a local PostgreSQL 15 (port $PGPORT,
# default 55432) and reports where PostgreSQL's answers differ from the
# file. With --write, rewrites the expected results from PostgreSQL.
set -e
dir=$(dirname "$0")/../../testdata/logic
for f in "$dir"/*.test; do
  python3 "$(dirname "$0")/gen_expected.py" "$f" "${PGPORT:-55432}" "$@" || echo "DIFFERS: $f"
done
