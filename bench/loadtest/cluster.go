package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clusterEnv is the integration tests' timing: a 50 ms tick and a 1 s
// election timeout leave room for a loaded 2-core machine.
var clusterEnv = []string{
	"LINERADB_RAFT_HEARTBEAT_INTERVAL_MS=50",
	"LINERADB_RAFT_ELECTION_TIMEOUT_MS=1000",
	"LINERADB_LOG_LEVEL=warn",
	"LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=0",
}

type node struct {
	id                         uint64
	pgPort, raftPort, httpPort int
	cmd                        *exec.Cmd
}

type cluster struct {
	dir   string
	nodes []*node
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startCluster builds (unless bin is given) and starts n nodes on
// loopback, node 1 bootstrapping the cluster, and waits for a leader.
func startCluster(n int, bin string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "lineradb-loadtest-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	if bin == "" {
		bin = filepath.Join(dir, "lineradb-server")
		build := exec.Command("go", "build", "-o", bin, "./cmd/lineradb-server")
		build.Dir = ".." // the main module, beside bench/
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building lineradb-server: %w", err)
		}
	}
	for i := range n {
		nd := &node{id: uint64(i + 1)}
		for _, p := range []*int{&nd.pgPort, &nd.raftPort, &nd.httpPort} {
			if *p, err = freePort(); err != nil {
				return nil, err
			}
		}
		c.nodes = append(c.nodes, nd)
	}
	for _, nd := range c.nodes {
		if err := c.startNode(bin, nd); err != nil {
			c.stop()
			return nil, err
		}
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) startNode(bin string, nd *node) error {
	var peers []string
	for _, q := range c.nodes {
		if q != nd {
			peers = append(peers, fmt.Sprintf("%d=127.0.0.1:%d", q.id, q.raftPort))
		}
	}
	args := []string{
		"--node-id=" + strconv.FormatUint(nd.id, 10),
		"--data-dir=" + filepath.Join(c.dir, fmt.Sprintf("node%d", nd.id)),
		fmt.Sprintf("--listen-addr=127.0.0.1:%d", nd.pgPort),
		fmt.Sprintf("--raft-addr=127.0.0.1:%d", nd.raftPort),
		fmt.Sprintf("--http-addr=127.0.0.1:%d", nd.httpPort),
	}
	if len(peers) > 0 {
		args = append(args, "--peers="+strings.Join(peers, ","))
	}
	if nd.id == 1 {
		args = append(args, "--bootstrap-cluster")
	}
	logf, err := os.Create(filepath.Join(c.dir, fmt.Sprintf("node%d.log", nd.id)))
	if err != nil {
		return err
	}
	nd.cmd = exec.Command(bin, args...)
	nd.cmd.Env = append(os.Environ(), clusterEnv...)
	nd.cmd.Stdout, nd.cmd.Stderr = logf, logf
	return nd.cmd.Start()
}

// waitReady waits until every node answers /admin/ready.
func (c *cluster) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for _, nd := range c.nodes {
		for {
			resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/admin/ready", nd.httpPort))
			if err == nil {
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d not ready after %v (logs in %s)", nd.id, timeout, c.dir)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

func (c *cluster) dsns() []string {
	var out []string
	for _, nd := range c.nodes {
		out = append(out, fmt.Sprintf("postgres://admin@127.0.0.1:%d/lineradb?sslmode=disable&connect_timeout=10", nd.pgPort))
	}
	return out
}

// stop SIGTERMs every node, waits, and removes the directory.
func (c *cluster) stop() {
	for _, nd := range c.nodes {
		if nd.cmd != nil && nd.cmd.Process != nil {
			_ = nd.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, nd := range c.nodes {
		if nd.cmd != nil && nd.cmd.Process != nil {
			done := make(chan struct{})
			go func() { _ = nd.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = nd.cmd.Process.Kill()
			}
		}
	}
	os.RemoveAll(c.dir)
}

// statusKB reads a kB field (VmRSS, VmHWM) of the node's /proc status.
func (nd *node) statusKB(field string) int64 {
	if nd.cmd == nil || nd.cmd.Process == nil {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", nd.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// sampleRSS records each node's highest VmRSS until stop closes.
func (c *cluster) sampleRSS(stop <-chan struct{}) map[uint64]int64 {
	peak := map[uint64]int64{}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, nd := range c.nodes {
			peak[nd.id] = max(peak[nd.id], nd.statusKB("VmRSS"))
		}
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}
