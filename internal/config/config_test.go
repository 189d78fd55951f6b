package config

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// files is an in-memory readFile.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

func mustLoad(t *testing.T, args, env []string, fileMap map[string]string) *Config {
	t.Helper()
	cfg, err := Load(args, env, files(fileMap))
	if err != nil {
		t.Fatalf("Load(%q, %q): %v", args, env, err)
	}
	return cfg
}

func TestDefaultsLoadWithNothing(t *testing.T) {
	cfg := mustLoad(t, nil, nil, nil)
	want := Default()
	want.Warnings = cfg.Warnings
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Load with nothing = %+v, want Default() %+v", cfg, want)
	}
	if cfg.Transaction.IsolationLevel != "serializable" {
		t.Errorf("default isolation = %q, want serializable (LineraDB's default)", cfg.Transaction.IsolationLevel)
	}
	wantWarn := []string{"security.auth.method is trust", "security.admin_token is not set"}
	checkWarnings(t, cfg.Warnings, wantWarn)
	for _, s := range cfg.Settings() {
		if s.Source != "default" {
			t.Errorf("%s: source %q, want default", s.Key, s.Source)
		}
	}
}

// checkWarnings wants exactly one warning per prefix, in order.
func checkWarnings(t *testing.T, got, wantPrefixes []string) {
	t.Helper()
	if len(got) != len(wantPrefixes) {
		t.Fatalf("warnings = %q, want %d starting with %q", got, len(wantPrefixes), wantPrefixes)
	}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(got[i], p) {
			t.Errorf("warning %d = %q, want prefix %q", i, got[i], p)
		}
	}
}

// TestPrecedence checks each layer overrides the ones below it, key by key:
// flag > LINERADB_* > compose alias > file > default.
func TestPrecedence(t *testing.T) {
	type layer struct {
		flag, env, alias, file string // "" = layer absent
	}
	cases := []struct {
		key                         string
		flagArg, envName, aliasName string
		fileYAML                    func(v string) string
		flagV, envV, aliasV, fileV  string
	}{
		{key: "server.log_level", flagArg: "--log-level", envName: "LINERADB_LOG_LEVEL",
			fileYAML: func(v string) string { return "server:\n  log_level: " + v + "\n" },
			flagV:    "error", envV: "warn", fileV: "debug"},
		{key: "server.node_id", flagArg: "--node-id", envName: "LINERADB_NODE_ID", aliasName: "NODE_ID",
			fileYAML: func(v string) string { return "server:\n  node_id: " + v + "\n" },
			flagV:    "4", envV: "3", aliasV: "2", fileV: "7"},
		{key: "server.node_id", flagArg: "--node-id", envName: "LINERADB_SERVER_NODE_ID", aliasName: "NODE_ID",
			fileYAML: func(v string) string { return "server:\n  node_id: " + v + "\n" },
			flagV:    "4", envV: "3", aliasV: "2", fileV: "7"},
		{key: "raft.peers", flagArg: "--peers", envName: "LINERADB_RAFT_PEERS", aliasName: "PEERS",
			fileYAML: func(v string) string { return "raft:\n  peers: [" + v + "]\n" },
			flagV:    "a:1", envV: "b:2", aliasV: "c:3", fileV: "d:4"},
		{key: "server.data_dir", flagArg: "--data-dir", envName: "LINERADB_DATA_DIR",
			fileYAML: func(v string) string { return "server:\n  data_dir: " + v + "\n" },
			flagV:    "/f", envV: "/e", fileV: "/y"},
		{key: "server.http_addr", flagArg: "--http-addr", envName: "LINERADB_SERVER_HTTP_ADDR",
			fileYAML: func(v string) string { return "server:\n  http_addr: " + v + "\n" },
			flagV:    "127.0.0.1:1", envV: "127.0.0.1:2", fileV: "127.0.0.1:3"},
		{key: "raft.addr", flagArg: "--raft-addr", envName: "LINERADB_RAFT_ADDR",
			fileYAML: func(v string) string { return "raft:\n  addr: " + v + "\n" },
			flagV:    ":9191", envV: ":9192", fileV: ":9193"},
		{key: "server.query_timeout", envName: "LINERADB_SERVER_QUERY_TIMEOUT",
			fileYAML: func(v string) string { return "server:\n  query_timeout: " + v + "\n" },
			envV:     "2s", fileV: "30s"},
		{key: "security.tls.enabled", envName: "LINERADB_SECURITY_TLS_ENABLED",
			fileYAML: func(v string) string {
				return "security:\n  tls:\n    enabled: " + v + "\n    cert_file: c\n    key_file: k\n"
			},
			envV: "false", fileV: "true"},
	}
	for _, tc := range cases {
		k := keyByPath(tc.key)
		def := k.get(Default())
		// Layers present, from all down to none; each time the highest
		// present one must win.
		steps := []struct {
			name       string
			f, e, a, y bool
			want, src  string
		}{
			{"all", true, true, true, true, tc.flagV, "flag " + tc.flagArg},
			{"no flag", false, true, true, true, tc.envV, "env " + tc.envName},
			{"alias", false, false, true, true, tc.aliasV, "env " + tc.aliasName},
			{"file", false, false, false, true, tc.fileV, "cfg.yaml:"},
			{"default", false, false, false, false, def, "default"},
		}
		for _, st := range steps {
			if (st.f && tc.flagArg == "") || (st.name == "alias" && tc.aliasName == "") {
				continue
			}
			var args, env []string
			fileMap := map[string]string{}
			if st.f && tc.flagArg != "" {
				args = append(args, tc.flagArg+"="+tc.flagV)
			}
			if st.e {
				env = append(env, tc.envName+"="+tc.envV)
			}
			if st.a && tc.aliasName != "" {
				env = append(env, tc.aliasName+"="+tc.aliasV)
			}
			if st.y {
				fileMap["cfg.yaml"] = tc.fileYAML(tc.fileV)
				args = append(args, "--config", "cfg.yaml")
			}
			t.Run(tc.key+"/"+tc.envName+"/"+st.name, func(t *testing.T) {
				cfg := mustLoad(t, args, env, fileMap)
				if got := k.get(cfg); got != st.want {
					t.Errorf("%s = %q, want %q", tc.key, got, st.want)
				}
				if got := cfg.Source(tc.key); !strings.HasPrefix(got, st.src) {
					t.Errorf("Source(%s) = %q, want prefix %q", tc.key, got, st.src)
				}
			})
		}
	}
}

func TestConfigPathFlagBeatsEnv(t *testing.T) {
	fileMap := map[string]string{
		"flag.yaml": "server:\n  node_id: 2\n",
		"env.yaml":  "server:\n  node_id: 3\n",
	}
	cfg := mustLoad(t, []string{"--config=flag.yaml"}, []string{"LINERADB_CONFIG=env.yaml"}, fileMap)
	if cfg.Server.NodeID != 2 || cfg.ConfigFile != "flag.yaml" {
		t.Errorf("node_id = %d from %q, want 2 from flag.yaml", cfg.Server.NodeID, cfg.ConfigFile)
	}
	cfg = mustLoad(t, nil, []string{"LINERADB_CONFIG=env.yaml"}, fileMap)
	if cfg.Server.NodeID != 3 || cfg.Source("server.node_id") != "env.yaml:2" {
		t.Errorf("node_id = %d from %q, want 3 from env.yaml:2", cfg.Server.NodeID, cfg.Source("server.node_id"))
	}
}

func TestFlagForms(t *testing.T) {
	cfg := mustLoad(t, []string{
		"-node-id", "5", "--data-dir=/d", "--bootstrap-cluster", "--peers", "1=n1:9090, n2:9090 ,",
		"--log-level=DEBUG", "--listen-addr=127.0.0.1:0",
	}, nil, nil)
	want := []Peer{{ID: 1, Addr: "n1:9090"}, {Addr: "n2:9090"}}
	switch {
	case cfg.Server.NodeID != 5, cfg.Server.DataDir != "/d", !cfg.Server.BootstrapCluster:
		t.Errorf("server = %+v", cfg.Server)
	case !reflect.DeepEqual(cfg.Raft.Peers, want):
		t.Errorf("peers = %+v, want %+v", cfg.Raft.Peers, want)
	case cfg.Server.LogLevel != "debug":
		t.Errorf("log level = %q, want enum values folded to lower case", cfg.Server.LogLevel)
	}
	cfg = mustLoad(t, []string{"--bootstrap-cluster=false"}, []string{"LINERADB_SERVER_BOOTSTRAP_CLUSTER=true"}, nil)
	if cfg.Server.BootstrapCluster {
		t.Error("--bootstrap-cluster=false did not override the environment")
	}
}

func TestYAMLForms(t *testing.T) {
	cases := []struct {
		name, yaml string
		check      func(*Config) string
	}{
		{"empty file", "", func(c *Config) string { return diffDefault(c) }},
		{"comments only", "# nothing\n", func(c *Config) string { return diffDefault(c) }},
		{"null document", "~\n", func(c *Config) string { return diffDefault(c) }},
		{"empty section", "server:\nraft: {}\n", func(c *Config) string { return diffDefault(c) }},
		{"peers as comma text", "raft:\n  peers: \"a:1, 2=b:2\"\n", func(c *Config) string {
			return wantEq(c.Raft.Peers, []Peer{{Addr: "a:1"}, {ID: 2, Addr: "b:2"}})
		}},
		{"peers null", "raft:\n  peers:\n", func(c *Config) string { return wantEq(len(c.Raft.Peers), 0) }},
		{"quoted number", "server:\n  node_id: \"9\"\n", func(c *Config) string { return wantEq(c.Server.NodeID, uint64(9)) }},
		{"anchor and alias", "server:\n  listen_addr: &a 127.0.0.1:7000\nraft:\n  peers: [*a]\n",
			func(c *Config) string { return wantEq(c.Raft.Peers, []Peer{{Addr: "127.0.0.1:7000"}}) }},
		{"flow mapping", "storage: {memtable_size_mb: 8, compaction_strategy: size-tiered}\n", func(c *Config) string {
			return wantEq([2]any{c.Storage.MemtableSizeMB, c.Storage.CompactionStrategy}, [2]any{8, "size-tiered"})
		}},
		{"durations", "server:\n  query_timeout: 1m30s\nobservability:\n  logging:\n    slow_query_threshold: 250ms\n",
			func(c *Config) string {
				return wantEq([2]time.Duration{c.Server.QueryTimeout, c.Observability.Logging.SlowQueryThreshold},
					[2]time.Duration{90 * time.Second, 250 * time.Millisecond})
			}},
		{"percent as float", "storage:\n  disk_space_warn_percent: 12.5\n  disk_space_critical_percent: 2\n",
			func(c *Config) string {
				return wantEq([2]float64{c.Storage.DiskSpaceWarnPercent, c.Storage.DiskSpaceCriticalPercent}, [2]float64{12.5, 2})
			}},
		{"regions", "replication:\n  regions:\n    - {name: a, priority: 1}\n    - name: b\n",
			func(c *Config) string {
				return wantEq(c.Replication.Regions, []Region{{"a", 1}, {"b", 1}})
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustLoad(t, []string{"--config=c.yaml"}, nil, map[string]string{"c.yaml": tc.yaml})
			if msg := tc.check(cfg); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func wantEq(got, want any) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	return fmt.Sprintf("got %+v, want %+v", got, want)
}

func diffDefault(c *Config) string {
	for i := range keys {
		if got, want := keys[i].get(c), keys[i].get(Default()); got != want {
			return fmt.Sprintf("%s = %q, want default %q", keys[i].path, got, want)
		}
	}
	return ""
}

// TestGetSetRoundTrip proves every key's printed form parses back to the
// same value: Settings output can be fed back as environment variables.
func TestGetSetRoundTrip(t *testing.T) {
	base := mustLoad(t, []string{"--config=r.yaml"}, nil, map[string]string{"r.yaml": runbookSupported(t)})
	for _, cfg := range []*Config{Default(), base} {
		var env []string
		for i := range keys {
			if k := &keys[i]; k.kind != kindRegions && k.get(cfg) != "" {
				env = append(env, k.envName()+"="+k.get(cfg))
			}
		}
		got := mustLoad(t, nil, env, nil)
		for i := range keys {
			k := &keys[i]
			if k.kind != kindRegions && k.get(got) != k.get(cfg) {
				t.Errorf("%s: %q round-tripped to %q", k.path, k.get(cfg), k.get(got))
			}
		}
	}
}

func TestHelpAndHashPassword(t *testing.T) {
	_, err := Load([]string{"--help"}, nil, files(nil))
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("--help: err = %v, want ErrHelp", err)
	}
	u := Usage()
	for i := range keys {
		if f := keys[i].flag; f != "" && !strings.Contains(u, "--"+f) {
			t.Errorf("Usage lacks --%s", f)
		}
	}
	for _, f := range []string{"--config", "--hash-password", "LINERADB_NODE_ID"} {
		if !strings.Contains(u, f) {
			t.Errorf("Usage lacks %s", f)
		}
	}
	// --hash-password reads nothing else: a broken environment and a
	// missing file do not stop it.
	cfg, err := Load([]string{"--hash-password", "s3cret", "--config=missing.yaml"},
		[]string{"LINERADB_NODE_ID=0"}, files(nil))
	if err != nil {
		t.Fatalf("--hash-password: %v", err)
	}
	if !cfg.HashPasswordMode || cfg.HashPassword.Reveal() != "s3cret" {
		t.Errorf("hash mode = %v, password %q", cfg.HashPasswordMode, cfg.HashPassword.Reveal())
	}
	cfg = mustLoad(t, []string{"--hash-password="}, nil, nil)
	if !cfg.HashPasswordMode || cfg.HashPassword != "" {
		t.Errorf("--hash-password= : mode %v password %q, want mode with empty password (read stdin)", cfg.HashPasswordMode, cfg.HashPassword)
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	const token, hash = "tok-0123456789abcdef-XYZ", "SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB"
	cfg := mustLoad(t, nil, []string{
		"LINERADB_SECURITY_ADMIN_TOKEN=" + token,
		"LINERADB_SECURITY_AUTH_SUPERUSER_PASSWORD_HASH=" + hash,
	}, nil)
	if cfg.Security.AdminToken.Reveal() != token {
		t.Fatalf("token not loaded")
	}
	printed := fmt.Sprintf("%v %+v %#v %s", cfg, *cfg, *cfg, cfg.Security.AdminToken)
	for _, s := range cfg.Settings() {
		printed += s.Value
	}
	for _, secret := range []string{token, "c2FsdA"} {
		if strings.Contains(printed, secret) {
			t.Errorf("secret %q printed", secret)
		}
	}
	// A bad secret is reported without its value.
	_, err := Load(nil, []string{"LINERADB_SECURITY_AUTH_SUPERUSER_PASSWORD_HASH=plaintext-pw"}, files(nil))
	if err == nil || strings.Contains(err.Error(), "plaintext-pw") {
		t.Errorf("bad hash: err = %v; want an error without the value", err)
	}
}

func TestRaftTicks(t *testing.T) {
	tick, election, heartbeat := Default().Raft.RaftTicks()
	if tick != 50*time.Millisecond || election != 6 || heartbeat != 1 {
		t.Errorf("RaftTicks = %v %d %d, want 50ms 6 1", tick, election, heartbeat)
	}
}

func TestUnknownEnvWarns(t *testing.T) {
	cfg := mustLoad(t, nil, []string{
		"LINERADB_NODEID=2", "LINERADB_ZZZ=1", "PATH=/bin", "NOEQUALS", "LINERADB_LOG_LEVEL=",
		"LINERADB_LISTEN_ADDR=127.0.0.1:5432", "LINERADB_SECURITY_ADMIN_TOKEN=0123456789abcdef",
		"LINERADB_REPLICATION_REGIONS=us-west-2",
	}, nil)
	checkWarnings(t, cfg.Warnings, []string{
		"environment variable LINERADB_REPLICATION_REGIONS is ignored: replication.regions can only be set in the config file",
		"environment variable LINERADB_NODEID is not a LineraDB setting and is ignored (did you mean LINERADB_NODE_ID?)",
		"environment variable LINERADB_ZZZ is not a LineraDB setting and is ignored",
	})
	if cfg.Server.LogLevel != "info" {
		t.Errorf("empty LINERADB_LOG_LEVEL changed the level to %q", cfg.Server.LogLevel)
	}
	// The first of duplicate entries wins, as with os.Getenv.
	cfg = mustLoad(t, nil, []string{"LINERADB_NODE_ID=2", "LINERADB_NODE_ID=3"}, nil)
	if cfg.Server.NodeID != 2 {
		t.Errorf("node id = %d, want the first entry's 2", cfg.Server.NodeID)
	}
}

// TestWorkMemFromEveryLayer: server.work_mem_mb defaults to PostgreSQL's
// 4 and is set by its systematic variable and by the file.
func TestWorkMemFromEveryLayer(t *testing.T) {
	if got := mustLoad(t, nil, nil, nil).Server.WorkMemMB; got != 4 {
		t.Errorf("default work_mem_mb = %d, want 4", got)
	}
	cfg := mustLoad(t, nil, []string{"LINERADB_SERVER_WORK_MEM_MB=16"}, nil)
	if cfg.Server.WorkMemMB != 16 || cfg.Source("server.work_mem_mb") != "env LINERADB_SERVER_WORK_MEM_MB" {
		t.Errorf("env: work_mem_mb = %d from %s", cfg.Server.WorkMemMB, cfg.Source("server.work_mem_mb"))
	}
	cfg = mustLoad(t, []string{"--config=c.yaml"}, nil, map[string]string{"c.yaml": "server:\n  work_mem_mb: 1\n"})
	if cfg.Server.WorkMemMB != 1 {
		t.Errorf("file: work_mem_mb = %d, want 1", cfg.Server.WorkMemMB)
	}
}

func TestSettingsOrderIsTableOrder(t *testing.T) {
	var got []string
	for _, s := range mustLoad(t, nil, nil, nil).Settings() {
		got = append(got, s.Key)
	}
	var want []string
	for i := range keys {
		want = append(want, keys[i].path)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Settings order = %v", got)
	}
}

// TestKeyTable checks the table's own invariants: one key per path, flag
// and variable name; no key is also a section; every key is documented and
// its default prints and parses back.
func TestKeyTable(t *testing.T) {
	paths, flags, envs := map[string]bool{}, map[string]bool{}, map[string]string{}
	for i := range keys {
		k := &keys[i]
		if paths[k.path] {
			t.Errorf("%s listed twice", k.path)
		}
		paths[k.path] = true
		if isSection(k.path) {
			t.Errorf("%s is both a key and a section", k.path)
		}
		if strings.Count(k.path, ".") < 1 || k.doc == "" {
			t.Errorf("%s: needs a section and a doc sentence", k.path)
		}
		if k.flag != "" {
			if flags[k.flag] || k.flag == flagConfig || k.flag == flagHashPassword {
				t.Errorf("flag --%s used twice", k.flag)
			}
			flags[k.flag] = true
		}
		for _, n := range append(k.envNames(), k.composeAlias) {
			if n == "" {
				continue
			}
			if other, dup := envs[n]; dup || n == envConfig {
				t.Errorf("variable %s sets both %s and %s", n, other, k.path)
			}
			envs[n] = k.path
		}
		if k.kind != kindRegions {
			if err := trySet(k, k.get(Default())); err != nil {
				t.Errorf("%s: default %q does not parse: %v", k.path, k.get(Default()), err)
			}
		}
	}
}

// A password hash under the default trust method is never checked: Load
// must say so rather than let an operator believe passwords are required.
func TestHashUnderTrustWarns(t *testing.T) {
	const hash = "SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB"
	env := []string{"LINERADB_LISTEN_ADDR=127.0.0.1:5432", "LINERADB_SECURITY_ADMIN_TOKEN=0123456789abcdef",
		"LINERADB_SECURITY_AUTH_SUPERUSER_PASSWORD_HASH=" + hash}
	cfg := mustLoad(t, nil, env, nil)
	checkWarnings(t, cfg.Warnings, []string{
		"security.auth.superuser_password_hash is set but security.auth.method is trust",
	})
	cfg = mustLoad(t, nil, append(env, "LINERADB_SECURITY_AUTH_METHOD=password"), nil)
	checkWarnings(t, cfg.Warnings, nil)
}
