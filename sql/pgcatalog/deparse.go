package pgcatalog

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/types"
)

// prettyExpr renders a stored CHECK or DEFAULT expression the way
// PostgreSQL's pg_get_expr/pg_get_constraintdef print it: constants that
// were coerced to a column's type carry an explicit cast (0::numeric,
// 'x'::text). The stored text is LineraDB's own rendering of the
// expression; if it does not parse, it is returned unchanged.
func prettyExpr(expr string, t *catalog.Table) string { return renderExpr(expr, t, true) }

// renderExpr is prettyExpr; without pretty, casts of numbers are
// parenthesised ((0)::numeric) as PostgreSQL's non-pretty form prints them.
func renderExpr(expr string, t *catalog.Table, pretty bool) string {
	if t == nil {
		return expr
	}
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return expr
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return expr
	}
	target := sel.TargetList[0].GetResTarget()
	var casts []string
	castConstants(target.Val, t, &casts)
	if !pretty {
		for i, c := range casts {
			if !strings.HasPrefix(c, "'") {
				lit, typ, _ := strings.Cut(c, "::")
				casts[i] = "(" + lit + ")::" + typ
			}
		}
	}
	out, err := pg.Deparse(tree)
	if err != nil {
		return expr
	}
	out = strings.TrimPrefix(out, "SELECT ")
	// Placeholders stand for the casts: the deparser would quote type
	// names and parenthesise constants where PostgreSQL prints neither.
	for i := len(casts) - 1; i >= 0; i-- {
		out = strings.ReplaceAll(out, castPlaceholder(i), casts[i])
	}
	return out
}

func castPlaceholder(i int) string { return "lineradb_cast_" + itoa(i) }

// castConstants walks comparison and arithmetic operators and gives a
// constant compared with a column that column's type, as PostgreSQL's
// parser would have coerced it.
func castConstants(n *pg.Node, t *catalog.Table, casts *[]string) {
	if n == nil {
		return
	}
	switch x := n.Node.(type) {
	case *pg.Node_AExpr:
		a := x.AExpr
		castConstants(a.Lexpr, t, casts)
		castConstants(a.Rexpr, t, casts)
		if a.Kind != pg.A_Expr_Kind_AEXPR_OP || a.Lexpr == nil || a.Rexpr == nil {
			return
		}
		if col := columnType(a.Lexpr, t); col != nil {
			a.Rexpr = castConst(a.Rexpr, *col, casts)
		}
		if col := columnType(a.Rexpr, t); col != nil {
			a.Lexpr = castConst(a.Lexpr, *col, casts)
		}
	case *pg.Node_BoolExpr:
		for _, arg := range x.BoolExpr.Args {
			castConstants(arg, t, casts)
		}
	}
}

func columnType(n *pg.Node, t *catalog.Table) *types.T {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 {
		return nil
	}
	col, _ := t.Column(cr.Fields[0].GetString_().GetSval())
	if col == nil {
		return nil
	}
	return &col.Type
}

// castConst wraps a literal in a cast to the column type's SQL name when
// PostgreSQL would show one: numeric and float columns against number
// literals that are not already of that type, string columns against
// string literals.
func castConst(n *pg.Node, col types.T, casts *[]string) *pg.Node {
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return n
	}
	var lit, typeName string
	switch v := c.Val.(type) {
	case *pg.A_Const_Ival:
		lit = itoa(int(v.Ival.Ival))
		switch col.Family() {
		case types.FamNumeric:
			typeName = "numeric"
		case types.FamFloat:
			typeName = col.String()
		}
	case *pg.A_Const_Fval:
		lit = v.Fval.Fval
		if col.Family() == types.FamFloat {
			typeName = col.String()
		}
	case *pg.A_Const_Sval:
		lit = "'" + strings.ReplaceAll(v.Sval.Sval, "'", "''") + "'"
		if col.Family() == types.FamString {
			typeName = "text"
		}
	}
	if typeName == "" {
		return n
	}
	*casts = append(*casts, lit+"::"+typeName)
	return pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(castPlaceholder(len(*casts) - 1))}, -1)
}

// prettyDefault renders a column default: a string literal shows the
// column's type as a cast ('x'::text), as PostgreSQL stores it coerced.
func prettyDefault(expr string, col types.T) string {
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return expr
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return expr
	}
	target := sel.TargetList[0].GetResTarget()
	if c := target.Val.GetAConst(); c != nil && !c.Isnull {
		if _, ok := c.Val.(*pg.A_Const_Sval); ok && col.Family() != types.FamUnknown {
			return expr + "::" + col.String()
		}
	}
	out, err := pg.Deparse(tree)
	if err != nil {
		return expr
	}
	return strings.TrimPrefix(out, "SELECT ")
}
