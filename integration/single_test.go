package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineradb/lineradb/checker"
)

// startSingle starts a self-bootstrapping single node with extra env.
func startSingle(t *testing.T, env ...string) (*cluster, *proc) {
	c := &cluster{t: t, root: t.TempDir()}
	p := newProc(t, c.root, 1)
	p.env = env
	// An explicit --node-id with no peers waits to be added unless told
	// to found its own cluster.
	p.bootstrap = true
	c.nodes = []*proc{p}
	p.start(t)
	t.Cleanup(func() {
		if p.running() {
			p.kill()
		}
		if t.Failed() {
			t.Logf("--- node log ---\n%s", p.logTail())
		}
	})
	c.waitLeader(nil, 20*time.Second)
	return c, p
}

func TestSingleNodeLimitsAndSignals(t *testing.T) {
	statfs := filepath.Join(t.TempDir(), "statfs")
	if err := os.WriteFile(statfs, []byte("50 100"), 0o644); err != nil {
		t.Fatal(err)
	}
	metricsPort := freePort(t)
	_, p := startSingle(t, "LINERADBTEST_STATFS_FILE="+statfs, "LINERADB_SERVER_MAX_CONNECTIONS=3",
		"LINERADB_SERVER_MAX_RESULT_ROWS=5", fmt.Sprintf("LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=%d", metricsPort),
		"LINERADB_OBSERVABILITY_LOGGING_FORMAT=json")
	execRetry(t, p, "CREATE TABLE kv (k INT PRIMARY KEY, v INT)", 20*time.Second)
	execRetry(t, p, "INSERT INTO kv VALUES (1,1),(2,2),(3,3),(4,4),(5,5),(6,6)", 20*time.Second)
	ctx := context.Background()

	t.Run("MaxResultRows", func(t *testing.T) {
		conn, err := connect(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, "SELECT k FROM kv")
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
		}
		if sqlState(err) != "54000" {
			t.Fatalf("6 rows with max_result_rows=5: %v, want SQLSTATE 54000", err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 6 {
			t.Fatalf("count after the refused query: %d %v", n, err)
		}
	})

	t.Run("MaxConnections", func(t *testing.T) {
		waitFor(t, "earlier connections to close", 5*time.Second, func() (bool, string) {
			_, m, _ := p.get("/metrics")
			return strings.Contains(m, "\nlineradb_sql_connections 0\n"), ""
		})
		var errs []error
		for range 4 {
			conn, err := connect(ctx, p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			defer conn.Close(ctx)
		}
		if len(errs) != 1 || sqlState(errs[0]) != "53300" {
			t.Fatalf("4 connections with max_connections=3: errors %v, want one 53300", errs)
		}
	})

	t.Run("DiskCriticalIsReadOnly", func(t *testing.T) {
		_ = os.WriteFile(statfs, []byte("1 100"), 0o644)
		waitFor(t, "read-only mode", 5*time.Second, func() (bool, string) {
			_, m, _ := p.get("/metrics")
			return strings.Contains(m, "\nlineradb_storage_read_only 1\n"), ""
		})
		conn, err := connect(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "INSERT INTO kv VALUES (7, 7)")
		if sqlState(err) != "25006" || !strings.Contains(err.Error(), "disk space critical") {
			t.Fatalf("write on a full disk: %v, want 25006 naming the disk", err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 6 {
			t.Fatalf("read on a read-only node: %d %v", n, err)
		}
		_, health, _ := p.get("/health")
		if !strings.Contains(health, "degraded") {
			t.Errorf("/health on a read-only node: %s", health)
		}
		_ = os.WriteFile(statfs, []byte("60 100"), 0o644)
		waitFor(t, "writes to resume", 5*time.Second, func() (bool, string) {
			_, err := conn.Exec(ctx, "INSERT INTO kv VALUES (7, 7)")
			return err == nil, fmt.Sprint(err)
		})
	})

	t.Run("MetricsOnPrometheusPort", func(t *testing.T) {
		resp, err := httpClient.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("prometheus_port /metrics: %s", resp.Status)
		}
	})

	t.Run("SIGHUPReloadsLogLevel", func(t *testing.T) {
		p.signal(syscall.SIGHUP)
		waitFor(t, "the reload log line", 5*time.Second, func() (bool, string) {
			b, _ := os.ReadFile(p.logPath)
			return strings.Contains(string(b), "SIGHUP: configuration reloaded"), ""
		})
	})

	t.Run("SIGKILLLosesNothingAcknowledged", func(t *testing.T) {
		execRetry(t, p, "INSERT INTO kv VALUES (8, 8)", 10*time.Second)
		p.kill()
		p.start(t)
		var n, v int
		waitFor(t, "the restarted node to serve", 20*time.Second, func() (bool, string) {
			conn, err := connect(ctx, p)
			if err != nil {
				return false, err.Error()
			}
			defer conn.Close(ctx)
			err = conn.QueryRow(ctx, "SELECT count(*), sum(v) FROM kv").Scan(&n, &v)
			return err == nil, fmt.Sprint(err)
		})
		if n != 8 || v != 36 {
			t.Fatalf("after SIGKILL: %d rows summing to %d, want 8 and 36", n, v)
		}
	})

	t.Run("SIGTERMExitsZero", func(t *testing.T) {
		if err := p.stop(t); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		b, _ := os.ReadFile(p.logPath)
		if !strings.Contains(string(b), `"msg":"lineradb-server stopped"`) {
			t.Fatalf("no JSON 'stopped' log line:\n%s", b)
		}
	})
}

func TestHashPassword(t *testing.T) {
	out, err := exec.Command(binDir+"lineradb-server", "--hash-password", "s3cret").Output()
	if err != nil || !strings.HasPrefix(string(out), "SCRAM-SHA-256$4096:") {
		t.Fatalf("--hash-password: %q %v", out, err)
	}
}

func TestBadConfigIsAStartupError(t *testing.T) {
	out, err := exec.Command(binDir+"lineradb-server", "--node-id=0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "node") {
		t.Fatalf("--node-id=0: %v\n%s", err, out)
	}
}

// TestRegisterCheckerRejectsStaleRead proves the Jepsen test's verdict can
// fail: a read of an overwritten value after the overwrite completed.
func TestRegisterCheckerRejectsStaleRead(t *testing.T) {
	h := &history{rec: checker.NewRecorder(0), start: time.Now()}
	id := h.invoke(0, checker.Put(1, 10))
	h.end(id, &checker.Reply{}, "ok")
	id = h.invoke(0, checker.Put(1, 20))
	h.end(id, &checker.Reply{}, "ok")
	id = h.invoke(1, checker.Get(1))
	h.end(id, &checker.Reply{Found: true, Value: 10}, "ok")
	res, err := checker.Linearizable(h.rec.History())
	if err != nil || res.OK {
		t.Fatalf("stale read accepted: ok=%v err=%v", res.OK, err)
	}
}
