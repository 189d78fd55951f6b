package config

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
)

// errCase is one configuration that must be refused with an error naming
// key and source.
type errCase struct {
	name      string
	args, env []string
	yaml      string // loaded as c.yaml when non-empty
	key, src  string // want: Error.Key, and Error.Source exactly
	reason    string // want: a substring of Error.Reason
}

func TestErrorsNameKeyAndSource(t *testing.T) {
	cases := []errCase{
		// Unknown keys, at every depth, with a suggestion when one is near.
		{name: "unknown section", yaml: "serverr:\n  node_id: 1\n", key: "serverr", src: "c.yaml:1", reason: "unknown key (did you mean server"},
		{name: "unknown key", yaml: "server:\n  nodeid: 1\n", key: "server.nodeid", src: "c.yaml:2", reason: "did you mean server.node_id?"},
		{name: "key in wrong section", yaml: "server:\n  peers: [a:1]\n", key: "server.peers", src: "c.yaml:2", reason: "did you mean raft.peers?"},
		{name: "unknown nested key", yaml: "security:\n  tls:\n    verify: true\n", key: "security.tls.verify", src: "c.yaml:3", reason: "unknown key"},
		{name: "unknown key under leaf", yaml: "security:\n  tls:\n    enabled:\n      x: 1\n", key: "security.tls.enabled", src: "c.yaml:4", reason: "single value"},
		{name: "unknown region field", yaml: "replication:\n  regions:\n    - {name: a, prio: 1}\n", key: "replication.regions", src: "c.yaml:3", reason: `unknown key "prio"`},
		{name: "merge key", yaml: "base: &b {node_id: 2}\nserver:\n  <<: *b\n", key: "base", src: "c.yaml:1", reason: "unknown key"},
		// Structure.
		{name: "duplicate key", yaml: "server:\n  node_id: 1\n  node_id: 2\n", key: "server.node_id", src: "c.yaml:3", reason: "set twice (first at line 2)"},
		{name: "section given a value", yaml: "server: 5\n", key: "server", src: "c.yaml:1", reason: "is a section"},
		{name: "list for scalar", yaml: "server:\n  log_level: [info]\n", key: "server.log_level", src: "c.yaml:2", reason: "single value"},
		{name: "null scalar", yaml: "server:\n  log_level:\n", key: "server.log_level", src: "c.yaml:2", reason: "has no value"},
		{name: "mapping for list", yaml: "raft:\n  peers: {a: 1}\n", key: "raft.peers", src: "c.yaml:2", reason: "must be a list"},
		{name: "nested list item", yaml: "raft:\n  peers:\n    - a:1\n    - [b:2]\n", key: "raft.peers", src: "c.yaml:4", reason: "entry 2 must be a single value"},
		{name: "top level list", yaml: "- a\n- b\n", key: "config file", src: "c.yaml:1", reason: "mapping of sections"},
		{name: "invalid yaml", yaml: "server:\n  node_id: [1\n", key: "config file", src: "c.yaml", reason: "not valid YAML"},
		{name: "tab indentation", yaml: "server:\n\tnode_id: 1\n", key: "config file", src: "c.yaml", reason: "not valid YAML"},
		{name: "two documents", yaml: "server: {}\n---\nraft: {}\n", key: "config file", src: "c.yaml", reason: "one YAML document"},
		{name: "missing file", args: []string{"--config=nope.yaml"}, key: "config file nope.yaml", src: "flag --config", reason: "cannot be read"},
		{name: "missing file via env", env: []string{"LINERADB_CONFIG=nope.yaml"}, key: "config file nope.yaml", src: "env LINERADB_CONFIG", reason: "cannot be read"},
		// Command line.
		{name: "unknown flag", args: []string{"--nodeid=1"}, key: "command line", reason: "flag provided but not defined: --nodeid"},
		{name: "flag without value", args: []string{"--node-id"}, key: "command line", reason: "needs an argument: --node-id"},
		{name: "stray argument", args: []string{"--node-id=1", "start"}, key: "command line", reason: `unexpected argument "start"`},
		// Bad values, one of each kind, from each source.
		{name: "node id 0 flag", args: []string{"--node-id=0"}, key: "server.node_id", src: "flag --node-id", reason: "must be at least 1"},
		{name: "node id 0 env", env: []string{"LINERADB_NODE_ID=0"}, key: "server.node_id", src: "env LINERADB_NODE_ID", reason: "must be at least 1"},
		{name: "node id 0 compose env", env: []string{"NODE_ID=0"}, key: "server.node_id", src: "env NODE_ID", reason: "must be at least 1"},
		{name: "node id 0 file", yaml: "server:\n  node_id: 0\n", key: "server.node_id", src: "c.yaml:2", reason: "must be at least 1"},
		{name: "node id negative", yaml: "server:\n  node_id: -3\n", key: "server.node_id", src: "c.yaml:2", reason: "must be at least 1"},
		{name: "node id text", args: []string{"--node-id=one"}, key: "server.node_id", src: "flag --node-id", reason: "whole number"},
		{name: "node id float", yaml: "server:\n  node_id: 1.5\n", key: "server.node_id", src: "c.yaml:2", reason: "whole number"},
		{name: "negative size", yaml: "storage:\n  memtable_size_mb: -64\n", key: "storage.memtable_size_mb", src: "c.yaml:2", reason: "between 1 and 16384"},
		{name: "huge size", env: []string{"LINERADB_STORAGE_SSTABLE_SIZE_MB=268435456"}, key: "storage.sstable_size_mb", src: "env LINERADB_STORAGE_SSTABLE_SIZE_MB", reason: "between 1 and 16384"},
		{name: "work mem 0", yaml: "server:\n  work_mem_mb: 0\n", key: "server.work_mem_mb", src: "c.yaml:2", reason: "between 1 and 2097151"},
		{name: "work mem beyond PostgreSQL's", env: []string{"LINERADB_SERVER_WORK_MEM_MB=2097152"}, key: "server.work_mem_mb", src: "env LINERADB_SERVER_WORK_MEM_MB", reason: "between 1 and 2097151"},
		{name: "work mem with unit", env: []string{"LINERADB_SERVER_WORK_MEM_MB=4MB"}, key: "server.work_mem_mb", src: "env LINERADB_SERVER_WORK_MEM_MB", reason: "whole number"},
		{name: "overflow", yaml: "server:\n  max_result_rows: 99999999999999999999\n", key: "server.max_result_rows", src: "c.yaml:2", reason: "too large"},
		{name: "bad enum", yaml: "storage:\n  compaction_strategy: size_tiered\n", key: "storage.compaction_strategy", src: "c.yaml:2", reason: "one of leveled, size-tiered"},
		{name: "bad isolation", env: []string{"LINERADB_TRANSACTION_ISOLATION_LEVEL=read committed"}, key: "transaction.isolation_level", src: "env LINERADB_TRANSACTION_ISOLATION_LEVEL", reason: "snapshot, serializable"},
		{name: "bad log level", args: []string{"--log-level=verbose"}, key: "server.log_level", src: "flag --log-level", reason: "debug, info, warn, error"},
		{name: "duration without unit", yaml: "server:\n  query_timeout: 30\n", key: "server.query_timeout", src: "c.yaml:2", reason: "with a unit"},
		{name: "negative duration", env: []string{"LINERADB_OBSERVABILITY_LOGGING_SLOW_QUERY_THRESHOLD=-1s"}, key: "observability.logging.slow_query_threshold", src: "env LINERADB_OBSERVABILITY_LOGGING_SLOW_QUERY_THRESHOLD", reason: "negative"},
		{name: "yaml 1.1 bool", yaml: "sharding:\n  enabled: yes\n", key: "sharding.enabled", src: "c.yaml:2", reason: "true or false"},
		{name: "bad bool flag", args: []string{"--bootstrap-cluster=maybe"}, key: "server.bootstrap_cluster", src: "flag --bootstrap-cluster", reason: "true or false"},
		{name: "percent out of range", yaml: "storage:\n  disk_space_warn_percent: 150\n", key: "storage.disk_space_warn_percent", src: "c.yaml:2", reason: "between 0 and 100"},
		{name: "percent NaN", env: []string{"LINERADB_STORAGE_DISK_SPACE_WARN_PERCENT=NaN"}, key: "storage.disk_space_warn_percent", src: "env LINERADB_STORAGE_DISK_SPACE_WARN_PERCENT", reason: "must be a number"},
		{name: "address without port", args: []string{"--listen-addr=0.0.0.0"}, key: "server.listen_addr", src: "flag --listen-addr", reason: "host:port"},
		{name: "address bad port", yaml: "raft:\n  addr: node1:99999\n", key: "raft.addr", src: "c.yaml:2", reason: "between 0 and 65535"},
		{name: "address named port", args: []string{"--http-addr=:http"}, key: "server.http_addr", src: "flag --http-addr", reason: "whole number"},
		{name: "empty data dir", args: []string{"--data-dir="}, key: "server.data_dir", src: "flag --data-dir", reason: "must not be empty"},
		{name: "bad url", yaml: "observability:\n  tracing:\n    jaeger_endpoint: jaeger:14268\n", key: "observability.tracing.jaeger_endpoint", src: "c.yaml:3", reason: "http:// or https://"},
		{name: "port out of range", env: []string{"LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=70000"}, key: "observability.metrics.prometheus_port", src: "env LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT", reason: "between 0 and 65535"},
		{name: "regions not a list", yaml: "replication:\n  regions: us-west-2\n", key: "replication.regions", src: "c.yaml:2", reason: "list of {name, priority}"},
		{name: "region without name", yaml: "replication:\n  regions:\n    - priority: 2\n", key: "replication.regions", src: "c.yaml:3", reason: "name must not be empty"},
		{name: "region twice", yaml: "replication:\n  regions:\n    - name: a\n    - name: a\n", key: "replication.regions", src: "c.yaml:4", reason: "listed twice"},
		// Peers.
		{name: "peer without port", args: []string{"--peers=node2,node3:9090"}, key: "raft.peers", src: "flag --peers", reason: `entry 1 ("node2")`},
		{name: "peer port 0", env: []string{"PEERS=node2:0"}, key: "raft.peers", src: "env PEERS", reason: "between 1 and 65535"},
		{name: "peer id 0", yaml: "raft:\n  peers: [\"0=node2:9090\"]\n", key: "raft.peers", src: "c.yaml:2", reason: "peer id"},
		{name: "peer twice", args: []string{"--peers=n2:1,n2:1"}, key: "raft.peers", src: "flag --peers", reason: "n2:1 is listed twice"},
		{name: "peer id twice", args: []string{"--peers=2=n2:1,2=n3:1"}, key: "raft.peers", src: "flag --peers", reason: "node id 2 is listed twice"},
		{name: "peer is self", args: []string{"--node-id=2", "--peers=1=n1:1,2=n2:1"}, key: "raft.peers", src: "flag --peers", reason: "own id"},
		// Combinations.
		{name: "heartbeat above election", yaml: "raft:\n  election_timeout_ms: 100\n  heartbeat_interval_ms: 60\n", key: "raft.election_timeout_ms", src: "c.yaml:2", reason: "at least twice"},
		{name: "critical above warn", env: []string{"LINERADB_STORAGE_DISK_SPACE_CRITICAL_PERCENT=20"}, key: "storage.disk_space_critical_percent", src: "env LINERADB_STORAGE_DISK_SPACE_CRITICAL_PERCENT", reason: "must not exceed"},
		{name: "tls without cert", yaml: "security:\n  tls:\n    enabled: true\n    key_file: k\n", key: "security.tls.cert_file", src: "default", reason: "required when security.tls.enabled"},
		{name: "tls without key", env: []string{"LINERADB_SECURITY_TLS_ENABLED=true", "LINERADB_SECURITY_TLS_CERT_FILE=c"}, key: "security.tls.key_file", src: "default", reason: "required"},
		{name: "client cert without tls", yaml: "security:\n  auth:\n    method: client_cert\n  tls:\n    ca_file: ca\n", key: "security.auth.method", src: "c.yaml:3", reason: "needs security.tls.enabled"},
		{name: "client cert without ca", yaml: "security:\n  auth:\n    method: client_cert\n  tls: {enabled: true, cert_file: c, key_file: k}\n", key: "security.tls.ca_file", src: "default", reason: "verify client certificates"},
		{name: "listen port clash", args: []string{"--http-addr=0.0.0.0:5432"}, key: "server.http_addr", src: "flag --http-addr", reason: "port 5432 is already used by server.listen_addr"},
		{name: "metrics port clash", env: []string{"LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=9090"}, key: "observability.metrics.prometheus_port", src: "env LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT", reason: "already used by raft.addr"},
		{name: "conflicting env names", env: []string{"LINERADB_NODE_ID=1", "LINERADB_SERVER_NODE_ID=2"}, key: "server.node_id", src: "env LINERADB_SERVER_NODE_ID and env LINERADB_NODE_ID", reason: "different values"},
		// Features this build refuses rather than silently ignores.
		{name: "encryption at rest", yaml: "security:\n  encryption_at_rest:\n    enabled: true\n", key: "security.encryption_at_rest.enabled", src: "c.yaml:3", reason: "not supported"},
		{name: "jwt auth", env: []string{"LINERADB_SECURITY_AUTH_METHOD=jwt"}, key: "security.auth.method", src: "env LINERADB_SECURITY_AUTH_METHOD", reason: "jwt is not supported"},
		{name: "rocksdb", yaml: "storage:\n  engine: rocksdb\n", key: "storage.engine", src: "c.yaml:2", reason: "not available in this build"},
		{name: "bad password hash", env: []string{"LINERADB_SECURITY_AUTH_SUPERUSER_PASSWORD_HASH=$2b$12$abc"}, key: "security.auth.superuser_password_hash", src: "env LINERADB_SECURITY_AUTH_SUPERUSER_PASSWORD_HASH", reason: "SCRAM-SHA-256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, tc)
		})
	}
}

func checkError(t *testing.T, tc errCase) {
	t.Helper()
	args := tc.args
	fileMap := map[string]string{}
	if tc.yaml != "" {
		fileMap["c.yaml"] = tc.yaml
		args = append([]string{"--config=c.yaml"}, args...)
	}
	cfg, err := Load(args, tc.env, files(fileMap))
	if err == nil {
		t.Fatalf("Load accepted it: %+v", cfg)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *config.Error", err)
	}
	if ce.Key != tc.key || ce.Source != tc.src || !strings.Contains(ce.Reason, tc.reason) {
		t.Errorf("got  key=%q src=%q reason=%q\nwant key=%q src=%q reason~%q", ce.Key, ce.Source, ce.Reason, tc.key, tc.src, tc.reason)
	}
	if !strings.Contains(err.Error(), tc.key) {
		t.Errorf("message %q does not name %s", err, tc.key)
	}
}

// TestEveryKeyRejectsGarbage sets each non-text key to garbage through its
// environment variable and, where it has one, its flag: the error must name
// the key and exactly that source.
func TestEveryKeyRejectsGarbage(t *testing.T) {
	const garbage = "#not-a-value#"
	for i := range keys {
		k := &keys[i]
		if k.kind == kindRegions {
			continue
		}
		if err := trySet(k, garbage); err == nil {
			continue // free text (paths, names, secrets)
		}
		t.Run(k.path, func(t *testing.T) {
			checkError(t, errCase{env: []string{k.envName() + "=" + garbage}, key: k.path, src: "env " + k.envName()})
			if k.flag != "" {
				checkError(t, errCase{args: []string{"--" + k.flag + "=" + garbage}, key: k.path, src: "flag --" + k.flag})
			}
			leaf := k.path[strings.LastIndex(k.path, ".")+1:]
			checkError(t, errCase{yaml: nest(k.path, leaf+": \""+garbage+"\""), key: k.path, src: "c.yaml:" + strconv.Itoa(strings.Count(k.path, ".")+1)})
		})
	}
}

func trySet(k *key, s string) error {
	c := Default()
	if k.kind == kindList {
		return k.setList(c, splitList(s))
	}
	return k.set(c, s)
}

// nest writes line at path's depth under its sections.
func nest(path, line string) string {
	parts := strings.Split(path, ".")
	var b strings.Builder
	for i, p := range parts[:len(parts)-1] {
		b.WriteString(strings.Repeat("  ", i) + p + ":\n")
	}
	b.WriteString(strings.Repeat("  ", len(parts)-1) + line + "\n")
	return b.String()
}

// TestAllErrorsReported: every bad key is reported in one pass, bounded by
// errorsMax.
func TestAllErrorsReported(t *testing.T) {
	_, err := Load([]string{"--config=c.yaml", "--node-id=0"}, []string{"LINERADB_LOG_LEVEL=loud"},
		files(map[string]string{"c.yaml": "server:\n  bogus: 1\nstorage:\n  memtable_size_mb: 0\n"}))
	for _, want := range []string{"server.bogus", "storage.memtable_size_mb", "LINERADB_LOG_LEVEL", "--node-id"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	var b strings.Builder
	b.WriteString("server:\n")
	for i := range 3 * errorsMax {
		b.WriteString("  bogus" + strings.Repeat("x", i) + ": 1\n")
	}
	_, err = Load([]string{"--config=c.yaml"}, nil, files(map[string]string{"c.yaml": b.String()}))
	if got := strings.Count(err.Error(), "\n") + 1; got != errorsMax+1 {
		t.Errorf("%d error lines, want %d plus a summary", got, errorsMax)
	}
	if !strings.Contains(err.Error(), "and 40 more errors") {
		t.Errorf("no summary of dropped errors:\n%v", err)
	}
}

func TestMissingFileWrapsNotExist(t *testing.T) {
	_, err := Load([]string{"--config=nope.yaml"}, nil, files(nil))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want it to wrap fs.ErrNotExist", err)
	}
}

func TestOversizeFileRefused(t *testing.T) {
	big := "# " + strings.Repeat("x", configFileBytesMax) + "\n"
	checkError(t, errCase{yaml: big, key: "config file", src: "c.yaml", reason: "at most"})
}

// FuzzLoadFile: any file content gives a Config or an error, never a panic.
func FuzzLoadFile(f *testing.F) {
	f.Add(readFileForFuzz(f, runbookFile))
	f.Add("server: {node_id: 1}\n")
	f.Add("raft:\n  peers: [*a]\n")
	f.Add("a: &a [*a]\n")
	f.Add("replication:\n  regions:\n    - &r {name: x}\n    - *r\n")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Load([]string{"--config=f.yaml"}, nil, files(map[string]string{"f.yaml": s}))
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Load returned cfg=%v err=%v", cfg, err)
		}
	})
}

func readFileForFuzz(f *testing.F, name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}
