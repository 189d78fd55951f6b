// Package config owns lineradb-server's start-up configuration: the
// runbook's lineradb.yaml (sections server, raft, storage, transaction,
// sharding, replication, security, observability), the LINERADB_*
// environment variables and the runbook's command-line flags, merged into one
// validated Config. It is production-side code (it may touch os), but Load
// itself is pure: the arguments, the environment and the file reader are
// passed in, so every rule is tested without a process.
//
// The contract, as Load applies it:
//
//  1. Parse the command line (--node-id, --data-dir, --listen-addr,
//     --raft-addr, --http-addr, --peers, --bootstrap-cluster, --log-level,
//     --config, --hash-password). An unknown flag or a stray argument is an
//     error. --hash-password short-circuits: nothing else is read.
//  2. Start from Default().
//  3. Apply the YAML file named by --config, else by LINERADB_CONFIG. Every
//     key at every depth must be known; a duplicate key, a list where one
//     value belongs or a bad value is an error naming the dotted key and
//     FILE:LINE.
//  4. Apply the environment: LINERADB_<SECTION>_<KEY> for every key (and
//     the runbook's short names such as LINERADB_NODE_ID), then the
//     docker-compose aliases NODE_ID and PEERS below them. Errors name the
//     variable.
//  5. Apply the flags, the highest layer. Errors name the flag.
//  6. Validate combinations (heartbeat below election timeout, critical
//     below warn disk thresholds, TLS files, peers, listeners on distinct
//     ports) and settings this build does not implement: harmless ones
//     (sharding, regions, tracing) become Warnings, ones whose silent absence
//     would surprise (encryption at rest, jwt auth, the rocksdb engine) are
//     errors.
//
// All errors found are returned together (up to errorsMax), each an *Error.
// Reload repeats Load on SIGHUP and reports which reloadable keys changed
// (log level, query timeout, slow-query settings) and which changed keys
// need a restart.
//
// Invariants:
//
//   - keys (keys.go) is the only list of settings: the YAML walker, the
//     environment and flag layers, Reload, Usage and the table in
//     docs/CONFIG.md (checked by TestConfigDoc) all derive from it.
//   - A Config returned without error satisfies every check in validate.go;
//     its Warnings are in a deterministic order.
//   - Secret values (admin token, password hash, --hash-password) never
//     appear in an error, a warning, Settings or a printed Config.
package config
