package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// logic compiles AND (and=true) / OR with three-valued logic.
func (cp *compiler) logic(le, re ast.Expr, and bool) (*expr, error) {
	name := "OR"
	if and {
		name = "AND"
	}
	l, err := cp.compile(le)
	if err != nil {
		return nil, err
	}
	if l, err = cp.boolOf(l, name); err != nil {
		return nil, err
	}
	r, err := cp.compile(re)
	if err != nil {
		return nil, err
	}
	if r, err = cp.boolOf(r, name); err != nil {
		return nil, err
	}
	le2, re2 := l.eval, r.eval
	var parts *[2]*expr
	if and {
		parts = &[2]*expr{l, r}
	}
	return &expr{and: parts, T: types.Bool, col: -1, text: "(" + l.text + " " + name + " " + r.text + ")", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := le2(c, row)
		if err != nil {
			return nil, err
		}
		if !types.IsNull(a) && bool(a.(types.DBool)) != and {
			return a, nil // short circuit: false AND x, true OR x
		}
		b, err := re2(c, row)
		if err != nil {
			return nil, err
		}
		switch {
		case !types.IsNull(b) && bool(b.(types.DBool)) != and:
			return b, nil
		case types.IsNull(a) || types.IsNull(b):
			return types.Null, nil
		}
		return types.DBool(and), nil
	}}, nil
}

func (cp *compiler) not(x *ast.Not) (*expr, error) {
	e, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	if e, err = cp.boolOf(e, "NOT"); err != nil {
		return nil, err
	}
	return strict(types.Bool, "(NOT "+e.text+")", []*expr{e}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		return !ds[0].(types.DBool), nil
	}), nil
}

func (cp *compiler) isNull(x *ast.IsNull) (*expr, error) {
	e, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	ev, not := e.eval, x.Not
	return &expr{T: types.Bool, col: -1, text: e.text + " IS NULL", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		d, err := ev(c, row)
		if err != nil {
			return nil, err
		}
		return types.DBool(types.IsNull(d) != not), nil
	}}, nil
}

func (cp *compiler) isBool(x *ast.IsBool) (*expr, error) {
	e, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	if e, err = cp.boolOf(e, "IS "+x.Value); err != nil {
		return nil, err
	}
	ev, want, not := e.eval, x.Value, x.Not
	return &expr{T: types.Bool, col: -1, text: e.text + " IS " + want, eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		d, err := ev(c, row)
		if err != nil {
			return nil, err
		}
		var r bool
		switch want {
		case "unknown":
			r = types.IsNull(d)
		case "true":
			r = !types.IsNull(d) && bool(d.(types.DBool))
		default:
			r = !types.IsNull(d) && !bool(d.(types.DBool))
		}
		return types.DBool(r != not), nil
	}}, nil
}

func (cp *compiler) isDistinct(x *ast.IsDistinct) (*expr, error) {
	l, err := cp.compile(x.L)
	if err != nil {
		return nil, err
	}
	r, err := cp.compile(x.R)
	if err != nil {
		return nil, err
	}
	if l, r, err = cp.unify(l, r, "=", x.Pos); err != nil {
		return nil, err
	}
	le, re, not := l.eval, r.eval, x.Not
	return &expr{T: types.Bool, col: -1, text: "(" + l.text + " IS DISTINCT FROM " + r.text + ")", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := le(c, row)
		if err != nil {
			return nil, err
		}
		b, err := re(c, row)
		if err != nil {
			return nil, err
		}
		var distinct bool
		switch an, bn := types.IsNull(a), types.IsNull(b); {
		case an || bn:
			distinct = an != bn
		default:
			distinct = types.Compare(a, b) != 0
		}
		return types.DBool(distinct != not), nil
	}}, nil
}

func (cp *compiler) between(x *ast.Between) (*expr, error) {
	var cond ast.Expr = &ast.And{
		L: &ast.BinOp{Op: ">=", L: x.X, R: x.Lo, Pos: x.Pos},
		R: &ast.BinOp{Op: "<=", L: x.X, R: x.Hi, Pos: x.Pos},
	}
	if x.Symmetric {
		cond = &ast.Or{L: cond, R: &ast.And{
			L: &ast.BinOp{Op: ">=", L: x.X, R: x.Hi, Pos: x.Pos},
			R: &ast.BinOp{Op: "<=", L: x.X, R: x.Lo, Pos: x.Pos},
		}}
	}
	if x.Not {
		cond = &ast.Not{X: cond}
	}
	return cp.compile(cond)
}

// inList compiles x IN (a, b, ...): true if any equal, else NULL if x or
// any item is NULL, else false.
func (cp *compiler) inList(x *ast.InList) (*expr, error) {
	l, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	items, err := cp.compileAll(x.List)
	if err != nil {
		return nil, err
	}
	// Resolve a common type: the left side's, or the first typed item's.
	common := l
	for _, it := range items {
		if common.isUnknown() && !it.isUnknown() {
			common = it
		}
	}
	if common.isUnknown() {
		if common, err = cp.resolveUnknown(common); err != nil {
			return nil, err
		}
	}
	for _, it := range append([]*expr{l}, items...) {
		if _, _, err := cp.unify(common, it, "=", x.Pos); err != nil {
			return nil, err
		}
		if numericFamily(it.T.Family()) && numericFamily(common.T.Family()) {
			common = &expr{T: types.Promote(common.T, it.T)}
		}
		if timeFamily(it.T.Family()) && it.T.Family() > common.T.Family() {
			common = &expr{T: it.T}
		}
	}
	t := common.T
	if l, err = cp.coerce(l, t, types.CastImplicit, ""); err != nil {
		return nil, err
	}
	evals := make([]evalFn, len(items))
	for i, it := range items {
		c, err := cp.coerce(it, t, types.CastImplicit, "")
		if err != nil {
			return nil, err
		}
		evals[i] = c.eval
	}
	le, not := l.eval, x.Not
	return &expr{T: types.Bool, col: -1, text: l.text + " IN (...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := le(c, row)
		if err != nil || types.IsNull(a) {
			return types.Null, err
		}
		sawNull := false
		for _, ev := range evals {
			b, err := ev(c, row)
			if err != nil {
				return nil, err
			}
			if types.IsNull(b) {
				sawNull = true
				continue
			}
			if types.Compare(a, b) == 0 {
				return types.DBool(!not), nil
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return types.DBool(not), nil
	}}, nil
}

// commonType picks the result type of CASE/COALESCE-like constructs and
// coerces every branch to it.
func (cp *compiler) commonType(es []*expr, what string) ([]*expr, types.T, error) {
	var t types.T
	found := false
	for _, e := range es {
		if e.isUnknown() {
			continue
		}
		switch {
		case !found:
			t, found = e.T, true
		case e.T.Family() == t.Family():
			if numericFamily(t.Family()) {
				t = types.Promote(t, e.T)
			} else if e.T.OID != t.OID {
				t = types.T{OID: t.OID, Typmod: -1}
				if t.Family() == types.FamString {
					t = types.Text
				}
			} else if e.T.Typmod != t.Typmod {
				t.Typmod = -1
			}
		case numericFamily(t.Family()) && numericFamily(e.T.Family()):
			t = types.Promote(t, e.T)
		case timeFamily(t.Family()) && timeFamily(e.T.Family()):
			if e.T.Family() > t.Family() {
				t = e.T
			}
		default:
			return nil, types.T{}, sqlerr.New(sqlerr.DatatypeMismatch, "%s types %s and %s cannot be matched", what, t.String(), e.T.String())
		}
	}
	if !found {
		t = types.Text
	}
	out := make([]*expr, len(es))
	for i, e := range es {
		c, err := cp.coerce(e, t, types.CastImplicit, "")
		if err != nil {
			return nil, types.T{}, err
		}
		out[i] = c
	}
	return out, t, nil
}

func (cp *compiler) caseExpr(x *ast.Case) (*expr, error) {
	var conds, results []*expr
	for _, w := range x.Whens {
		var condAST ast.Expr = w.Cond
		if x.Operand != nil {
			condAST = &ast.BinOp{Op: "=", L: x.Operand, R: w.Cond, Pos: x.Pos}
		}
		c, err := cp.compile(condAST)
		if err != nil {
			return nil, err
		}
		if c, err = cp.boolOf(c, "CASE/WHEN"); err != nil {
			return nil, err
		}
		r, err := cp.compile(w.Result)
		if err != nil {
			return nil, err
		}
		conds, results = append(conds, c), append(results, r)
	}
	elseAST := x.Else
	if elseAST == nil {
		elseAST = &ast.Const{Kind: ast.ConstNull}
	}
	el, err := cp.compile(elseAST)
	if err != nil {
		return nil, err
	}
	all, t, err := cp.commonType(append(results, el), "CASE")
	if err != nil {
		return nil, err
	}
	return &expr{T: t, col: -1, text: "CASE", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		for i, cond := range conds {
			d, err := cond.eval(c, row)
			if err != nil {
				return nil, err
			}
			if !types.IsNull(d) && bool(d.(types.DBool)) {
				return all[i].eval(c, row)
			}
		}
		return all[len(all)-1].eval(c, row)
	}}, nil
}
