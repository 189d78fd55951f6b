package ast

// ConstKind is the lexical kind of a literal.
type ConstKind uint8

// Literal kinds.
const (
	ConstNull    ConstKind = iota
	ConstInt               // integer literal: int4, int8 or numeric by size
	ConstDecimal           // 1.5, 1e3: numeric
	ConstString            // 'abc': type unknown until context decides
	ConstBool
	ConstBitString
)

// Const is a literal.
type Const struct {
	Kind ConstKind
	Text string
	Pos  int
}

// ColRef is a column reference a, t.a, s.t.a, or a star t.* / *.
type ColRef struct {
	Parts []string // without the star
	Star  bool
	Pos   int
}

// Param is a $n placeholder.
type Param struct {
	N   int
	Pos int
}

// BinOp is an operator with two operands: arithmetic, comparison, ||,
// and the LIKE family (Op "~~", "~~*", "!~~", "!~~*").
type BinOp struct {
	Op   string
	L, R Expr
	Pos  int
}

// UnaryOp is a prefix operator: "-", "+", "~".
type UnaryOp struct {
	Op  string
	X   Expr
	Pos int
}

// And, Or and Not are the boolean connectives.
type And struct{ L, R Expr }

// Or is L OR R.
type Or struct{ L, R Expr }

// Not is NOT X.
type Not struct{ X Expr }

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// IsBool is X IS [NOT] TRUE/FALSE/UNKNOWN.
type IsBool struct {
	X     Expr
	Value string // "true", "false", "unknown"
	Not   bool
}

// IsDistinct is L IS [NOT] DISTINCT FROM R.
type IsDistinct struct {
	L, R Expr
	Not  bool
	Pos  int
}

// Between is X [NOT] BETWEEN [SYMMETRIC] Lo AND Hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
	Pos       int
}

// InList is X [NOT] IN (list).
type InList struct {
	X    Expr
	List []Expr
	Not  bool
	Pos  int
}

// SubqueryKind is how a subquery is used in an expression.
type SubqueryKind uint8

// Subquery uses.
const (
	SubScalar SubqueryKind = iota // (SELECT x)
	SubExists                     // EXISTS (SELECT ...)
	SubAny                        // X op ANY (SELECT ...), X IN (SELECT ...)
	SubAll                        // X op ALL (SELECT ...)
	SubArray                      // ARRAY(SELECT ...)
)

// SubqueryExpr is a subquery inside an expression.
type SubqueryExpr struct {
	Kind   SubqueryKind
	X      Expr   // SubAny/SubAll: left operand
	Op     string // SubAny/SubAll: operator
	Select *Select
	Pos    int
}

// When is one WHEN ... THEN ... of a CASE.
type When struct{ Cond, Result Expr }

// Case is CASE [operand] WHEN ... [ELSE ...] END.
type Case struct {
	Operand Expr
	Whens   []When
	Else    Expr
	Pos     int
}

// Cast is X::type or CAST(X AS type).
type Cast struct {
	X    Expr
	Type TypeRef
	Pos  int
}

// Func is a function call, including aggregates and the SQL-syntax
// functions (coalesce, nullif, greatest, least, current_timestamp...,
// extract, position, substring, trim), normalised to lower-case names.
type Func struct {
	Name     string
	Args     []Expr
	Star     bool // count(*)
	Distinct bool
	OrderBy  []OrderItem
	Filter   Expr
	Pos      int
}

// Default is the DEFAULT keyword in VALUES or SET.
type Default struct{}

// Array is ARRAY[...] or a VALUES-free list (only as IN/ANY operand).
type Array struct {
	Elems []Expr
	Pos   int
}

func (*Const) expr()        {}
func (*ColRef) expr()       {}
func (*Param) expr()        {}
func (*BinOp) expr()        {}
func (*UnaryOp) expr()      {}
func (*And) expr()          {}
func (*Or) expr()           {}
func (*Not) expr()          {}
func (*IsNull) expr()       {}
func (*IsBool) expr()       {}
func (*IsDistinct) expr()   {}
func (*Between) expr()      {}
func (*InList) expr()       {}
func (*SubqueryExpr) expr() {}
func (*Case) expr()         {}
func (*Cast) expr()         {}
func (*Func) expr()         {}
func (*Default) expr()      {}
func (*Array) expr()        {}
