package pgwire

import (
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/parser"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// A stopgap for the extended protocol until package sql offers
// Session.Prepare/Execute: Prepare plans the statement with sql/exec in a
// throwaway read-only transaction to learn its parameter and result types;
// Execute substitutes the bound values into the text as typed literals
// ($1 → '42'::integer) and runs it through the session's simple path, so
// transaction handling stays the session's.

// sqlPrepared is a statement prepared by the stopgap.
type sqlPrepared struct {
	query  string
	empty  bool
	params []types.T
	cols   []Column
}

func (p *sqlPrepared) ParamTypes() []types.T { return p.params }
func (p *sqlPrepared) Columns() []Column     { return p.cols }

// Prepare parses and plans query to describe it.
func (s *sqlSession) Prepare(query string, oids []types.OID) (Prepared, *sqlerr.Error) {
	stmts, err := parser.Parse(query)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	if len(stmts) == 0 {
		return &sqlPrepared{query: query, empty: true}, nil
	}
	if len(stmts) > 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	p := &sqlPrepared{query: query}
	switch st := stmts[0].AST.(type) {
	case *ast.Begin, *ast.Commit, *ast.Rollback, *ast.Savepoint, *ast.ReleaseSavepoint,
		*ast.RollbackToSavepoint, *ast.SetTransaction, *ast.SetVar, *ast.Empty:
		return p, nil
	case *ast.Show:
		p.cols = []Column{{Name: st.Name, Type: types.Text}}
		return p, nil
	}
	env := &exec.Env{Loc: s.loc, ParamTypes: make([]types.T, len(oids))}
	for i, o := range oids {
		env.ParamTypes[i] = types.T{OID: o, Typmod: -1}
		if o == 0 {
			env.ParamTypes[i] = types.Unknown
		}
	}
	plan, perr := s.plan(stmts[0].AST, env)
	if perr != nil {
		return nil, perr
	}
	if plan == nil { // DDL: planned when it runs; only its parameters matter
		p.params = paramsOrText(env.ParamTypes, maxParam(query))
		return p, nil
	}
	p.params = paramsOrText(plan.ParamTypes, maxParam(query))
	for _, c := range plan.Columns {
		p.cols = append(p.cols, Column{Name: c.Name, Type: c.T})
	}
	return p, nil
}

// plan runs exec.Prepare in a read-only transaction that is then aborted.
func (s *sqlSession) plan(stmt ast.Stmt, env *exec.Env) (*exec.Prepared, *sqlerr.Error) {
	txn, err := s.store.Store.Begin(kv.TxnOptions{ReadOnly: true})
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	defer s.store.Store.Abort(txn)
	env.Txn = txn
	p, err := exec.Prepare(stmt, env)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	return p, nil
}

// paramsOrText gives every parameter a type: inference leftovers become
// text, as PostgreSQL resolves unknown-typed parameters.
func paramsOrText(ts []types.T, n int) []types.T {
	out := make([]types.T, max(n, len(ts)))
	for i := range out {
		out[i] = types.Text
		if i < len(ts) && ts[i].Family() != types.FamUnknown {
			out[i] = ts[i]
		}
	}
	return out
}

// maxParam is the highest $n in query outside literals and comments.
func maxParam(query string) int {
	n := 0
	scanParams(query, func(k int) string { n = max(n, k); return "" })
	return n
}

// Execute runs the statement with its parameters substituted as literals.
func (s *sqlSession) Execute(prep Prepared, params []types.Datum, w ResultWriter) {
	p := prep.(*sqlPrepared)
	if p.empty {
		_ = w.EmptyQuery()
		return
	}
	text := scanParams(p.query, func(k int) string {
		if k < 1 || k > len(params) {
			return "$" + strconv.Itoa(k) // let the SQL layer report it
		}
		return s.literal(p.params[k-1], params[k-1])
	})
	results := runSQL(s, text)
	if len(results) != 1 {
		w.Error(sqlerr.New(sqlerr.InternalError, "prepared statement produced %d results", len(results)))
		return
	}
	r := &results[0]
	if r.Err == nil && len(r.Columns) > 0 {
		if e := s.coerceRows(r, p.cols); e != nil {
			r.Err = e
		}
	}
	s.report(r, w, false)
}

// literal renders a bound value as a typed SQL literal.
func (s *sqlSession) literal(t types.T, d types.Datum) string {
	cast := "::" + t.String()
	if t.Family() == types.FamUnknown {
		cast = ""
	}
	if types.IsNull(d) {
		return "NULL" + cast
	}
	return "(" + quoteLiteral(types.Format(t, d, s.loc)) + cast + ")"
}

// coerceRows casts result values to the described column types, so the
// rows match the RowDescription the client got at Describe.
func (s *sqlSession) coerceRows(r *resultRef, cols []Column) *sqlerr.Error {
	if len(cols) != len(r.Columns) {
		return sqlerr.New(sqlerr.InternalError, "statement returned %d columns, described %d", len(r.Columns), len(cols))
	}
	for j, c := range r.Columns {
		if c.T.OID == cols[j].Type.OID {
			continue
		}
		for i := range r.Rows {
			v, err := types.Cast(r.Rows[i][j], c.T, cols[j].Type, types.CastExplicit, s.loc)
			if err != nil {
				return sqlerr.Wrap(err)
			}
			r.Rows[i][j] = v
		}
	}
	return nil
}

// scanParams calls repl for every $n placeholder outside string literals,
// quoted identifiers, dollar-quoted strings and comments, and returns the
// query with each replaced by repl's result.
func scanParams(q string, repl func(int) string) string {
	var b strings.Builder
	for i := 0; i < len(q); {
		j := skipNonCode(q, i)
		if j > i {
			b.WriteString(q[i:j])
			i = j
			continue
		}
		if q[i] == '$' && i+1 < len(q) && isDigit(q[i+1]) && (i == 0 || !isIdentChar(q[i-1])) {
			k := i + 1
			for k < len(q) && isDigit(q[k]) {
				k++
			}
			n, err := strconv.Atoi(q[i+1 : k])
			if err == nil {
				b.WriteString(repl(n))
				i = k
				continue
			}
		}
		b.WriteByte(q[i])
		i++
	}
	return b.String()
}

// skipNonCode returns the end of a literal, quoted identifier or comment
// starting at i, or i if none starts there.
func skipNonCode(q string, i int) int {
	switch {
	case q[i] == '\'':
		escapes := i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i < 2 || !isIdentChar(q[i-2]))
		return skipQuoted(q, i, '\'', escapes)
	case q[i] == '"':
		return skipQuoted(q, i, '"', false)
	case strings.HasPrefix(q[i:], "--"):
		if k := strings.IndexByte(q[i:], '\n'); k >= 0 {
			return i + k + 1
		}
		return len(q)
	case strings.HasPrefix(q[i:], "/*"):
		depth, k := 0, i
		for k < len(q) {
			switch {
			case strings.HasPrefix(q[k:], "/*"):
				depth++
				k += 2
			case strings.HasPrefix(q[k:], "*/"):
				depth--
				k += 2
				if depth == 0 {
					return k
				}
			default:
				k++
			}
		}
		return len(q)
	case q[i] == '$' && (i == 0 || !isIdentChar(q[i-1])):
		end := strings.IndexByte(q[i+1:], '$')
		if end < 0 {
			return i
		}
		tag := q[i : i+end+2]
		for _, c := range []byte(tag[1 : len(tag)-1]) {
			if !isIdentChar(c) || isDigit(tag[1]) {
				return i
			}
		}
		if k := strings.Index(q[i+len(tag):], tag); k >= 0 {
			return i + len(tag) + k + len(tag)
		}
		return len(q)
	}
	return i
}

func skipQuoted(q string, i int, quote byte, backslash bool) int {
	k := i + 1
	for k < len(q) {
		switch {
		case backslash && q[k] == '\\':
			k += 2
		case q[k] == quote && k+1 < len(q) && q[k+1] == quote:
			k += 2
		case q[k] == quote:
			return k + 1
		default:
			k++
		}
	}
	return len(q)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80
}
