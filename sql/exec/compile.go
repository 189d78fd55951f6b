package exec

import (
	"strconv"
	"strings"
	"time"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Env is what planning needs: the transaction to read the catalog through,
// the session time zone and the parameter types (grown by inference).
type Env struct {
	Txn        kv.Txn
	Loc        *time.Location
	ParamTypes []types.T
	// ctes are the WITH queries visible at the current level, innermost
	// last.
	ctes  []map[string]*cteDef
	depth int
}

// compiler compiles expressions of one query level.
type compiler struct {
	env   *Env
	scope *scope
	// agg is set while compiling expressions above a GROUP BY or
	// aggregate: column references must go through it.
	agg *aggScope
	// noAggs is the clause name when aggregates are not allowed here.
	noAggs string
}

func (cp *compiler) setParamType(n int, t types.T) {
	for len(cp.env.ParamTypes) < n {
		cp.env.ParamTypes = append(cp.env.ParamTypes, types.Unknown)
	}
	if cp.env.ParamTypes[n-1].Family() == types.FamUnknown {
		cp.env.ParamTypes[n-1] = t
	}
}

func (cp *compiler) paramExpr(n int) *expr {
	t := cp.env.ParamTypes[n-1]
	return &expr{T: t, param: n, col: -1, paramOnly: true, text: "$" + strconv.Itoa(n), eval: func(c *Ctx, _ types.Row) (types.Datum, error) {
		if n > len(c.Params) {
			return nil, sqlerr.New(sqlerr.UndefinedParameter, "there is no parameter $%d", n)
		}
		return c.Params[n-1], nil
	}}
}

// compile compiles an expression.
func (cp *compiler) compile(e ast.Expr) (*expr, error) {
	if cp.agg != nil {
		if out, ok, err := cp.agg.intercept(cp, e); ok || err != nil {
			return out, err
		}
	}
	switch x := e.(type) {
	case *ast.Const:
		return compileConst(x)
	case *ast.ColRef:
		return cp.colRef(x)
	case *ast.Param:
		if x.N < 1 || x.N > 65535 {
			return nil, sqlerr.New(sqlerr.UndefinedParameter, "there is no parameter $%d", x.N).At(x.Pos)
		}
		cp.setParamType(x.N, types.Unknown)
		return cp.paramExpr(x.N), nil
	case *ast.BinOp:
		return cp.binOp(x)
	case *ast.UnaryOp:
		return cp.unaryOp(x)
	case *ast.And:
		return cp.logic(x.L, x.R, true)
	case *ast.Or:
		return cp.logic(x.L, x.R, false)
	case *ast.Not:
		return cp.not(x)
	case *ast.IsNull:
		return cp.isNull(x)
	case *ast.IsBool:
		return cp.isBool(x)
	case *ast.IsDistinct:
		return cp.isDistinct(x)
	case *ast.Between:
		return cp.between(x)
	case *ast.InList:
		return cp.inList(x)
	case *ast.Case:
		return cp.caseExpr(x)
	case *ast.Cast:
		return cp.cast(x)
	case *ast.Func:
		return cp.function(x)
	case *ast.SubqueryExpr:
		return cp.subquery(x)
	case *ast.Default:
		return nil, sqlerr.New(sqlerr.SyntaxError, "DEFAULT is not allowed in this context")
	case *ast.Array:
		return cp.arrayCtor(x)
	case *ast.Subscript:
		return cp.subscript(x)
	case *ast.AnyArray:
		return cp.anyArray(x)
	}
	return nil, sqlerr.Unsupported("this expression")
}

func compileConst(x *ast.Const) (*expr, error) {
	switch x.Kind {
	case ast.ConstNull:
		return &expr{T: types.Unknown, isNull: true, col: -1, constVal: types.Null, text: "NULL",
			eval: func(*Ctx, types.Row) (types.Datum, error) { return types.Null, nil }}, nil
	case ast.ConstBool:
		return constExpr(types.Bool, types.DBool(x.Text == "true"), x.Text), nil
	case ast.ConstInt:
		n, err := strconv.ParseInt(x.Text, 10, 64)
		if err == nil {
			if n >= -1<<31 && n < 1<<31 {
				return constExpr(types.Int4, types.DInt(n), x.Text), nil
			}
			return constExpr(types.Int8, types.DInt(n), x.Text), nil
		}
		fallthrough
	case ast.ConstDecimal:
		d, err := types.ParseDecimal(x.Text)
		if err != nil {
			if strings.Contains(err.Error(), "overflow") {
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value overflows numeric format").At(x.Pos)
			}
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid numeric literal %q", x.Text).At(x.Pos)
		}
		return constExpr(types.Numeric, &types.DNumeric{Decimal: *d}, x.Text), nil
	case ast.ConstString:
		text := x.Text
		return &expr{T: types.Unknown, unknownText: &text, col: -1, constVal: types.DString(text), text: quoteText(text),
			eval: func(*Ctx, types.Row) (types.Datum, error) { return types.DString(text), nil }}, nil
	}
	return nil, sqlerr.Unsupported("this literal").At(x.Pos)
}

func (cp *compiler) colRef(x *ast.ColRef) (*expr, error) {
	if x.Star {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "* is not allowed in this context").At(x.Pos)
	}
	if len(x.Parts) == 3 || (len(x.Parts) == 2 && x.Parts[0] == "public" && !cp.scope.hasTable("public")) {
		x = &ast.ColRef{Parts: x.Parts[len(x.Parts)-2:], Pos: x.Pos}
	}
	idx, depth, t, err := cp.scope.resolve(x.Parts, x.Pos)
	if err != nil {
		return nil, err
	}
	text := strings.Join(x.Parts, ".")
	if depth == 0 {
		return &expr{T: t, col: idx, text: text, eval: func(_ *Ctx, row types.Row) (types.Datum, error) {
			return row[idx], nil
		}}, nil
	}
	return &expr{T: t, col: -1, text: text, eval: func(c *Ctx, _ types.Row) (types.Datum, error) {
		return c.outer[len(c.outer)-depth][idx], nil
	}}, nil
}

// compileAll compiles a list.
func (cp *compiler) compileAll(es []ast.Expr) ([]*expr, error) {
	out := make([]*expr, len(es))
	for i, e := range es {
		c, err := cp.compile(e)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func (cp *compiler) cast(x *ast.Cast) (*expr, error) {
	if out, ok := cp.emptyArrayCast(x); ok {
		return out, nil
	}
	e, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	out, err := cp.coerce(e, x.Type.T, types.CastExplicit, "")
	if err != nil {
		return nil, sqlerr.Wrap(err).At(x.Pos)
	}
	if out == e && x.Type.T.Typmod >= 0 {
		// Same type, new modifier: still apply it (varchar(3) truncates).
		inner, t := e.eval, x.Type.T
		out = &expr{T: t, col: -1, text: e.text, eval: func(c *Ctx, row types.Row) (types.Datum, error) {
			d, err := inner(c, row)
			if err != nil || types.IsNull(d) {
				return d, err
			}
			return types.ApplyTypmod(t, d, true)
		}}
	}
	return out, nil
}
