package exec

import (
	"slices"
	"strconv"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// planBlock plans SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ...
// ORDER BY ... LIMIT: from, filter, aggregate, project, distinct, sort,
// limit, trim.
func (e *Env) planBlock(s *ast.Select, parent *scope) (node, []scopeCol, error) {
	n, cols, err := e.planFrom(s.From, parent)
	if err != nil {
		return nil, nil, err
	}
	in := &scope{cols: cols, parent: parent}
	if s.Where != nil {
		if n, err = e.planWhere(n, in, s.Where); err != nil {
			return nil, nil, err
		}
	}
	targets, err := expandTargets(s.Targets, cols)
	if err != nil {
		return nil, nil, err
	}
	cp := &compiler{env: e, scope: in}
	if s.GroupBy != nil || s.Having != nil || hasAggregate(s, targets) {
		agg, err := e.newAggScope(s, targets, in)
		if err != nil {
			return nil, nil, err
		}
		cp.agg = agg
		n = &aggNode{in: n, agg: agg}
		if s.Having != nil {
			h, err := cp.compile(s.Having)
			if err != nil {
				return nil, nil, err
			}
			if h, err = cp.boolOf(h, "HAVING"); err != nil {
				return nil, nil, err
			}
			n = &filterNode{in: n, pred: h}
		}
	}
	exprs := make([]*expr, len(targets))
	out := make([]scopeCol, len(targets))
	for i, t := range targets {
		x, err := cp.compile(t.Expr)
		if err != nil {
			return nil, nil, err
		}
		if x, err = cp.resolveUnknown(x); err != nil {
			return nil, nil, err
		}
		exprs[i] = x
		name := t.Alias
		if name == "" {
			name = ast.ColName(t.Expr)
		}
		out[i] = scopeCol{Name: name, T: x.T}
	}
	return e.planProjection(s, cp, n, exprs, out, targets)
}

func (e *Env) planWhere(n node, in *scope, where ast.Expr) (node, error) {
	cp := &compiler{env: e, scope: in, noAggs: "WHERE"}
	pred, err := cp.compile(where)
	if err != nil {
		return nil, err
	}
	if pred, err = cp.boolOf(pred, "WHERE"); err != nil {
		return nil, err
	}
	if sc, ok := n.(*scanNode); ok {
		preds := keyPredicates(pred, sc)
		sc.keyPreds = preds
		choosePath(sc, preds, nil, false)
		if slices.ContainsFunc(preds, func(p keyPredicate) bool { return p.arg != nil }) {
			sc.preds = preds
		}
	}
	return &filterNode{in: n, pred: pred}, nil
}

// keyPredicates finds column-vs-constant comparisons among the conjuncts,
// with the constant converted exactly to the column's type, and
// column-vs-parameter comparisons, whose values scanNode.bind converts at
// each execution.
func keyPredicates(pred *expr, sc *scanNode) []keyPredicate {
	var out []keyPredicate
	flip := map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
	for _, c := range conjuncts(pred, nil) {
		if c.cmp == nil || c.cmp.op == "<>" {
			continue
		}
		col, val, op := c.cmp.l, c.cmp.r, c.cmp.op
		if col.col < 0 {
			col, val, op = val, col, flip[op]
		}
		if col.col < 0 || col.col >= len(sc.table.Columns) || sc.table.Columns[col.col].Type.Family() != val.T.Family() {
			continue
		}
		switch {
		case val.constVal != nil:
			if d, ok := exactKeyValue(val.constVal, val.T, sc.table.Columns[col.col].Type); ok {
				out = append(out, keyPredicate{col: col.col, op: op, val: d, txt: c.text})
			}
		case val.paramOnly:
			out = append(out, keyPredicate{col: col.col, op: op, arg: val, txt: c.text})
		}
	}
	return out
}

func (e *Env) planProjection(s *ast.Select, cp *compiler, n node, exprs []*expr, out []scopeCol, targets []ast.Target) (node, []scopeCol, error) {
	width := len(exprs)
	var keys []sortKey
	var texts []string
	for _, o := range s.OrderBy {
		idx, err := outputOrdinal(o.Expr, out)
		if err != nil {
			return nil, nil, err
		}
		if cr, ok := o.Expr.(*ast.ColRef); ok && idx >= 0 && len(cr.Parts) == 1 {
			// An input column of the same name wins over an output alias
			// only when the alias is not among the outputs; here it is.
			_ = cr
		}
		if idx < 0 {
			idx = matchTarget(o.Expr, targets)
		}
		if idx < 0 {
			if s.Distinct {
				return nil, nil, sqlerr.New(sqlerr.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			x, err := cp.compile(o.Expr)
			if err != nil {
				return nil, nil, err
			}
			if x, err = cp.resolveUnknown(x); err != nil {
				return nil, nil, err
			}
			exprs = append(exprs, x)
			idx = len(exprs) - 1
		}
		keys = append(keys, makeSortKey(idx, o))
		texts = append(texts, exprs[idx].text)
	}
	n = &projectNode{in: n, exprs: exprs}
	if s.Distinct {
		if len(s.DistinctOn) > 0 {
			return nil, nil, sqlerr.Unsupported("DISTINCT ON")
		}
		n = &distinctNode{in: n}
	}
	if len(keys) > 0 && !(!s.Distinct && scanDeliversOrder(n, keys, exprs, s.Limit != nil)) {
		n = &sortNode{in: n, keys: keys, text: texts}
	}
	n, _, err := e.planLimit(s, n, out)
	if err == nil && !s.Distinct {
		pushLimit(n)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(exprs) > width {
		n = &trimNode{in: n, width: width}
	}
	return n, out, nil
}

// matchTarget finds a select-list item written the same as e.
func matchTarget(e ast.Expr, targets []ast.Target) int {
	s := ast.String(e)
	for i, t := range targets {
		if ast.String(t.Expr) == s {
			return i
		}
	}
	return -1
}

// groupByTarget resolves GROUP BY 1 and GROUP BY alias to select items.
func groupByTarget(g ast.Expr, targets []ast.Target, in *scope) (ast.Expr, error) {
	switch x := g.(type) {
	case *ast.Const:
		if x.Kind == ast.ConstInt {
			n, _ := strconv.Atoi(x.Text)
			if n < 1 || n > len(targets) {
				return nil, sqlerr.New(sqlerr.InvalidColumnReference, "GROUP BY position %s is not in select list", x.Text).At(x.Pos)
			}
			return targets[n-1].Expr, nil
		}
	case *ast.ColRef:
		if len(x.Parts) == 1 {
			if idx, _ := in.find("", x.Parts[0], x.Pos); idx < 0 {
				for _, t := range targets {
					if t.Alias == x.Parts[0] {
						return t.Expr, nil
					}
				}
			}
		}
	}
	return g, nil
}
