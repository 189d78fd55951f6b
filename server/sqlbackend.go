package server

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql"
	"github.com/lineradb/lineradb/sql/pgwire"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// sqlBackend adapts package sql's sans-IO Session to pgwire's Backend. It
// speaks the simple query protocol only: package sql has no Prepare yet,
// so extended-protocol messages get 0A000 (pgx clients use
// QueryExecModeSimpleProtocol). It enforces max_result_rows and checks the
// statement interrupt (query_timeout, cancel) at every transaction boundary
// the session hands to it.
type sqlBackend struct {
	store   kv.Store
	limits  *limits
	queries *queryLog
	log     *slog.Logger
}

// limits are the reloadable per-statement limits, read by every session.
type limits struct {
	maxResultRows atomic.Int64
}

func (b *sqlBackend) NewSession(info pgwire.StartupInfo) (pgwire.Session, error) {
	db := info.Database
	if db == "" {
		db = info.User
	}
	s := sql.NewSession(sql.SessionConfig{Clock: clock.Real{}, Database: db, User: info.User})
	return &sqlSession{b: b, s: s, info: info}, nil
}

type sqlSession struct {
	b    *sqlBackend
	s    *sql.Session
	info pgwire.StartupInfo
}

var _ pgwire.Session = (*sqlSession)(nil)

func (ss *sqlSession) TxnStatus() byte                 { return ss.s.InTransaction() }
func (ss *sqlSession) StatementTimeout() time.Duration { return 0 }
func (ss *sqlSession) Location() *time.Location        { return time.UTC }

// Close rolls back an open transaction block: a connection that goes away
// must not leave its kv transaction (and its pinned snapshot) behind.
func (ss *sqlSession) Close() {
	if ss.s.InTransaction() != 'I' {
		ss.drive(ss.s.Start("ROLLBACK"))
	}
}

func (ss *sqlSession) Prepare(query string, _ []types.OID) (pgwire.Prepared, *sqlerr.Error) {
	return nil, sqlerr.New(sqlerr.FeatureNotSupported,
		"the extended query protocol is not supported by this build; use the simple query protocol")
}

func (ss *sqlSession) Execute(pgwire.Prepared, []types.Datum, pgwire.ResultWriter) {}

// Query runs every statement of q and reports each result to w.
func (ss *sqlSession) Query(q string, w pgwire.ResultWriter) {
	start := time.Now()
	results := ss.drive(ss.s.Start(q))
	ss.b.queries.finished(q, time.Since(start))
	if len(results) == 0 {
		_ = w.EmptyQuery()
		return
	}
	for i := range results {
		if !ss.report(&results[i], w) {
			return
		}
	}
}

// drive completes the session's step against the store, checking the
// interrupt before each begin and commit.
func (ss *sqlSession) drive(step sql.Step) []sql.Result {
	store := ss.b.store
	for step.Action != sql.ActionDone {
		ierr := ss.interrupted()
		switch step.Action {
		case sql.ActionBegin:
			if ierr != nil {
				step = ss.s.ResumeBegin(nil, ierr)
				continue
			}
			txn, err := store.Begin(step.BeginOpts)
			step = ss.s.ResumeBegin(txn, err)
		case sql.ActionCommit:
			if ierr != nil {
				store.Abort(step.Txn)
				step = ss.s.ResumeCommit(kv.CommitResult{}, ierr)
				continue
			}
			res, err := store.Commit(step.Txn)
			step = ss.s.ResumeCommit(res, err)
		case sql.ActionAbort:
			store.Abort(step.Txn)
			step = ss.s.ResumeAbort()
		}
	}
	return step.Results
}

func (ss *sqlSession) interrupted() error {
	if ss.info.Interrupt == nil {
		return nil
	}
	if e := ss.info.Interrupt.Err(); e != nil {
		return e
	}
	return nil
}

// report sends one statement's result; false means stop (an error was
// reported or the connection is gone).
func (ss *sqlSession) report(r *sql.Result, w pgwire.ResultWriter) bool {
	for _, n := range r.Notices {
		if w.Notice(&sqlerr.Error{Severity: n.Severity, Code: n.Code, Message: n.Message}) != nil {
			return false
		}
	}
	if r.Err != nil {
		w.Error(r.Err)
		return false
	}
	if maxRows := ss.b.limits.maxResultRows.Load(); maxRows > 0 && int64(len(r.Rows)) > maxRows {
		w.Error(sqlerr.New(sqlerr.ProgramLimitExceeded,
			"result has %d rows, more than max_result_rows (%d); add a LIMIT", len(r.Rows), maxRows))
		return false
	}
	if len(r.Columns) > 0 {
		cols := make([]pgwire.Column, len(r.Columns))
		for i, c := range r.Columns {
			cols[i] = pgwire.Column{Name: c.Name, Type: c.T}
		}
		if w.Columns(cols) != nil {
			return false
		}
	}
	for _, row := range r.Rows {
		if w.Row(row) != nil {
			return false
		}
	}
	return w.Complete(r.Tag) == nil
}

// kvUsers backs pgwire's UserStore: the configured superuser first, then
// users stored in the database under usersPrefix.
type kvUsers struct {
	superuser string
	hash      string
	store     kv.Store
}

// usersPrefix is where stored users' SCRAM verifiers live in the KV space,
// outside the SQL layer's table and index prefixes.
const usersPrefix = "\xff/sys/users/"

func (u *kvUsers) LookupUser(name string) (string, bool, error) {
	if name == u.superuser {
		return u.hash, true, nil
	}
	if strings.ContainsRune(name, 0) {
		return "", false, nil
	}
	txn, err := u.store.Begin(kv.TxnOptions{ReadOnly: true})
	if err != nil {
		return "", false, err
	}
	defer u.store.Abort(txn)
	v, ok, err := txn.Get([]byte(usersPrefix + name))
	if err != nil || !ok {
		return "", false, err
	}
	return string(v), true, nil
}
