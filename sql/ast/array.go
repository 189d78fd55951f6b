package ast

import (
	"fmt"
	"strings"
)

// Subscript is X[Index]: one element of an array (1-based).
type Subscript struct {
	X     Expr
	Index Expr
	Pos   int
}

// AnyArray is X op ANY (array) or X op ALL (array) over an array-valued
// expression (a literal ARRAY[...] list is an InList instead).
type AnyArray struct {
	X     Expr
	Op    string
	Array Expr
	All   bool
	Pos   int
}

func (*Subscript) expr() {}
func (*AnyArray) expr()  {}

// writeArrayExpr renders the array expressions; false for others.
func writeArrayExpr(b *strings.Builder, e Expr) bool {
	switch x := e.(type) {
	case *Subscript:
		write(b, x.X)
		b.WriteByte('[')
		write(b, x.Index)
		b.WriteByte(']')
	case *AnyArray:
		b.WriteByte('(')
		write(b, x.X)
		q := "ANY"
		if x.All {
			q = "ALL"
		}
		fmt.Fprintf(b, " %s %s (", x.Op, q)
		write(b, x.Array)
		b.WriteString("))")
	default:
		return false
	}
	return true
}
