package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// runbookFile is the runbook's example lineradb.yaml, copied verbatim.
const runbookFile = "testdata/runbook-lineradb.yaml"

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runbookSupported is the runbook example with its one setting this build
// refuses (encryption at rest) turned off.
func runbookSupported(t *testing.T) string {
	t.Helper()
	s := readTestdata(t, runbookFile)
	const on = "  encryption_at_rest:\n    enabled: true\n"
	if !strings.Contains(s, on) {
		t.Fatal("runbook example no longer enables encryption_at_rest")
	}
	return strings.Replace(s, on, "  encryption_at_rest:\n    enabled: false\n", 1)
}

// TestRunbookExampleAsIs: the example asks for encryption at rest, which this
// build cannot do; silently writing plaintext would surprise, so it is the
// one error, pointing at its line.
func TestRunbookExampleAsIs(t *testing.T) {
	_, err := Load([]string{"--config", runbookFile}, nil, nil)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load(runbook example) = %v, want a *config.Error", err)
	}
	if n := strings.Count(err.Error(), "config: "); n != 1 {
		t.Fatalf("want exactly one error, got %d:\n%v", n, err)
	}
	if ce.Key != "security.encryption_at_rest.enabled" || ce.Source != runbookFile+":61" {
		t.Errorf("error = %v, want security.encryption_at_rest.enabled at %s:62", err, runbookFile)
	}
	if !strings.Contains(ce.Reason, "not supported") {
		t.Errorf("reason %q does not say the feature is unsupported", ce.Reason)
	}
}

// TestRunbookExampleLoads: with encryption off, every other key of the
// runbook example loads, and the unsupported-but-harmless ones warn.
func TestRunbookExampleLoads(t *testing.T) {
	cfg := mustLoad(t, []string{"--config=rb.yaml"}, nil, map[string]string{"rb.yaml": runbookSupported(t)})
	checkWarnings(t, cfg.Warnings, []string{
		"security.admin_token is not set",
		"sharding.enabled is true",
		"replication.regions is set",
		"observability.tracing.enabled is true",
	})
	checks := []struct {
		got, want any
	}{
		{cfg.Server.NodeID, uint64(1)},
		{cfg.Server.DataDir, "/var/lib/lineradb"},
		{cfg.Raft.Peers, []Peer{{Addr: "node2:9090"}, {Addr: "node3:9090"}}},
		{cfg.Raft.SnapshotInterval, uint64(10000)},
		{cfg.Storage.CompactionStrategy, "leveled"},
		{cfg.Storage.MaxOpenFiles, 1000},
		{cfg.Transaction.IsolationLevel, "snapshot"},
		{cfg.Transaction.LockTimeoutMs, 5000},
		{cfg.Sharding, ShardingConfig{Enabled: true, NumShards: 16, RebalanceThreshold: 0.2}},
		{cfg.Replication.Regions, []Region{{"us-west-2", 1}, {"us-east-1", 2}, {"eu-west-1", 3}}},
		{cfg.Replication.MaxClockSkewMs, 500},
		{cfg.Security.TLS, TLSConfig{true, "/etc/lineradb/certs/server.crt", "/etc/lineradb/certs/server.key", "/etc/lineradb/certs/ca.crt"}},
		{cfg.Security.Auth.Method, "client_cert"},
		{cfg.Observability.Metrics, MetricsConfig{true, 9100}},
		{cfg.Observability.Tracing.JaegerEndpoint, "http://jaeger:14268/api/traces"},
		{cfg.Observability.Logging.Format, "json"},
		{cfg.Observability.Logging.Output, "/var/log/lineradb/lineradb.log"},
		{cfg.Source("storage.engine"), "rb.yaml:20"},
	}
	for i, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("check %d: got %+v, want %+v", i, c.got, c.want)
		}
	}
}

// TestRunbookEnvironmentExample loads the runbook's environment-variable
// block as written.
func TestRunbookEnvironmentExample(t *testing.T) {
	cfg := mustLoad(t, nil, []string{
		"LINERADB_NODE_ID=1",
		"LINERADB_LISTEN_ADDR=0.0.0.0:5432",
		"LINERADB_DATA_DIR=/data",
		"LINERADB_LOG_LEVEL=debug",
		"LINERADB_RAFT_PEERS=node2:9090,node3:9090",
	}, nil)
	if cfg.Server.DataDir != "/data" || cfg.Server.LogLevel != "debug" || len(cfg.Raft.Peers) != 2 {
		t.Errorf("runbook environment gave %+v %+v", cfg.Server, cfg.Raft)
	}
	// The runbook's docker-compose environment, plain host:port peers.
	cfg = mustLoad(t, nil, []string{"NODE_ID=2", "PEERS=node1:9090,node3:9090"}, nil)
	if want := []Peer{{Addr: "node1:9090"}, {Addr: "node3:9090"}}; cfg.Server.NodeID != 2 || !reflect.DeepEqual(cfg.Raft.Peers, want) {
		t.Errorf("runbook compose environment gave node %d peers %+v", cfg.Server.NodeID, cfg.Raft.Peers)
	}
}

// TestRunbookCommandLines loads the runbook's three-node command lines.
func TestRunbookCommandLines(t *testing.T) {
	for i, peers := range []string{"node2:9090,node3:9090", "node1:9090,node3:9090", "node1:9090,node2:9090"} {
		args := []string{"--node-id=" + string(rune('1'+i)), "--data-dir=/var/lib/lineradb/node" + string(rune('1'+i)),
			"--listen-addr=0.0.0.0:5432", "--raft-addr=0.0.0.0:9090", "--peers=" + peers}
		if i == 0 {
			args = append(args, "--bootstrap-cluster")
		}
		cfg := mustLoad(t, args, nil, nil)
		if cfg.Server.NodeID != uint64(i+1) || len(cfg.Raft.Peers) != 2 || cfg.Server.BootstrapCluster != (i == 0) {
			t.Errorf("node %d: %+v %+v", i+1, cfg.Server, cfg.Raft)
		}
	}
}

// TestRepoExampleConfig: the lineradb.yaml at the repository root is the
// supported example and loads with only the admin-token reminder.
func TestRepoExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "lineradb.yaml")
	cfg, err := Load([]string{"--config", path}, nil, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	checkWarnings(t, cfg.Warnings, []string{"security.admin_token is not set"})
	// Every key appears in it, so it documents the whole schema.
	text := readTestdata(t, path)
	for i := range keys {
		name := keys[i].path[strings.LastIndex(keys[i].path, ".")+1:]
		if !strings.Contains(text, name+":") {
			t.Errorf("%s lacks %s", path, keys[i].path)
		}
	}
}
