package parser

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// arrayType turns a base type written with [] (int[], varchar(10)[][],
// int[3]) into its array type: PostgreSQL ignores declared sizes and
// dimensions, and so does LineraDB.
func arrayType(base types.T) types.T {
	a, ok := types.ArrayOf(base)
	if !ok {
		fail(sqlerr.UndefinedObject, "type %q does not exist", base.String()+"[]")
	}
	return a
}

// indirection translates a[i]; slices, field selection and a[i][j] are
// not supported (arrays are one-dimensional).
func (t *translator) indirection(x *pg.A_Indirection) ast.Expr {
	if len(x.Indirection) != 1 {
		unsupported("multidimensional subscripts")
	}
	idx := x.Indirection[0].GetAIndices()
	if idx == nil {
		unsupported("field selection")
	}
	if idx.IsSlice {
		unsupported("array slices")
	}
	return &ast.Subscript{X: t.expr(x.Arg), Index: t.expr(idx.Uidx)}
}

// anyAllExpr translates x op ANY/ALL (array expression).
func (t *translator) anyAllExpr(a *pg.A_Expr) ast.Expr {
	return &ast.AnyArray{X: t.expr(a.Lexpr), Op: opName(a.Name), Array: t.expr(a.Rexpr),
		All: a.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL, Pos: int(a.Location)}
}
