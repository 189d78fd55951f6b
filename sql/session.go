package sql

import (
	"maps"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/kvbuf"
	"github.com/lineradb/lineradb/sql/parser"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Action is what the driver must do next.
type Action uint8

// Actions.
const (
	ActionDone   Action = iota // Results are final
	ActionBegin                // begin a transaction with BeginOpts, then ResumeBegin
	ActionCommit               // commit Txn, then ResumeCommit
	ActionAbort                // abort Txn, then ResumeAbort
)

// Step is the session's request to its driver.
type Step struct {
	Action    Action
	BeginOpts kv.TxnOptions
	Txn       kv.Txn
	Results   []Result
}

// SessionConfig configures a session.
type SessionConfig struct {
	Clock    clock.Clock
	Database string
	User     string
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

	state         txnState
	txn           *kvbuf.Buffer
	txnStart      time.Time
	isolationName string
	readOnly      bool
	savepoints    []savepoint

	queue   []parser.Statement
	results []Result
	pending after
	cur     Result // result of the statement awaiting its commit/abort
}

// NewSession returns an idle session.
func NewSession(cfg SessionConfig) *Session {
	if cfg.Database == "" {
		cfg.Database = "lineradb"
	}
	return &Session{cfg: cfg, settings: maps.Clone(defaultSettings), loc: time.UTC}
}

// Start runs a simple-protocol query string (one or more statements).
func (s *Session) Start(query string) Step {
	if s.pending != afterNone {
		panic("sql: Start while an action is outstanding")
	}
	s.results = nil
	stmts, err := parser.Parse(query)
	if err != nil {
		s.fail(err)
		return s.finish()
	}
	s.queue = stmts
	return s.next()
}

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
		st := s.queue[0]
		s.queue = s.queue[1:]
		if step, ok := s.statement(st.AST); ok {
			return step
		}
	}
	return s.finish()
}

func (s *Session) add(r Result) { s.results = append(s.results, r) }

// statement runs one statement; ok means the driver must act first.
func (s *Session) statement(stmt ast.Stmt) (Step, bool) {
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
		s.queue = append([]parser.Statement{{AST: stmt}}, s.queue...)
		s.pending = afterAutoBegin
		return Step{Action: ActionBegin, BeginOpts: s.defaultOpts()}, true
	}
	s.execute(stmt)
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
		s.fail(err)
		return s.finish()
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
		st := s.queue[0]
		s.queue = s.queue[1:]
		s.isolationName, _ = "serializable", 0
		r := s.run(st.AST)
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
func (s *Session) execute(stmt ast.Stmt) {
	r := s.run(stmt)
	if r.Err != nil {
		s.fail(r.Err)
		return
	}
	s.add(r)
}

// run plans and executes a statement on the open transaction.
func (s *Session) run(stmt ast.Stmt) Result {
	env := &exec.Env{Txn: s.txn, Loc: s.loc}
	p, err := exec.Prepare(stmt, env)
	if err != nil {
		return errResult(err)
	}
	return s.executePrepared(p, nil)
}

func (s *Session) ctx(params []typesDatum) *exec.Ctx {
	return &exec.Ctx{Txn: s.txn, Loc: s.loc, TxnStart: s.txnStart, StmtTime: s.now(), Params: params,
		User: s.cfg.User, Database: s.cfg.Database, Setting: s.setting}
}

func (s *Session) executePrepared(p *exec.Prepared, params []typesDatum) Result {
	res, err := p.Execute(s.ctx(params))
	if err != nil {
		return errResult(err)
	}
	return Result{Tag: res.Tag, Columns: columns(res.Columns), Rows: res.Rows, loc: s.loc}
}
