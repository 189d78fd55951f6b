package exec

import (
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// evalFn evaluates an expression against the current input row.
type evalFn func(c *Ctx, row types.Row) (types.Datum, error)

// expr is a compiled, typed expression.
type expr struct {
	T    types.T
	eval evalFn
	// unknownText is set for a string literal whose type context has not
	// decided yet (PostgreSQL's "unknown"); param for an untyped $n.
	unknownText *string
	param       int
	isNull      bool // the NULL literal
	// col is the input column position for a plain column reference at
	// depth 0, else -1 (the planner uses it to find key predicates).
	col int
	// constVal is set when the expression has no inputs (literals, casts
	// of literals): the planner can use its value at plan time.
	constVal types.Datum
	// paramOnly is set when the value depends on the statement's
	// parameters alone ($n, or a cast of one): fixed for one execution,
	// so the planner can bind it into a key at the start of each run.
	paramOnly bool
	text      string // for EXPLAIN
	// and holds the operands of an AND; cmp describes a comparison. The
	// planner reads them to find key predicates.
	and *[2]*expr
	cmp *cmpInfo
}

type cmpInfo struct {
	op   string
	l, r *expr
}

func constExpr(t types.T, d types.Datum, text string) *expr {
	return &expr{T: t, col: -1, constVal: d, text: text,
		eval: func(*Ctx, types.Row) (types.Datum, error) { return d, nil }}
}

func (e *expr) isUnknown() bool { return e.T.Family() == types.FamUnknown }

// coerce converts e to type t in the given context, resolving untyped
// literals and parameters; what a "column" name is for messages.
func (cp *compiler) coerce(e *expr, t types.T, ctx types.CastContext, what string) (*expr, error) {
	switch {
	case e.isNull:
		n := constExpr(t, types.Null, "NULL")
		n.isNull = true
		return n, nil
	case e.unknownText != nil:
		// Parse with the base type, then apply the length modifier in the
		// cast's context: an explicit cast truncates a too-long string,
		// an assignment (INSERT, UPDATE) rejects it with 22001.
		d, err := types.Parse(types.T{OID: t.OID, Typmod: -1}, *e.unknownText, cp.env.Loc)
		if err != nil {
			return nil, err
		}
		if t.Typmod >= 0 {
			if d, err = types.ApplyTypmod(t, d, ctx == types.CastExplicit); err != nil {
				return nil, err
			}
		}
		return constExpr(t, d, quoteText(*e.unknownText)+"::"+t.TypName()), nil
	case e.param > 0 && e.T.Family() == types.FamUnknown:
		cp.setParamType(e.param, t)
		return cp.paramExpr(e.param), nil
	}
	if e.T.OID == t.OID && (t.Typmod < 0 || e.T.Typmod == t.Typmod) {
		return e, nil
	}
	if !types.CanCast(e.T, t, ctx) {
		if ctx == types.CastAssignment {
			return nil, sqlerr.New(sqlerr.DatatypeMismatch, "%s is of type %s but expression is of type %s", what, t.String(), e.T.String()).
				WithHint("You will need to rewrite or cast the expression.")
		}
		return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", e.T.String(), t.String())
	}
	inner := e.eval
	from := e.T
	loc := cp.env.Loc
	out := &expr{T: t, col: -1, text: e.text + "::" + t.TypName(), eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		d, err := inner(c, row)
		if err != nil || types.IsNull(d) {
			return d, err
		}
		return types.Cast(d, from, t, ctx, loc)
	}}
	out.paramOnly = e.paramOnly
	if e.constVal != nil {
		d, err := types.Cast(e.constVal, from, t, ctx, loc)
		if err != nil {
			return nil, err
		}
		out.constVal = d
	}
	return out, nil
}

func quoteText(s string) string { return "'" + s + "'" }

// resolveUnknown gives a still-untyped expression type text, as
// PostgreSQL does for unknown literals that reach output.
func (cp *compiler) resolveUnknown(e *expr) (*expr, error) {
	if e.isUnknown() {
		return cp.coerce(e, types.Text, types.CastImplicit, "")
	}
	return e, nil
}

// boolOf coerces e to boolean for WHERE/ON/HAVING/CHECK and AND/OR/NOT.
func (cp *compiler) boolOf(e *expr, clause string) (*expr, error) {
	if e.isUnknown() {
		return cp.coerce(e, types.Bool, types.CastImplicit, "")
	}
	if e.T.Family() != types.FamBool {
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", clause, e.T.String())
	}
	return e, nil
}
