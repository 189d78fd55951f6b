package pgwire

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// SQLBackend serves package sql's sessions over a kv.Store: the adapter
// between pgwire's Session interface and sql.Session.
type SQLBackend struct {
	// Store must be safe for concurrent use: connections share it.
	Store kv.Store
	Clock clock.Clock
	// Superuser is the bootstrap superuser's name (sql.SessionConfig's);
	// "" = each session's user.
	Superuser string
	// Rand supplies the salts of CREATE ROLE ... PASSWORD; it must be safe
	// for concurrent use (crypto/rand.Reader). nil: sql's deterministic
	// salts (tests).
	Rand io.Reader
	// WorkMemBytes is each session's initial work_mem
	// (sql.SessionConfig's): the server's server.work_mem_mb; 0 =
	// unlimited.
	WorkMemBytes int64
}

// startupSettingsSkipped are startup parameters that are not settings.
var startupSettingsSkipped = map[string]bool{
	"user": true, "database": true, "client_encoding": true, "replication": true, "options": true,
}

// NewSession creates a sql.Session and applies the client's startup
// settings (application_name, TimeZone, statement_timeout, ...) with SET,
// as PostgreSQL applies them; a bad one is FATAL.
func (b *SQLBackend) NewSession(info StartupInfo) (Session, error) {
	intr := info.Interrupt
	s := &sqlSession{
		s: sql.NewSession(sql.SessionConfig{Clock: b.Clock, Database: info.Database, User: info.User,
			Superuser: b.Superuser, Rand: b.Rand, WorkMemBytes: b.WorkMemBytes,
			Interrupted: func() error {
				if e := intr.Err(); e != nil {
					return e
				}
				return nil
			}}),
		store: &interruptStore{Store: b.Store, intr: intr},
	}
	for _, kv := range startupSettings(info.Params) {
		q := "SET " + quoteIdent(kv[0]) + " = " + quoteLiteral(kv[1])
		for _, r := range s.drive(s.s.Start(q), nil).Results {
			if r.Err != nil {
				return nil, r.Err
			}
		}
	}
	s.app, _ = s.s.Setting("application_name")
	s.tz, _ = s.s.Setting("timezone")
	return s, nil
}

// startupSettings lists the startup parameters to SET, sorted, including
// those in options ("-c name=value" or "--name=value").
func startupSettings(params map[string]string) [][2]string {
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if !startupSettingsSkipped[k] && !strings.HasPrefix(k, "_pq_.") {
			out = append(out, [2]string{k, params[k]})
		}
	}
	fields := strings.Fields(params["options"])
	for i := 0; i < len(fields); i++ {
		opt := fields[i]
		if opt == "-c" && i+1 < len(fields) {
			i++
			opt = fields[i]
		} else if !strings.HasPrefix(opt, "--") {
			continue
		}
		opt = strings.TrimPrefix(strings.TrimPrefix(opt, "-c"), "--")
		if name, value, ok := strings.Cut(opt, "="); ok {
			out = append(out, [2]string{strings.ReplaceAll(name, "-", "_"), value})
		}
	}
	return out
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// sqlSession adapts a sql.Session.
type sqlSession struct {
	s     *sql.Session
	store *interruptStore
	// app and tz are the last reported application_name and TimeZone.
	app, tz string
}

func (s *sqlSession) TxnStatus() byte          { return s.s.InTransaction() }
func (s *sqlSession) Location() *time.Location { return s.s.Location() }

func (s *sqlSession) StatementTimeout() time.Duration {
	v, _ := s.s.Setting("statement_timeout")
	return parseTimeout(v)
}

// Close rolls back an open transaction block.
func (s *sqlSession) Close() {
	if s.s.InTransaction() != 'I' {
		s.drive(s.s.Start("ROLLBACK"), nil)
	}
}

// drive runs a step to ActionDone against the store, feeding COPY FROM
// data from the client through w.
func (s *sqlSession) drive(step sql.Step, w ResultWriter) sql.Step {
	for step.Action != sql.ActionDone {
		switch step.Action {
		case sql.ActionBegin:
			txn, err := s.store.Begin(step.BeginOpts)
			step = s.s.ResumeBegin(txn, err)
		case sql.ActionCommit:
			res, err := s.store.Commit(step.Txn)
			step = s.s.ResumeCommit(res, err)
		case sql.ActionAbort:
			s.store.Abort(step.Txn)
			step = s.s.ResumeAbort()
		case sql.ActionCopyIn:
			if w == nil { // startup SETs and Prepare never copy
				step = s.s.ResumeCopyIn(0, sqlerr.New(codeProtocolViolation, "COPY is not allowed here"))
				continue
			}
			n, err := w.CopyIn(copySpecOf(step.CopyIn.Spec), step.CopyIn.Insert)
			step = s.s.ResumeCopyIn(n, err)
		default:
			panic(fmt.Sprintf("pgwire: unknown sql action %d", step.Action))
		}
	}
	return step
}

func copySpecOf(c sql.CopySpec) CopySpec {
	return CopySpec{Columns: columnsOf(c.Columns), Format: CopyFormat(c.Format), Delimiter: c.Delimiter,
		Null: c.Null, Header: c.Header, Quote: c.Quote, Escape: c.Escape}
}

// Query runs the statements and reports their results in order.
func (s *sqlSession) Query(query string, w ResultWriter) {
	results := s.drive(s.s.Start(query), w).Results
	if len(results) == 0 {
		_ = w.EmptyQuery()
		return
	}
	for i := range results {
		if !s.report(&results[i], w, true) {
			return
		}
	}
}

// sqlPrepared wraps a statement prepared by package sql.
type sqlPrepared struct {
	p    *sql.Prepared
	cols []Column
}

func (p *sqlPrepared) ParamTypes() []types.T { return p.p.ParamTypes }
func (p *sqlPrepared) Columns() []Column     { return p.cols }

// Prepare parses and describes a statement (StartPrepare).
func (s *sqlSession) Prepare(query string, oids []types.OID) (Prepared, *sqlerr.Error) {
	step := s.drive(s.s.StartPrepare(query, oids), nil)
	if step.Prepared == nil {
		for _, r := range step.Results {
			if r.Err != nil {
				return nil, r.Err
			}
		}
		return nil, sqlerr.New(sqlerr.InternalError, "prepare produced no statement")
	}
	p := &sqlPrepared{p: step.Prepared}
	if step.Prepared.Columns != nil {
		p.cols = columnsOf(step.Prepared.Columns)
	}
	return p, nil
}

// Execute runs a prepared statement (StartExecute).
func (s *sqlSession) Execute(prep Prepared, params []types.Datum, w ResultWriter) {
	p := prep.(*sqlPrepared)
	results := s.drive(s.s.StartExecute(p.p, params), w).Results
	if len(results) == 0 {
		_ = w.EmptyQuery()
		return
	}
	for i := range results {
		if !s.report(&results[i], w, false) {
			return
		}
	}
}

// report sends one result; false means stop (error or connection gone).
func (s *sqlSession) report(r *sql.Result, w ResultWriter, describe bool) bool {
	for _, n := range r.Notices {
		if w.Notice(&sqlerr.Error{Severity: n.Severity, Code: n.Code, Message: n.Message}) != nil {
			return false
		}
	}
	if r.Err != nil {
		w.Error(r.Err)
		return false
	}
	if r.Copy != nil {
		if w.CopyOut(copySpecOf(*r.Copy)) != nil {
			return false
		}
		for _, row := range r.Rows {
			if w.Row(row) != nil {
				return false
			}
		}
	} else if len(r.Columns) > 0 {
		if describe && w.Columns(columnsOf(r.Columns)) != nil {
			return false
		}
		for _, row := range r.Rows {
			if w.Row(row) != nil {
				return false
			}
		}
	}
	if r.Tag == "SET" || r.Tag == "RESET" {
		s.refreshSettings(w)
	}
	return w.Complete(r.Tag) == nil
}

func columnsOf(cs []sql.Column) []Column {
	out := make([]Column, len(cs))
	for i, c := range cs {
		out[i] = Column{Name: c.Name, Type: c.T}
	}
	return out
}

// refreshSettings reports application_name and TimeZone changes as
// ParameterStatus, as PostgreSQL does for GUC_REPORT settings.
func (s *sqlSession) refreshSettings(w ResultWriter) {
	if tz, _ := s.s.Setting("timezone"); tz != s.tz {
		s.tz = tz
		_ = w.ParameterStatus("TimeZone", tz)
	}
	if app, _ := s.s.Setting("application_name"); app != s.app {
		s.app = app
		_ = w.ParameterStatus("application_name", app)
	}
}

// parseTimeout reads a statement_timeout value: a bare number is
// milliseconds; units ms, s, min, h, d as PostgreSQL accepts them.
func parseTimeout(v string) time.Duration {
	v = strings.TrimSpace(strings.ToLower(v))
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := v, "ms"
	if i >= 0 {
		num, unit = v[:i], strings.TrimSpace(v[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0
	}
	mult := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "min": time.Minute,
		"h": time.Hour, "d": 24 * time.Hour, "us": time.Microsecond}[unit]
	return time.Duration(f * float64(mult))
}

// interruptStore makes every kv operation of a statement check the
// connection's Interrupt, so a cancel or timeout stops a statement at its
// next read or write.
type interruptStore struct {
	kv.Store
	intr *Interrupt
}

func (s *interruptStore) Begin(opts kv.TxnOptions) (kv.Txn, error) {
	if e := s.intr.Err(); e != nil {
		return nil, e
	}
	txn, err := s.Store.Begin(opts)
	if err != nil {
		return nil, err
	}
	return &interruptTxn{Txn: txn, intr: s.intr}, nil
}

func (s *interruptStore) Commit(txn kv.Txn) (kv.CommitResult, error) {
	return s.Store.Commit(unwrapTxn(txn))
}

func (s *interruptStore) Abort(txn kv.Txn) { s.Store.Abort(unwrapTxn(txn)) }

func unwrapTxn(txn kv.Txn) kv.Txn {
	if t, ok := txn.(*interruptTxn); ok {
		return t.Txn
	}
	return txn
}

type interruptTxn struct {
	kv.Txn
	intr *Interrupt
}

func (t *interruptTxn) check() error {
	if e := t.intr.Err(); e != nil {
		return e
	}
	return nil
}

func (t *interruptTxn) Get(key []byte) ([]byte, bool, error) {
	if err := t.check(); err != nil {
		return nil, false, err
	}
	return t.Txn.Get(key)
}

func (t *interruptTxn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.Txn.Scan(start, end, limit, reverse)
}

func (t *interruptTxn) Put(key, value []byte) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.Txn.Put(key, value)
}

func (t *interruptTxn) Delete(key []byte) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.Txn.Delete(key)
}

func (t *interruptTxn) DeleteRange(start, end []byte) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.Txn.DeleteRange(start, end)
}
