#!/usr/bin/env bash
# bench/pgbench.sh — pgbench against a single-node LineraDB and PostgreSQL 15
# on the same machine, in one run, with durable settings on both
# (PostgreSQL: fsync=on, synchronous_commit=on; LineraDB fsyncs the Raft log
# before acknowledging a commit, always).
#
#   bench/pgbench.sh                   # scale 10, 8 clients, 10 s per run
#   SCALE=1 DURATION=5 bench/pgbench.sh
#   PROFILE=0 MEMORY=0 bench/pgbench.sh
#
# Workloads: select-only (-S) and the default TPC-B-like script, each with
# -M simple and -M prepared, -c $CLIENTS -j 2, --max-tries=100 (pgbench 15
# retries serialization failures, SQLSTATE 40001, which LineraDB's
# optimistic transactions raise on conflict). The two servers take turns per
# workload so drift in machine load hits both. /proc/stat steal and the load
# average are read around every run: the machine is a shared VM, so compare
# the ratio, and distrust runs with high steal.
#
# Extras: PROFILE=1 takes a CPU profile of LineraDB during its select-only
# (simple) run (the server is built with -tags pprof); MEMORY=1 restarts
# LineraDB and runs -S with 100 connections for 20 s, reporting peak RSS
# (VmHWM) against the configured budgets.
#
# LineraDB cannot yet take pgbench -i's load in one transaction at any scale
# (100,000 rows per scale unit; the node allows 65,536 writes per
# transaction): if pgbench -i fails on that, the same tables are loaded in
# chunks of 50,000 rows (pgbench -i -I dtp, then INSERT ... SELECT), which
# the report notes.
#
# Needs: go, pgbench/psql, PostgreSQL 15 server binaries in $PGBIN
# (Debian: apt-get install postgresql-15). PostgreSQL refuses to run as
# root, so as root its initdb/pg_ctl run as the postgres user.
set -euo pipefail

SCALE=${SCALE:-10}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-2}
PROFILE=${PROFILE:-1}
MEMORY=${MEMORY:-1}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/lineradb-pgbench.XXXXXX)
chmod 755 "$WORK"
LOADCHUNK=50000

log() { echo "# $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# ---- the servers ----

LDB_PID=""
PG_STARTED=""
cleanup() {
  [ -n "$LDB_PID" ] && kill "$LDB_PID" 2>/dev/null && wait "$LDB_PID" 2>/dev/null || true
  [ -n "$PG_STARTED" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1 || true
  log "work directory (logs, profiles): $WORK"
}
trap cleanup EXIT

LDB_PORT=$(free_port) LDB_RAFT=$(free_port) LDB_HTTP=$(free_port) LDB_PPROF=$(free_port) PG_PORT=$(free_port)

log "building lineradb-server (-tags pprof)"
(cd "$ROOT" && go build -tags pprof -o "$WORK/bin/" ./cmd/lineradb-server)

ldb_start() {
  LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=0 LINERADBTEST_PPROF_ADDR=127.0.0.1:$LDB_PPROF \
    "$WORK/bin/lineradb-server" --data-dir="$WORK/ldb" --listen-addr=127.0.0.1:$LDB_PORT \
    --raft-addr=127.0.0.1:$LDB_RAFT --http-addr=127.0.0.1:$LDB_HTTP >>"$WORK/ldb.log" 2>&1 &
  LDB_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$LDB_HTTP/admin/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "lineradb-server did not become ready; see $WORK/ldb.log" >&2
  exit 1
}

ldb_stop() {
  kill -TERM "$LDB_PID"
  wait "$LDB_PID" || true
  LDB_PID=""
}

pg_start() {
  # PostgreSQL's user must own its directory (data, log, socket).
  mkdir -p "$WORK/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$WORK/pg"; }
  as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >"$WORK/initdb.log" 2>&1
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start -o \
    "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
  PG_STARTED=1
  psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE lineradb"
}

# target NAME -> connection arguments for pgbench/psql
conn() {
  case $1 in
    lineradb) echo "-h 127.0.0.1 -p $LDB_PORT -U admin lineradb" ;;
    postgres) echo "-h 127.0.0.1 -p $PG_PORT -U postgres lineradb" ;;
  esac
}

# ---- data ----

LDB_INIT="pgbench -i"
ldb_init() {
  local out
  if out=$(pgbench -i -q -s "$SCALE" $(conn lineradb) 2>&1); then
    log "lineradb: pgbench -i -s $SCALE ok"
    return
  fi
  if ! grep -q "too many writes in one transaction" <<<"$out"; then
    echo "$out" >&2
    exit 1
  fi
  LDB_INIT="chunked (pgbench -i -I dtp, then INSERT ... SELECT in $LOADCHUNK-row transactions)"
  log "lineradb: pgbench -i hit the per-transaction write limit; loading in chunks"
  pgbench -i -I dtp -s "$SCALE" $(conn lineradb) >/dev/null 2>&1
  local P="psql -X -q -v ON_ERROR_STOP=1 $(conn lineradb)"
  $P -c "INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, $SCALE) AS bid" \
     -c "INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT tid, (tid - 1) / 10 + 1, 0 FROM generate_series(1, $((SCALE * 10))) AS tid"
  local n=$((SCALE * 100000)) a b
  for ((a = 1; a <= n; a += LOADCHUNK)); do
    b=$((a + LOADCHUNK - 1)); [ $b -gt $n ] && b=$n
    $P -c "INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT aid, (aid - 1) / 100000 + 1, 0, '' FROM generate_series($a, $b) AS aid"
  done
}

# ---- measurement ----

# cpu_sample -> "total steal" jiffies from /proc/stat
cpu_sample() { awk '/^cpu /{t=0; for(i=2;i<=NF;i++) t+=$i; print t, $9}' /proc/stat; }
steal_pct() { # before after
  awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); dt=y[1]-x[1]; p = 0; if (dt > 0) p = 100 * (y[2] - x[2]) / dt; printf "%.0f", p}'
}
load1() { cut -d' ' -f1 /proc/loadavg; }
field() { # regexp file -> first capture
  sed -nE "s/$1/\\1/p" "$2" | head -1
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# run TARGET LABEL pgbench-args...
run() {
  local target=$1 label=$2; shift 2
  local out="$WORK/$target-${label//[^a-z0-9]/_}.txt" before after l0
  before=$(cpu_sample); l0=$(load1)
  pgbench "$@" -T "$DURATION" -c "$CLIENTS" -j "$THREADS" --max-tries=100 $(conn "$target") >"$out" 2>&1 || {
    echo "pgbench failed against $target ($label):" >&2; cat "$out" >&2; exit 1; }
  after=$(cpu_sample)
  local tps lat failed retried retries
  tps=$(field '^tps = ([0-9.]+).*' "$out")
  lat=$(field '^latency average = ([0-9.]+) ms.*' "$out")
  failed=$(field '^number of failed transactions: ([0-9]+).*' "$out")
  retried=$(field '^number of transactions retried: ([0-9]+).*' "$out")
  retries=$(field '^total number of retries: ([0-9]+).*' "$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$target" "$tps" "$lat" "$failed" "${retried:-0}" "${retries:-0}" \
    "$(steal_pct "$before" "$after")" "$l0→$(load1)" >>"$RESULTS"
  log "$target $label: tps=$tps latency=${lat}ms failed=$failed retries=${retries:-0} steal=$(steal_pct "$before" "$after")%"
}

profile_during() { # seconds -> CPU profile of LineraDB in the background
  curl -sf -o "$WORK/cpu-select-only.pprof" "http://127.0.0.1:$LDB_PPROF/debug/pprof/profile?seconds=$1" &
  PROF_PID=$!
}

# ---- main ----

log "machine: $(nproc) CPUs, load $(cat /proc/loadavg)"
log "PostgreSQL: $("$PGBIN/postgres" --version)"
pg_start
ldb_start
log "initialising scale $SCALE"
t0=$(date +%s); pgbench -i -q -s "$SCALE" $(conn postgres) >"$WORK/pg-init.txt" 2>&1; t1=$(date +%s)
ldb_init; t2=$(date +%s)
log "init: postgres $((t1 - t0)) s, lineradb $((t2 - t1)) s ($LDB_INIT)"
ldb_stop; ldb_start # measure a freshly started process

for w in "select-only simple:-S -M simple" "select-only prepared:-S -M prepared" \
         "tpcb-like simple:-M simple" "tpcb-like prepared:-M prepared"; do
  label=${w%%:*}; args=${w#*:}
  run postgres "$label" $args
  if [ "$PROFILE" = 1 ] && [ "$label" = "select-only simple" ]; then
    profile_during $((DURATION > 3 ? DURATION - 2 : 1))
  fi
  run lineradb "$label" $args
  if [ -n "${PROF_PID:-}" ]; then wait "$PROF_PID" || true; PROF_PID=""; fi
done

echo
echo "pgbench, scale $SCALE, $CLIENTS clients, $THREADS threads, ${DURATION} s per run, --max-tries=100; $(nproc) CPUs"
echo "LineraDB data loaded by: $LDB_INIT; init took postgres $((t1 - t0)) s, lineradb $((t2 - t1)) s"
echo
echo "| workload | PostgreSQL TPS | PG latency ms | LineraDB TPS | LineraDB latency ms | LineraDB / PG | LineraDB retried txns (retries) | failed (PG/LDB) | steal % (PG/LDB) | load (PG; LDB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|---|"
for label in "select-only simple" "select-only prepared" "tpcb-like simple" "tpcb-like prepared"; do
  awk -F'\t' -v l="$label" '
    $1==l && $2=="postgres" {ptps=$3; plat=$4; pf=$5; ps=$8; pl=$9}
    $1==l && $2=="lineradb" {ltps=$3; llat=$4; lf=$5; lrt=$6; lr=$7; ls=$8; ll=$9}
    END {r = 0; if (ptps > 0) r = ltps / ptps
      printf "| %s | %.0f | %.3f | %.0f | %.3f | %.2f | %s (%s) | %s/%s | %s/%s | %s; %s |\n",
      l, ptps, plat, ltps, llat, r, lrt, lr, pf, lf, ps, ls, pl, ll}' "$RESULTS"
done

if [ "$PROFILE" = 1 ] && [ -s "$WORK/cpu-select-only.pprof" ]; then
  echo
  echo "LineraDB CPU profile during select-only (simple), top by cumulative:"
  (cd "$ROOT" && go tool pprof -top -cum -nodecount=40 "$WORK/bin/lineradb-server" "$WORK/cpu-select-only.pprof" 2>/dev/null) | sed 's/^/    /'
fi

if [ "$MEMORY" = 1 ]; then
  ldb_stop; ldb_start
  peak=0
  pgbench -S -T 20 -c 100 -j 2 $(conn lineradb) >"$WORK/lineradb-memory-100.txt" 2>&1 &
  bpid=$!
  while kill -0 "$bpid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$LDB_PID/status"); [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 1
  done
  wait "$bpid" || { echo "pgbench -c 100 failed:" >&2; cat "$WORK/lineradb-memory-100.txt" >&2; exit 1; }
  hwm=$(awk '/^VmHWM/{print $2}' "/proc/$LDB_PID/status")
  echo
  echo "Memory: pgbench -S -c 100 -j 2 -T 20 against LineraDB (fresh process):" \
    "$(field '^tps = ([0-9.]+).*' "$WORK/lineradb-memory-100.txt") TPS," \
    "failed $(field '^number of failed transactions: ([0-9]+).*' "$WORK/lineradb-memory-100.txt");" \
    "peak RSS (VmHWM) $((hwm / 1024)) MiB, highest VmRSS sampled $((peak / 1024)) MiB;" \
    "budgets: memtable 64 MiB + block cache 128 MiB (defaults)"
fi
