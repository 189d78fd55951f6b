package parser

import (
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

func (t *translator) optExpr(n *pg.Node) ast.Expr {
	if n == nil || n.GetNode() == nil {
		return nil
	}
	return t.expr(n)
}

func (t *translator) exprList(ns []*pg.Node) []ast.Expr {
	out := make([]ast.Expr, 0, len(ns))
	for _, n := range ns {
		out = append(out, t.expr(n))
	}
	return out
}

func (t *translator) expr(n *pg.Node) ast.Expr {
	t.enter()
	defer t.leave()
	if n == nil || n.GetNode() == nil {
		fail(sqlerr.SyntaxError, "missing expression")
	}
	switch x := n.GetNode().(type) {
	case *pg.Node_ColumnRef:
		return t.columnRef(x.ColumnRef)
	case *pg.Node_AConst:
		return constant(x.AConst)
	case *pg.Node_ParamRef:
		return &ast.Param{N: int(x.ParamRef.Number), Pos: int(x.ParamRef.Location)}
	case *pg.Node_AExpr:
		return t.aExpr(x.AExpr)
	case *pg.Node_BoolExpr:
		return t.boolExpr(x.BoolExpr)
	case *pg.Node_NullTest:
		return &ast.IsNull{X: t.expr(x.NullTest.Arg), Not: x.NullTest.Nulltesttype == pg.NullTestType_IS_NOT_NULL}
	case *pg.Node_BooleanTest:
		return t.boolTest(x.BooleanTest)
	case *pg.Node_TypeCast:
		return &ast.Cast{X: t.expr(x.TypeCast.Arg), Type: t.typeRef(x.TypeCast.TypeName), Pos: int(x.TypeCast.Location)}
	case *pg.Node_FuncCall:
		return t.funcCall(x.FuncCall)
	case *pg.Node_SubLink:
		return t.subLink(x.SubLink)
	case *pg.Node_CaseExpr:
		return t.caseExpr(x.CaseExpr)
	case *pg.Node_CoalesceExpr:
		return &ast.Func{Name: "coalesce", Args: t.exprList(x.CoalesceExpr.Args), Pos: int(x.CoalesceExpr.Location)}
	case *pg.Node_MinMaxExpr:
		name := "greatest"
		if x.MinMaxExpr.Op == pg.MinMaxOp_IS_LEAST {
			name = "least"
		}
		return &ast.Func{Name: name, Args: t.exprList(x.MinMaxExpr.Args), Pos: int(x.MinMaxExpr.Location)}
	case *pg.Node_SqlvalueFunction:
		return sqlValueFunc(x.SqlvalueFunction)
	case *pg.Node_AArrayExpr:
		return &ast.Array{Elems: t.exprList(x.AArrayExpr.Elements), Pos: int(x.AArrayExpr.Location)}
	case *pg.Node_SetToDefault:
		return &ast.Default{}
	case *pg.Node_CollateClause:
		unsupported("COLLATE")
	case *pg.Node_RowExpr:
		unsupported("row constructors")
	case *pg.Node_AIndirection:
		return t.indirection(x.AIndirection)
	}
	unsupported("expression %s", nodeName(n))
	return nil
}

func (t *translator) columnRef(c *pg.ColumnRef) ast.Expr {
	out := &ast.ColRef{Pos: int(c.Location)}
	for i, f := range c.Fields {
		if f.GetAStar() != nil {
			if i != len(c.Fields)-1 {
				fail(sqlerr.SyntaxError, "improper use of \"*\"")
			}
			out.Star = true
			continue
		}
		out.Parts = append(out.Parts, strVal(f))
	}
	if len(out.Parts) > 3 {
		unsupported("cross-database references")
	}
	return out
}

func constant(c *pg.A_Const) ast.Expr {
	pos := int(c.Location)
	if c.Isnull {
		return &ast.Const{Kind: ast.ConstNull, Pos: pos}
	}
	switch v := c.Val.(type) {
	case *pg.A_Const_Ival:
		return &ast.Const{Kind: ast.ConstInt, Text: strconv.Itoa(int(v.Ival.Ival)), Pos: pos}
	case *pg.A_Const_Fval:
		kind := ast.ConstDecimal
		if !strings.ContainsAny(v.Fval.Fval, ".eE") {
			kind = ast.ConstInt
		}
		return &ast.Const{Kind: kind, Text: v.Fval.Fval, Pos: pos}
	case *pg.A_Const_Sval:
		return &ast.Const{Kind: ast.ConstString, Text: v.Sval.Sval, Pos: pos}
	case *pg.A_Const_Boolval:
		return &ast.Const{Kind: ast.ConstBool, Text: strconv.FormatBool(v.Boolval.Boolval), Pos: pos}
	case *pg.A_Const_Bsval:
		unsupported("bit string literals")
	}
	return &ast.Const{Kind: ast.ConstNull, Pos: pos}
}

func opName(names []*pg.Node) string {
	parts := strList(names)
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		parts = parts[1:]
	}
	if len(parts) != 1 {
		unsupported("qualified operator names")
	}
	return parts[0]
}

func (t *translator) aExpr(a *pg.A_Expr) ast.Expr {
	pos := int(a.Location)
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		op := opName(a.Name)
		if a.Lexpr == nil {
			return &ast.UnaryOp{Op: op, X: t.expr(a.Rexpr), Pos: pos}
		}
		if a.Rexpr == nil {
			unsupported("postfix operators")
		}
		return &ast.BinOp{Op: op, L: t.expr(a.Lexpr), R: t.expr(a.Rexpr), Pos: pos}
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE:
		return &ast.BinOp{Op: opName(a.Name), L: t.expr(a.Lexpr), R: t.likePattern(a.Rexpr), Pos: pos}
	case pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		return &ast.IsDistinct{L: t.expr(a.Lexpr), R: t.expr(a.Rexpr), Not: a.Kind == pg.A_Expr_Kind_AEXPR_NOT_DISTINCT, Pos: pos}
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		return &ast.Func{Name: "nullif", Args: []ast.Expr{t.expr(a.Lexpr), t.expr(a.Rexpr)}, Pos: pos}
	case pg.A_Expr_Kind_AEXPR_IN:
		list := a.Rexpr.GetList().GetItems()
		return &ast.InList{X: t.expr(a.Lexpr), List: t.exprList(list), Not: opName(a.Name) == "<>", Pos: pos}
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		bounds := a.Rexpr.GetList().GetItems()
		if len(bounds) != 2 {
			fail(sqlerr.SyntaxError, "BETWEEN needs two bounds")
		}
		return &ast.Between{X: t.expr(a.Lexpr), Lo: t.expr(bounds[0]), Hi: t.expr(bounds[1]), Pos: pos,
			Not:       a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM,
			Symmetric: a.Kind == pg.A_Expr_Kind_AEXPR_BETWEEN_SYM || a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM}
	case pg.A_Expr_Kind_AEXPR_OP_ANY, pg.A_Expr_Kind_AEXPR_OP_ALL:
		return t.anyAllArray(a)
	case pg.A_Expr_Kind_AEXPR_SIMILAR:
		unsupported("SIMILAR TO")
	}
	unsupported("operator kind %s", a.Kind)
	return nil
}

// likePattern rejects LIKE ... ESCAPE, which the grammar turns into a
// like_escape() call.
func (t *translator) likePattern(n *pg.Node) ast.Expr {
	if fc := n.GetFuncCall(); fc != nil && opName(fc.Funcname) == "like_escape" {
		if len(fc.Args) == 2 {
			if c := fc.Args[1].GetAConst(); c != nil {
				if s, ok := c.Val.(*pg.A_Const_Sval); ok && s.Sval.Sval == `\` {
					return t.expr(fc.Args[0])
				}
			}
		}
		unsupported("LIKE ... ESCAPE with a custom escape character")
	}
	return t.expr(n)
}

// anyAllArray turns x = ANY (ARRAY[...]) into IN and x <> ALL (ARRAY[...])
// into NOT IN; other array forms are not supported.
func (t *translator) anyAllArray(a *pg.A_Expr) ast.Expr {
	op := opName(a.Name)
	arr := a.Rexpr.GetAArrayExpr()
	if arr == nil || len(arr.Elements) == 0 {
		return t.anyAllExpr(a)
	}
	in := &ast.InList{X: t.expr(a.Lexpr), List: t.exprList(arr.Elements), Pos: int(a.Location)}
	switch {
	case a.Kind == pg.A_Expr_Kind_AEXPR_OP_ANY && op == "=":
		return in
	case a.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL && op == "<>":
		in.Not = true
		return in
	}
	return t.anyAllExpr(a)
}

func (t *translator) boolExpr(b *pg.BoolExpr) ast.Expr {
	args := t.exprList(b.Args)
	switch b.Boolop {
	case pg.BoolExprType_NOT_EXPR:
		return &ast.Not{X: args[0]}
	case pg.BoolExprType_AND_EXPR:
		out := args[0]
		for _, a := range args[1:] {
			out = &ast.And{L: out, R: a}
		}
		return out
	case pg.BoolExprType_OR_EXPR:
		out := args[0]
		for _, a := range args[1:] {
			out = &ast.Or{L: out, R: a}
		}
		return out
	}
	unsupported("boolean operator")
	return nil
}

func (t *translator) boolTest(b *pg.BooleanTest) ast.Expr {
	x := t.expr(b.Arg)
	switch b.Booltesttype {
	case pg.BoolTestType_IS_TRUE:
		return &ast.IsBool{X: x, Value: "true"}
	case pg.BoolTestType_IS_NOT_TRUE:
		return &ast.IsBool{X: x, Value: "true", Not: true}
	case pg.BoolTestType_IS_FALSE:
		return &ast.IsBool{X: x, Value: "false"}
	case pg.BoolTestType_IS_NOT_FALSE:
		return &ast.IsBool{X: x, Value: "false", Not: true}
	case pg.BoolTestType_IS_UNKNOWN:
		return &ast.IsBool{X: x, Value: "unknown"}
	}
	return &ast.IsBool{X: x, Value: "unknown", Not: true}
}

func (t *translator) funcCall(f *pg.FuncCall) ast.Expr {
	if f.Over != nil {
		unsupported("window functions")
	}
	if f.AggWithinGroup {
		unsupported("WITHIN GROUP")
	}
	if f.FuncVariadic {
		unsupported("VARIADIC")
	}
	out := &ast.Func{Name: strings.ToLower(opName(f.Funcname)), Args: t.exprList(f.Args), Star: f.AggStar,
		Distinct: f.AggDistinct, Pos: int(f.Location)}
	for _, o := range f.AggOrder {
		out.OrderBy = append(out.OrderBy, t.orderItem(o.GetSortBy()))
	}
	out.Filter = t.optExpr(f.AggFilter)
	for _, a := range f.Args {
		if a.GetNamedArgExpr() != nil {
			unsupported("named function arguments")
		}
	}
	return out
}

func (t *translator) subLink(s *pg.SubLink) ast.Expr {
	q := s.Subselect.GetSelectStmt()
	if q == nil {
		unsupported("this subquery")
	}
	out := &ast.SubqueryExpr{Select: t.selectStmt(q), Pos: int(s.Location)}
	switch s.SubLinkType {
	case pg.SubLinkType_EXISTS_SUBLINK:
		out.Kind = ast.SubExists
	case pg.SubLinkType_EXPR_SUBLINK:
		out.Kind = ast.SubScalar
	case pg.SubLinkType_ARRAY_SUBLINK:
		out.Kind = ast.SubArray
	case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK:
		out.Kind = ast.SubAny
		if s.SubLinkType == pg.SubLinkType_ALL_SUBLINK {
			out.Kind = ast.SubAll
		}
		out.X = t.expr(s.Testexpr)
		out.Op = "="
		if len(s.OperName) > 0 {
			out.Op = opName(s.OperName)
		}
	default:
		unsupported("%s subqueries", strings.TrimSuffix(s.SubLinkType.String(), "_SUBLINK"))
	}
	return out
}

func (t *translator) caseExpr(c *pg.CaseExpr) ast.Expr {
	out := &ast.Case{Operand: t.optExpr(c.Arg), Else: t.optExpr(c.Defresult), Pos: int(c.Location)}
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		out.Whens = append(out.Whens, ast.When{Cond: t.expr(cw.Expr), Result: t.expr(cw.Result)})
	}
	return out
}

func sqlValueFunc(s *pg.SQLValueFunction) ast.Expr {
	name := map[pg.SQLValueFunctionOp]string{
		pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:        "current_date",
		pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP:   "current_timestamp",
		pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N: "current_timestamp",
		pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP:      "localtimestamp",
		pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:    "localtimestamp",
		pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:        "current_role",
		pg.SQLValueFunctionOp_SVFOP_CURRENT_USER:        "current_user",
		pg.SQLValueFunctionOp_SVFOP_USER:                "current_user",
		pg.SQLValueFunctionOp_SVFOP_SESSION_USER:        "session_user",
		pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:     "current_catalog",
		pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:      "current_schema",
	}[s.Op]
	if name == "" {
		unsupported("time without time zone")
	}
	return &ast.Func{Name: name, Pos: int(s.Location)}
}
