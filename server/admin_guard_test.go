package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveFrom runs one request through the handler as if it came from
// remoteAddr, and returns the status and decoded JSON reply.
func serveFrom(t *testing.T, h http.Handler, remoteAddr, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remoteAddr
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m
}

func newGuardAPI(token string) (*fakeOps, http.Handler) {
	ops := &fakeOps{members: map[uint64]bool{1: true, 2: true, 3: true}, leader: true}
	return ops, NewHandler(ops, token, "test-1", time.Now(), nil)
}

var mutatingPaths = []string{"/admin/add-peer", "/admin/remove-peer", "/admin/step-down", "/admin/snapshot", "/admin/backup"}

// With no admin token, mutating endpoints refuse non-loopback clients with
// a 403 naming the reason, before any operation runs.
func TestNoTokenRefusesRemoteClients(t *testing.T) {
	ops, h := newGuardAPI("")
	for _, remote := range []string{"10.0.0.5:41000", "[2001:db8::1]:41000", "192.168.1.2:1", "128.0.0.1:5", "[::2]:5", "garbage"} {
		for _, path := range mutatingPaths {
			code, m := serveFrom(t, h, remote, "POST", path, "", `{}`)
			msg, _ := m["error"].(string)
			if code != http.StatusForbidden || !strings.Contains(msg, "security.admin_token") || !strings.Contains(msg, "loopback") {
				t.Errorf("POST %s from %s: %d %v, want 403 naming admin_token and loopback", path, remote, code, m)
			}
		}
	}
	if len(ops.calls) != 0 {
		t.Fatalf("ops reached from a remote client: %v", ops.calls)
	}
	// Read-only endpoints stay open to everyone.
	if code, _ := serveFrom(t, h, "10.0.0.5:41000", "GET", "/status", "", ""); code != http.StatusOK {
		t.Fatalf("GET /status from a remote client: %d", code)
	}
}

func TestNoTokenAcceptsLoopbackClients(t *testing.T) {
	ops, h := newGuardAPI("")
	for _, remote := range []string{"127.0.0.1:40000", "127.1.2.3:40000", "[::1]:40000", "[::ffff:127.0.0.1]:40000"} {
		if code, m := serveFrom(t, h, remote, "POST", "/admin/snapshot", "", ""); code != http.StatusOK {
			t.Errorf("snapshot from %s: %d %v", remote, code, m)
		}
	}
	if len(ops.calls) != 4 {
		t.Fatalf("calls = %v, want 4 snapshots", ops.calls)
	}
}

// A configured token is the remote-access path: with it, remote clients
// are accepted; without it they get 401, not 403.
func TestTokenAllowsRemoteClients(t *testing.T) {
	_, h := newGuardAPI("s3cret-token")
	if code, m := serveFrom(t, h, "10.0.0.5:41000", "POST", "/admin/snapshot", "s3cret-token", ""); code != http.StatusOK {
		t.Fatalf("remote snapshot with token: %d %v", code, m)
	}
	if code, _ := serveFrom(t, h, "10.0.0.5:41000", "POST", "/admin/snapshot", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("remote snapshot without token: %d, want 401", code)
	}
}

func TestBackupTargetDirRules(t *testing.T) {
	root := t.TempDir()
	nonEmpty := filepath.Join(root, "full")
	if err := os.MkdirAll(filepath.Join(nonEmpty, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir  string
		code int
	}{
		{"", 200},                              // the default root under the data directory
		{filepath.Join(root, "new", "b"), 200}, // does not exist yet
		{empty, 200},
		{"backups", 400},     // relative
		{"./backups", 400},   // relative
		{"../../etc", 400},   // relative
		{nonEmpty, 400},      // has an entry
		{root, 400},          // has entries
		{file, 400},          // not a directory
		{"/tmp/a\x00b", 400}, // NUL
	}
	for _, c := range cases {
		ops, h := newGuardAPI("")
		body, _ := json.Marshal(map[string]string{"target_dir": c.dir})
		code, m := serveFrom(t, h, "127.0.0.1:40000", "POST", "/admin/backup", "", string(body))
		if code != c.code {
			t.Errorf("target_dir %q: %d %v, want %d", c.dir, code, m, c.code)
		}
		if c.code != 200 {
			if msg, _ := m["error"].(string); msg == "" {
				t.Errorf("target_dir %q: no JSON error: %v", c.dir, m)
			}
			if len(ops.calls) != 0 {
				t.Errorf("target_dir %q: backup ran although refused", c.dir)
			}
		}
	}
}
