// Package server is lineradb-server's production wiring: it turns a loaded
// configuration (internal/config) into a running node — the node runtime
// (Raft over netio's TCP transport), the PostgreSQL wire server (sql/pgwire
// over package sql), the HTTP API (probes, /status, /metrics, /admin/*),
// backups, and the background loops. It is production-side code, exempt
// from the determinism contract, and kept thin: every decision about data
// lives in node, sql and pgwire.
//
// # Start-up, as Start runs it
//
//  1. Every raft.peers entry must carry its node id (id=host:port).
//  2. The node opens server.data_dir/node (raft/ is the WAL, lsm-*/ the
//     SSTables). A brand-new directory is bootstrapped by founders: no
//     peers → a single-node cluster; --bootstrap-cluster → this node and
//     its peers; peers without the flag → none, the node joins when the
//     leader adds it (/admin/add-peer). An existing directory ignores all
//     of it and recovers.
//  3. The PostgreSQL listener (max_connections, query_timeout, TLS for
//     clients), the HTTP listener and, if set, the prometheus_port
//     listener start.
//  4. Loops: the disk guard (statfs → read-only under
//     disk_space_critical_percent), the peer address sync (the replicated
//     table written by add-peer), the leader's lag sampler.
//
// # Shutdown (SIGTERM)
//
//  1. Stop accepting clients; running statements finish (bounded).
//  2. A leader hands leadership to its most caught-up voter and waits
//     briefly for it to move.
//  3. The node stops: pending requests fail, the LSM is flushed.
//
// # Invariants
//
//   - Writes go through guardedStore: while the disk is critical no commit
//     with writes reaches Raft, and reads keep working.
//   - Mutating HTTP endpoints check the bearer token before doing anything;
//     caller mistakes are 4xx with a JSON {"error": ...}, never 5xx.
//   - Every buffer the API keeps is bounded: slowQueriesMax entries,
//     requestBodyBytesMax per request body, backupRecordBytesMax per record
//     read back.
//   - A backup becomes visible (MANIFEST.json) only after its data is
//     fsynced; a restore verifies the whole backup before creating anything
//     and never writes into a non-empty directory.
package server
