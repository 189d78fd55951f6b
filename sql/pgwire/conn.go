package pgwire

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Bounds on what one connection may hold or send.
const (
	// MessageBytesMaxDefault is the default maximum message body a client
	// may send (PostgreSQL's own limit for most messages is 1 GB; a
	// smaller bound keeps one connection from exhausting memory).
	MessageBytesMaxDefault = 64 << 20
	// preparedStatementsMax bounds named prepared statements per connection.
	preparedStatementsMax = 10_000
	// portalsMax bounds named portals per connection.
	portalsMax = 10_000
	// portalRowsBufferedMax bounds the rows a suspended portal holds.
	portalRowsBufferedMax = 1_000_000
	// flushRowsMax: a long result is flushed to the client every so many rows
	// so the send buffer stays bounded.
	flushRowsMax = 512
)

// ConnHooks connect a Conn to its server: admission, cancellation and the
// active-query registry. All methods are called from the connection's
// goroutine. A nil ConnHooks admits everything and records nothing.
type ConnHooks interface {
	// Admit decides, after the startup packet, whether the connection may
	// proceed; a non-nil error (53300) is sent as FATAL and closes it.
	Admit(info StartupInfo) *sqlerr.Error
	// Cancel handles a CancelRequest read on this connection.
	Cancel(processID uint32, secretKey []byte)
	// Authenticated reports the session's start (user, application).
	Authenticated(info StartupInfo)
	// QueryStarted is called as a statement begins, with the effective
	// statement timeout (0 = none) for the server to arm.
	QueryStarted(q ActiveQuery)
	// QueryFinished disarms what QueryStarted armed.
	QueryFinished()
}

// ActiveQuery describes a running statement.
type ActiveQuery struct {
	Text            string
	ApplicationName string
	TimeoutMs       int64
}

// ConnConfig configures one connection.
type ConnConfig struct {
	Backend Backend
	Auth    AuthConfig
	// StartTLS upgrades the transport after SSLRequest was answered 'S';
	// nil means no certificate is configured, and SSLRequest gets 'N'.
	StartTLS func() (io.ReadWriter, error)
	// Rand supplies nonces and salts (crypto/rand.Reader in production,
	// a seeded stream in tests and the simulator).
	Rand io.Reader
	// ProcessID and SecretKey are sent as BackendKeyData; a CancelRequest
	// naming them cancels this connection's running statement.
	ProcessID uint32
	SecretKey [4]byte
	// Hooks may be nil.
	Hooks ConnHooks
	// MessageBytesMax bounds one client message; 0 = MessageBytesMaxDefault.
	MessageBytesMax int
	// ServerVersion is reported as server_version; default "15.0 (LineraDB)".
	ServerVersion string
	// TimeZone is the default TimeZone reported at startup; default "UTC".
	TimeZone string
	// StatementTimeoutMs is the server's query_timeout, used when the
	// session sets no statement_timeout. 0 = none.
	StatementTimeoutMs int64
	// RemoteAddr is the client address, for StartupInfo.
	RemoteAddr string
	// Logger receives internal errors (recovered panics); nil = slog.Default().
	Logger *slog.Logger
}

// Conn is one client connection's protocol state machine. It reads client
// messages from an io.ReadWriter and writes backend messages to it; it
// knows nothing of sockets or time, so the simulator can drive it over a
// simulated connection. Serve runs it to the end.
type Conn struct {
	cfg  ConnConfig
	rw   io.ReadWriter
	be   *pgproto3.Backend
	sess Session
	info StartupInfo
	intr Interrupt
	log  *slog.Logger

	stmts   map[string]*statement
	portals map[string]*portal
	// ignoreTillSync: an error in the extended protocol discards every
	// message until the next Sync.
	ignoreTillSync bool
	// rowsUnflushed counts DataRows sent since the last Flush.
	rowsUnflushed int
	// connErr is set when the transport failed mid-statement; the
	// statement is cut off and the connection closes.
	connErr error
}

// NewConn returns a connection over rw; nothing is read until Serve.
func NewConn(rw io.ReadWriter, cfg ConnConfig) *Conn {
	if cfg.MessageBytesMax <= 0 {
		cfg.MessageBytesMax = MessageBytesMaxDefault
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "15.0 (LineraDB)"
	}
	if cfg.TimeZone == "" {
		cfg.TimeZone = "UTC"
	}
	c := &Conn{cfg: cfg, rw: rw, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.stmts = map[string]*statement{}
	c.portals = map[string]*portal{}
	return c
}

// Interrupt is the connection's interrupt, for the server's cancel handler
// and statement timer.
func (c *Conn) Interrupt() *Interrupt { return &c.intr }

// errClose ends Serve without an error worth reporting (Terminate, a
// cancel request, a FATAL already sent to the client).
var errClose = errors.New("pgwire: connection closed")

// ErrShutdown is what a transport's Read returns once the server is
// draining: the client is told 57P01 and the connection closes.
var ErrShutdown = errors.New("pgwire: server shutting down")

// PanicError is what Serve returns after recovering a panic (in the
// session or in pgwire): the client got XX000 and the connection closed.
type PanicError struct{ Value any }

func (p *PanicError) Error() string { return fmt.Sprintf("pgwire: recovered panic: %v", p.Value) }

// fatal is an error that is sent as FATAL before the connection closes.
type fatal struct{ e *sqlerr.Error }

func (f *fatal) Error() string { return f.e.Message }

func fatalf(code, format string, args ...any) error {
	e := sqlerr.New(code, format, args...)
	e.Severity = "FATAL"
	return &fatal{e}
}

// Serve runs the connection: startup, authentication, then messages until
// the client terminates or an error closes the connection. It returns nil
// for an orderly end. It never panics: a panic in the session or in pgwire
// is recovered, logged, reported to the client as XX000 and closes the
// connection.
func (c *Conn) Serve() (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire: panic serving connection", "panic", fmt.Sprint(r),
				"remote", c.cfg.RemoteAddr, "stack", string(debug.Stack()))
			c.sendFatal(sqlerr.New(sqlerr.InternalError, "internal error: %v", r))
			err = &PanicError{Value: r}
		}
		c.closeSession()
	}()
	err = c.startup()
	if err == nil {
		err = c.loop()
	}
	var f *fatal
	if errors.As(err, &f) {
		c.sendFatal(f.e)
		return err
	}
	if errors.Is(err, errClose) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func (c *Conn) closeSession() {
	if c.sess == nil {
		return
	}
	s := c.sess
	c.sess = nil
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire: panic closing session", "panic", fmt.Sprint(r))
		}
	}()
	s.Close()
}

// sendFatal writes a FATAL error; the connection is closing, so a write
// failure is moot.
func (c *Conn) sendFatal(e *sqlerr.Error) {
	if c.be == nil {
		c.be = pgproto3.NewBackend(c.rw, c.rw)
	}
	fe := *e
	fe.Severity = "FATAL"
	c.be.Send(errorResponse(&fe))
	_ = c.be.Flush()
}

// loop reads and dispatches messages until the connection ends.
func (c *Conn) loop() error {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return receiveError(err)
		}
		if err := c.dispatch(msg); err != nil {
			return err
		}
	}
}

// receiveError classifies a failed Receive: EOF is the client leaving,
// anything else is a protocol violation worth telling the client about.
func receiveError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errClose
	}
	if errors.Is(err, ErrShutdown) {
		return fatalf(codeAdminShutdown, "terminating connection due to administrator command")
	}
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &tooBig) {
		return fatalf(codeProtocolViolation, "invalid message length: %d bytes exceeds the maximum of %d",
			tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen)
	}
	return fatalf(codeProtocolViolation, "invalid frontend message: %v", err)
}

// dispatch handles one message. Terminate and copy messages outside a COPY
// are handled before the ignore-till-Sync filter.
func (c *Conn) dispatch(msg pgproto3.FrontendMessage) error {
	switch m := msg.(type) {
	case *pgproto3.Terminate:
		return errClose
	case *pgproto3.Sync:
		return c.sync()
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// PostgreSQL ignores these outside COPY: they are the tail of a
		// COPY that already failed.
		return nil
	case *pgproto3.Query:
		if c.ignoreTillSync {
			return nil
		}
		return c.simpleQuery(m.String)
	}
	if c.ignoreTillSync {
		return nil
	}
	switch m := msg.(type) {
	case *pgproto3.Parse:
		return c.parse(m)
	case *pgproto3.Bind:
		return c.bind(m)
	case *pgproto3.Describe:
		return c.describe(m)
	case *pgproto3.Execute:
		return c.execute(m)
	case *pgproto3.Close:
		return c.closeObject(m)
	case *pgproto3.Flush:
		return c.flush()
	case *pgproto3.FunctionCall:
		return c.extendedError(sqlerr.Unsupported("the fastpath function call protocol"))
	}
	return fatalf(codeProtocolViolation, "invalid frontend message type %T after startup", msg)
}

// flush sends the buffered messages; a failure closes the connection.
func (c *Conn) flush() error {
	c.rowsUnflushed = 0
	if err := c.be.Flush(); err != nil {
		c.connErr = errClose
		return errClose
	}
	return nil
}

// readyForQuery ends a query cycle: status, flush.
func (c *Conn) readyForQuery() error {
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.txnStatus()})
	return c.flush()
}

func (c *Conn) txnStatus() byte {
	s := c.sess.TxnStatus()
	if s != 'I' && s != 'T' && s != 'E' {
		panic(fmt.Sprintf("pgwire: session reported transaction status %q", s))
	}
	return s
}

// sendError writes an ErrorResponse for a failed statement.
func (c *Conn) sendError(e *sqlerr.Error) {
	c.be.Send(errorResponse(e))
}

// extendedError reports an error in an extended-protocol message and
// discards messages until Sync.
func (c *Conn) extendedError(e *sqlerr.Error) error {
	c.sendError(e)
	c.ignoreTillSync = true
	return nil
}

// errorResponse converts a SQL error to the wire message.
func errorResponse(e *sqlerr.Error) *pgproto3.ErrorResponse {
	sev := e.Severity
	if sev == "" {
		sev = "ERROR"
	}
	code := e.Code
	if len(code) != 5 {
		code = sqlerr.InternalError
	}
	return &pgproto3.ErrorResponse{
		Severity: sev, SeverityUnlocalized: sev, Code: code, Message: e.Message,
		Detail: e.Detail, Hint: e.Hint, Position: int32(e.Position),
	}
}

func noticeResponse(e *sqlerr.Error) *pgproto3.NoticeResponse {
	n := errorResponse(e)
	if e.Severity == "" || e.Severity == "ERROR" {
		n.Severity, n.SeverityUnlocalized = "NOTICE", "NOTICE"
	}
	if e.Code == "" {
		n.Code = sqlerr.SuccessfulCompletion
	}
	return (*pgproto3.NoticeResponse)(n)
}
