package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReload(t *testing.T) {
	fileMap := map[string]string{"c.yaml": "server:\n  log_level: info\n  data_dir: /a\n"}
	args := []string{"--config=c.yaml"}
	running := mustLoad(t, args, nil, fileMap)

	// Nothing changed: nothing to report.
	res, err := Reload(running, args, nil, files(fileMap))
	if err != nil || len(res.Changed) != 0 || len(res.RestartRequired) != 0 {
		t.Fatalf("unchanged reload = %+v, %v", res, err)
	}

	fileMap["c.yaml"] = "server:\n  log_level: debug\n  data_dir: /b\n  query_timeout: 5s\n" +
		"observability:\n  logging:\n    slow_query_threshold: 200ms\n    slow_query_enabled: false\n" +
		"storage:\n  memtable_size_mb: 8\n"
	res, err = Reload(running, args, nil, files(fileMap))
	if err != nil {
		t.Fatal(err)
	}
	want := Reloadable{LogLevel: "debug", QueryTimeout: 5 * time.Second, SlowQueryEnabled: false, SlowQueryThreshold: 200 * time.Millisecond}
	if res.Settings != want {
		t.Errorf("Settings = %+v, want %+v", res.Settings, want)
	}
	if res.Settings.SlogLevel().String() != "DEBUG" {
		t.Errorf("SlogLevel = %v", res.Settings.SlogLevel())
	}
	wantChanged := []string{
		"server.log_level: info -> debug",
		"server.query_timeout: 0s -> 5s",
		"observability.logging.slow_query_enabled: true -> false",
		"observability.logging.slow_query_threshold: 1s -> 200ms",
	}
	if !slices.Equal(res.Changed, wantChanged) {
		t.Errorf("Changed = %q, want %q", res.Changed, wantChanged)
	}
	if want := []string{"server.data_dir", "storage.memtable_size_mb"}; !slices.Equal(res.RestartRequired, want) {
		t.Errorf("RestartRequired = %q, want %q", res.RestartRequired, want)
	}
}

// TestReloadKeepsPrecedence: a flag given at start still beats the file
// after SIGHUP.
func TestReloadKeepsPrecedence(t *testing.T) {
	fileMap := map[string]string{"c.yaml": "server:\n  log_level: info\n"}
	args := []string{"--config=c.yaml", "--log-level=warn"}
	running := mustLoad(t, args, nil, fileMap)
	fileMap["c.yaml"] = "server:\n  log_level: debug\n"
	res, err := Reload(running, args, nil, files(fileMap))
	if err != nil {
		t.Fatal(err)
	}
	if res.Settings.LogLevel != "warn" || len(res.Changed) != 0 {
		t.Errorf("reload = %+v, want the flag's warn and no change", res)
	}
}

// TestReloadBadFile: a broken file is an error naming the key, and the
// caller keeps its running settings.
func TestReloadBadFile(t *testing.T) {
	fileMap := map[string]string{"c.yaml": "server:\n  log_level: info\n"}
	args := []string{"--config=c.yaml"}
	running := mustLoad(t, args, nil, fileMap)
	fileMap["c.yaml"] = "server:\n  log_level: chatty\n"
	res, err := Reload(running, args, nil, files(fileMap))
	if err == nil || res != nil || !strings.Contains(err.Error(), "server.log_level (c.yaml:2)") {
		t.Errorf("Reload = %+v, %v; want an error at c.yaml:2", res, err)
	}
	if running.Server.LogLevel != "info" {
		t.Errorf("running config modified")
	}
}

func TestReloadRedactsSecrets(t *testing.T) {
	env := []string{"LINERADB_SECURITY_ADMIN_TOKEN=first-token-0123456789"}
	running := mustLoad(t, nil, env, nil)
	res, err := Reload(running, nil, []string{"LINERADB_SECURITY_ADMIN_TOKEN=second-token-0123456789"}, files(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.RestartRequired, []string{"security.admin_token"}) {
		t.Errorf("RestartRequired = %q", res.RestartRequired)
	}
	for _, s := range append(res.Changed, res.RestartRequired...) {
		if strings.Contains(s, "token-") {
			t.Errorf("secret leaked: %q", s)
		}
	}
}
