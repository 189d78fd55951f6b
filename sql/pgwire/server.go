//detlint:exempt pgwire's socket loop: net.Listener, a goroutine per connection, wall-clock timers for statement_timeout and draining; the protocol itself lives in Conn, which does no I/O of its own.

package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Server defaults.
const (
	MaxConnectionsDefault = 100
	// AuthTimeoutDefault is PostgreSQL's authentication_timeout: a client
	// must finish startup within it, so silent sockets cannot pile up.
	AuthTimeoutDefault = 60 * time.Second
	// DrainTimeoutDefault bounds how long Close waits for running queries.
	DrainTimeoutDefault = 30 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
)

// ServerConfig configures a Server. Zero values take the defaults named.
type ServerConfig struct {
	Backend Backend
	Auth    AuthConfig
	// TLS enables SSLRequest → 'S' when non-nil (it must hold a certificate).
	TLS *tls.Config
	// MaxConnections is max_connections: admitted sessions beyond it get
	// 53300 at startup. Default MaxConnectionsDefault.
	MaxConnections int
	// MessageBytesMax bounds one client message. Default MessageBytesMaxDefault.
	MessageBytesMax int
	// QueryTimeout is the server-wide statement timeout (query_timeout),
	// used when a session sets no statement_timeout. 0 = none.
	QueryTimeout time.Duration
	// AuthTimeout bounds startup and authentication. Default AuthTimeoutDefault.
	AuthTimeout time.Duration
	// DrainTimeout bounds Close's wait for running queries. Default DrainTimeoutDefault.
	DrainTimeout  time.Duration
	ServerVersion string
	TimeZone      string
	Logger        *slog.Logger
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("pgwire: server closed")

// Server accepts PostgreSQL connections and runs a Conn for each.
type Server struct {
	cfg ServerConfig
	log *slog.Logger
	wg  sync.WaitGroup

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[uint32]*serverConn
	nextPID   uint32
	admitted  int
	closing   bool
}

// NewServer returns a server; call Serve with a listener.
func NewServer(cfg ServerConfig) *Server {
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = MaxConnectionsDefault
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = AuthTimeoutDefault
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DrainTimeoutDefault
	}
	s := &Server{cfg: cfg, log: cfg.Logger, listeners: map[net.Listener]struct{}{},
		conns: map[uint32]*serverConn{}, nextPID: 1000}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Serve accepts connections on l until Close; it returns ErrServerClosed
// then, or the listener's error.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			delete(s.listeners, l)
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		sc := s.register(nc)
		if sc == nil {
			_ = nc.Close()
			continue
		}
		s.wg.Add(1)
		go s.serveConn(sc)
	}
}

// register gives a new connection a process ID and secret key.
func (s *Server) register(nc net.Conn) *serverConn {
	sc := &serverConn{s: s, nc: nc, connectedAt: time.Now(), addr: nc.RemoteAddr().String()}
	if _, err := io.ReadFull(rand.Reader, sc.secret[:]); err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	for {
		s.nextPID++
		if s.nextPID == 0 {
			s.nextPID = 1000
		}
		if _, used := s.conns[s.nextPID]; !used {
			break
		}
	}
	sc.pid = s.nextPID
	sc.conn = s.newConn(sc) // before publishing sc: other goroutines read sc.conn
	s.conns[sc.pid] = sc
	return sc
}

func (s *Server) newConn(sc *serverConn) *Conn {
	cfg := ConnConfig{
		Backend: s.cfg.Backend, Auth: s.cfg.Auth, Rand: rand.Reader,
		ProcessID: sc.pid, SecretKey: sc.secret, Hooks: sc,
		MessageBytesMax: s.cfg.MessageBytesMax, ServerVersion: s.cfg.ServerVersion,
		TimeZone: s.cfg.TimeZone, StatementTimeoutMs: s.cfg.QueryTimeout.Milliseconds(),
		RemoteAddr: sc.addr, Logger: s.log,
	}
	if s.cfg.TLS != nil {
		cfg.StartTLS = sc.startTLS
	}
	return NewConn(&shutdownAware{Conn: sc.nc, s: s}, cfg)
}

func (s *Server) serveConn(sc *serverConn) {
	defer s.wg.Done()
	defer s.unregister(sc)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("pgwire: panic in connection goroutine", "panic", r)
		}
	}()
	_ = sc.nc.SetDeadline(time.Now().Add(s.cfg.AuthTimeout))
	if err := sc.conn.Serve(); err != nil {
		s.log.Debug("pgwire: connection ended", "remote", sc.addr, "err", err)
	}
}

func (s *Server) unregister(sc *serverConn) {
	_ = sc.nc.Close()
	sc.mu.Lock()
	if sc.timer != nil {
		sc.timer.Stop()
	}
	sc.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, sc.pid)
	if sc.admitted {
		s.admitted--
	}
}

// Close stops accepting, lets running queries finish for up to
// DrainTimeout, then closes every connection and waits for them to end.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown is Close with the drain deadline taken from ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners { //detlint:ordered closing every listener; order is irrelevant
		_ = l.Close()
	}
	conns := slices.Collect(maps.Values(s.conns))
	s.mu.Unlock()
	// Idle connections end now (their pending read fails); busy ones
	// when their statement finishes (QueryFinished does the same).
	for _, sc := range conns {
		sc.mu.Lock()
		if !sc.running {
			_ = sc.nc.SetReadDeadline(time.Now())
		}
		sc.mu.Unlock()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	conns = slices.Collect(maps.Values(s.conns))
	s.mu.Unlock()
	for _, sc := range conns {
		sc.conn.Interrupt().Set(InterruptShutdown)
		_ = sc.nc.Close()
	}
	<-done
	return ctx.Err()
}

// ConnCount is the number of open client connections.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// ConnInfo is one connection as /admin/active-queries shows it.
type ConnInfo struct {
	ProcessID       uint32    `json:"pid"`
	User            string    `json:"user"`
	Database        string    `json:"database"`
	ApplicationName string    `json:"application_name"`
	ClientAddr      string    `json:"client_addr"`
	ConnectedAt     time.Time `json:"backend_start"`
	// State is "starting", "idle" or "active"; Query is the running (or
	// last) statement and QueryStart when it began.
	State      string    `json:"state"`
	Query      string    `json:"query"`
	QueryStart time.Time `json:"query_start"`
}

// Snapshot lists the connections, by process ID.
func (s *Server) Snapshot() []ConnInfo {
	s.mu.Lock()
	conns := slices.Collect(maps.Values(s.conns))
	s.mu.Unlock()
	out := make([]ConnInfo, 0, len(conns))
	for _, sc := range conns {
		out = append(out, sc.info())
	}
	slices.SortFunc(out, func(a, b ConnInfo) int { return int(a.ProcessID) - int(b.ProcessID) })
	return out
}

// cancel serves a CancelRequest: the named connection's running statement
// is interrupted if the secret matches; otherwise nothing happens (and the
// requester learns nothing, as in PostgreSQL).
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	sc := s.conns[pid]
	s.mu.Unlock()
	if sc == nil || subtle.ConstantTimeCompare(secret, sc.secret[:]) != 1 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.running {
		sc.conn.Interrupt().Set(InterruptUser)
	}
}

// serverConn is the server's view of one connection; it implements
// ConnHooks. mu guards the fields below it, which the cancel handler,
// the statement timer and Snapshot read from other goroutines.
type serverConn struct {
	s           *Server
	nc          net.Conn
	conn        *Conn
	pid         uint32
	secret      [4]byte
	addr        string
	connectedAt time.Time

	mu         sync.Mutex
	admitted   bool
	authed     bool
	user, db   string
	app        string
	query      string
	queryStart time.Time
	running    bool
	timer      *time.Timer
	queryGen   uint64
}

func (sc *serverConn) info() ConnInfo {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	state := "starting"
	switch {
	case sc.running:
		state = "active"
	case sc.authed:
		state = "idle"
	}
	return ConnInfo{ProcessID: sc.pid, User: sc.user, Database: sc.db, ApplicationName: sc.app,
		ClientAddr: sc.addr, ConnectedAt: sc.connectedAt, State: state, Query: sc.query, QueryStart: sc.queryStart}
}

func (sc *serverConn) startTLS() (io.ReadWriter, error) {
	tc := tls.Server(sc.nc, sc.s.cfg.TLS)
	_ = sc.nc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	_ = sc.nc.SetDeadline(time.Now().Add(sc.s.cfg.AuthTimeout))
	return &shutdownAware{Conn: tc, s: sc.s}, nil
}

// Admit enforces max_connections and refuses new sessions while draining.
func (sc *serverConn) Admit(info StartupInfo) *sqlerr.Error {
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return sqlerr.New(sqlerr.CannotConnectNow, "the database system is shutting down")
	}
	if s.admitted >= s.cfg.MaxConnections {
		return sqlerr.New(codeTooManyConnections, "sorry, too many clients already")
	}
	s.admitted++
	sc.mu.Lock()
	sc.admitted = true
	sc.user, sc.db, sc.app = info.User, info.Database, info.ApplicationName
	sc.mu.Unlock()
	return nil
}

func (sc *serverConn) Cancel(pid uint32, secret []byte) { sc.s.cancel(pid, secret) }

// Authenticated lifts the startup deadline.
func (sc *serverConn) Authenticated(info StartupInfo) {
	_ = sc.nc.SetDeadline(time.Time{})
	sc.mu.Lock()
	sc.authed = true
	sc.mu.Unlock()
}

// QueryStarted records the statement and arms its timeout.
func (sc *serverConn) QueryStarted(q ActiveQuery) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.running = true
	sc.query, sc.app, sc.queryStart = q.Text, q.ApplicationName, time.Now()
	sc.queryGen++
	if q.TimeoutMs <= 0 {
		return
	}
	gen := sc.queryGen
	sc.timer = time.AfterFunc(time.Duration(q.TimeoutMs)*time.Millisecond, func() {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.running && sc.queryGen == gen {
			sc.conn.Interrupt().Set(InterruptTimeout)
		}
	})
}

// QueryFinished disarms the timeout; while draining, the connection ends
// once this statement's results are out (its next read fails).
func (sc *serverConn) QueryFinished() {
	sc.mu.Lock()
	sc.running = false
	if sc.timer != nil {
		sc.timer.Stop()
		sc.timer = nil
	}
	sc.mu.Unlock()
	// Lock order is s.mu before sc.mu, so sc.mu is released first.
	sc.s.mu.Lock()
	closing := sc.s.closing
	sc.s.mu.Unlock()
	if closing {
		_ = sc.nc.SetReadDeadline(time.Now())
	}
}

// shutdownAware turns the read failure a draining server provokes into
// ErrShutdown, so the client hears 57P01 rather than a protocol error.
type shutdownAware struct {
	net.Conn
	s *Server
}

func (a *shutdownAware) Read(p []byte) (int, error) {
	n, err := a.Conn.Read(p)
	if err != nil {
		a.s.mu.Lock()
		closing := a.s.closing
		a.s.mu.Unlock()
		var ne net.Error
		if closing && errors.As(err, &ne) && ne.Timeout() {
			return n, ErrShutdown
		}
	}
	return n, err
}
