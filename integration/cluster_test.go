package integration

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClusterOperations walks the runbook's procedures on one 3-node
// cluster: writes through every node, SIGKILL of the leader, manual
// failover, a rolling restart under traffic, adding and removing a fourth
// node, and backup/restore under load.
func TestClusterOperations(t *testing.T) {
	c := startCluster(t, 3)
	execRetry(t, c.nodes[0], "CREATE TABLE kv (k INT PRIMARY KEY, v INT)", 30*time.Second)
	all := map[int64]int64{}

	t.Run("WriteEveryNodeReadEveryNode", func(t *testing.T) {
		for i, p := range c.nodes {
			for j := range 20 {
				k := int64(i*1000 + j)
				execRetry(t, p, fmt.Sprintf("INSERT INTO kv VALUES (%d, %d)", k, k*10), 20*time.Second)
				all[k] = k * 10
			}
		}
		for _, p := range c.nodes {
			checkRows(t, fmt.Sprintf("node %d", p.id), readRows(t, p), all)
		}
	})

	t.Run("KillLeader", func(t *testing.T) {
		old := c.waitLeader(nil, 20*time.Second)
		killedAt := time.Now()
		old.kill()
		leader := c.waitLeader([]uint64{old.id}, 15*time.Second)
		t.Logf("SIGKILLed leader %d; node %d leads after %v", old.id, leader.id, time.Since(killedAt).Round(time.Millisecond))
		for j := range 20 {
			k := int64(5000 + j)
			execRetry(t, leader, fmt.Sprintf("INSERT INTO kv VALUES (%d, %d)", k, k*10), 20*time.Second)
			all[k] = k * 10
		}
		old.start(t)
		c.waitCaughtUp(old, 30*time.Second)
		checkRows(t, fmt.Sprintf("restarted node %d", old.id), readRows(t, old), all)
	})

	t.Run("StepDown", func(t *testing.T) {
		old := c.waitLeader(nil, 20*time.Second)
		code, body, err := old.post("/admin/step-down", "")
		if err != nil || code != 200 {
			t.Fatalf("step-down: %d %s %v", code, body, err)
		}
		leader := c.waitLeader([]uint64{old.id}, 15*time.Second)
		t.Logf("step-down on %d: node %d leads (%s)", old.id, leader.id, strings.TrimSpace(body))
		// A follower refuses with 409 and names the leader.
		code, body, _ = old.post("/admin/step-down", "")
		if code != 409 {
			t.Fatalf("step-down on a follower: %d %s", code, body)
		}
	})

	t.Run("RollingRestartUnderTraffic", func(t *testing.T) {
		w := newWriter(100_000)
		stop := make(chan struct{})
		wg := w.run(c, 4, stop)
		leader := c.waitLeader(nil, 20*time.Second)
		order := []*proc{}
		for _, p := range c.nodes {
			if p != leader {
				order = append(order, p)
			}
		}
		order = append(order, leader)
		for _, p := range order {
			time.Sleep(500 * time.Millisecond)
			if err := p.stop(t); err != nil {
				t.Errorf("node %d: SIGTERM exit: %v", p.id, err)
			}
			p.start(t)
			c.waitCaughtUp(p, 30*time.Second)
		}
		time.Sleep(500 * time.Millisecond)
		close(stop)
		wg.Wait()
		acked := w.ackedCopy()
		t.Logf("rolling restart: %d writes acknowledged, %d failed (refused or ambiguous)", len(acked), w.fails)
		if len(acked) == 0 {
			t.Fatal("no write succeeded during the rolling restart")
		}
		for k, v := range acked {
			all[k] = v
		}
		leader = c.waitLeader(nil, 20*time.Second)
		c.waitCaughtUp(c.nodes[0], 20*time.Second)
		for _, p := range c.nodes {
			checkRows(t, fmt.Sprintf("node %d after rolling restart", p.id), readRows(t, p), all)
		}
	})

	t.Run("AddAndRemoveFourthNode", func(t *testing.T) {
		leader := c.waitLeader(nil, 20*time.Second)
		// A snapshot truncates the log, so the new node must catch up by
		// snapshot rather than by replaying entries.
		if code, body, err := leader.post("/admin/snapshot", ""); err != nil || code != 200 {
			t.Fatalf("snapshot: %d %s %v", code, body, err)
		}
		// As the runbook's "Adding a node": no peers, no flag; the node
		// waits, and learns the leader's address when the leader calls.
		n4 := newProc(t, c.root, 4)
		c.nodes = append(c.nodes, n4)
		n4.start(t)
		code, body, err := leader.post("/admin/add-peer", fmt.Sprintf(`{"node_id": 4, "addr": %q}`, n4.raftAddr()))
		if err != nil || code != 200 {
			t.Fatalf("add-peer: %d %s %v", code, body, err)
		}
		c.waitCaughtUp(n4, 30*time.Second)
		checkRows(t, "node 4", readRows(t, n4), all)
		_, metrics, _ := n4.get("/metrics")
		if !strings.Contains(metrics, "lineradb_raft_snapshots_installed_total 1") {
			t.Errorf("node 4 did not catch up by snapshot:\n%s", grepLines(metrics, "snapshots"))
		}
		st, _ := leader.status()
		t.Logf("leader %d sees peers %+v", leader.id, st.Peers)
		// Removing an unknown node is a 404.
		if code, body, _ := leader.post("/admin/remove-peer", `{"node_id": 99}`); code != 404 {
			t.Fatalf("remove-peer 99: %d %s", code, body)
		}
		if code, body, err := leader.post("/admin/remove-peer", `{"node_id": 4}`); err != nil || code != 200 {
			t.Fatalf("remove-peer: %d %s %v", code, body, err)
		}
		if err := n4.stop(t); err != nil {
			t.Errorf("node 4 SIGTERM exit: %v", err)
		}
		c.nodes = c.nodes[:3]
		st, _ = leader.status()
		if len(st.Voters) != 3 {
			t.Fatalf("voters after removal: %v", st.Voters)
		}
	})

	t.Run("BackupUnderLoadAndRestore", func(t *testing.T) {
		w := newWriter(200_000)
		stop := make(chan struct{})
		wg := w.run(c, 3, stop)
		time.Sleep(time.Second)
		before := w.ackedCopy()
		target := filepath.Join(c.root, "backups")
		follower := c.nodes[0]
		if l := c.waitLeader(nil, 10*time.Second); l == follower {
			follower = c.nodes[1]
		}
		out, err := exec.Command(binDir+"lineradb-admin", "backup", "--node", follower.httpURL(), "--target-dir", target).CombinedOutput()
		if err != nil {
			t.Fatalf("lineradb-admin backup: %v\n%s", err, out)
		}
		time.Sleep(500 * time.Millisecond)
		close(stop)
		wg.Wait()
		_, list, _ := follower.get("/admin/backups")
		if !strings.Contains(list, target) {
			t.Fatalf("/admin/backups does not list the backup:\n%s", list)
		}
		dirs, _ := filepath.Glob(filepath.Join(target, "lineradb-*"))
		if len(dirs) != 1 {
			t.Fatalf("backups under %s: %v", target, dirs)
		}
		restoredDir := filepath.Join(c.root, "restored")
		out, err = exec.Command(binDir+"lineradb-admin", "restore", "--backup", dirs[0], "--data-dir", restoredDir, "--node-id", "1").CombinedOutput()
		if err != nil {
			t.Fatalf("lineradb-admin restore: %v\n%s", err, out)
		}
		t.Logf("restore: %s", strings.TrimSpace(string(out)))
		// Restoring again into the now non-empty directory is refused.
		if out, err := exec.Command(binDir+"lineradb-admin", "restore", "--backup", dirs[0], "--data-dir", restoredDir).CombinedOutput(); err == nil {
			t.Fatalf("restore into a non-empty directory succeeded:\n%s", out)
		}
		r := newProc(t, c.root, 1)
		r.dataDir = restoredDir
		r.start(t)
		defer r.kill()
		rc := &cluster{t: t, root: c.root, nodes: []*proc{r}}
		rc.waitLeader(nil, 20*time.Second)
		got := readRows(t, r)
		// Everything acknowledged before the backup began is in it; every
		// row in it was written by someone with that value.
		expect := map[int64]int64{}
		for k, v := range all {
			expect[k] = v
		}
		for k, v := range before {
			expect[k] = v
		}
		checkRows(t, "restored node", got, expect)
		for k, v := range got {
			if tv, ok := w.tried[k]; ok && tv != v {
				t.Fatalf("restored row %d=%d was never written (wrote %d)", k, v, tv)
			}
		}
		// The restored node is a writable cluster of its own.
		execRetry(t, r, "INSERT INTO kv VALUES (999999, 1)", 20*time.Second)
		t.Logf("backup under load: %d rows restored, %d acknowledged before the backup", len(got), len(before))
	})

	t.Run("GracefulShutdown", func(t *testing.T) {
		for _, p := range c.nodes {
			if err := p.stop(t); err != nil {
				t.Errorf("node %d: SIGTERM exit: %v", p.id, err)
			}
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

var _ = syscall.SIGSTOP
