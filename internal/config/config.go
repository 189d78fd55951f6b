package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// Config is everything lineradb-server reads at start-up. Its sections
// mirror the runbook's lineradb.yaml; every field's YAML key, environment
// variable, flag, default and reloadability are listed in keys.go (the one
// table that drives parsing, Reload and docs/CONFIG.md).
type Config struct {
	Server        ServerConfig
	Raft          RaftConfig
	Storage       StorageConfig
	Transaction   TransactionConfig
	Sharding      ShardingConfig
	Replication   ReplicationConfig
	Security      SecurityConfig
	Observability ObservabilityConfig

	// ConfigFile is the YAML file that was loaded ("" when none was given).
	ConfigFile string
	// HashPasswordMode is set by --hash-password: the server prints the
	// SCRAM-SHA-256 verifier of HashPassword (reading the password from
	// stdin when it is empty) and exits instead of starting. Nothing else is
	// loaded in this mode.
	HashPasswordMode bool
	HashPassword     Secret
	// Warnings are non-fatal findings (accepted-but-unsupported settings,
	// risky combinations), in a deterministic order, for the server to log.
	Warnings []string

	// sources maps a key's path to where its value came from; keys at
	// their default are absent.
	sources map[string]string
}

// ServerConfig is the `server:` section plus the limits borrowed from
// ThunderDB's top-level keys.
type ServerConfig struct {
	NodeID           uint64
	ListenAddr       string
	HTTPAddr         string
	DataDir          string
	LogLevel         string
	BootstrapCluster bool
	MaxConnections   int
	// QueryTimeout bounds one statement; 0 means no limit (PostgreSQL's
	// statement_timeout default).
	QueryTimeout time.Duration
	// MaxResultRows bounds the rows one statement may return; 0 means no
	// limit.
	MaxResultRows int
	// WorkMemMB is the work memory budgeted per client connection, as
	// PostgreSQL's work_mem (default 4). The server counts it
	// max_connections times in its memory budget, which becomes the Go soft
	// memory limit: a larger value lets the heap grow further before the
	// GC works harder; a smaller one bounds the process more tightly at
	// the cost of GC CPU under load.
	WorkMemMB int
}

// RaftConfig is the `raft:` section.
type RaftConfig struct {
	Addr                string
	Peers               []Peer
	ElectionTimeoutMs   int
	HeartbeatIntervalMs int
	SnapshotInterval    uint64
}

// Peer is one entry of raft.peers: "host:port" or "id=host:port".
type Peer struct {
	// ID is the peer's node id, or 0 when the entry gave only an address;
	// the server learns such a peer's id from the transport handshake.
	ID uint64
	// Addr is the peer's Raft address, host:port.
	Addr string
}

// String returns the entry in the form it is written in.
func (p Peer) String() string {
	if p.ID == 0 {
		return p.Addr
	}
	return strconv.FormatUint(p.ID, 10) + "=" + p.Addr
}

// StorageConfig is the `storage:` section. The MB fields map one to one onto
// lsm.Options.
type StorageConfig struct {
	Engine                   string
	CompactionStrategy       string
	MemtableSizeMB           int
	SSTableSizeMB            int
	BloomFilterBitsPerKey    int
	MaxOpenFiles             int
	BlockCacheSizeMB         int
	DiskSpaceWarnPercent     float64
	DiskSpaceCriticalPercent float64
}

// TransactionConfig is the `transaction:` section.
type TransactionConfig struct {
	IsolationLevel string
	LockTimeoutMs  int
	MaxRetries     int
}

// ShardingConfig is the `sharding:` section (accepted, not yet supported).
type ShardingConfig struct {
	Enabled            bool
	NumShards          int
	RebalanceThreshold float64
}

// ReplicationConfig is the `replication:` section.
type ReplicationConfig struct {
	Regions        []Region
	FollowerReads  bool
	MaxClockSkewMs int
}

// Region is one entry of replication.regions (accepted, not yet supported).
type Region struct {
	Name     string
	Priority int
}

// SecurityConfig is the `security:` section.
type SecurityConfig struct {
	TLS              TLSConfig
	Auth             AuthConfig
	EncryptionAtRest EncryptionConfig
	// AdminToken, when set, is the bearer token the HTTP admin endpoints
	// that change state require.
	AdminToken Secret
}

// TLSConfig is security.tls.
type TLSConfig struct {
	Enabled  bool
	CertFile string
	KeyFile  string
	CAFile   string
}

// AuthConfig is security.auth.
type AuthConfig struct {
	Method                string
	Superuser             string
	SuperuserPasswordHash Secret
}

// EncryptionConfig is security.encryption_at_rest (accepted only disabled).
type EncryptionConfig struct {
	Enabled     bool
	KMSProvider string
}

// ObservabilityConfig is the `observability:` section.
type ObservabilityConfig struct {
	Metrics MetricsConfig
	Tracing TracingConfig
	Logging LoggingConfig
}

// MetricsConfig is observability.metrics.
type MetricsConfig struct {
	Enabled bool
	// PrometheusPort is a second listener for /metrics on the host of
	// server.http_addr; 0 (the default) serves /metrics on http_addr only.
	// Off by default so several nodes on one machine do not collide on it.
	PrometheusPort int
}

// TracingConfig is observability.tracing (accepted, not yet supported).
type TracingConfig struct {
	Enabled        bool
	JaegerEndpoint string
}

// LoggingConfig is observability.logging.
type LoggingConfig struct {
	Format             string
	Output             string
	SlowQueryEnabled   bool
	SlowQueryThreshold time.Duration
}

// Default returns the configuration used when nothing overrides it.
func Default() *Config {
	return &Config{
		Server: ServerConfig{
			NodeID:         1,
			ListenAddr:     "0.0.0.0:5432",
			HTTPAddr:       "0.0.0.0:8080",
			DataDir:        "./data",
			LogLevel:       "info",
			MaxConnections: 1000,
			QueryTimeout:   0,
			MaxResultRows:  1_000_000,
			WorkMemMB:      4,
		},
		Raft: RaftConfig{
			Addr:                "0.0.0.0:9090",
			ElectionTimeoutMs:   300,
			HeartbeatIntervalMs: 50,
			SnapshotInterval:    10000,
		},
		Storage: StorageConfig{
			Engine:                   "lsm",
			CompactionStrategy:       "leveled",
			MemtableSizeMB:           64,
			SSTableSizeMB:            256,
			BloomFilterBitsPerKey:    10,
			MaxOpenFiles:             1000,
			BlockCacheSizeMB:         128,
			DiskSpaceWarnPercent:     10,
			DiskSpaceCriticalPercent: 5,
		},
		Transaction: TransactionConfig{
			IsolationLevel: "serializable",
			LockTimeoutMs:  5000,
			MaxRetries:     3,
		},
		Sharding: ShardingConfig{
			NumShards:          16,
			RebalanceThreshold: 0.2,
		},
		Replication: ReplicationConfig{
			FollowerReads:  true,
			MaxClockSkewMs: 500,
		},
		Security: SecurityConfig{
			Auth:             AuthConfig{Method: "trust", Superuser: "admin"},
			EncryptionAtRest: EncryptionConfig{KMSProvider: "aws"},
		},
		Observability: ObservabilityConfig{
			Metrics: MetricsConfig{Enabled: true, PrometheusPort: 0},
			Logging: LoggingConfig{
				Format:             "text",
				Output:             "stderr",
				SlowQueryEnabled:   true,
				SlowQueryThreshold: time.Second,
			},
		},
	}
}

// Source says where the value of the key at path (e.g. "server.node_id")
// came from: "default", "flag --node-id", "env LINERADB_NODE_ID" or
// "FILE:LINE".
func (c *Config) Source(path string) string {
	if s, ok := c.sources[path]; ok {
		return s
	}
	return "default"
}

// SlogLevel returns server.log_level as a slog level.
func (c *Config) SlogLevel() slog.Level {
	return logLevel(c.Server.LogLevel)
}

func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// RaftTicks converts the millisecond settings into the raft package's
// abstract ticks: one tick per heartbeat interval, so HeartbeatTicks is 1 and
// ElectionTicks is the election timeout in whole heartbeats (validation
// guarantees at least 2).
func (r RaftConfig) RaftTicks() (tick time.Duration, electionTicks, heartbeatTicks int) {
	tick = time.Duration(r.HeartbeatIntervalMs) * time.Millisecond
	return tick, r.ElectionTimeoutMs / r.HeartbeatIntervalMs, 1
}

// Secret is a string that must not reach logs: every printed form is
// redacted. Use Reveal where the value itself is needed.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts a non-empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString redacts a non-empty secret under %#v too.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// LogValue redacts the secret in structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in JSON and YAML output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
