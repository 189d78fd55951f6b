package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/pgwire"
)

// requestBodyBytesMax bounds an admin request body.
const requestBodyBytesMax = 1 << 20

// Ops is everything the HTTP API asks of the server. The real
// implementation (ops.go) runs on the node runtime; handler tests use a fake.
// Errors that are the caller's fault are *APIError with their HTTP status.
type Ops interface {
	Status() (StatusReply, error)
	// Ready says whether the node should receive traffic, and why not.
	Ready() (bool, string)
	AddPeer(id uint64, addr string) error
	RemovePeer(id uint64) error
	// StepDown hands leadership to the most caught-up voter and returns it.
	StepDown() (uint64, error)
	Snapshot() (uint64, error)
	Backup(targetDir string) (BackupInfo, error)
	Backups() ([]BackupInfo, error)
	SlowQueries() []SlowQuery
	ActiveQueries() []pgwire.ConnInfo
}

// APIError is an error with the HTTP status it is reported with.
type APIError struct {
	Code    int
	Message string
}

func (e *APIError) Error() string { return e.Message }

func apiErrorf(code int, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// StatusReply is GET /status.
type StatusReply struct {
	NodeID      uint64      `json:"node_id"`
	Role        string      `json:"role"`
	Term        uint64      `json:"term"`
	Leader      uint64      `json:"leader"`
	CommitIndex uint64      `json:"commit_index"`
	LastApplied uint64      `json:"last_applied"`
	Peers       []PeerReply `json:"peers"`
	Voters      []uint64    `json:"voters"`
	Learners    []uint64    `json:"learners"`
	Healthy     bool        `json:"healthy"`
	ReadOnly    bool        `json:"read_only"`
	Stopped     string      `json:"stopped,omitempty"`
}

// PeerReply is one member in /status. Status and Lag come from the leader's
// view; on a follower Status is "unknown" (ask the leader).
type PeerReply struct {
	ID      uint64 `json:"id"`
	Addr    string `json:"addr"`
	Status  string `json:"status"`
	Lag     uint64 `json:"lag"`
	Learner bool   `json:"learner,omitempty"`
}

// HealthReply is GET /health.
type HealthReply struct {
	Status        string `json:"status"`
	UptimeSeconds int64  `json:"uptime_seconds"`
	Version       string `json:"version"`
}

type peerRequest struct {
	NodeID uint64 `json:"node_id"`
	Addr   string `json:"addr"`
}

type backupRequest struct {
	TargetDir string `json:"target_dir"`
}

// postOnly are the mutating endpoints, for 405 answers to other methods.
var postOnly = map[string]bool{"/admin/add-peer": true, "/admin/remove-peer": true, "/admin/step-down": true, "/admin/snapshot": true, "/admin/backup": true}

// apiHandler serves the HTTP API.
type apiHandler struct {
	ops     Ops
	token   string
	version string
	started time.Time
	metrics http.Handler
}

// NewHandler returns the HTTP API: probes, status, metrics and admin. When
// token is non-empty every mutating (POST) endpoint requires
// "Authorization: Bearer <token>"; when it is empty they answer loopback
// clients only, so a node with no token configured cannot be driven (made
// to write backups, change membership) by whoever reaches its HTTP port.
func NewHandler(ops Ops, token, version string, started time.Time, metrics http.Handler) http.Handler {
	h := &apiHandler{ops: ops, token: token, version: version, started: started, metrics: metrics}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", h.health)
	mux.HandleFunc("GET /admin/health", h.health)
	mux.HandleFunc("GET /status", h.status)
	mux.HandleFunc("GET /admin/live", h.live)
	mux.HandleFunc("GET /admin/ready", h.ready)
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	mux.HandleFunc("POST /admin/add-peer", h.mutating(h.addPeer))
	mux.HandleFunc("POST /admin/remove-peer", h.mutating(h.removePeer))
	mux.HandleFunc("POST /admin/step-down", h.mutating(h.stepDown))
	mux.HandleFunc("POST /admin/snapshot", h.mutating(h.snapshot))
	mux.HandleFunc("POST /admin/backup", h.mutating(h.backup))
	mux.HandleFunc("GET /admin/backups", h.backups)
	mux.HandleFunc("GET /admin/slow-queries", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, h.ops.SlowQueries()) })
	mux.HandleFunc("GET /admin/active-queries", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, h.ops.ActiveQueries()) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/admin/") && r.Method != http.MethodPost && r.Method != http.MethodGet {
			writeError(w, apiErrorf(http.StatusMethodNotAllowed, "%s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		if postOnly[r.URL.Path] {
			writeError(w, apiErrorf(http.StatusMethodNotAllowed, "%s needs POST", r.URL.Path))
			return
		}
		writeError(w, apiErrorf(http.StatusNotFound, "no endpoint %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError reports err as {"error": message}: an *APIError with its own
// status, anything else as 500.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var ae *APIError
	if errors.As(err, &ae) {
		code = ae.Code
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

// mutating wraps a state-changing endpoint with the bearer-token check, or
// without a token, the loopback-only check.
func (h *apiHandler) mutating(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.token != "" && !h.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lineradb"`)
			writeError(w, apiErrorf(http.StatusUnauthorized, "missing or wrong bearer token (security.admin_token)"))
			return
		}
		if h.token == "" && !loopbackClient(r.RemoteAddr) {
			writeError(w, apiErrorf(http.StatusForbidden,
				"no security.admin_token is configured, so %s accepts only loopback clients (127.0.0.0/8, ::1), not %s: set security.admin_token to administer remotely",
				r.URL.Path, r.RemoteAddr))
			return
		}
		next(w, r)
	}
}

// loopbackClient says whether remoteAddr (an http.Request's RemoteAddr,
// "ip:port") is 127.0.0.0/8 or ::1. Anything unparsable is not loopback.
func loopbackClient(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	// Unmap: an IPv4 client on a dual-stack listener is ::ffff:127.0.0.1.
	return ip.Unmap().IsLoopback()
}

func (h *apiHandler) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(h.token)) == 1
}

// decodeBody reads a JSON object strictly: unknown fields, trailing data and
// oversized bodies are the client's error.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, requestBodyBytesMax))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiErrorf(http.StatusBadRequest, "bad JSON body: %v", err)
	}
	if dec.More() {
		return apiErrorf(http.StatusBadRequest, "bad JSON body: trailing data after the object")
	}
	return nil
}

func (h *apiHandler) health(w http.ResponseWriter, r *http.Request) {
	st, err := h.ops.Status()
	reply := HealthReply{Status: "healthy", UptimeSeconds: int64(time.Since(h.started).Seconds()), Version: h.version}
	code := http.StatusOK
	switch {
	case err != nil || st.Stopped != "":
		reply.Status, code = "unhealthy", http.StatusServiceUnavailable
	case st.ReadOnly:
		reply.Status = "degraded"
	}
	writeJSON(w, code, reply)
}

func (h *apiHandler) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.ops.Status()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *apiHandler) live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

func (h *apiHandler) ready(w http.ResponseWriter, r *http.Request) {
	ok, why := h.ops.Ready()
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": why})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (h *apiHandler) addPeer(w http.ResponseWriter, r *http.Request) {
	var req peerRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.NodeID == 0 {
		writeError(w, apiErrorf(http.StatusBadRequest, "node_id must be a positive integer"))
		return
	}
	if err := checkHostPort(req.Addr); err != nil {
		writeError(w, err)
		return
	}
	if err := h.ops.AddPeer(req.NodeID, req.Addr); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "added", "node_id": req.NodeID, "addr": req.Addr})
}

func (h *apiHandler) removePeer(w http.ResponseWriter, r *http.Request) {
	var req peerRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.NodeID == 0 {
		writeError(w, apiErrorf(http.StatusBadRequest, "node_id must be a positive integer"))
		return
	}
	if err := h.ops.RemovePeer(req.NodeID); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "removed", "node_id": req.NodeID})
}

func (h *apiHandler) stepDown(w http.ResponseWriter, r *http.Request) {
	to, err := h.ops.StepDown()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "transferring leadership", "to": to})
}

func (h *apiHandler) snapshot(w http.ResponseWriter, r *http.Request) {
	idx, err := h.ops.Snapshot()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "snapshot taken", "applied_index": idx})
}

func (h *apiHandler) backup(w http.ResponseWriter, r *http.Request) {
	var req backupRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := checkBackupTarget(req.TargetDir); err != nil {
		writeError(w, err)
		return
	}
	info, err := h.ops.Backup(req.TargetDir)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (h *apiHandler) backups(w http.ResponseWriter, r *http.Request) {
	list, err := h.ops.Backups()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}
