package sql

import (
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/parser"
	"github.com/lineradb/lineradb/sql/pgcatalog"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// paramsMax bounds the placeholders of one prepared statement, as the
// wire protocol's Int16 parameter count does.
const paramsMax = 65535

// Prepared is a statement parsed and described by StartPrepare, for the
// extended query protocol. It is owned by the session that prepared it
// (one goroutine); its exported fields never change. Executing it plans
// the statement against the catalog as the executing transaction sees
// it, reusing the previous execution's plan when that transaction reads
// the same catalog version (plancache.go).
type Prepared struct {
	// Query is the statement's text.
	Query string
	// ParamTypes has one entry per placeholder $1..$n: the type the client
	// gave, or the one inferred from context (text if nothing constrains it).
	ParamTypes []types.T
	// Columns describes the rows the statement returns (RowDescription);
	// nil if it returns none.
	Columns []Column

	stmt ast.Stmt // nil for an empty query
	// cache is the plan of the last execution, reused while the catalog
	// version and time zone are unchanged (plancache.go).
	cache planCache
}

// Empty reports whether the query has no statement (EmptyQueryResponse).
func (p *Prepared) Empty() bool { return p.stmt == nil }

// StartPrepare parses query (at most one statement) and describes it:
// parameter types (paramOIDs are the client's, 0 = infer) and result
// columns. Describing needs the catalog: inside a transaction block it
// reads through the open transaction; otherwise the step asks the driver
// for a read-only transaction (ActionBegin), and for its abort
// (ActionAbort) once described. At ActionDone, Step.Prepared is the
// statement, or Step.Results holds its one error.
//
// Transaction control, SET and SHOW need no catalog and complete at once.
// As in PostgreSQL, a failed Parse inside a transaction block aborts it,
// and only transaction control can be prepared in an aborted block.
func (s *Session) StartPrepare(query string, paramOIDs []types.OID) Step {
	if s.pending != afterNone {
		panic("sql: StartPrepare while an action is outstanding")
	}
	s.results = nil
	p, err := s.parsePrepared(query, paramOIDs)
	if err != nil {
		s.fail(err)
		return s.finish()
	}
	if p.stmt == nil || !needsCatalog(p.stmt) {
		p.Columns = fixedColumns(p.stmt)
		return Step{Action: ActionDone, Prepared: p}
	}
	if s.state == stateAborted {
		s.fail(sqlerr.New(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block"))
		return s.finish()
	}
	if s.state == stateInBlock {
		if err := s.describe(p, s.kvTxn()); err != nil {
			s.fail(err)
			return s.finish()
		}
		return Step{Action: ActionDone, Prepared: p}
	}
	s.prepareStmt = p
	s.pending = afterPrepareBegin
	return Step{Action: ActionBegin, BeginOpts: kv.TxnOptions{Isolation: kv.SnapshotIsolation, ReadOnly: true}}
}

func (s *Session) parsePrepared(query string, paramOIDs []types.OID) (*Prepared, error) {
	if len(paramOIDs) > paramsMax {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "too many parameter types: %d (at most %d)", len(paramOIDs), paramsMax)
	}
	// Catalog queries (psql's \d, pgx's type loading) use constructs the
	// executor lacks; Rewrite returns every other query unchanged.
	stmts, err := parser.Parse(pgcatalog.Rewrite(query))
	if err != nil {
		return nil, err
	}
	if len(stmts) > 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	p := &Prepared{Query: query, ParamTypes: make([]types.T, len(paramOIDs))}
	for i, oid := range paramOIDs {
		p.ParamTypes[i] = types.T{OID: oid, Typmod: -1}
		if oid == 0 {
			p.ParamTypes[i] = types.Unknown
		} else if p.ParamTypes[i].Family() == types.FamUnknown && oid != types.OIDUnknown {
			return nil, sqlerr.New(sqlerr.UndefinedObject, "type with OID %d does not exist or is not supported", oid)
		}
	}
	if len(stmts) == 1 {
		if _, empty := stmts[0].AST.(*ast.Empty); !empty {
			p.stmt = stmts[0].AST
		}
	}
	return p, nil
}

// needsCatalog reports whether describing stmt reads the catalog.
func needsCatalog(stmt ast.Stmt) bool {
	switch stmt.(type) {
	case *ast.Begin, *ast.Commit, *ast.Rollback, *ast.Savepoint, *ast.ReleaseSavepoint,
		*ast.RollbackToSavepoint, *ast.SetTransaction, *ast.SetVar, *ast.Show,
		*ast.CreateRole, *ast.AlterRole, *ast.DropRole:
		return false
	}
	return true
}

// fixedColumns are the result columns of statements described without
// the catalog: SHOW's one text column.
func fixedColumns(stmt ast.Stmt) []Column {
	if sh, ok := stmt.(*ast.Show); ok {
		return []Column{textColumn(showName(sh.Name))}
	}
	return nil
}

func textColumn(name string) Column {
	return Column{Name: name, TypeOID: uint32(types.OIDText), Typmod: -1, TypeSize: -1, T: types.Text}
}

// describe plans p's statement on txn to learn its parameter and result
// types. Unconstrained parameters become text, as in PostgreSQL.
func (s *Session) describe(p *Prepared, txn kv.Txn) error {
	env := &exec.Env{Txn: txn, Loc: s.loc, ParamTypes: append([]types.T(nil), p.ParamTypes...)}
	if c, ok := p.stmt.(*ast.Copy); ok {
		return s.describeCopy(p, c, env)
	}
	plan, err := exec.Prepare(p.stmt, env)
	if err != nil {
		return err
	}
	if len(plan.ParamTypes) > paramsMax {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "too many parameters: %d (at most %d)", len(plan.ParamTypes), paramsMax)
	}
	p.ParamTypes = plan.ParamTypes
	if len(plan.Columns) > 0 {
		p.Columns = columns(plan.Columns)
	}
	return nil
}

// describeCopy: COPY FROM returns no rows; COPY TO returns its query's.
func (s *Session) describeCopy(p *Prepared, c *ast.Copy, env *exec.Env) error {
	if c.From {
		_, err := exec.PrepareCopyFrom(c, env)
		return err
	}
	plan, err := exec.PrepareCopyTo(c, env)
	if err != nil {
		return err
	}
	p.Columns = columns(plan.Columns)
	return nil
}

// describeIn describes the statement being prepared in the read-only
// transaction the driver began, then asks for its abort.
func (s *Session) describeIn(txn kv.Txn) Step {
	if err := s.describe(s.prepareStmt, s.cat.Wrap(txn)); err != nil {
		s.prepareStmt = nil
		s.add(errResult(err))
	}
	s.pending = afterPrepareAbort
	return Step{Action: ActionAbort, Txn: txn}
}

func (s *Session) finishPrepare() Step {
	s.pending = afterNone
	p := s.prepareStmt
	s.prepareStmt = nil
	if p == nil {
		return s.finish()
	}
	return Step{Action: ActionDone, Prepared: p}
}

// StartExecute runs a prepared statement with its parameter values (one
// per ParamTypes entry, of that type; types.Null for NULL) through the
// same steps as Start: autocommit outside a block, Begin/Commit/Abort
// actions for transaction control, ActionCopyIn for COPY FROM. An empty
// prepared query completes with no results (EmptyQueryResponse).
func (s *Session) StartExecute(p *Prepared, params []types.Datum) Step {
	if s.pending != afterNone {
		panic("sql: StartExecute while an action is outstanding")
	}
	s.results = nil
	if len(params) != len(p.ParamTypes) {
		s.fail(sqlerr.New(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(params), len(p.ParamTypes)))
		return s.finish()
	}
	if p.stmt == nil {
		return s.finish()
	}
	s.queue = []queued{{stmt: p.stmt, prep: p, params: params}}
	return s.next()
}

// checkReplan verifies that planning the statement again (at Execute,
// against the current catalog) gives the result the client was told at
// Describe, as PostgreSQL's plan cache does.
func (p *Prepared) checkReplan(plan *exec.Prepared) error {
	cols := columns(plan.Columns)
	same := len(cols) == len(p.Columns)
	for i := 0; same && i < len(cols); i++ {
		same = cols[i].TypeOID == p.Columns[i].TypeOID
	}
	if !same {
		return sqlerr.New(sqlerr.FeatureNotSupported, "cached plan must not change result type")
	}
	return nil
}
