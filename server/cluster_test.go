package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/internal/config"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startTestServer loads a configuration from flags (as lineradb-server
// would) and starts a server in-process.
func startTestServer(t *testing.T, discovery time.Duration, args ...string) (*Server, error) {
	t.Helper()
	env := []string{"LINERADB_RAFT_HEARTBEAT_INTERVAL_MS=20", "LINERADB_RAFT_ELECTION_TIMEOUT_MS=400",
		"LINERADB_OBSERVABILITY_METRICS_PROMETHEUS_PORT=0"}
	base := []string{"--listen-addr=127.0.0.1:0", "--http-addr=127.0.0.1:0"}
	cfg, err := config.Load(append(base, args...), env, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := Start(cfg, Options{Logger: slog.New(slog.DiscardHandler), DiscoveryTimeout: discovery})
	if err == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
		})
	}
	return srv, err
}

// TestPlainPeersFoundAndAddNode starts the runbook's layout in-process:
// nodes 2 and 3 with plain peers, node 1 founding with plain peers; then
// node 4 with an id and no peers, which must wait until the leader adds
// it.
func TestPlainPeersFoundAndAddNode(t *testing.T) {
	dir := t.TempDir()
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)}
	node := func(id int, extra ...string) []string {
		var peers []string
		for i, a := range addrs[:3] {
			if i+1 != id {
				peers = append(peers, a)
			}
		}
		args := []string{fmt.Sprintf("--node-id=%d", id), "--data-dir=" + filepath.Join(dir, fmt.Sprint(id)),
			"--raft-addr=" + addrs[id-1]}
		if id <= 3 {
			args = append(args, "--peers="+strings.Join(peers, ","))
		}
		return append(args, extra...)
	}
	var srvs []*Server
	for _, id := range []int{2, 3, 1} {
		extra := []string{}
		if id == 1 {
			extra = append(extra, "--bootstrap-cluster")
		}
		srv, err := startTestServer(t, 30*time.Second, node(id, extra...)...)
		if err != nil {
			t.Fatalf("node %d: %v", id, err)
		}
		srvs = append(srvs, srv)
	}
	leader := waitLeaderOf(t, srvs)
	st, _ := leader.rt.Status()
	if !slices.Equal(st.Voters, []uint64{1, 2, 3}) {
		t.Fatalf("voters %v, want [1 2 3]", st.Voters)
	}

	n4, err := startTestServer(t, time.Second, node(4)...)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if st, _ := n4.rt.Status(); len(st.Voters) != 0 || st.Lead != 0 {
		t.Fatalf("node 4, given an id and no peers, founded or joined something: %+v", st)
	}
	if err := (&serverOps{s: leader}).AddPeer(4, addrs[3]); err != nil {
		t.Fatalf("add-peer: %v", err)
	}
	waitUntilT(t, "node 4 to follow the leader", func() bool {
		st, err := n4.rt.Status()
		return err == nil && st.Lead == leaderID(leader) && slices.Contains(st.Voters, 4)
	})
	if got := n4.peers.get(leaderID(leader)); got != leader.cfg.Raft.Addr {
		t.Fatalf("node 4 learned the leader at %q, want %q", got, leader.cfg.Raft.Addr)
	}
}

// TestFounderGivesUp checks that a founder whose plain peer never answers
// fails start-up within the discovery timeout, naming the peer.
func TestFounderGivesUp(t *testing.T) {
	dead := freeAddr(t)
	_, err := startTestServer(t, 300*time.Millisecond, "--node-id=1", "--data-dir="+t.TempDir(),
		"--raft-addr=127.0.0.1:0", "--peers="+dead, "--bootstrap-cluster")
	if err == nil || !strings.Contains(err.Error(), dead) {
		t.Fatalf("start-up error %v, want one naming %s", err, dead)
	}
}

func leaderID(s *Server) uint64 { return s.cfg.Server.NodeID }

func waitLeaderOf(t *testing.T, srvs []*Server) *Server {
	t.Helper()
	var leader *Server
	waitUntilT(t, "a leader", func() bool {
		for _, s := range srvs {
			if st, err := s.rt.Status(); err == nil && st.Lead == st.ID {
				leader = s
				return true
			}
		}
		return false
	})
	return leader
}

func waitUntilT(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
