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
//  1. security.tls is loaded (cert, key and the cluster CA, which mutual
//     TLS between nodes requires).
//  2. The memory budget is computed (memory.go): storage.memtable_size_mb
//     × (1 + immutable memtables max) + storage.block_cache_size_mb +
//     server.max_connections (capped by what ulimit -n leaves room for) ×
//     server.work_mem_mb + a fixed runtime allowance. It is logged,
//     exported (lineradb_memory_budget_bytes, beside
//     process_resident_memory_bytes and go_memstats_heap_*), and becomes
//     Go's soft memory limit unless GOMEMLIMIT is set.
//  3. raft.peers entries are id=host:port or plain host:port. A founder
//     (--bootstrap-cluster) on an empty data directory must know every
//     founder's id, so it probes each plain peer (netio.Discover) until
//     all answer, for at most Options.DiscoveryTimeout, logging progress;
//     every other node starts at once and resolves plain peers in the
//     background (a restart never waits for a peer that is down).
//  4. The node opens server.data_dir/node (raft/ is the WAL, lsm-*/ the
//     SSTables) over the TCP transport (mutual TLS when security.tls is
//     on; peers that contact it are learned from their hello). A
//     brand-new directory is bootstrapped by founders (see founders): no
//     peers → a single-node cluster if --bootstrap-cluster is given or no
//     node id was configured, else nothing — the node waits for a leader
//     to add it (the runbook's "Adding a node"); --bootstrap-cluster with
//     peers → this node and its peers; peers without the flag → none, the
//     node joins when the leader reaches it. An existing directory
//     ignores all of it and recovers.
//  5. The PostgreSQL listener (max_connections, query_timeout; with TLS
//     on, TLS is required of clients, as pg_hba.conf's hostssl: a
//     plaintext startup gets FATAL 28000), the HTTP listener and, if set,
//     the prometheus_port listener start.
//  6. Loops: the disk guard (statfs → read-only under
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
//   - The LSM is opened with the immutable memtable bound the memory
//     budget counts (immutableMemtablesMax); the budget's terms are
//     positive and their sum does not overflow (memoryBudget.check).
//   - Every buffer the API keeps is bounded: slowQueriesMax entries,
//     requestBodyBytesMax per request body, backupRecordBytesMax per record
//     read back.
//   - An address learned from a connection never replaces a configured or
//     replicated one (addrBook.setIfUnknown); a founder never bootstraps
//     with a peer whose id it has not learned.
//   - A backup becomes visible (MANIFEST.json) only after its data is
//     fsynced; a restore verifies the whole backup before creating anything
//     and never writes into a non-empty directory.
package server
