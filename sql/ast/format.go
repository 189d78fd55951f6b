package ast

import (
	"fmt"
	"strings"
)

// String renders an expression as SQL-like text. It is used for EXPLAIN
// and to match expressions structurally (GROUP BY items against the
// select list), so it must be injective enough: it prints every operand.
func String(e Expr) string {
	var b strings.Builder
	write(&b, e)
	return b.String()
}

func write(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *Const:
		switch x.Kind {
		case ConstNull:
			b.WriteString("NULL")
		case ConstString:
			b.WriteString("'" + strings.ReplaceAll(x.Text, "'", "''") + "'")
		default:
			b.WriteString(x.Text)
		}
	case *ColRef:
		b.WriteString(strings.Join(x.Parts, "."))
		if x.Star {
			if len(x.Parts) > 0 {
				b.WriteByte('.')
			}
			b.WriteByte('*')
		}
	case *Param:
		fmt.Fprintf(b, "$%d", x.N)
	case *BinOp:
		b.WriteByte('(')
		write(b, x.L)
		b.WriteString(" " + x.Op + " ")
		write(b, x.R)
		b.WriteByte(')')
	case *UnaryOp:
		b.WriteString("(" + x.Op)
		write(b, x.X)
		b.WriteByte(')')
	case *And:
		writeInfix(b, x.L, " AND ", x.R)
	case *Or:
		writeInfix(b, x.L, " OR ", x.R)
	case *Not:
		b.WriteString("(NOT ")
		write(b, x.X)
		b.WriteByte(')')
	case *IsNull:
		b.WriteByte('(')
		write(b, x.X)
		b.WriteString(map[bool]string{false: " IS NULL)", true: " IS NOT NULL)"}[x.Not])
	case *IsBool:
		b.WriteByte('(')
		write(b, x.X)
		b.WriteString(" IS ")
		if x.Not {
			b.WriteString("NOT ")
		}
		b.WriteString(strings.ToUpper(x.Value) + ")")
	case *IsDistinct:
		op := " IS DISTINCT FROM "
		if x.Not {
			op = " IS NOT DISTINCT FROM "
		}
		writeInfix(b, x.L, op, x.R)
	case *Between:
		b.WriteByte('(')
		write(b, x.X)
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		if x.Symmetric {
			b.WriteString("SYMMETRIC ")
		}
		write(b, x.Lo)
		b.WriteString(" AND ")
		write(b, x.Hi)
		b.WriteByte(')')
	case *InList:
		b.WriteByte('(')
		write(b, x.X)
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN ")
		writeList(b, x.List)
		b.WriteByte(')')
	case *SubqueryExpr:
		// The subquery's position in the query text names it: stable across
		// runs (a pointer would leak memory addresses into plans and
		// EXPLAIN) and distinct for distinct subqueries.
		fmt.Fprintf(b, "(SubPlan @%d)", x.Pos)
	case *Case:
		writeCase(b, x)
	case *Cast:
		b.WriteByte('(')
		write(b, x.X)
		b.WriteString(")::" + x.Type.T.String())
	case *Func:
		writeFunc(b, x)
	case *Default:
		b.WriteString("DEFAULT")
	case *Array:
		b.WriteString("ARRAY")
		writeList(b, x.Elems)
	default:
		if !writeArrayExpr(b, e) {
			fmt.Fprintf(b, "%T", e)
		}
	}
}

func writeInfix(b *strings.Builder, l Expr, op string, r Expr) {
	b.WriteByte('(')
	write(b, l)
	b.WriteString(op)
	write(b, r)
	b.WriteByte(')')
}

func writeList(b *strings.Builder, es []Expr) {
	b.WriteByte('(')
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		write(b, e)
	}
	b.WriteByte(')')
}

func writeCase(b *strings.Builder, x *Case) {
	b.WriteString("CASE")
	if x.Operand != nil {
		b.WriteByte(' ')
		write(b, x.Operand)
	}
	for _, w := range x.Whens {
		b.WriteString(" WHEN ")
		write(b, w.Cond)
		b.WriteString(" THEN ")
		write(b, w.Result)
	}
	if x.Else != nil {
		b.WriteString(" ELSE ")
		write(b, x.Else)
	}
	b.WriteString(" END")
}

func writeFunc(b *strings.Builder, x *Func) {
	b.WriteString(x.Name + "(")
	if x.Distinct {
		b.WriteString("DISTINCT ")
	}
	if x.Star {
		b.WriteByte('*')
	}
	for i, a := range x.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		write(b, a)
	}
	if len(x.OrderBy) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range x.OrderBy {
			if i > 0 {
				b.WriteString(", ")
			}
			write(b, o.Expr)
			if o.Desc {
				b.WriteString(" DESC")
			}
		}
	}
	b.WriteByte(')')
	if x.Filter != nil {
		b.WriteString(" FILTER (WHERE ")
		write(b, x.Filter)
		b.WriteByte(')')
	}
}

// ColName is the output column name PostgreSQL gives an unaliased select
// item (FigureColname): the column's name, the function's name, the cast
// type's name, "case", or "?column?".
func ColName(e Expr) string {
	switch x := e.(type) {
	case *ColRef:
		if len(x.Parts) > 0 {
			return x.Parts[len(x.Parts)-1]
		}
	case *Func:
		return x.Name
	case *Cast:
		if n := ColName(x.X); n != "?column?" {
			return n
		}
		if x.Type.T.IsArray() {
			return x.Type.T.Elem().TypName() // as FigureColname: int[] names int4
		}
		return x.Type.T.TypName()
	case *Subscript:
		return ColName(x.X)
	case *Case:
		if x.Else != nil {
			if n := ColName(x.Else); n != "?column?" {
				return n
			}
		}
		return "case"
	case *SubqueryExpr:
		switch x.Kind {
		case SubExists:
			return "exists"
		case SubArray:
			return "array"
		case SubScalar:
			if len(x.Select.Targets) == 1 && x.Select.Op == SetNone {
				if n := targetName(x.Select.Targets[0]); n != "" {
					return n
				}
			}
		}
	case *Array:
		return "array"
	}
	return "?column?"
}

func targetName(t Target) string {
	if t.Alias != "" {
		return t.Alias
	}
	return ColName(t.Expr)
}
