package integration

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// binDir holds the binaries TestMain built.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Getenv("LINERADB_INTEGRATION") == "0" {
		fmt.Println("integration: skipped (-short or LINERADB_INTEGRATION=0)")
		os.Exit(0)
	}
	tmp, err := os.MkdirTemp("", "lineradb-integration-")
	if err != nil {
		panic(err)
	}
	binDir = filepath.Join(tmp, "bin") + string(filepath.Separator)
	build := exec.Command("go", "build", "-o", binDir, "./cmd/...")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Println("integration: build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// portsHandedOut remembers every port freePort returned: the kernel may
// hand a just-closed ephemeral port out again, and two listeners of one
// server given the same port fail its start-up.
var portsHandedOut = struct {
	sync.Mutex
	seen map[int]bool
}{seen: map[int]bool{}}

// freePortTriesMax bounds the retries for a port not handed out before.
const freePortTriesMax = 100

// freePort asks the kernel for a free loopback port that this process has
// not handed out before.
func freePort(t testing.TB) int {
	t.Helper()
	portsHandedOut.Lock()
	defer portsHandedOut.Unlock()
	for range freePortTriesMax {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !portsHandedOut.seen[port] {
			portsHandedOut.seen[port] = true
			return port
		}
	}
	t.Fatalf("no unused loopback port after %d tries", freePortTriesMax)
	return 0
}

// proc is one lineradb-server process.
type proc struct {
	id                         uint64
	dataDir                    string
	pgPort, raftPort, httpPort int
	peers                      []*proc
	bootstrap                  bool
	env                        []string
	// plainPeers writes --peers as the runbook does (host:port, no ids).
	plainPeers bool
	// bindAll binds the PostgreSQL and Raft listeners to 0.0.0.0, as the
	// runbook's commands do; others still reach them on 127.0.0.1.
	bindAll bool
	// sslRootCert, when set, makes dsn ask for TLS with verify-full
	// against this CA file.
	sslRootCert string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	logPath string
	starts  int
}

func (p *proc) raftAddr() string { return fmt.Sprintf("127.0.0.1:%d", p.raftPort) }
func (p *proc) httpURL() string  { return fmt.Sprintf("http://127.0.0.1:%d", p.httpPort) }
func (p *proc) dsn() string {
	ssl := "sslmode=disable"
	if p.sslRootCert != "" {
		ssl = "sslmode=verify-full&sslrootcert=" + p.sslRootCert
	}
	return fmt.Sprintf("postgres://admin@127.0.0.1:%d/lineradb?%s&connect_timeout=3", p.pgPort, ssl)
}

func newProc(t testing.TB, root string, id uint64) *proc {
	return &proc{id: id, dataDir: filepath.Join(root, fmt.Sprintf("node%d", id)), pgPort: freePort(t), raftPort: freePort(t), httpPort: freePort(t)}
}

// clusterEnv is the timing every test node runs with: a 50 ms tick and a
// 1 s election timeout leave room for a loaded 2-core machine; a small
// snapshot interval makes snapshots (and log truncation) happen in tests.
var clusterEnv = []string{
	"LINERADB_RAFT_HEARTBEAT_INTERVAL_MS=50",
	"LINERADB_RAFT_ELECTION_TIMEOUT_MS=1000",
	"LINERADB_RAFT_SNAPSHOT_INTERVAL=500",
	"LINERADB_LOG_LEVEL=info",
	"LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=0",
}

func (p *proc) start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	host := "127.0.0.1"
	if p.bindAll {
		host = "0.0.0.0"
	}
	args := []string{
		"--node-id=" + strconv.FormatUint(p.id, 10), "--data-dir=" + p.dataDir,
		fmt.Sprintf("--listen-addr=%s:%d", host, p.pgPort), fmt.Sprintf("--raft-addr=%s:%d", host, p.raftPort),
		fmt.Sprintf("--http-addr=127.0.0.1:%d", p.httpPort),
	}
	var peers []string
	for _, q := range p.peers {
		if p.plainPeers {
			peers = append(peers, q.raftAddr())
		} else {
			peers = append(peers, fmt.Sprintf("%d=%s", q.id, q.raftAddr()))
		}
	}
	if len(peers) > 0 {
		args = append(args, "--peers="+strings.Join(peers, ","))
	}
	if p.bootstrap {
		args = append(args, "--bootstrap-cluster")
	}
	p.starts++
	p.logPath = filepath.Join(filepath.Dir(p.dataDir), fmt.Sprintf("node%d.%d.log", p.id, p.starts))
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binDir+"lineradb-server", args...)
	cmd.Env = append(append(os.Environ(), clusterEnv...), p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(done chan struct{}) {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(done)
	}(p.exited)
}

func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

// kill SIGKILLs the process and waits for it.
func (p *proc) kill() {
	p.signal(syscall.SIGCONT) // a stopped process cannot die otherwise... it can, but be tidy
	p.signal(syscall.SIGKILL)
	<-p.exited
}

// stop SIGTERMs the process and returns its exit error (nil = exit 0).
func (p *proc) stop(t testing.TB) error {
	p.signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("node %d did not exit within 30s of SIGTERM", p.id)
		p.kill()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return p.exited != nil
	}
}

func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

type peerStatus struct {
	ID     uint64 `json:"id"`
	Addr   string `json:"addr"`
	Status string `json:"status"`
	Lag    uint64 `json:"lag"`
}

type nodeStatus struct {
	NodeID      uint64       `json:"node_id"`
	Role        string       `json:"role"`
	Term        uint64       `json:"term"`
	Leader      uint64       `json:"leader"`
	CommitIndex uint64       `json:"commit_index"`
	LastApplied uint64       `json:"last_applied"`
	Peers       []peerStatus `json:"peers"`
	Voters      []uint64     `json:"voters"`
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

func (p *proc) status() (nodeStatus, error) {
	var st nodeStatus
	resp, err := httpClient.Get(p.httpURL() + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return st, errors.New(resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// post sends a JSON admin request and returns the status code and body.
func (p *proc) post(path, body string) (int, string, error) {
	c := &http.Client{Timeout: 60 * time.Second}
	resp, err := c.Post(p.httpURL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func (p *proc) get(path string) (int, string, error) {
	resp, err := httpClient.Get(p.httpURL() + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s (last: %s)", timeout, what, last)
}

// cluster is a set of nodes started in one directory.
type cluster struct {
	t     testing.TB
	root  string
	nodes []*proc
}

func startCluster(t *testing.T, n int) *cluster {
	c := &cluster{t: t, root: t.TempDir()}
	for i := range n {
		c.nodes = append(c.nodes, newProc(t, c.root, uint64(i+1)))
	}
	for _, p := range c.nodes {
		for _, q := range c.nodes {
			if q != p {
				p.peers = append(p.peers, q)
			}
		}
	}
	c.nodes[0].bootstrap = true
	for _, p := range c.nodes {
		p.start(t)
	}
	t.Cleanup(func() {
		for _, p := range c.nodes {
			if p.running() {
				p.kill()
			}
		}
		if t.Failed() {
			for _, p := range c.nodes {
				t.Logf("--- node %d log (%s) ---\n%s", p.id, p.logPath, p.logTail())
			}
		}
	})
	c.waitLeader(nil, 20*time.Second)
	return c
}

func (c *cluster) node(id uint64) *proc {
	for _, p := range c.nodes {
		if p.id == id {
			return p
		}
	}
	c.t.Fatalf("no node %d", id)
	return nil
}

// waitLeader waits until every running node reports the same leader,
// none of excluded, and that node says it leads. It returns the leader.
func (c *cluster) waitLeader(excluded []uint64, timeout time.Duration) *proc {
	var leader uint64
	waitFor(c.t, "a leader every running node agrees on", timeout, func() (bool, string) {
		leader = 0
		for _, p := range c.nodes {
			if !p.running() {
				continue
			}
			st, err := p.status()
			if err != nil {
				return false, fmt.Sprintf("node %d: %v", p.id, err)
			}
			if st.Leader == 0 || (leader != 0 && st.Leader != leader) {
				return false, fmt.Sprintf("node %d sees leader %d, others %d", p.id, st.Leader, leader)
			}
			leader = st.Leader
		}
		for _, id := range excluded {
			if leader == id {
				return false, fmt.Sprintf("leader is still %d", id)
			}
		}
		st, err := c.node(leader).status()
		return err == nil && st.Role == "leader", fmt.Sprintf("leader %d role %s", leader, st.Role)
	})
	return c.node(leader)
}

// waitCaughtUp waits until p has applied everything the leader had
// committed when the wait began.
func (c *cluster) waitCaughtUp(p *proc, timeout time.Duration) {
	leader := c.waitLeader(nil, timeout)
	lst, err := leader.status()
	if err != nil {
		c.t.Fatal(err)
	}
	waitFor(c.t, fmt.Sprintf("node %d to apply index %d", p.id, lst.CommitIndex), timeout, func() (bool, string) {
		st, err := p.status()
		if err != nil {
			return false, err.Error()
		}
		return st.LastApplied >= lst.CommitIndex, fmt.Sprintf("applied %d", st.LastApplied)
	})
}

// connect opens a pgx connection with pgx's defaults (the extended
// protocol with a statement cache).
func connect(ctx context.Context, p *proc) (*pgx.Conn, error) {
	return pgx.Connect(ctx, p.dsn())
}

// sqlState returns the SQLSTATE of a server error, "" for anything else
// (a connection failure, a timeout).
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// definitelyFailed says whether err proves the statement had no effect:
// serialization failures are decided by applying the commit (aborted),
// unavailable means the request never started, a read-only refusal never
// reached Raft.
func definitelyFailed(err error) bool {
	switch sqlState(err) {
	case "40001", "57P03", "25006", "72000", "53300", "42P01":
		return true
	}
	return false
}

// execRetry runs stmt on node p until it succeeds or the timeout passes,
// retrying errors that prove nothing happened.
func execRetry(t testing.TB, p *proc, stmt string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := connect(ctx, p)
		if err == nil {
			_, err = conn.Exec(ctx, stmt)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("node %d: %s: %v", p.id, stmt, last)
}

// readRows returns table kv's rows as read through node p.
func readRows(t testing.TB, p *proc) map[int64]int64 {
	t.Helper()
	var last error
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rows, err := queryKV(ctx, p)
		cancel()
		if err == nil {
			return rows
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("node %d: reading kv: %v", p.id, last)
	return nil
}

func queryKV(ctx context.Context, p *proc) (map[int64]int64, error) {
	conn, err := connect(ctx, p)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT k, v FROM kv")
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// writer inserts distinct keys into kv through the running nodes,
// recording which inserts were acknowledged.
type writer struct {
	mu    sync.Mutex
	acked map[int64]int64
	tried map[int64]int64
	next  int64
	fails int
}

func newWriter(base int64) *writer {
	return &writer{acked: map[int64]int64{}, tried: map[int64]int64{}, next: base}
}

// run writes until stop closes, with `clients` connections that move to
// another node when theirs fails.
func (w *writer) run(c *cluster, clients int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w.client(c, i, stop)
		}(i)
	}
	return &wg
}

func (w *writer) client(c *cluster, i int, stop <-chan struct{}) {
	var conn *pgx.Conn
	pick := i
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-stop:
			return
		default:
		}
		if conn == nil {
			p := c.nodes[pick%len(c.nodes)]
			pick++
			if !p.running() {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			cn, err := connect(ctx, p)
			cancel()
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			conn = cn
		}
		w.mu.Lock()
		k := w.next
		w.next++
		w.tried[k] = k * 10
		w.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := conn.Exec(ctx, fmt.Sprintf("INSERT INTO kv VALUES (%d, %d)", k, k*10))
		cancel()
		w.mu.Lock()
		if err == nil {
			w.acked[k] = k * 10
		} else {
			w.fails++
		}
		w.mu.Unlock()
		if err != nil && sqlState(err) == "" {
			conn.Close(context.Background())
			conn = nil
		}
	}
}

func (w *writer) ackedCopy() map[int64]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[int64]int64, len(w.acked))
	for k, v := range w.acked {
		out[k] = v
	}
	return out
}

// checkRows fails unless every acknowledged row is in got, and every row in
// got in the writer's range was at least attempted with that value.
func checkRows(t testing.TB, who string, got, acked map[int64]int64) {
	t.Helper()
	missing := 0
	for k, v := range acked {
		if gv, ok := got[k]; !ok || gv != v {
			missing++
			if missing < 5 {
				t.Errorf("%s: acknowledged row %d=%d lost (got %d, present %v)", who, k, v, gv, ok)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%s: %d of %d acknowledged rows lost", who, missing, len(acked))
	}
}
