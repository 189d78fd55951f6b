package exec

import (
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// cteDef is a planned WITH query.
type cteDef struct {
	name string
	cols []scopeCol
	plan node
	used bool // referred to while planning (finds recursive references)
}

// cteScanNode materialises its CTE once per execution.
type cteScanNode struct{ def *cteDef }

func (n *cteScanNode) run(c *Ctx) ([]types.Row, error) {
	if c.cache == nil {
		c.cache = map[any][]types.Row{}
	}
	if rows, ok := c.cache[n.def]; ok {
		return copyRows(rows), nil
	}
	rows, err := n.def.plan.run(c)
	if err != nil {
		return nil, err
	}
	if err := c.mem.holdRows(opCTE, rows); err != nil {
		return nil, err
	}
	c.cache[n.def] = rows
	return copyRows(rows), nil
}

func copyRows(rows []types.Row) []types.Row {
	out := make([]types.Row, len(rows))
	for i, r := range rows {
		out[i] = append(types.Row{}, r...)
	}
	return out
}

func (n *cteScanNode) explain() (string, []node) {
	return "CTE Scan on " + n.def.name, []node{n.def.plan}
}

// planQuery plans a query whose expressions may refer to parent (for
// correlated subqueries). It returns the plan and its output columns.
func (e *Env) planQuery(s *ast.Select, parent *scope) (node, []scopeCol, error) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > subqueryDepthMax {
		return nil, nil, sqlerr.New(sqlerr.StatementTooComplex, "subqueries nested more than %d deep", subqueryDepthMax)
	}
	if len(s.With) > 0 {
		if err := e.pushCTEs(s.With, parent); err != nil {
			return nil, nil, err
		}
		defer func() { e.ctes = e.ctes[:len(e.ctes)-1] }()
	}
	switch {
	case s.Op != ast.SetNone:
		return e.planSetOp(s, parent)
	case s.Values != nil:
		n, cols, err := e.planValues(s.Values, parent)
		if err != nil {
			return nil, nil, err
		}
		return e.planOrderLimit(s, n, cols, parent)
	}
	return e.planBlock(s, parent)
}

func (e *Env) pushCTEs(ctes []ast.CTE, parent *scope) error {
	level := map[string]*cteDef{}
	e.ctes = append(e.ctes, level)
	for _, c := range ctes {
		if _, dup := level[c.Name]; dup {
			return sqlerr.New(sqlerr.DuplicateAlias, "WITH query name %q specified more than once", c.Name)
		}
		if c.Recursive {
			plan, cols, ok, err := e.planRecursiveCTE(c, level, parent)
			if err != nil {
				return err
			}
			if ok {
				level[c.Name] = &cteDef{name: c.Name, cols: cols, plan: plan}
				continue
			}
		}
		plan, cols, err := e.planQuery(c.Query, parent)
		if err != nil {
			return err
		}
		cols, err = renameCols(cols, c.Name, c.Cols)
		if err != nil {
			return err
		}
		level[c.Name] = &cteDef{name: c.Name, cols: cols, plan: plan}
	}
	return nil
}

func renameCols(cols []scopeCol, table string, aliases []string) ([]scopeCol, error) {
	if len(aliases) > len(cols) {
		return nil, sqlerr.New(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", table, len(cols), len(aliases))
	}
	out := make([]scopeCol, len(cols))
	for i, c := range cols {
		c.Table = table
		if i < len(aliases) {
			c.Name = aliases[i]
		}
		out[i] = c
	}
	return out, nil
}

func (e *Env) lookupCTE(name string) *cteDef {
	for i := len(e.ctes) - 1; i >= 0; i-- {
		if d, ok := e.ctes[i][name]; ok {
			d.used = true
			return d
		}
	}
	return nil
}

func (e *Env) planValues(rows [][]ast.Expr, parent *scope) (node, []scopeCol, error) {
	width := len(rows[0])
	cp := &compiler{env: e, scope: &scope{parent: parent}, noAggs: "VALUES"}
	compiled := make([][]*expr, len(rows))
	for i, r := range rows {
		if len(r) != width {
			return nil, nil, sqlerr.New(sqlerr.SyntaxError, "VALUES lists must all be the same length")
		}
		cs, err := cp.compileAll(r)
		if err != nil {
			return nil, nil, err
		}
		compiled[i] = cs
	}
	cols := make([]scopeCol, width)
	for j := 0; j < width; j++ {
		column := make([]*expr, len(rows))
		for i := range rows {
			column[i] = compiled[i][j]
		}
		typed, t, err := cp.commonType(column, "VALUES")
		if err != nil {
			return nil, nil, err
		}
		for i := range rows {
			compiled[i][j] = typed[i]
		}
		cols[j] = scopeCol{Name: "column" + strconv.Itoa(j+1), T: t}
	}
	return &valuesNode{rows: compiled}, cols, nil
}

func (e *Env) planSetOp(s *ast.Select, parent *scope) (node, []scopeCol, error) {
	l, lcols, err := e.planQuery(s.Left, parent)
	if err != nil {
		return nil, nil, err
	}
	r, rcols, err := e.planQuery(s.Right, parent)
	if err != nil {
		return nil, nil, err
	}
	name := map[ast.SetOp]string{ast.SetUnion: "UNION", ast.SetIntersect: "INTERSECT", ast.SetExcept: "EXCEPT"}[s.Op]
	if len(lcols) != len(rcols) {
		return nil, nil, sqlerr.New(sqlerr.SyntaxError, "each %s query must have the same number of columns", name)
	}
	cp := &compiler{env: e, scope: &scope{parent: parent}}
	lex, rex := make([]*expr, len(lcols)), make([]*expr, len(lcols))
	cols := make([]scopeCol, len(lcols))
	for i := range lcols {
		li, ri := columnExpr(i, lcols[i]), columnExpr(i, rcols[i])
		typed, t, err := cp.commonType([]*expr{li, ri}, name)
		if err != nil {
			return nil, nil, err
		}
		lex[i], rex[i] = typed[0], typed[1]
		cols[i] = scopeCol{Name: lcols[i].Name, T: t}
	}
	n := &setOpNode{op: name, all: s.All, left: &projectNode{in: l, exprs: lex}, right: &projectNode{in: r, exprs: rex}}
	return e.planOrderLimit(s, n, cols, parent)
}

// columnExpr reads input column i.
func columnExpr(i int, c scopeCol) *expr {
	return &expr{T: c.T, col: i, text: c.Name, eval: func(_ *Ctx, row types.Row) (types.Datum, error) { return row[i], nil }}
}

// planOrderLimit applies ORDER BY (over output columns only) and
// LIMIT/OFFSET to a VALUES list or set operation.
func (e *Env) planOrderLimit(s *ast.Select, n node, cols []scopeCol, parent *scope) (node, []scopeCol, error) {
	if len(s.OrderBy) > 0 {
		cp := &compiler{env: e, scope: &scope{cols: cols, parent: parent}}
		var keys []sortKey
		var texts []string
		for _, o := range s.OrderBy {
			idx, err := outputOrdinal(o.Expr, cols)
			if err != nil {
				return nil, nil, err
			}
			if idx < 0 {
				ex, err := cp.compile(o.Expr)
				if err != nil {
					return nil, nil, err
				}
				if ex.col < 0 {
					return nil, nil, sqlerr.Unsupported("ORDER BY on expressions over a set operation")
				}
				idx = ex.col
			}
			keys = append(keys, makeSortKey(idx, o))
			texts = append(texts, cols[idx].Name)
		}
		n = &sortNode{in: n, keys: keys, text: texts}
	}
	return e.planLimit(s, n, cols)
}

func makeSortKey(idx int, o ast.OrderItem) sortKey {
	k := sortKey{col: idx, desc: o.Desc, nullsFirst: o.Desc}
	switch o.Nulls {
	case ast.NullsFirst:
		k.nullsFirst = true
	case ast.NullsLast:
		k.nullsFirst = false
	}
	return k
}

// outputOrdinal resolves ORDER BY 2 or ORDER BY alias to an output column.
func outputOrdinal(e ast.Expr, cols []scopeCol) (int, error) {
	switch x := e.(type) {
	case *ast.Const:
		if x.Kind != ast.ConstInt {
			return -1, nil
		}
		n, _ := strconv.Atoi(x.Text)
		if n < 1 || n > len(cols) {
			return 0, sqlerr.New(sqlerr.InvalidColumnReference, "ORDER BY position %s is not in select list", x.Text).At(x.Pos)
		}
		return n - 1, nil
	case *ast.ColRef:
		if len(x.Parts) != 1 || x.Star {
			return -1, nil
		}
		found := -1
		for i, c := range cols {
			if c.Name == x.Parts[0] {
				if found >= 0 {
					return 0, sqlerr.New(sqlerr.AmbiguousColumn, "ORDER BY %q is ambiguous", c.Name).At(x.Pos)
				}
				found = i
			}
		}
		return found, nil
	}
	return -1, nil
}

func (e *Env) planLimit(s *ast.Select, n node, cols []scopeCol) (node, []scopeCol, error) {
	if s.Limit == nil && s.Offset == nil {
		return n, cols, nil
	}
	cp := &compiler{env: e, scope: &scope{}, noAggs: "LIMIT"}
	lim, err := e.limitExpr(cp, s.Limit)
	if err != nil {
		return nil, nil, err
	}
	off, err := e.limitExpr(cp, s.Offset)
	if err != nil {
		return nil, nil, err
	}
	return &limitNode{in: n, limit: lim, offset: off}, cols, nil
}

func (e *Env) limitExpr(cp *compiler, a ast.Expr) (*expr, error) {
	if a == nil {
		return nil, nil
	}
	x, err := cp.compile(a)
	if err != nil {
		return nil, err
	}
	if x.T.Family() == types.FamNumeric || x.T.Family() == types.FamFloat || x.isUnknown() || x.T.Family() == types.FamInt {
		return cp.coerce(x, types.Int8, types.CastAssignment, "argument of LIMIT")
	}
	return nil, sqlerr.New(sqlerr.DatatypeMismatch, "argument of LIMIT must be type bigint, not type %s", x.T.String())
}

// ---- FROM ----

func (e *Env) planFrom(items []ast.TableExpr, parent *scope) (node, []scopeCol, error) {
	if len(items) == 0 {
		return oneRowNode{}, nil, nil
	}
	var n node
	var cols []scopeCol
	for i, it := range items {
		in, icols, err := e.planTableExpr(it, parent)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			n, cols = in, icols
			continue
		}
		if err := checkDuplicateAliases(cols, icols); err != nil {
			return nil, nil, err
		}
		n = &joinNode{kind: ast.JoinCross, left: n, right: in, rightWidth: len(icols)}
		cols = append(append([]scopeCol{}, cols...), icols...)
	}
	return n, cols, nil
}

func checkDuplicateAliases(l, r []scopeCol) error {
	names := map[string]bool{}
	for _, c := range l {
		names[c.Table] = true
	}
	seen := map[string]bool{}
	for _, c := range r {
		if c.Table != "" && names[c.Table] && !seen[c.Table] {
			return sqlerr.New(sqlerr.DuplicateAlias, "table name %q specified more than once", c.Table)
		}
		seen[c.Table] = true
	}
	return nil
}

func (e *Env) planTableExpr(t ast.TableExpr, parent *scope) (node, []scopeCol, error) {
	switch x := t.(type) {
	case *ast.TableName:
		return e.planTableName(x)
	case *ast.Subquery:
		n, cols, err := e.planQuery(x.Select, parent)
		if err != nil {
			return nil, nil, err
		}
		if x.Alias == "" {
			x.Alias = "unnamed_subquery"
		}
		cols, err = renameCols(cols, x.Alias, x.ColAliases)
		return n, cols, err
	case *ast.FuncTable:
		return e.planFuncTable(x, parent)
	case *ast.Join:
		return e.planJoin(x, parent)
	}
	return nil, nil, sqlerr.Unsupported("this FROM item")
}

func (e *Env) planTableName(x *ast.TableName) (node, []scopeCol, error) {
	alias := x.Alias
	if alias == "" {
		alias = x.Name
	}
	if x.Schema == "" {
		if def := e.lookupCTE(x.Name); def != nil {
			cols, err := renameCols(def.cols, alias, x.ColAliases)
			return &cteScanNode{def: def}, cols, err
		}
	}
	if x.Schema != "" && x.Schema != "public" {
		if vt := lookupVirtual(x.Schema, x.Name); vt != nil {
			cols, err := renameCols(vt.cols, alias, x.ColAliases)
			return &virtualNode{vt: vt}, cols, err
		}
		return nil, nil, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s.%s\" does not exist", x.Schema, x.Name).At(x.Pos)
	}
	tbl, err := catalog.LookupTable(e.Txn, x.Name)
	if err != nil {
		return nil, nil, err
	}
	if tbl == nil {
		return nil, nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", x.Name).At(x.Pos)
	}
	cols := tableScope(tbl, alias)
	cols, err = renameCols(cols, alias, x.ColAliases)
	for i := range cols {
		cols[i].Hidden = tbl.Columns[i].Hidden
	}
	return newScan(tbl, alias), cols, err
}

func tableScope(t *catalog.Table, alias string) []scopeCol {
	out := make([]scopeCol, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = scopeCol{Table: alias, Name: c.Name, T: c.Type, Hidden: c.Hidden}
	}
	return out
}

// expandTargets replaces * and t.* with the visible columns.
func expandTargets(targets []ast.Target, cols []scopeCol) ([]ast.Target, error) {
	var out []ast.Target
	for _, t := range targets {
		cr, ok := t.Expr.(*ast.ColRef)
		if !ok || !cr.Star {
			out = append(out, t)
			continue
		}
		table := ""
		if len(cr.Parts) > 0 {
			table = cr.Parts[len(cr.Parts)-1]
		}
		matched := false
		for _, c := range cols {
			if c.Hidden || c.Name == "" || (table != "" && c.Table != table) {
				continue
			}
			matched = true
			parts := []string{c.Name}
			if c.Table != "" {
				parts = []string{c.Table, c.Name}
			}
			out = append(out, ast.Target{Expr: &ast.ColRef{Parts: parts, Pos: cr.Pos}, Alias: c.Name})
		}
		if table != "" && !matched && !hasTable(cols, table) {
			return nil, sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", table).At(cr.Pos)
		}
		if table == "" && len(cols) == 0 {
			return nil, sqlerr.New(sqlerr.SyntaxError, "SELECT * with no tables specified is not valid").At(cr.Pos)
		}
	}
	return out, nil
}

func hasTable(cols []scopeCol, table string) bool {
	for _, c := range cols {
		if c.Table == table {
			return true
		}
	}
	return false
}

func lowerNames(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToLower(x)
	}
	return out
}
