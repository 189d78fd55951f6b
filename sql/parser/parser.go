package parser

import (
	"errors"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

const (
	// queryBytesMax bounds the text handed to the grammar.
	queryBytesMax = 16 << 20
	// nestingDepthMax bounds expression nesting, so recursion in the
	// translator, planner and evaluator stays shallow.
	nestingDepthMax = 1000
)

// Statement is one parsed statement and its text.
type Statement struct {
	AST  ast.Stmt
	Text string
}

// Parse parses one or more statements.
func Parse(sql string) (stmts []Statement, err error) {
	if len(sql) > queryBytesMax {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "query text of %d bytes exceeds the %d-byte limit", len(sql), queryBytesMax)
	}
	tree, perr := pg.Parse(sql)
	if perr != nil {
		return nil, parseError(perr)
	}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*sqlerr.Error); ok {
				stmts, err = nil, e
				return
			}
			stmts, err = nil, sqlerr.New(sqlerr.InternalError, "parser: %v", r)
		}
	}()
	for _, raw := range tree.Stmts {
		text := stmtText(sql, raw)
		t := &translator{version: tree.Version}
		stmts = append(stmts, Statement{AST: t.stmt(raw.Stmt), Text: text})
	}
	return stmts, nil
}

func stmtText(sql string, raw *pg.RawStmt) string {
	start := int(raw.StmtLocation)
	end := len(sql)
	if raw.StmtLen > 0 {
		end = start + int(raw.StmtLen)
	}
	if start < 0 || start > len(sql) || end > len(sql) || end < start {
		return sql
	}
	return strings.TrimSpace(sql[start:end])
}

func parseError(err error) *sqlerr.Error {
	var pe *pgparser.Error
	if !errors.As(err, &pe) {
		if strings.Contains(err.Error(), "recursion depth") {
			return sqlerr.New(sqlerr.StatementTooComplex, "stack depth limit exceeded")
		}
		return sqlerr.New(sqlerr.SyntaxError, "%s", err.Error())
	}
	code := sqlerr.SyntaxError
	switch {
	case strings.Contains(pe.Message, "stack depth limit exceeded"):
		code = sqlerr.StatementTooComplex
	case strings.Contains(pe.Message, "out of range"):
		code = sqlerr.NumericValueOutOfRange
	case strings.Contains(pe.Message, "unterminated"), strings.Contains(pe.Message, "invalid"):
		code = sqlerr.SyntaxError
	case strings.HasPrefix(pe.Message, "exceeded maximum"):
		code = sqlerr.StatementTooComplex
	}
	e := sqlerr.New(code, "%s", pe.Message)
	if pe.Cursorpos > 0 {
		e.Position = pe.Cursorpos
	}
	return e
}

// translator carries translation state: the current nesting depth.
type translator struct {
	depth   int
	version int32
}

func (t *translator) enter() {
	t.depth++
	if t.depth > nestingDepthMax {
		panic(sqlerr.New(sqlerr.StatementTooComplex, "stack depth limit exceeded").
			WithHint("The statement nests expressions more than %d levels deep.", nestingDepthMax))
	}
}

func (t *translator) leave() { t.depth-- }

func unsupported(format string, args ...any) {
	panic(sqlerr.Unsupported(fmt.Sprintf(format, args...)))
}

func fail(code, format string, args ...any) {
	panic(sqlerr.New(code, format, args...))
}

func strVal(n *pg.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

func strList(ns []*pg.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, strVal(n))
	}
	return out
}

func (t *translator) stmt(n *pg.Node) ast.Stmt {
	if n == nil {
		return &ast.Empty{}
	}
	switch {
	case n.GetSelectStmt() != nil:
		return t.selectStmt(n.GetSelectStmt())
	case n.GetInsertStmt() != nil:
		return t.insert(n.GetInsertStmt())
	case n.GetUpdateStmt() != nil:
		return t.update(n.GetUpdateStmt())
	case n.GetDeleteStmt() != nil:
		return t.delete(n.GetDeleteStmt())
	case n.GetCreateStmt() != nil:
		return t.createTable(n.GetCreateStmt())
	case n.GetDropStmt() != nil:
		return t.drop(n.GetDropStmt())
	case n.GetIndexStmt() != nil:
		return t.createIndex(n.GetIndexStmt())
	case n.GetAlterTableStmt() != nil:
		return t.alterTable(n.GetAlterTableStmt())
	case n.GetRenameStmt() != nil:
		return t.rename(n.GetRenameStmt())
	case n.GetTruncateStmt() != nil:
		return t.truncate(n.GetTruncateStmt())
	case n.GetTransactionStmt() != nil:
		return t.txnStmt(n.GetTransactionStmt())
	case n.GetVariableSetStmt() != nil:
		return t.setVar(n.GetVariableSetStmt())
	case n.GetVariableShowStmt() != nil:
		return &ast.Show{Name: strings.ToLower(n.GetVariableShowStmt().Name)}
	case n.GetExplainStmt() != nil:
		return t.explain(n.GetExplainStmt())
	case n.GetCopyStmt() != nil:
		return t.copyStmt(n.GetCopyStmt())
	case n.GetCreateRoleStmt() != nil, n.GetAlterRoleStmt() != nil, n.GetDropRoleStmt() != nil:
		return t.roleStmt(n)
	case n.GetVacuumStmt() != nil:
		return t.vacuum(n.GetVacuumStmt())
	}
	unsupported("statement %s", nodeName(n))
	return nil
}

// nodeName names a pg_query node kind for error messages: "CopyStmt" -> "COPY".
func nodeName(n *pg.Node) string {
	name := fmt.Sprintf("%T", n.GetNode())
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	name = strings.TrimSuffix(name, "Stmt")
	return strings.ToUpper(name)
}

func (t *translator) explain(s *pg.ExplainStmt) ast.Stmt {
	for _, o := range s.Options {
		if d := o.GetDefElem(); d != nil && d.Defname == "analyze" {
			unsupported("EXPLAIN ANALYZE")
		}
	}
	return &ast.Explain{Stmt: t.stmt(s.Query)}
}

func (t *translator) txnStmt(s *pg.TransactionStmt) ast.Stmt {
	switch s.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
		return &ast.Begin{Modes: t.txnModes(s.Options)}
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
		if s.Chain {
			unsupported("COMMIT AND CHAIN")
		}
		return &ast.Commit{}
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if s.Chain {
			unsupported("ROLLBACK AND CHAIN")
		}
		return &ast.Rollback{}
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return &ast.Savepoint{Name: s.SavepointName}
	case pg.TransactionStmtKind_TRANS_STMT_RELEASE:
		return &ast.ReleaseSavepoint{Name: s.SavepointName}
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return &ast.RollbackToSavepoint{Name: s.SavepointName}
	}
	unsupported("two-phase commit")
	return nil
}

func (t *translator) txnModes(opts []*pg.Node) ast.TxnModes {
	var m ast.TxnModes
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "transaction_isolation":
			m.Isolation = t.constText(d.Arg)
		case "transaction_read_only":
			// The grammar encodes READ ONLY as the integer constant 1.
			v := t.constText(d.Arg)
			ro := v == "true" || v == "1"
			m.ReadOnly = &ro
		case "transaction_deferrable":
		default:
			unsupported("transaction option %s", d.Defname)
		}
	}
	return m
}

// constText returns a constant's text ("true"/"false" for booleans).
func (t *translator) constText(n *pg.Node) string {
	if n == nil {
		return ""
	}
	if c := n.GetAConst(); c != nil {
		switch v := c.Val.(type) {
		case *pg.A_Const_Sval:
			return v.Sval.Sval
		case *pg.A_Const_Ival:
			return fmt.Sprint(v.Ival.Ival)
		case *pg.A_Const_Fval:
			return v.Fval.Fval
		case *pg.A_Const_Boolval:
			return fmt.Sprint(v.Boolval.Boolval)
		}
	}
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	if i := n.GetInteger(); i != nil {
		return fmt.Sprint(i.Ival)
	}
	if b := n.GetBoolean(); b != nil {
		return fmt.Sprint(b.Boolval)
	}
	if tc := n.GetTypeCast(); tc != nil {
		return t.constText(tc.Arg)
	}
	return ""
}

func (t *translator) setVar(s *pg.VariableSetStmt) ast.Stmt {
	name := strings.ToLower(s.Name)
	switch s.Kind {
	case pg.VariableSetKind_VAR_SET_VALUE:
		v := &ast.SetVar{Name: name, Local: s.IsLocal}
		for _, a := range s.Args {
			v.Values = append(v.Values, t.constText(a))
		}
		return v
	case pg.VariableSetKind_VAR_SET_DEFAULT, pg.VariableSetKind_VAR_RESET:
		return &ast.SetVar{Name: name, Default: true, Local: s.IsLocal}
	case pg.VariableSetKind_VAR_RESET_ALL:
		return &ast.SetVar{All: true, Default: true}
	case pg.VariableSetKind_VAR_SET_MULTI:
		if name == "transaction" || name == "session characteristics" {
			return &ast.SetTransaction{Modes: t.txnModes(s.Args)}
		}
	}
	unsupported("SET %s", name)
	return nil
}
