package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/internal/config"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/sql/pgwire"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults for Options left zero.
const (
	DefaultDiskCheckInterval = 5 * time.Second
	// peerSyncInterval is how often a node reads the replicated peer
	// address table (so every member learns peers added through another).
	peerSyncInterval = time.Second
	// lagSampleInterval is how often the leader samples follower lag.
	lagSampleInterval = 100 * time.Millisecond
	// leaderHandoffWait bounds how long SIGTERM waits for leadership to
	// move before stopping anyway.
	leaderHandoffWait = 3 * time.Second
)

// StatfsFunc reports the free and total bytes of the file system holding
// dir; tests replace the real statfs with it.
type StatfsFunc func(dir string) (freeBytes, totalBytes uint64, err error)

// Options are what the server takes besides its configuration.
type Options struct {
	// Version is reported by /health.
	Version string
	// Logger receives everything; nil = slog.Default().
	Logger *slog.Logger
	// Statfs replaces syscall.Statfs for the disk guard (tests).
	Statfs StatfsFunc
	// DiskCheckInterval is how often free space is checked. Default 5s.
	DiskCheckInterval time.Duration
	// DiscoveryTimeout bounds a founder's wait for its plain host:port
	// peers to answer. Default DefaultDiscoveryTimeout.
	DiscoveryTimeout time.Duration
}

// Server is one running lineradb-server: the node runtime (Raft over TCP),
// the PostgreSQL wire server, the HTTP API and the background loops (disk
// guard, peer address sync, lag sampling).
type Server struct {
	cfg     *config.Config
	opts    Options
	log     *slog.Logger
	started time.Time

	rt    *node.Runtime
	store *guardedStore
	disk  *diskGuard
	m     *metrics
	ql    *queryLog
	lim   *limits
	peers *addrBook
	lag   *lagTracker
	tls   *tlsMaterial

	pg       *pgwire.Server
	pgLn     net.Listener
	httpSrv  *http.Server
	httpLn   net.Listener
	promSrv  *http.Server
	promLn   net.Listener
	stopping chan struct{}
	wg       sync.WaitGroup

	backupMu    sync.Mutex
	backupRoots []string
}

// Start opens the node and every listener and starts serving. On error
// everything already started is stopped.
func Start(cfg *config.Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DiskCheckInterval <= 0 {
		opts.DiskCheckInterval = DefaultDiskCheckInterval
	}
	if opts.Statfs == nil {
		opts.Statfs = realStatfs
	}
	if opts.DiscoveryTimeout <= 0 {
		opts.DiscoveryTimeout = DefaultDiscoveryTimeout
	}
	s := &Server{cfg: cfg, opts: opts, log: opts.Logger, started: time.Now(), stopping: make(chan struct{}), lim: &limits{}}
	s.lim.maxResultRows.Store(int64(cfg.Server.MaxResultRows))
	s.peers = newAddrBook(cfg.Server.NodeID)
	s.lag = &lagTracker{}
	s.m = newMetrics(s.snapshot)
	s.ql = &queryLog{m: s.m, log: s.log}
	s.ql.setSlow(cfg.Observability.Logging.SlowQueryEnabled, cfg.Observability.Logging.SlowQueryThreshold)
	s.disk = &diskGuard{dir: cfg.Server.DataDir, statfs: statfsFunc(opts.Statfs), warnPercent: cfg.Storage.DiskSpaceWarnPercent,
		criticalPercent: cfg.Storage.DiskSpaceCriticalPercent, log: s.log}
	if err := s.start(); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	m, err := loadTLS(s.cfg.Security.TLS)
	if err != nil {
		return err
	}
	s.tls = m
	// Before the node opens, so the GC works to the limit from the start.
	s.startMemory()
	if err := s.startNode(); err != nil {
		return err
	}
	s.store = &guardedStore{inner: s.rt, disk: s.disk, m: s.m}
	s.disk.check()
	if err := s.startPG(); err != nil {
		return err
	}
	if err := s.startHTTP(); err != nil {
		return err
	}
	s.loop(s.opts.DiskCheckInterval, s.disk.check)
	s.loop(peerSyncInterval, s.syncPeers)
	s.loop(lagSampleInterval, s.sampleLag)
	s.log.Info("lineradb-server started", "node_id", s.cfg.Server.NodeID, "version", s.opts.Version,
		"sql_addr", s.pgLn.Addr().String(), "raft_addr", s.rt.Addr(), "http_addr", s.httpLn.Addr().String())
	return nil
}

// loop runs fn every interval until Shutdown.
func (s *Server) loop(interval time.Duration, fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stopping:
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

func (s *Server) startNode() error {
	c := s.cfg
	if err := os.MkdirAll(c.Server.DataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	peers, err := s.resolveFounders()
	if err != nil {
		return err
	}
	peerAddrs := map[uint64]string{}
	for _, p := range peers {
		if p.ID == c.Server.NodeID {
			return fmt.Errorf("raft.peers lists this node's own id %d", p.ID)
		}
		if p.ID != 0 {
			peerAddrs[p.ID] = p.Addr
			s.peers.set(p.ID, p.Addr)
		}
	}
	serverTLS, clientTLS, err := s.tls.nodeTLS()
	if err != nil {
		return fmt.Errorf("security.tls: %w", err)
	}
	founderIDs, mode := founders(c.Server.NodeID, peers, c.Server.BootstrapCluster, c.Source("server.node_id") != "default")
	tick, electionTicks, heartbeatTicks := c.Raft.RaftTicks()
	var seed [16]byte
	_, _ = rand.Read(seed[:])
	nc := node.Config{
		ID: c.Server.NodeID, FS: diskio.NewOSFS(c.Server.DataDir), Dir: nodeDirName,
		Peers:          founderIDs,
		Rand:           mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
		ElectionTicks:  electionTicks,
		HeartbeatTicks: heartbeatTicks,
		// Commits wait long enough to ride out one failed election before
		// they are reported ambiguous.
		CommitTimeoutTicks: 8 * electionTicks,
		SnapshotInterval:   c.Raft.SnapshotInterval,
		LSM: lsm.Options{
			MemtableSizeMB: c.Storage.MemtableSizeMB, SSTableSizeMB: c.Storage.SSTableSizeMB,
			BloomFilterBitsPerKey: c.Storage.BloomFilterBitsPerKey, MaxOpenFiles: c.Storage.MaxOpenFiles,
			CompactionStrategy: c.Storage.CompactionStrategy, BlockCacheSizeMB: c.Storage.BlockCacheSizeMB,
			// The memory budget counts this many full memtables.
			ImmutableMemtablesMax: immutableMemtablesMax,
		},
	}
	tcp := netio.TCPConfig{ServerTLS: serverTLS, ClientTLS: clientTLS, LearnPeers: true,
		PeerLearned: s.peerLearned, Logger: s.log}
	rt, err := node.StartRuntime(node.RuntimeConfig{Node: nc, ListenAddr: c.Raft.Addr, PeerAddrs: peerAddrs,
		TickInterval: tick, TCP: tcp})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	s.rt = rt
	st, err := rt.Status()
	if err == nil && st.Stopped != nil {
		return fmt.Errorf("node stopped at start: %w", st.Stopped)
	}
	if err == nil && mode == joinWait && len(st.Voters) == 0 && len(st.Learners) == 0 {
		s.logWaiting(len(peers) > 0)
	}
	s.resolveLater(peers)
	return nil
}

// logWaiting says why a node with an empty data directory has no
// membership yet, and what the operator does about it.
func (s *Server) logWaiting(hasPeers bool) {
	if hasPeers {
		s.log.Info("this node is not a member of a cluster yet: waiting for the cluster's leader to reach it "+
			"(the founder is started with --bootstrap-cluster)", "node_id", s.cfg.Server.NodeID, "raft_addr", s.rt.Addr())
		return
	}
	s.log.Info("this node is not a member of any cluster yet: waiting for a leader to add it "+
		"(POST /admin/add-peer on the leader); to found a cluster instead, restart with --bootstrap-cluster",
		"node_id", s.cfg.Server.NodeID, "raft_addr", s.rt.Addr())
}

// resolveFounders returns raft.peers, with the ids of plain host:port
// entries filled in when this node founds a cluster on an empty data
// directory: it must know every founder before bootstrapping, so it probes
// them, retrying, for at most DiscoveryTimeout. Any other node starts at
// once and resolves plain peers in the background (resolveLater), so a
// restart never waits for a peer that is down.
func (s *Server) resolveFounders() ([]config.Peer, error) {
	c := s.cfg
	peers := c.Raft.Peers
	if !c.Server.BootstrapCluster || !slices.ContainsFunc(peers, func(p config.Peer) bool { return p.ID == 0 }) {
		return peers, nil
	}
	fresh, err := freshDataDir(c.Server.DataDir)
	if err != nil || !fresh {
		return peers, err
	}
	probe, err := discoverProbe(c.Server.NodeID, s.tls)
	if err != nil {
		return nil, err
	}
	s.log.Info("founding a cluster: learning the node ids of the plain host:port peers",
		"peers", peersString(peers), "timeout", s.opts.DiscoveryTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.DiscoveryTimeout)
	defer cancel()
	r := &resolver{self: c.Server.NodeID, probe: probe, log: s.log}
	return r.resolveAll(ctx, peers)
}

// resolveLater resolves the plain host:port peers still without an id in
// the background, until each answers or the server shuts down, and hands
// each to the transport.
func (s *Server) resolveLater(peers []config.Peer) {
	if !slices.ContainsFunc(peers, func(p config.Peer) bool { return p.ID == 0 }) {
		return
	}
	probe, err := discoverProbe(s.cfg.Server.NodeID, s.tls)
	if err != nil {
		s.log.Error("cannot resolve plain host:port peers", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer cancel()
		<-s.stopping
	}()
	go func() {
		defer s.wg.Done()
		r := &resolver{self: s.cfg.Server.NodeID, probe: probe, log: s.log}
		resolved, err := r.resolveAll(ctx, peers)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("plain host:port peers", "err", err)
			}
			return
		}
		for _, p := range resolved {
			if s.peers.set(p.ID, p.Addr) {
				if err := s.rt.AddPeerAddr(p.ID, p.Addr); err != nil {
					s.log.Warn("peer address", "id", p.ID, "addr", p.Addr, "err", err)
				}
			}
		}
	}()
}

// peerLearned runs when the transport learns a peer's address from its
// hello (a node started without peers, contacted by the leader adding it).
func (s *Server) peerLearned(id netio.NodeID, addr string) {
	if s.peers.setIfUnknown(uint64(id), addr) {
		s.log.Info("learned peer address from its connection", "id", uint64(id), "addr", addr)
	}
}

func peersString(peers []config.Peer) string {
	var parts []string
	for _, p := range peers {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ",")
}

func (s *Server) startPG() error {
	c := s.cfg
	auth, err := s.authConfig()
	if err != nil {
		return err
	}
	tlsCfg := s.tls.clientTLS()
	ln, err := net.Listen("tcp", c.Server.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen_addr: %w", err)
	}
	s.pgLn = ln
	if tlsCfg != nil {
		// TLS on means TLS required, like pg_hba.conf's hostssl: a client
		// that does not ask for it is refused with 28000.
		ln = tlsRequiredListener{Listener: ln}
	}
	sqlBackend := &pgwire.SQLBackend{Store: s.store, Clock: clock.Real{}, Superuser: c.Security.Auth.Superuser, Rand: rand.Reader,
		WorkMemBytes: int64(c.Server.WorkMemMB) << 20}
	backend := &meteredBackend{inner: sqlBackend, limits: s.lim, queries: s.ql}
	s.pg = pgwire.NewServer(pgwire.ServerConfig{
		Backend: backend, Auth: auth, TLS: tlsCfg, MaxConnections: c.Server.MaxConnections,
		QueryTimeout: c.Server.QueryTimeout, Logger: s.log,
	})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.pg.Serve(ln); err != nil && !errors.Is(err, pgwire.ErrServerClosed) {
			s.log.Error("postgres listener failed", "err", err)
		}
	}()
	return nil
}

// authConfig maps security.auth onto pgwire. A password method with no
// superuser hash configured falls back to trust with a loud warning, so a
// fresh `make run` can be reached with psql at once.
func (s *Server) authConfig() (pgwire.AuthConfig, error) {
	a := s.cfg.Security.Auth
	switch a.Method {
	case "trust":
		return pgwire.AuthConfig{Method: pgwire.AuthTrust}, nil
	case "password":
		if a.SuperuserPasswordHash.Reveal() == "" {
			s.log.Warn("no security.auth.superuser_password_hash set: accepting every client WITHOUT a password (trust); set one from `lineradb-server --hash-password`")
			return pgwire.AuthConfig{Method: pgwire.AuthTrust}, nil
		}
		// The configured superuser, then the roles CREATE USER ... PASSWORD stored.
		users := &pgwire.StoredUsers{Store: s.rt, Superuser: a.Superuser, SuperuserPassword: a.SuperuserPasswordHash.Reveal()}
		return pgwire.AuthConfig{Method: pgwire.AuthSCRAM, Users: users}, nil
	}
	return pgwire.AuthConfig{}, fmt.Errorf("security.auth.method %q is not implemented by this build's wire server (use password or trust)", a.Method)
}

func (s *Server) startHTTP() error {
	c := s.cfg
	ln, err := net.Listen("tcp", c.Server.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http_addr: %w", err)
	}
	s.httpLn = ln
	var metricsHandler http.Handler
	if c.Observability.Metrics.Enabled {
		metricsHandler = promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{})
	}
	h := NewHandler(&serverOps{s: s}, c.Security.AdminToken.Reveal(), s.opts.Version, s.started, metricsHandler)
	s.httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.serveHTTP(s.httpSrv, ln)
	if port := c.Observability.Metrics.PrometheusPort; port > 0 && metricsHandler != nil {
		host, _, _ := net.SplitHostPort(c.Server.HTTPAddr)
		pln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("observability.metrics.prometheus_port: %w", err)
		}
		s.promLn = pln
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metricsHandler)
		s.promSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		s.serveHTTP(s.promSrv, pln)
	}
	return nil
}

func (s *Server) serveHTTP(srv *http.Server, ln net.Listener) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http listener failed", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// Addrs returns the addresses the server listens on (useful with port 0).
func (s *Server) Addrs() (sqlAddr, raftAddr, httpAddr string) {
	return s.pgLn.Addr().String(), s.rt.Addr(), s.httpLn.Addr().String()
}

// Reload applies SIGHUP's reloadable settings.
func (s *Server) Reload(r config.Reloadable) {
	s.ql.setSlow(r.SlowQueryEnabled, r.SlowQueryThreshold)
}

// Shutdown is SIGTERM: stop accepting clients and let running statements
// finish (bounded by ctx), hand leadership to the most caught-up voter if
// this node leads, then stop the node (which flushes the LSM) and the HTTP
// API.
func (s *Server) Shutdown(ctx context.Context) error {
	s.log.Info("shutting down: draining client connections")
	var errs []error
	if s.pg != nil {
		errs = append(errs, s.pg.Shutdown(ctx))
	}
	if s.rt != nil {
		s.handOffLeadership()
	}
	close(s.stopping)
	if s.httpSrv != nil {
		errs = append(errs, s.httpSrv.Shutdown(ctx))
	}
	if s.promSrv != nil {
		errs = append(errs, s.promSrv.Shutdown(ctx))
	}
	if s.rt != nil {
		errs = append(errs, s.rt.Stop())
	}
	s.wg.Wait()
	err := errors.Join(errs...)
	s.log.Info("lineradb-server stopped", "err", err)
	return err
}

// handOffLeadership transfers leadership away and waits (bounded) for it to
// move, so clients see one short election-free handover instead of an
// election timeout.
func (s *Server) handOffLeadership() {
	to, err := s.stepDown()
	if err != nil {
		return
	}
	s.log.Info("transferring leadership before shutdown", "to", to)
	deadline := time.Now().Add(leaderHandoffWait)
	for time.Now().Before(deadline) {
		st, err := s.rt.Status()
		if err != nil || st.Lead != s.cfg.Server.NodeID {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.log.Warn("leadership did not move before shutdown", "to", to)
}

// closeAll tears down whatever a failed Start opened.
func (s *Server) closeAll() {
	if s.pg != nil {
		_ = s.pg.Close()
	} else if s.pgLn != nil {
		_ = s.pgLn.Close()
	}
	if s.httpSrv != nil {
		_ = s.httpSrv.Close()
	} else if s.httpLn != nil {
		_ = s.httpLn.Close()
	}
	if s.promSrv != nil {
		_ = s.promSrv.Close()
	}
	if s.rt != nil {
		_ = s.rt.Stop()
	}
	close(s.stopping)
	s.wg.Wait()
}

// snapshot feeds one /metrics scrape.
func (s *Server) snapshot() nodeSnapshot {
	var ns nodeSnapshot
	if s.rt == nil {
		return ns
	}
	st, err1 := s.rt.Status()
	m, err2 := s.rt.Metrics()
	ns.Status, ns.Metrics, ns.OK = st, m, err1 == nil && err2 == nil
	if s.pg != nil {
		ns.Connections = s.pg.ConnCount()
	}
	ns.LagMs = s.lag.snapshot()
	ns.ReadOnly = s.disk.readOnlyReason() != ""
	tick, _, _ := s.cfg.Raft.RaftTicks()
	ns.CompactionSeconds = float64(m.LSM.CompactionSteps) * tick.Seconds()
	return ns
}

func (s *Server) defaultBackupRoot() string {
	return filepath.Join(s.cfg.Server.DataDir, "backups")
}
