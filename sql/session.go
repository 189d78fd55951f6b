package sql

import (
	"io"
	"maps"
	"slices"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/kvbuf"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Action is what the driver must do next.
type Action uint8

// Actions.
const (
	ActionDone   Action = iota // Results are final
	ActionBegin                // begin a transaction with BeginOpts, then ResumeBegin
	ActionCommit               // commit Txn, then ResumeCommit
	ActionAbort                // abort Txn, then ResumeAbort
	ActionCopyIn               // run COPY FROM STDIN with CopyIn, then ResumeCopyIn
)

// Step is the session's request to its driver.
type Step struct {
	Action    Action
	BeginOpts kv.TxnOptions
	Txn       kv.Txn
	// CopyIn is set with ActionCopyIn: the driver feeds the client's COPY
	// data to CopyIn.Insert, then calls ResumeCopyIn.
	CopyIn *CopyIn
	// Results are final with ActionDone: one per statement run.
	Results []Result
	// Prepared is the outcome of StartPrepare with ActionDone (nil if
	// Results holds its error).
	Prepared *Prepared
}

// SessionConfig configures a session.
type SessionConfig struct {
	Clock    clock.Clock
	Database string
	User     string
	// MaxResultRows fails a statement whose result has more rows (54000);
	// 0 means no limit beyond the executor's own work bound. The server
	// sets it from config (max_result_rows); SetMaxResultRows changes it.
	MaxResultRows int64
	// WorkMemBytes is the session's initial work_mem (SET work_mem
	// changes it, RESET restores this): the bytes one statement's sorts,
	// hash tables, materialised CTEs and buffered result may hold at
	// once; past it the statement fails with 53200. 0 means unlimited
	// (tests and the simulator). The server sets it from
	// server.work_mem_mb.
	WorkMemBytes int64
	// Interrupted is polled while a statement executes (between kv
	// operations and every few hundred rows); a non-nil return (pgwire's
	// 57014 for a cancel request or statement_timeout) stops the statement
	// with that error. It may read state set by other goroutines (an
	// atomic flag); nil means never interrupted.
	Interrupted func() error
	// Superuser names the bootstrap superuser (OID 10, owner of every
	// object, not a stored role): the server's security.auth.superuser.
	// Default: User.
	Superuser string
	// Rand supplies password salts for CREATE/ALTER ROLE ... PASSWORD
	// (crypto/rand.Reader in production). nil derives them from the role
	// name, the clock and the read version: deterministic, for tests and
	// the simulator.
	Rand io.Reader
}

type txnState uint8

const (
	stateIdle    txnState = iota
	stateInBlock          // explicit BEGIN
	stateAborted          // explicit block after an error
)

// after says what to do when the outstanding action completes.
type after uint8

const (
	afterNone          after = iota
	afterExplicitBegin       // BEGIN
	afterAutoBegin           // run the current statement, then commit
	afterAutoCommit          // report the statement's result
	afterCommit              // COMMIT of a block
	afterAbort               // ROLLBACK / failed autocommit
	afterPrepareBegin        // StartPrepare: describe in a fresh transaction
	afterPrepareAbort        // StartPrepare: the describing transaction is done
	afterCopyIn              // COPY FROM: the driver is feeding rows
)

type savepoint struct {
	name  string
	depth int
}

// Session is one client's SQL session. It is sans-IO: see the package doc.
type Session struct {
	cfg      SessionConfig
	settings map[string]string
	loc      *time.Location
	// workMemBytes is work_mem as SET (kept apart from settings: its
	// default is per session, from SessionConfig.WorkMemBytes).
	workMemBytes int64

	state         txnState
	txn           *kvbuf.Buffer
	txnStart      time.Time
	isolationName string
	readOnly      bool
	savepoints    []savepoint

	queue   []queued
	results []Result
	pending after
	cur     Result // result of the statement awaiting its commit/abort

	prepareStmt *Prepared // the statement StartPrepare is describing
	copyIn      *CopyIn   // the COPY FROM awaiting ResumeCopyIn

	// cat caches decoded table descriptors by catalog version across
	// this session's transactions; view is s.txn behind it (viewOf is the
	// buffer view was made for).
	cat    *catalog.Cache
	view   *catalog.View
	viewOf *kvbuf.Buffer
	// parses caches Start's parsed query strings (parsecache.go).
	parses *parseCache
}

// queued is a statement waiting to run: from a query string, or a
// prepared statement with its parameter values.
type queued struct {
	stmt   ast.Stmt
	prep   *Prepared
	params []types.Datum
}

// NewSession returns an idle session.
func NewSession(cfg SessionConfig) *Session {
	if cfg.Database == "" {
		cfg.Database = "lineradb"
	}
	if cfg.WorkMemBytes < 0 {
		panic("sql: negative SessionConfig.WorkMemBytes")
	}
	return &Session{cfg: cfg, settings: maps.Clone(defaultSettings), loc: time.UTC, workMemBytes: cfg.WorkMemBytes,
		cat: catalog.NewCache(), parses: newParseCache()}
}

// Start runs a simple-protocol query string (one or more statements).
func (s *Session) Start(query string) Step {
	if s.pending != afterNone {
		panic("sql: Start while an action is outstanding")
	}
	s.results = nil
	stmts, err := s.parses.parse(query)
	if err != nil {
		s.fail(err)
		return s.finish()
	}
	s.queue = make([]queued, len(stmts))
	for i, st := range stmts {
		s.queue[i] = queued{stmt: st}
	}
	return s.next()
}

// SetMaxResultRows changes the max_result_rows limit (0 = none) for the
// statements that follow.
func (s *Session) SetMaxResultRows(n int64) { s.cfg.MaxResultRows = n }

// Setting returns a session setting's current value (as SHOW prints it)
// and whether it exists; drivers use it to report ParameterStatus.
func (s *Session) Setting(name string) (string, bool) { return s.setting(name) }

// Location is the session's TimeZone.
func (s *Session) Location() *time.Location { return s.loc }

// InTransaction reports the ReadyForQuery status: 'I' idle, 'T' in a
// block, 'E' in a failed block.
func (s *Session) InTransaction() byte {
	switch s.state {
	case stateInBlock:
		return 'T'
	case stateAborted:
		return 'E'
	}
	return 'I'
}

// fail records an error result; inside a block it aborts the block.
func (s *Session) fail(err error) {
	s.results = append(s.results, errResult(err))
	s.queue = nil
	if s.state == stateInBlock {
		s.state = stateAborted
	}
}

func (s *Session) finish() Step {
	s.pending = afterNone
	return Step{Action: ActionDone, Results: s.results}
}

// next processes queued statements until one needs the driver.
func (s *Session) next() Step {
	for len(s.queue) > 0 {
		q := s.queue[0]
		s.queue = s.queue[1:]
		if step, ok := s.statement(q); ok {
			return step
		}
	}
	return s.finish()
}

func (s *Session) add(r Result) { s.results = append(s.results, r) }

// statement runs one statement; ok means the driver must act first.
func (s *Session) statement(q queued) (Step, bool) {
	stmt := q.stmt
	if s.state == stateAborted {
		switch stmt.(type) {
		case *ast.Rollback, *ast.Commit, *ast.RollbackToSavepoint:
		default:
			s.fail(sqlerr.New(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block"))
			return Step{}, false
		}
	}
	switch x := stmt.(type) {
	case *ast.Empty:
		s.add(Result{Tag: ""})
		return Step{}, false
	case *ast.Begin:
		return s.begin(x.Modes)
	case *ast.Commit:
		return s.commit()
	case *ast.Rollback:
		return s.rollback()
	case *ast.Savepoint, *ast.ReleaseSavepoint, *ast.RollbackToSavepoint:
		s.savepointStmt(stmt)
		return Step{}, false
	case *ast.SetVar:
		s.setVar(x)
		return Step{}, false
	case *ast.SetTransaction:
		s.add(Result{Tag: "SET"})
		return Step{}, false
	case *ast.Show:
		s.show(x.Name)
		return Step{}, false
	}
	if s.state == stateIdle {
		s.queue = append([]queued{q}, s.queue...)
		s.pending = afterAutoBegin
		return Step{Action: ActionBegin, BeginOpts: s.defaultOpts()}, true
	}
	if c, ok := stmt.(*ast.Copy); ok && c.From {
		return s.startCopyIn(q)
	}
	s.execute(q)
	return Step{}, false
}

func (s *Session) defaultOpts() kv.TxnOptions {
	opts, _ := isolation(s.settings["default_transaction_isolation"])
	opts.ReadOnly = s.settings["default_transaction_read_only"] == "on"
	return opts
}

func isolation(level string) (kv.TxnOptions, string) {
	switch level {
	case "repeatable read":
		return kv.TxnOptions{Isolation: kv.SnapshotIsolation}, "repeatable read"
	}
	return kv.TxnOptions{Isolation: kv.Serializable}, "serializable"
}

func (s *Session) begin(m ast.TxnModes) (Step, bool) {
	if s.state != stateIdle {
		s.add(Result{Tag: "BEGIN", Notices: []Notice{{Severity: "WARNING", Code: sqlerr.ActiveSQLTransaction, Message: "there is already a transaction in progress"}}})
		return Step{}, false
	}
	opts := s.defaultOpts()
	s.isolationName = "serializable"
	if m.Isolation != "" {
		opts, s.isolationName = isolation(m.Isolation)
		opts.ReadOnly = s.settings["default_transaction_read_only"] == "on"
	}
	if m.ReadOnly != nil {
		opts.ReadOnly = *m.ReadOnly
	}
	s.readOnly = opts.ReadOnly
	s.pending = afterExplicitBegin
	return Step{Action: ActionBegin, BeginOpts: opts}, true
}

// ResumeBegin hands the session the transaction it asked for.
func (s *Session) ResumeBegin(txn kv.Txn, err error) Step {
	p := s.pending
	s.pending = afterNone
	if err != nil {
		if p == afterAutoBegin {
			s.queue = s.queue[1:]
		}
		s.prepareStmt = nil
		s.fail(err)
		return s.finish()
	}
	if p == afterPrepareBegin {
		return s.describeIn(txn)
	}
	s.txn = kvbuf.New(txn, s.readOnlyFor(p))
	s.txnStart = s.now()
	s.savepoints = nil
	switch p {
	case afterExplicitBegin:
		s.state = stateInBlock
		s.add(Result{Tag: "BEGIN"})
		return s.next()
	case afterAutoBegin:
		q := s.queue[0]
		s.queue = s.queue[1:]
		s.isolationName, _ = "serializable", 0
		if c, ok := q.stmt.(*ast.Copy); ok && c.From {
			step, _ := s.startCopyIn(q)
			return step
		}
		r := s.run(q)
		return s.endAutocommit(r)
	}
	panic("sql: ResumeBegin without a pending begin")
}

func (s *Session) readOnlyFor(p after) bool {
	if p == afterExplicitBegin {
		return s.readOnly
	}
	return s.settings["default_transaction_read_only"] == "on"
}

func (s *Session) endAutocommit(r Result) Step {
	txn := s.txn.Txn()
	if r.Err != nil {
		s.cur = r
		s.pending = afterAbort
		return Step{Action: ActionAbort, Txn: txn}
	}
	if err := s.txn.Flush(); err != nil {
		s.cur = errResult(err)
		s.pending = afterAbort
		return Step{Action: ActionAbort, Txn: txn}
	}
	s.cur = r
	s.pending = afterAutoCommit
	return Step{Action: ActionCommit, Txn: txn}
}

// ResumeCommit reports the commit's outcome.
func (s *Session) ResumeCommit(_ kv.CommitResult, err error) Step {
	p := s.pending
	s.pending = afterNone
	s.txn, s.state, s.savepoints = nil, stateIdle, nil
	r := s.cur
	s.cur = Result{}
	if err != nil {
		s.fail(err)
		return s.finish()
	}
	switch p {
	case afterAutoCommit:
		s.add(r)
	case afterCommit:
		s.add(Result{Tag: "COMMIT"})
	default:
		panic("sql: ResumeCommit without a pending commit")
	}
	return s.next()
}

// ResumeAbort reports that the transaction was aborted.
func (s *Session) ResumeAbort() Step {
	if s.pending == afterPrepareAbort {
		return s.finishPrepare()
	}
	if s.pending != afterAbort {
		panic("sql: ResumeAbort without a pending abort")
	}
	s.pending = afterNone
	s.txn, s.state, s.savepoints = nil, stateIdle, nil
	r := s.cur
	s.cur = Result{}
	if r.Err != nil {
		s.fail(r.Err)
		return s.finish()
	}
	s.add(r)
	return s.next()
}

func (s *Session) commit() (Step, bool) {
	switch s.state {
	case stateIdle:
		s.add(Result{Tag: "COMMIT", Notices: []Notice{{Severity: "WARNING", Code: sqlerr.NoActiveSQLTransaction, Message: "there is no transaction in progress"}}})
		return Step{}, false
	case stateAborted:
		s.cur = Result{Tag: "ROLLBACK"}
		s.pending = afterAbort
		return Step{Action: ActionAbort, Txn: s.txn.Txn()}, true
	}
	if err := s.txn.Flush(); err != nil {
		s.cur = errResult(err)
		s.pending = afterAbort
		return Step{Action: ActionAbort, Txn: s.txn.Txn()}, true
	}
	s.pending = afterCommit
	return Step{Action: ActionCommit, Txn: s.txn.Txn()}, true
}

func (s *Session) rollback() (Step, bool) {
	if s.state == stateIdle {
		s.add(Result{Tag: "ROLLBACK", Notices: []Notice{{Severity: "WARNING", Code: sqlerr.NoActiveSQLTransaction, Message: "there is no transaction in progress"}}})
		return Step{}, false
	}
	s.cur = Result{Tag: "ROLLBACK"}
	s.pending = afterAbort
	return Step{Action: ActionAbort, Txn: s.txn.Txn()}, true
}

func (s *Session) savepointStmt(stmt ast.Stmt) {
	if s.state == stateIdle {
		name := map[bool]string{true: "SAVEPOINT", false: "RELEASE SAVEPOINT"}[isSavepoint(stmt)]
		if _, ok := stmt.(*ast.RollbackToSavepoint); ok {
			name = "ROLLBACK TO SAVEPOINT"
		}
		s.fail(sqlerr.New(sqlerr.NoActiveSQLTransaction, "%s can only be used in transaction blocks", name))
		return
	}
	switch x := stmt.(type) {
	case *ast.Savepoint:
		s.savepoints = append(s.savepoints, savepoint{name: x.Name, depth: s.txn.Savepoint()})
		s.add(Result{Tag: "SAVEPOINT"})
	case *ast.ReleaseSavepoint:
		i := s.findSavepoint(x.Name)
		if i < 0 {
			s.fail(sqlerr.New(sqlerr.InvalidSavepointSpecification, "savepoint %q does not exist", x.Name))
			return
		}
		s.txn.Release(s.savepoints[i].depth)
		s.savepoints = s.savepoints[:i]
		s.add(Result{Tag: "RELEASE"})
	case *ast.RollbackToSavepoint:
		i := s.findSavepoint(x.Name)
		if i < 0 {
			s.fail(sqlerr.New(sqlerr.InvalidSavepointSpecification, "savepoint %q does not exist", x.Name))
			return
		}
		s.txn.Rollback(s.savepoints[i].depth)
		s.savepoints = s.savepoints[:i+1]
		s.state = stateInBlock
		s.add(Result{Tag: "ROLLBACK"})
	}
}

func isSavepoint(stmt ast.Stmt) bool { _, ok := stmt.(*ast.Savepoint); return ok }

func (s *Session) findSavepoint(name string) int {
	for i := len(s.savepoints) - 1; i >= 0; i-- {
		if s.savepoints[i].name == name {
			return i
		}
	}
	return -1
}

func (s *Session) setVar(x *ast.SetVar) {
	if x.All {
		for k := range s.settings { //detlint:ordered resetting every entry; order does not matter
			if !readOnlySettings[k] {
				s.settings[k] = defaultSettings[k]
			}
		}
		s.loc = time.UTC
		s.workMemBytes = s.cfg.WorkMemBytes
		s.add(Result{Tag: "RESET"})
		return
	}
	if x.Name == "transaction_isolation" || x.Name == "transaction_read_only" {
		s.add(Result{Tag: "SET"})
		return
	}
	if err := s.set(x.Name, x.Values, x.Default); err != nil {
		s.fail(err)
		return
	}
	s.add(Result{Tag: "SET"})
}

func (s *Session) now() time.Time {
	if s.cfg.Clock == nil {
		return time.Unix(0, 0).UTC()
	}
	return s.cfg.Clock.Now()
}

// execute runs a statement inside the open transaction block.
func (s *Session) execute(q queued) {
	r := s.run(q)
	if r.Err != nil {
		s.fail(r.Err)
		return
	}
	s.add(r)
}

// run plans and executes a statement on the open transaction. A prepared
// statement reuses its plan while the transaction reads the catalog
// version it was planned at (plancache.go); otherwise it is planned
// again here, against the catalog as this transaction sees it, with the
// parameter types fixed at Prepare.
func (s *Session) run(q queued) Result {
	if c, ok := q.stmt.(*ast.Copy); ok {
		return s.copyOut(c)
	}
	if isRoleStmt(q.stmt) {
		return s.runRole(q.stmt)
	}
	if q.prep != nil {
		if p := s.cachedPlan(q.prep); p != nil {
			return s.executePrepared(p, q.params)
		}
	}
	env := &exec.Env{Txn: s.kvTxn(), Loc: s.loc}
	if q.prep != nil {
		env.ParamTypes = slices.Clone(q.prep.ParamTypes)
	}
	p, err := exec.Prepare(q.stmt, env)
	if err != nil {
		return errResult(err)
	}
	if q.prep != nil {
		if err := q.prep.checkReplan(p); err != nil {
			return errResult(err)
		}
		s.keepPlan(q.prep, p)
	}
	return s.executePrepared(p, q.params)
}

func (s *Session) ctx(params []typesDatum) *exec.Ctx {
	return &exec.Ctx{Txn: s.kvTxn(), Loc: s.loc, TxnStart: s.txnStart, StmtTime: s.now(), Params: params,
		User: s.cfg.User, Database: s.cfg.Database, Setting: s.ctxSetting, Interrupted: s.cfg.Interrupted,
		WorkMemBytes: s.workMemBytes}
}

func (s *Session) executePrepared(p *exec.Prepared, params []typesDatum) Result {
	res, err := p.Execute(s.ctx(params))
	if err != nil {
		return errResult(err)
	}
	if err := s.checkResultRows(len(res.Rows)); err != nil {
		return errResult(err)
	}
	return Result{Tag: res.Tag, Columns: columns(res.Columns), Rows: res.Rows, loc: s.loc}
}

// kvTxn is the open transaction as the executor sees it: s.txn behind
// the session's descriptor cache.
func (s *Session) kvTxn() kv.Txn {
	if s.viewOf != s.txn || s.view == nil {
		s.view, s.viewOf = s.cat.Wrap(s.txn), s.txn
	}
	return s.view
}

// checkResultRows enforces max_result_rows on a statement's result.
func (s *Session) checkResultRows(n int) error {
	if limit := s.cfg.MaxResultRows; limit > 0 && int64(n) > limit {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "result has more than max_result_rows (%d) rows", limit).
			WithHint("Add a LIMIT, or raise max_result_rows in the server's configuration.")
	}
	return nil
}
