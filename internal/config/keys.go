package config

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// kind is how a key's value is written.
type kind int

const (
	kindScalar  kind = iota // one value
	kindBool                // one value; as a flag it takes no argument
	kindList                // YAML sequence, or comma-separated text
	kindRegions             // YAML sequence of mappings; file only
)

// key describes one configuration setting: where it can come from, how it
// parses, and how it prints. The table below is the single source of truth:
// the YAML walker, the environment and flag layers, Reload and the
// docs/CONFIG.md table (checked by a test) are all driven by it.
type key struct {
	path string // dotted YAML path, e.g. "server.node_id"
	kind kind
	doc  string // one sentence for docs/CONFIG.md
	// flag is the command-line flag without dashes; "" for none.
	flag string
	// envAliases are extra LINERADB_* names from the runbook, checked
	// alongside the systematic name (see envName).
	envAliases []string
	// composeAlias is the docker-compose style name (NODE_ID, PEERS), used
	// only when no LINERADB_* variable sets the key.
	composeAlias string
	reloadable   bool
	secret       bool
	// unsupported, when set, says what this build does with the key; the
	// key is parsed and validated, and validate.go warns or fails when it
	// asks for the missing feature.
	unsupported string

	set     func(c *Config, s string) error       // kindScalar, kindBool
	setList func(c *Config, items []string) error // kindList
	setNode func(c *Config, n *yaml.Node) error   // kindRegions
	get     func(c *Config) string                // the value as text, unredacted
}

// envName is the systematic variable: LINERADB_ + the path in upper case with
// dots as underscores (server.node_id → LINERADB_SERVER_NODE_ID).
func (k *key) envName() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(k.path, ".", "_"))
}

// envNames are the LINERADB_* variables that set k: the systematic name
// first, then the runbook's aliases.
func (k *key) envNames() []string {
	if k.kind == kindRegions {
		return nil // file only
	}
	return append([]string{k.envName()}, k.envAliases...)
}

// display is the value as it may be printed: secrets are redacted.
func (k *key) display(c *Config) string {
	v := k.get(c)
	if k.secret && v != "" {
		return redacted
	}
	return v
}

const envPrefix = "LINERADB_"

// Modifiers, so each table row reads as one line of facts.

func (k key) withFlag(name string) key       { k.flag = name; return k }
func (k key) withEnv(names ...string) key    { k.envAliases = names; return k }
func (k key) withComposeEnv(name string) key { k.composeAlias = name; return k }
func (k key) reload() key                    { k.reloadable = true; return k }
func (k key) notSupported(what string) key   { k.unsupported = what; return k }
func (k key) describe(doc string) key        { k.doc = doc; return k }

// keys is the table. Order is documentation order and the order in which
// layers are applied and errors reported.
var keys = []key{
	uintKey("server.node_id", 1, maxUint64, func(c *Config) *uint64 { return &c.Server.NodeID }).
		withFlag("node-id").withEnv("LINERADB_NODE_ID").withComposeEnv("NODE_ID").
		describe("This node's Raft id, unique in the cluster and never 0."),
	addrKey("server.listen_addr", func(c *Config) *string { return &c.Server.ListenAddr }).
		withFlag("listen-addr").withEnv("LINERADB_LISTEN_ADDR").
		describe("PostgreSQL wire protocol listener, host:port."),
	addrKey("server.http_addr", func(c *Config) *string { return &c.Server.HTTPAddr }).
		withFlag("http-addr").
		describe("HTTP listener for /health, /status, /metrics and /admin/*."),
	requiredStringKey("server.data_dir", func(c *Config) *string { return &c.Server.DataDir }).
		withFlag("data-dir").withEnv("LINERADB_DATA_DIR").
		describe("Directory holding the Raft log and the LSM files."),
	enumKey("server.log_level", []string{"debug", "info", "warn", "error"}, func(c *Config) *string { return &c.Server.LogLevel }).
		withFlag("log-level").withEnv("LINERADB_LOG_LEVEL").reload().
		describe("Minimum level logged."),
	boolKey("server.bootstrap_cluster", func(c *Config) *bool { return &c.Server.BootstrapCluster }).
		withFlag("bootstrap-cluster").
		describe("Found a new cluster from this node and raft.peers if the data directory is empty."),
	intKey("server.max_connections", 1, 1_000_000, func(c *Config) *int { return &c.Server.MaxConnections }).
		describe("Client connections beyond this are refused with SQLSTATE 53300."),
	durationKey("server.query_timeout", func(c *Config) *time.Duration { return &c.Server.QueryTimeout }).
		reload().
		describe("Statements running longer are cancelled (SQLSTATE 57014); 0s means no limit."),
	intKey("server.max_result_rows", 0, maxInt, func(c *Config) *int { return &c.Server.MaxResultRows }).
		describe("A statement returning more rows fails (SQLSTATE 54000); 0 means no limit."),
	intKey("server.work_mem_mb", 1, WorkMemMBMax, func(c *Config) *int { return &c.Server.WorkMemMB }).
		describe("Work memory budgeted per client connection, as PostgreSQL's work_mem: it counts max_connections times in " +
			"the server's memory budget, which becomes Go's soft memory limit. Each session starts with it as work_mem (SET work_mem changes it): " +
			"a statement whose sorts, hash tables, materialised CTEs and buffered result hold more fails with SQLSTATE 53200 (nothing spills to disk)."),

	addrKey("raft.addr", func(c *Config) *string { return &c.Raft.Addr }).
		withFlag("raft-addr").
		describe("Node-to-node (Raft) listener, host:port."),
	peersKey("raft.peers", func(c *Config) *[]Peer { return &c.Raft.Peers }).
		withFlag("peers").withComposeEnv("PEERS").
		describe("The other members' Raft addresses: host:port or id=host:port; empty runs a single-node cluster."),
	intKey("raft.election_timeout_ms", 2, 600_000, func(c *Config) *int { return &c.Raft.ElectionTimeoutMs }).
		describe("Follower election timeout; at least twice the heartbeat interval."),
	intKey("raft.heartbeat_interval_ms", 1, 60_000, func(c *Config) *int { return &c.Raft.HeartbeatIntervalMs }).
		describe("Leader heartbeat interval; also the Raft tick."),
	uintKey("raft.snapshot_interval", 1, maxUint64, func(c *Config) *uint64 { return &c.Raft.SnapshotInterval }).
		describe("Applied log entries between snapshots (log truncation points)."),

	enumKey("storage.engine", []string{"lsm", "rocksdb"}, func(c *Config) *string { return &c.Storage.Engine }).
		notSupported("only lsm; rocksdb is rejected").
		describe("Storage engine."),
	enumKey("storage.compaction_strategy", []string{"leveled", "size-tiered"}, func(c *Config) *string { return &c.Storage.CompactionStrategy }).
		describe("LSM compaction: leveled (less space and read amplification) or size-tiered (less write amplification)."),
	intKey("storage.memtable_size_mb", 1, 16_384, func(c *Config) *int { return &c.Storage.MemtableSizeMB }).
		describe("Memtable budget before a flush to an L0 table."),
	intKey("storage.sstable_size_mb", 1, 16_384, func(c *Config) *int { return &c.Storage.SSTableSizeMB }).
		describe("Target size of a compaction output table."),
	intKey("storage.bloom_filter_bits_per_key", 1, 64, func(c *Config) *int { return &c.Storage.BloomFilterBitsPerKey }).
		describe("Bloom filter size; 10 bits give about 1% false positives."),
	intKey("storage.max_open_files", 1, 1_000_000, func(c *Config) *int { return &c.Storage.MaxOpenFiles }).
		describe("Idle table readers kept open by the table cache."),
	intKey("storage.block_cache_size_mb", 1, 1<<20, func(c *Config) *int { return &c.Storage.BlockCacheSizeMB }).
		describe("Decoded-block cache budget."),
	floatKey("storage.disk_space_warn_percent", 0, 100, func(c *Config) *float64 { return &c.Storage.DiskSpaceWarnPercent }).
		describe("Free space (percent of the data volume) below which the server logs warnings."),
	floatKey("storage.disk_space_critical_percent", 0, 100, func(c *Config) *float64 { return &c.Storage.DiskSpaceCriticalPercent }).
		describe("Free space below which the node turns read-only until space is freed; at most the warn percent."),

	enumKey("transaction.isolation_level", []string{"snapshot", "serializable"}, func(c *Config) *string { return &c.Transaction.IsolationLevel }).
		describe("Default isolation: serializable (read-set checks) or snapshot (write-write checks only)."),
	intKey("transaction.lock_timeout_ms", 0, 3_600_000, func(c *Config) *int { return &c.Transaction.LockTimeoutMs }).
		notSupported("no effect: optimistic concurrency takes no locks").
		describe("Accepted for compatibility with the runbook."),
	intKey("transaction.max_retries", 0, 100, func(c *Config) *int { return &c.Transaction.MaxRetries }).
		describe("Automatic retries of an implicit (single-statement) transaction aborted by a conflict."),

	boolKey("sharding.enabled", func(c *Config) *bool { return &c.Sharding.Enabled }).
		notSupported("one Raft group holds all data; true logs a warning").
		describe("Split data into shards."),
	intKey("sharding.num_shards", 1, 65_536, func(c *Config) *int { return &c.Sharding.NumShards }).
		notSupported("no effect").
		describe("Shard count when sharding is enabled."),
	floatKey("sharding.rebalance_threshold", 0, 1, func(c *Config) *float64 { return &c.Sharding.RebalanceThreshold }).
		notSupported("no effect").
		describe("Imbalance fraction that triggers rebalancing."),

	regionsKey("replication.regions").
		notSupported("all members are equal voters; a non-empty list logs a warning").
		describe("Regions with priorities, as a YAML list of {name, priority}; file only."),
	boolKey("replication.follower_reads", func(c *Config) *bool { return &c.Replication.FollowerReads }).
		describe("Serve linearizable reads on followers (ReadIndex) instead of forwarding them to the leader."),
	intKey("replication.max_clock_skew_ms", 0, 60_000, func(c *Config) *int { return &c.Replication.MaxClockSkewMs }).
		describe("Clock skew bound assumed by leader leases."),

	boolKey("security.tls.enabled", func(c *Config) *bool { return &c.Security.TLS.Enabled }).
		describe("TLS for clients and mutual TLS between nodes."),
	stringKey("security.tls.cert_file", func(c *Config) *string { return &c.Security.TLS.CertFile }).
		describe("PEM certificate; required when TLS is enabled."),
	stringKey("security.tls.key_file", func(c *Config) *string { return &c.Security.TLS.KeyFile }).
		describe("PEM private key; required when TLS is enabled."),
	stringKey("security.tls.ca_file", func(c *Config) *string { return &c.Security.TLS.CAFile }).
		describe("PEM CA bundle for verifying peers and client certificates."),
	enumKey("security.auth.method", []string{"trust", "password", "client_cert", "jwt"}, func(c *Config) *string { return &c.Security.Auth.Method }).
		notSupported("jwt is rejected; client_cert passes validation (it needs TLS and ca_file) but lineradb-server refuses it at start-up").
		describe("Client authentication: trust, or password (SCRAM-SHA-256, with superuser_password_hash set; a hash alone under trust is not checked)."),
	requiredStringKey("security.auth.superuser", func(c *Config) *string { return &c.Security.Auth.Superuser }).
		describe("Name of the superuser created at bootstrap."),
	secretKey("security.auth.superuser_password_hash", func(c *Config) *Secret { return &c.Security.Auth.SuperuserPasswordHash }).
		describe("SCRAM-SHA-256 verifier from lineradb-server --hash-password, for the superuser."),
	boolKey("security.encryption_at_rest.enabled", func(c *Config) *bool { return &c.Security.EncryptionAtRest.Enabled }).
		notSupported("true is rejected: data would be written unencrypted").
		describe("Encrypt data files."),
	enumKey("security.encryption_at_rest.kms_provider", []string{"aws", "gcp", "vault"}, func(c *Config) *string { return &c.Security.EncryptionAtRest.KMSProvider }).
		notSupported("no effect").
		describe("Key management service for encryption at rest."),
	secretKey("security.admin_token", func(c *Config) *Secret { return &c.Security.AdminToken }).
		describe("Bearer token required by mutating /admin endpoints; empty allows them from loopback clients only."),

	boolKey("observability.metrics.enabled", func(c *Config) *bool { return &c.Observability.Metrics.Enabled }).
		describe("Serve Prometheus metrics at /metrics."),
	intKey("observability.metrics.prometheus_port", 0, 65_535, func(c *Config) *int { return &c.Observability.Metrics.PrometheusPort }).
		describe("Extra /metrics listener on http_addr's host (the runbook uses 9100); 0 serves metrics on http_addr only."),
	boolKey("observability.tracing.enabled", func(c *Config) *bool { return &c.Observability.Tracing.Enabled }).
		notSupported("no tracing exporter; true logs a warning").
		describe("Export traces."),
	urlKey("observability.tracing.jaeger_endpoint", func(c *Config) *string { return &c.Observability.Tracing.JaegerEndpoint }).
		notSupported("no effect").
		describe("Jaeger collector URL."),
	enumKey("observability.logging.format", []string{"text", "json"}, func(c *Config) *string { return &c.Observability.Logging.Format }).
		describe("Log format (log/slog text or JSON handler)."),
	requiredStringKey("observability.logging.output", func(c *Config) *string { return &c.Observability.Logging.Output }).
		describe("stderr, stdout, or a file path to append to."),
	boolKey("observability.logging.slow_query_enabled", func(c *Config) *bool { return &c.Observability.Logging.SlowQueryEnabled }).
		reload().
		describe("Log and count statements slower than the threshold."),
	durationKey("observability.logging.slow_query_threshold", func(c *Config) *time.Duration { return &c.Observability.Logging.SlowQueryThreshold }).
		reload().
		describe("Duration beyond which a statement is slow (lineradb_sql_slow_queries_total)."),
}

// WorkMemMBMax is server.work_mem_mb's ceiling: PostgreSQL's own (work_mem
// at most 2,147,483,647 kB), so a value copied from postgresql.conf loads.
const WorkMemMBMax = 2_097_151

// Meta flags and variables that are not settings.
const (
	flagConfig       = "config"
	flagHashPassword = "hash-password"
	envConfig        = "LINERADB_CONFIG"
)

// keyByPath finds a key; nil if there is none.
func keyByPath(path string) *key {
	for i := range keys {
		if keys[i].path == path {
			return &keys[i]
		}
	}
	return nil
}

// isSection reports whether path is a proper prefix (a mapping) of some key.
func isSection(path string) bool {
	for i := range keys {
		if strings.HasPrefix(keys[i].path, path+".") {
			return true
		}
	}
	return false
}
