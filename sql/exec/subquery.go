package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// subquery compiles a subquery expression. An uncorrelated subquery runs
// once per execution (cached in the Ctx); a correlated one per row.
func (cp *compiler) subquery(x *ast.SubqueryExpr) (*expr, error) {
	inner := cp.subqueryOuterScope()
	plan, cols, err := cp.env.planQuery(x.Select, inner)
	if err != nil {
		return nil, err
	}
	correlated := inner.usedOuter
	key := new(int)
	runSub := func(c *Ctx, row types.Row) ([]types.Row, error) {
		if !correlated {
			if c.cache == nil {
				c.cache = map[any][]types.Row{}
			}
			if rows, ok := c.cache[key]; ok {
				return rows, nil
			}
		}
		c.pushOuter(row)
		rows, err := plan.run(c)
		c.popOuter()
		if err == nil && !correlated {
			if err := c.mem.holdRows(opSubPlan, rows); err != nil {
				return nil, err
			}
			c.cache[key] = rows
		}
		return rows, err
	}
	switch x.Kind {
	case ast.SubExists:
		return &expr{T: types.Bool, col: -1, text: "EXISTS(SubPlan)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
			rows, err := runSub(c, row)
			return types.DBool(len(rows) > 0), err
		}}, nil
	case ast.SubScalar:
		if len(cols) != 1 {
			return nil, sqlerr.New(sqlerr.SyntaxError, "subquery must return only one column").At(x.Pos)
		}
		return &expr{T: cols[0].T, col: -1, text: "(SubPlan)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
			rows, err := runSub(c, row)
			if err != nil {
				return nil, err
			}
			switch len(rows) {
			case 0:
				return types.Null, nil
			case 1:
				return rows[0][0], nil
			}
			return nil, sqlerr.New(sqlerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}}, nil
	}
	if x.Kind == ast.SubArray {
		return arraySubquery(x, cols, runSub)
	}
	return cp.quantified(x, cols, runSub)
}

// quantified compiles x op ANY/ALL (subquery), including IN.
func (cp *compiler) quantified(x *ast.SubqueryExpr, cols []scopeCol, runSub func(*Ctx, types.Row) ([]types.Row, error)) (*expr, error) {
	if len(cols) != 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "subquery has too many columns").At(x.Pos)
	}
	l, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	probe := columnExpr(0, cols[0])
	cmp, err := cp.comparison(x.Op, l, &expr{T: probe.T, col: -1, eval: func(c *Ctx, _ types.Row) (types.Datum, error) {
		return c.outer[len(c.outer)-1][0], nil
	}}, x.Pos)
	if err != nil {
		return nil, err
	}
	all := x.Kind == ast.SubAll
	return &expr{T: types.Bool, col: -1, text: "ANY(SubPlan)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		rows, err := runSub(c, row)
		if err != nil {
			return nil, err
		}
		sawNull := false
		for _, r := range rows {
			c.pushOuter(r)
			d, err := cmp.eval(c, row)
			c.popOuter()
			if err != nil {
				return nil, err
			}
			switch {
			case types.IsNull(d):
				sawNull = true
			case bool(d.(types.DBool)) != all:
				return types.DBool(!all), nil
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return types.DBool(all), nil
	}}, nil
}
