package exec

import (
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

var aggregateNames = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"bool_and": true, "bool_or": true, "every": true, "string_agg": true}

// hasAggregate reports whether the select list, HAVING or ORDER BY calls
// an aggregate (not counting aggregates inside subqueries).
func hasAggregate(s *ast.Select, targets []ast.Target) bool {
	found := false
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		if found || e == nil {
			return
		}
		visitChildren(e, func(c ast.Expr) {
			if f, ok := c.(*ast.Func); ok && aggregateNames[f.Name] {
				found = true
				return
			}
			walk(c)
		})
	}
	for _, t := range targets {
		walk(&ast.Not{X: t.Expr})
	}
	for _, o := range s.OrderBy {
		walk(&ast.Not{X: o.Expr})
	}
	return found
}

// visitChildren calls f on each direct sub-expression (not subqueries).
func visitChildren(e ast.Expr, f func(ast.Expr)) {
	switch x := e.(type) {
	case *ast.BinOp:
		f(x.L)
		f(x.R)
	case *ast.UnaryOp:
		f(x.X)
	case *ast.And:
		f(x.L)
		f(x.R)
	case *ast.Or:
		f(x.L)
		f(x.R)
	case *ast.Not:
		f(x.X)
	case *ast.IsNull:
		f(x.X)
	case *ast.IsBool:
		f(x.X)
	case *ast.IsDistinct:
		f(x.L)
		f(x.R)
	case *ast.Between:
		f(x.X)
		f(x.Lo)
		f(x.Hi)
	case *ast.InList:
		f(x.X)
		for _, a := range x.List {
			f(a)
		}
	case *ast.Case:
		if x.Operand != nil {
			f(x.Operand)
		}
		for _, w := range x.Whens {
			f(w.Cond)
			f(w.Result)
		}
		if x.Else != nil {
			f(x.Else)
		}
	case *ast.Cast:
		f(x.X)
	case *ast.Func:
		for _, a := range x.Args {
			f(a)
		}
	case *ast.SubqueryExpr:
		if x.X != nil {
			f(x.X)
		}
	case *ast.Array:
		for _, a := range x.Elems {
			f(a)
		}
	case *ast.Subscript:
		f(x.X)
		f(x.Index)
	case *ast.AnyArray:
		f(x.X)
		f(x.Array)
	}
}

// aggSpec is one aggregate call.
type aggSpec struct {
	name     string
	args     []*expr
	star     bool
	distinct bool
	filter   *expr
	order    []sortKey // over args (string_agg ORDER BY), positions after args
	orderBy  []*expr
	T        types.T
	text     string
}

// aggScope maps expressions above an aggregation onto its output row:
// the group keys, then the aggregates.
type aggScope struct {
	groupTexts []string
	groups     []*expr
	aggs       []*aggSpec
	in         *scope
}

func (e *Env) newAggScope(s *ast.Select, targets []ast.Target, in *scope) (*aggScope, error) {
	a := &aggScope{in: in}
	cp := &compiler{env: e, scope: in, noAggs: "GROUP BY"}
	for _, g := range s.GroupBy {
		g, err := groupByTarget(g, targets, in)
		if err != nil {
			return nil, err
		}
		x, err := cp.compile(g)
		if err != nil {
			return nil, err
		}
		if x, err = cp.resolveUnknown(x); err != nil {
			return nil, err
		}
		a.groupTexts = append(a.groupTexts, ast.String(g))
		a.groups = append(a.groups, x)
	}
	return a, nil
}

func aggOutput(i int, t types.T, text string) *expr {
	return &expr{T: t, col: -1, text: text, eval: func(_ *Ctx, row types.Row) (types.Datum, error) { return row[i], nil }}
}

// intercept handles group keys, aggregate calls and bare columns above an
// aggregation; ok is false for anything else (compiled normally).
func (a *aggScope) intercept(cp *compiler, e ast.Expr) (*expr, bool, error) {
	s := ast.String(e)
	for i, g := range a.groupTexts {
		if g == s {
			return aggOutput(i, a.groups[i].T, a.groups[i].text), true, nil
		}
	}
	switch x := e.(type) {
	case *ast.Func:
		if !aggregateNames[x.Name] {
			return nil, false, nil
		}
		spec, err := a.compileAgg(cp, x)
		if err != nil {
			return nil, true, err
		}
		a.aggs = append(a.aggs, spec)
		return aggOutput(len(a.groups)+len(a.aggs)-1, spec.T, spec.text), true, nil
	case *ast.ColRef:
		if x.Star {
			return nil, false, nil
		}
		idx, depth, _, err := a.in.resolve(x.Parts, x.Pos)
		if err != nil || depth > 0 {
			return nil, err != nil, err
		}
		c := a.in.cols[idx]
		name := c.Name
		if c.Table != "" {
			name = c.Table + "." + c.Name
		}
		return nil, true, sqlerr.New(sqlerr.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name).At(x.Pos)
	}
	return nil, false, nil
}

func (a *aggScope) compileAgg(outer *compiler, f *ast.Func) (*aggSpec, error) {
	if outer.noAggs != "" {
		return nil, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", outer.noAggs).At(f.Pos)
	}
	cp := &compiler{env: outer.env, scope: a.in, noAggs: "aggregate function calls"}
	spec := &aggSpec{name: f.Name, star: f.Star, distinct: f.Distinct, text: ast.String(f)}
	args, err := cp.compileAll(f.Args)
	if err != nil {
		return nil, err
	}
	if containsAggregate(f.Args) {
		return nil, sqlerr.New(sqlerr.GroupingError, "aggregate function calls cannot be nested").At(f.Pos)
	}
	spec.args = args
	if f.Filter != nil {
		if spec.filter, err = cp.compile(f.Filter); err != nil {
			return nil, err
		}
		if spec.filter, err = cp.boolOf(spec.filter, "FILTER"); err != nil {
			return nil, err
		}
	}
	for i, o := range f.OrderBy {
		x, err := cp.compile(o.Expr)
		if err != nil {
			return nil, err
		}
		if x, err = cp.resolveUnknown(x); err != nil {
			return nil, err
		}
		spec.orderBy = append(spec.orderBy, x)
		spec.order = append(spec.order, makeSortKey(len(args)+i, o))
	}
	return spec, resolveAggregate(cp, spec, f)
}

func containsAggregate(es []ast.Expr) bool {
	found := false
	for _, e := range es {
		if f, ok := e.(*ast.Func); ok && aggregateNames[f.Name] {
			return true
		}
		visitChildren(e, func(c ast.Expr) {
			if containsAggregate([]ast.Expr{c}) {
				found = true
			}
		})
	}
	return found
}

// aggNode groups its input and computes the aggregates.
type aggNode struct {
	in  node
	agg *aggScope
}

type group struct {
	key  types.Row
	rows []types.Row // argument rows per aggregate
	accs []accumulator
}

func (n *aggNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.in.run(c)
	if err != nil {
		return nil, err
	}
	a := n.agg
	defer c.mem.release(c.mem.mark())
	index := map[string]*group{}
	var order []*group
	for _, r := range rows {
		key := make(types.Row, len(a.groups))
		for i, g := range a.groups {
			if key[i], err = g.eval(c, r); err != nil {
				return nil, err
			}
		}
		h := types.RowHashKey(key)
		g, ok := index[h]
		if !ok {
			if err := c.mem.grow(opAggregate, groupBytes+rowBytes(key)+hashKeyBytes(h)); err != nil {
				return nil, err
			}
			g = &group{key: key, accs: newAccumulators(a.aggs)}
			index[h] = g
			order = append(order, g)
		}
		if err := accumulate(c, g, a.aggs, r); err != nil {
			return nil, err
		}
	}
	if len(order) == 0 && len(a.groups) == 0 {
		order = append(order, &group{accs: newAccumulators(a.aggs)})
	}
	out := make([]types.Row, 0, len(order))
	for _, g := range order {
		row := append(types.Row{}, g.key...)
		for i, acc := range g.accs {
			d, err := acc.result(a.aggs[i])
			if err != nil {
				return nil, err
			}
			row = append(row, d)
		}
		out = append(out, row)
	}
	return out, nil
}

func (n *aggNode) explain() (string, []node) {
	var parts []string
	for _, g := range n.agg.groups {
		parts = append(parts, g.text)
	}
	if len(parts) == 0 {
		return "Aggregate", []node{n.in}
	}
	return "HashAggregate (group by " + strings.Join(parts, ", ") + ")", []node{n.in}
}
