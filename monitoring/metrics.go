package monitoring

// ExportedMetrics are the metric names lineradb-server exports and the only
// ones the dashboard may query. The first nine are the runbook's; the rest
// cover the connections, transactions and Raft log size. "up" is
// Prometheus's own scrape-health series.
var ExportedMetrics = []string{
	"lineradb_raft_leader_elections_total",
	"lineradb_raft_replication_lag_ms",
	"lineradb_raft_commit_latency_ms",
	"lineradb_storage_disk_usage_bytes",
	"lineradb_storage_compaction_duration_seconds",
	"lineradb_storage_sstable_count",
	"lineradb_sql_query_latency_ms",
	"lineradb_sql_queries_total",
	"lineradb_sql_slow_queries_total",
	"lineradb_raft_term",
	"lineradb_raft_is_leader",
	"lineradb_raft_commit_index",
	"lineradb_raft_applied_index",
	"lineradb_raft_heartbeats_total",
	"lineradb_raft_log_size_bytes",
	"lineradb_sql_connections",
	"lineradb_txn_committed_total",
	"lineradb_txn_aborted_total",
	"up",
}

// NodeExporterMetrics are the node_exporter series the disk space alerts
// use, because the server exports no free-space gauge.
var NodeExporterMetrics = []string{
	"node_filesystem_avail_bytes",
	"node_filesystem_size_bytes",
}
