package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/sql/pgwire"
)

// fakeOps records calls; members are the known node ids.
type fakeOps struct {
	members  map[uint64]bool
	leader   bool
	calls    []string
	notReady string
}

func (f *fakeOps) Status() (StatusReply, error) {
	return StatusReply{NodeID: 1, Role: "leader", Term: 3, Leader: 1, Peers: []PeerReply{{ID: 2, Addr: "n2:9090", Status: "healthy", Lag: 1}}}, nil
}
func (f *fakeOps) Ready() (bool, string) { return f.notReady == "", f.notReady }
func (f *fakeOps) AddPeer(id uint64, addr string) error {
	f.calls = append(f.calls, "add")
	if f.members[id] {
		return apiErrorf(http.StatusConflict, "node %d is already a voting member", id)
	}
	f.members[id] = true
	return nil
}
func (f *fakeOps) RemovePeer(id uint64) error {
	f.calls = append(f.calls, "remove")
	if !f.members[id] {
		return apiErrorf(http.StatusNotFound, "node %d is not a member", id)
	}
	delete(f.members, id)
	return nil
}
func (f *fakeOps) StepDown() (uint64, error) {
	f.calls = append(f.calls, "step-down")
	if !f.leader {
		return 0, apiErrorf(http.StatusConflict, "not the leader")
	}
	return 2, nil
}
func (f *fakeOps) Snapshot() (uint64, error) { f.calls = append(f.calls, "snapshot"); return 7, nil }
func (f *fakeOps) Backup(dir string) (BackupInfo, error) {
	f.calls = append(f.calls, "backup")
	if dir == "/fail" {
		return BackupInfo{}, errors.New("disk on fire")
	}
	return BackupInfo{Name: "b1", Path: dir + "/b1"}, nil
}
func (f *fakeOps) Backups() ([]BackupInfo, error) { return []BackupInfo{{Name: "b1"}}, nil }
func (f *fakeOps) SlowQueries() []SlowQuery {
	return []SlowQuery{{Query: "SELECT 1", DurationMs: 1200}}
}
func (f *fakeOps) ActiveQueries() []pgwire.ConnInfo { return []pgwire.ConnInfo{} }

func newTestAPI(token string) (*fakeOps, *httptest.Server) {
	ops := &fakeOps{members: map[uint64]bool{1: true, 2: true, 3: true}, leader: true}
	h := NewHandler(ops, token, "test-1", time.Now().Add(-5*time.Second), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "m 1\n") }))
	return ops, httptest.NewServer(h)
}

func do(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestHealthAndStatus(t *testing.T) {
	_, srv := newTestAPI("")
	defer srv.Close()
	code, m := do(t, srv, "GET", "/health", "", "")
	if code != 200 || m["status"] != "healthy" || m["version"] != "test-1" || m["uptime_seconds"].(float64) < 5 {
		t.Fatalf("health: %d %v", code, m)
	}
	code, m = do(t, srv, "GET", "/status", "", "")
	for _, k := range []string{"node_id", "role", "term", "leader", "commit_index", "last_applied", "peers"} {
		if _, ok := m[k]; !ok {
			t.Errorf("/status lacks %q: %v", k, m)
		}
	}
	peer := m["peers"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "addr", "status", "lag"} {
		if _, ok := peer[k]; !ok {
			t.Errorf("/status peer lacks %q: %v", k, peer)
		}
	}
	if code != 200 {
		t.Fatal(code)
	}
	if code, _ := do(t, srv, "GET", "/admin/live", "", ""); code != 200 {
		t.Fatalf("live %d", code)
	}
	if code, _ := do(t, srv, "GET", "/admin/ready", "", ""); code != 200 {
		t.Fatalf("ready %d", code)
	}
}

func TestReadyFailsWithReason(t *testing.T) {
	ops, srv := newTestAPI("")
	defer srv.Close()
	ops.notReady = "no known leader"
	code, m := do(t, srv, "GET", "/admin/ready", "", "")
	if code != http.StatusServiceUnavailable || m["reason"] != "no known leader" {
		t.Fatalf("ready: %d %v", code, m)
	}
}

func TestTokenRequiredOnMutatingEndpoints(t *testing.T) {
	ops, srv := newTestAPI("s3cret")
	defer srv.Close()
	for _, path := range []string{"/admin/add-peer", "/admin/remove-peer", "/admin/step-down", "/admin/snapshot", "/admin/backup"} {
		for _, tok := range []string{"", "wrong"} {
			code, m := do(t, srv, "POST", path, tok, `{"node_id": 4, "addr": "n4:9090"}`)
			if code != http.StatusUnauthorized || m["error"] == nil {
				t.Errorf("%s with token %q: %d %v, want 401", path, tok, code, m)
			}
		}
	}
	if len(ops.calls) != 0 {
		t.Fatalf("ops reached without a token: %v", ops.calls)
	}
	if code, _ := do(t, srv, "POST", "/admin/snapshot", "s3cret", ""); code != 200 {
		t.Fatalf("snapshot with token: %d", code)
	}
	// Read-only endpoints stay open.
	if code, _ := do(t, srv, "GET", "/status", "", ""); code != 200 {
		t.Fatalf("status without token: %d", code)
	}
}

func TestBadRequests(t *testing.T) {
	ops, srv := newTestAPI("")
	defer srv.Close()
	cases := []struct {
		path, body string
		code       int
	}{
		{"/admin/add-peer", `{"node_id": 4, "addr": `, 400},               // truncated JSON
		{"/admin/add-peer", `not json`, 400},                              // garbage
		{"/admin/add-peer", `{"node_id": "four", "addr": "x:1"}`, 400},    // wrong type
		{"/admin/add-peer", `{"node_id": 4, "addr": "x:1", "z": 1}`, 400}, // unknown field
		{"/admin/add-peer", `{"node_id": 4}`, 400},                        // no addr
		{"/admin/add-peer", `{"node_id": 4, "addr": "nohost"}`, 400},      // not host:port
		{"/admin/add-peer", `{"node_id": 4, "addr": "h:99999"}`, 400},
		{"/admin/add-peer", `{"node_id": 0, "addr": "h:1"}`, 400},
		{"/admin/add-peer", `{"node_id": -1, "addr": "h:1"}`, 400},
		{"/admin/add-peer", `{"node_id": 2, "addr": "h:1"}`, 409}, // already a member
		{"/admin/remove-peer", `{"node_id": 9}`, 404},             // unknown node
		{"/admin/remove-peer", `{}`, 400},
		{"/admin/remove-peer", `{"node_id": 3} {"node_id": 2}`, 400}, // trailing data
		{"/admin/backup", `{"target": "/x"}`, 400},
		{"/admin/backup", `{"target_dir": "/fail"}`, 500},
	}
	for _, c := range cases {
		code, m := do(t, srv, "POST", c.path, "", c.body)
		if code != c.code {
			t.Errorf("POST %s %s: %d %v, want %d", c.path, c.body, code, m, c.code)
		}
		if msg, _ := m["error"].(string); msg == "" {
			t.Errorf("POST %s %s: no JSON error message: %v", c.path, c.body, m)
		}
	}
	if !ops.members[3] || !ops.members[2] {
		t.Fatal("a rejected request changed membership")
	}
	if code, _ := do(t, srv, "GET", "/admin/add-peer", "", ""); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET on a POST endpoint: %d", code)
	}
	if code, m := do(t, srv, "GET", "/nope", "", ""); code != 404 || m["error"] == nil {
		t.Fatalf("unknown path: %d %v", code, m)
	}
}

func TestAdminHappyPaths(t *testing.T) {
	ops, srv := newTestAPI("")
	defer srv.Close()
	if code, m := do(t, srv, "POST", "/admin/add-peer", "", `{"node_id": 4, "addr": "node4:9090"}`); code != 200 || !ops.members[4] {
		t.Fatalf("add-peer: %d %v", code, m)
	}
	if code, m := do(t, srv, "POST", "/admin/remove-peer", "", `{"node_id": 4}`); code != 200 || ops.members[4] {
		t.Fatalf("remove-peer: %d %v", code, m)
	}
	if code, m := do(t, srv, "POST", "/admin/step-down", "", ""); code != 200 || m["to"].(float64) != 2 {
		t.Fatalf("step-down: %d %v", code, m)
	}
	ops.leader = false
	if code, _ := do(t, srv, "POST", "/admin/step-down", "", ""); code != 409 {
		t.Fatalf("step-down on a follower: %d", code)
	}
	if code, m := do(t, srv, "POST", "/admin/backup", "", `{"target_dir": "/b"}`); code != 200 || m["path"] != "/b/b1" {
		t.Fatalf("backup: %d %v", code, m)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/admin/slow-queries", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var slow []SlowQuery
	if err := json.NewDecoder(resp.Body).Decode(&slow); err != nil || len(slow) != 1 || slow[0].DurationMs != 1200 {
		t.Fatalf("slow-queries: %v %v", slow, err)
	}
	resp.Body.Close()
}
