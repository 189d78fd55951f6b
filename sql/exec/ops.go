package exec

import (
	"math"
	"math/bits"
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// strict builds an expression that is NULL when any input is NULL.
func strict(t types.T, text string, args []*expr, fn func(c *Ctx, ds []types.Datum) (types.Datum, error)) *expr {
	evals := make([]evalFn, len(args))
	allConst := true
	for i, a := range args {
		evals[i] = a.eval
		allConst = allConst && a.constVal != nil
	}
	e := &expr{T: t, col: -1, text: text, eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		ds := make([]types.Datum, len(evals))
		for i, ev := range evals {
			d, err := ev(c, row)
			if err != nil {
				return nil, err
			}
			if types.IsNull(d) {
				return types.Null, nil
			}
			ds[i] = d
		}
		return fn(c, ds)
	}}
	_ = allConst
	return e
}

func opMissing(op string, l, r *expr, pos int) error {
	return sqlerr.New(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", l.T.String(), op, r.T.String()).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.").At(pos)
}

func numericFamily(f types.Family) bool {
	return f == types.FamInt || f == types.FamFloat || f == types.FamNumeric
}

func timeFamily(f types.Family) bool {
	return f == types.FamDate || f == types.FamTimestamp || f == types.FamTimestampTZ
}

// unify makes two operands comparable: untyped sides take the other's
// type, numeric types promote, dates widen to timestamps.
func (cp *compiler) unify(l, r *expr, op string, pos int) (*expr, *expr, error) {
	var err error
	switch {
	case l.isUnknown() && r.isUnknown():
		if l, err = cp.coerce(l, types.Text, types.CastImplicit, ""); err != nil {
			return nil, nil, err
		}
		r, err = cp.coerce(r, types.Text, types.CastImplicit, "")
		return l, r, err
	case l.isUnknown():
		l, err = cp.coerce(l, r.T, types.CastImplicit, "")
		return l, r, err
	case r.isUnknown():
		r, err = cp.coerce(r, l.T, types.CastImplicit, "")
		return l, r, err
	}
	lf, rf := l.T.Family(), r.T.Family()
	if lf == types.FamArray && rf == types.FamArray {
		return cp.unifyArrays(l, r, op, pos)
	}
	if lf == rf {
		return l, r, nil
	}
	var common types.T
	switch {
	case numericFamily(lf) && numericFamily(rf):
		common = types.Promote(l.T, r.T)
	case timeFamily(lf) && timeFamily(rf):
		common = types.Timestamp
		if lf == types.FamTimestampTZ || rf == types.FamTimestampTZ {
			common = types.TimestampTZ
		}
	default:
		return nil, nil, opMissing(op, l, r, pos)
	}
	if l, err = cp.coerce(l, common, types.CastImplicit, ""); err != nil {
		return nil, nil, err
	}
	r, err = cp.coerce(r, common, types.CastImplicit, "")
	return l, r, err
}

func (cp *compiler) binOp(x *ast.BinOp) (*expr, error) {
	l, err := cp.compile(x.L)
	if err != nil {
		return nil, err
	}
	r, err := cp.compile(x.R)
	if err != nil {
		return nil, err
	}
	op := x.Op
	if op == "!=" {
		op = "<>"
	}
	if out, ok, err := cp.arrayBinOp(op, l, r, x.Pos); ok {
		return out, err
	}
	switch op {
	case "=", "<>", "<", "<=", ">", ">=":
		return cp.comparison(op, l, r, x.Pos)
	case "~~", "!~~", "~~*", "!~~*":
		return cp.like(op, l, r, x.Pos)
	case "||":
		return cp.concat(l, r, x.Pos)
	case "+", "-", "*", "/", "%", "^":
		return cp.arith(op, l, r, x.Pos)
	}
	return nil, sqlerr.New(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", l.T.String(), op, r.T.String()).At(x.Pos)
}

func (cp *compiler) comparison(op string, l, r *expr, pos int) (*expr, error) {
	l, r, err := cp.unify(l, r, op, pos)
	if err != nil {
		return nil, err
	}
	bpchar := l.T.OID == types.OIDBpchar || r.T.OID == types.OIDBpchar
	test := cmpTest(op)
	out := strict(types.Bool, "("+l.text+" "+op+" "+r.text+")", []*expr{l, r}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		return types.DBool(test(compareValues(ds[0], ds[1], bpchar))), nil
	})
	out.cmp = &cmpInfo{op: op, l: l, r: r}
	return out, nil
}

func compareValues(a, b types.Datum, bpchar bool) int {
	if bpchar {
		as, aok := a.(types.DString)
		bs, bok := b.(types.DString)
		if aok && bok {
			return strings.Compare(strings.TrimRight(string(as), " "), strings.TrimRight(string(bs), " "))
		}
	}
	return types.Compare(a, b)
}

func cmpTest(op string) func(int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "<>":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	}
	return func(c int) bool { return c >= 0 }
}

func (cp *compiler) like(op string, l, r *expr, pos int) (*expr, error) {
	// Coerce into new variables: a failed coerce returns nil, and the
	// error message needs the operands' original types.
	lt, err := cp.coerce(l, types.Text, types.CastImplicit, "")
	if err != nil || lt.T.Family() != types.FamString {
		return nil, opMissing(op, l, r, pos)
	}
	rt, err := cp.coerce(r, types.Text, types.CastImplicit, "")
	if err != nil || rt.T.Family() != types.FamString {
		return nil, opMissing(op, l, r, pos)
	}
	l, r = lt, rt
	fold := strings.Contains(op, "*")
	neg := strings.HasPrefix(op, "!")
	return strict(types.Bool, "("+l.text+" "+op+" "+r.text+")", []*expr{l, r}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		s, p := string(ds[0].(types.DString)), string(ds[1].(types.DString))
		if fold {
			s, p = strings.ToLower(s), strings.ToLower(p)
		}
		m, err := likeMatch([]rune(s), []rune(p))
		if err != nil {
			return nil, err
		}
		return types.DBool(m != neg), nil
	}), nil
}

// likeMatch matches LIKE patterns (% any run, _ one character, \ escape)
// by dynamic programming, so hostile patterns stay O(len(s)·len(p)).
func likeMatch(s, p []rune) (bool, error) {
	type tok struct {
		r    rune
		kind byte // 'l' literal, '_' any one, '%' any run
	}
	var toks []tok
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) {
				return false, sqlerr.New(sqlerr.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			i++
			toks = append(toks, tok{p[i], 'l'})
		case '%':
			toks = append(toks, tok{kind: '%'})
		case '_':
			toks = append(toks, tok{kind: '_'})
		default:
			toks = append(toks, tok{p[i], 'l'})
		}
	}
	cur := make([]bool, len(s)+1)
	cur[0] = true
	for _, t := range toks {
		next := make([]bool, len(s)+1)
		for i := 0; i <= len(s); i++ {
			if !cur[i] {
				continue
			}
			switch t.kind {
			case '%':
				for j := i; j <= len(s); j++ {
					next[j] = true
				}
			case '_':
				if i < len(s) {
					next[i+1] = true
				}
			default:
				if i < len(s) && s[i] == t.r {
					next[i+1] = true
				}
			}
		}
		cur = next
	}
	return cur[len(s)], nil
}

func (cp *compiler) concat(l, r *expr, pos int) (*expr, error) {
	var err error
	isText := func(e *expr) bool { return e.isUnknown() || e.T.Family() == types.FamString }
	if !isText(l) && !isText(r) {
		return nil, opMissing("||", l, r, pos)
	}
	if l, err = cp.resolveUnknown(l); err != nil {
		return nil, err
	}
	if r, err = cp.resolveUnknown(r); err != nil {
		return nil, err
	}
	lt, rt, loc := l.T, r.T, cp.env.Loc
	return strict(types.Text, "("+l.text+" || "+r.text+")", []*expr{l, r}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		a, err := types.Cast(ds[0], lt, types.Text, types.CastExplicit, loc)
		if err != nil {
			return nil, err
		}
		b, err := types.Cast(ds[1], rt, types.Text, types.CastExplicit, loc)
		if err != nil {
			return nil, err
		}
		return types.DString(string(a.(types.DString)) + string(b.(types.DString))), nil
	}), nil
}

func (cp *compiler) arith(op string, l, r *expr, pos int) (*expr, error) {
	var err error
	lf, rf := l.T.Family(), r.T.Family()
	// An untyped literal next to a date/time is an interval (ts + '1 day')
	// or, for date - '...', a date.
	if l.isUnknown() != r.isUnknown() {
		known, unknown := l, r
		if l.isUnknown() {
			known, unknown = r, l
		}
		target := known.T
		if timeFamily(known.T.Family()) && (op == "+" || (op == "-" && unknown == r && known.T.Family() != types.FamDate)) {
			target = types.Interval
		}
		if unknown, err = cp.coerce(unknown, target, types.CastImplicit, ""); err != nil {
			return nil, err
		}
		if l.isUnknown() {
			l = unknown
		} else {
			r = unknown
		}
		lf, rf = l.T.Family(), r.T.Family()
	}
	text := "(" + l.text + " " + op + " " + r.text + ")"
	if numericFamily(lf) && numericFamily(rf) {
		return cp.numericArith(op, l, r, text, pos)
	}
	if fn, t := temporalArith(op, l.T, r.T, cp); fn != nil {
		return strict(t, text, []*expr{l, r}, func(c *Ctx, ds []types.Datum) (types.Datum, error) {
			return fn(ds[0], ds[1])
		}), nil
	}
	return nil, opMissing(op, l, r, pos)
}

func (cp *compiler) numericArith(op string, l, r *expr, text string, pos int) (*expr, error) {
	common := types.Promote(l.T, r.T)
	if op == "^" {
		common = types.Float8
		if l.T.Family() == types.FamNumeric || r.T.Family() == types.FamNumeric {
			common = types.Numeric
		}
	}
	var err error
	if l, err = cp.coerce(l, common, types.CastImplicit, ""); err != nil {
		return nil, err
	}
	if r, err = cp.coerce(r, common, types.CastImplicit, ""); err != nil {
		return nil, err
	}
	var fn func(a, b types.Datum) (types.Datum, error)
	switch common.Family() {
	case types.FamInt:
		fn = intOp(op, common)
	case types.FamFloat:
		fn = floatOp(op, common)
	default:
		fn = numericOp(op)
	}
	return strict(common, text, []*expr{l, r}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		return fn(ds[0], ds[1])
	}), nil
}

var errDivZero = sqlerr.New(sqlerr.DivisionByZero, "division by zero")

func intOp(op string, t types.T) func(a, b types.Datum) (types.Datum, error) {
	lo, hi := types.IntRange(t)
	return func(a, b types.Datum) (types.Datum, error) {
		x, y := int64(a.(types.DInt)), int64(b.(types.DInt))
		var r int64
		overflow := false
		switch op {
		case "+":
			r = x + y
			overflow = (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0)
		case "-":
			r = x - y
			overflow = (x >= 0 && y < 0 && r < 0) || (x < 0 && y > 0 && r >= 0)
		case "*":
			hiBits, loBits := bits.Mul64(uint64(absInt(x)), uint64(absInt(y)))
			overflow = hiBits != 0 || loBits > math.MaxInt64 || x == math.MinInt64 || y == math.MinInt64
			r = x * y
		case "/":
			if y == 0 {
				return nil, errDivZero
			}
			if x == math.MinInt64 && y == -1 {
				overflow = true
			}
			r = x / y
		case "%":
			if y == 0 {
				return nil, errDivZero
			}
			if y == -1 {
				return types.DInt(0), nil
			}
			r = x % y
		}
		if overflow || r < lo || r > hi {
			return nil, types.ErrIntRange(t)
		}
		return types.DInt(r), nil
	}
}

func absInt(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func floatOp(op string, t types.T) func(a, b types.Datum) (types.Datum, error) {
	return func(a, b types.Datum) (types.Datum, error) {
		x, y := float64(a.(types.DFloat)), float64(b.(types.DFloat))
		var r float64
		switch op {
		case "+":
			r = x + y
		case "-":
			r = x - y
		case "*":
			r = x * y
		case "/":
			if y == 0 {
				return nil, errDivZero
			}
			r = x / y
		case "%":
			if y == 0 {
				return nil, errDivZero
			}
			r = math.Mod(x, y)
		case "^":
			if x == 0 && y < 0 {
				return nil, sqlerr.New(sqlerr.InvalidParameterValue, "zero raised to a negative power is undefined")
			}
			if x < 0 && y != math.Trunc(y) {
				return nil, sqlerr.New(sqlerr.InvalidParameterValue, "a negative number raised to a non-integer power yields a complex result")
			}
			r = math.Pow(x, y)
		}
		if t.OID == types.OIDFloat4 {
			r = float64(float32(r))
		}
		if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
		}
		return types.DFloat(r), nil
	}
}

func numericOp(op string) func(a, b types.Datum) (types.Datum, error) {
	return func(a, b types.Datum) (types.Datum, error) {
		x, y := &a.(*types.DNumeric).Decimal, &b.(*types.DNumeric).Decimal
		var r *types.Decimal
		var err error
		switch op {
		case "+":
			r = x.Add(y)
		case "-":
			r = x.Sub(y)
		case "*":
			r, err = x.Mul(y)
		case "/":
			if y.Sign() == 0 {
				return nil, errDivZero
			}
			r = x.Div(y, types.DivScale(x, y))
		case "%":
			if y.Sign() == 0 {
				return nil, errDivZero
			}
			r = x.Mod(y)
		case "^":
			return numericPower(x, y)
		}
		if err != nil {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "%s", err.Error())
		}
		return &types.DNumeric{Decimal: *r}, nil
	}
}

func numericPower(x, y *types.Decimal) (types.Datum, error) {
	f := math.Pow(x.Float64(), y.Float64())
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value overflows numeric format")
	}
	d, err := types.Cast(types.DFloat(f), types.Float8, types.Numeric, types.CastExplicit, nil)
	if err != nil {
		return nil, err
	}
	n := d.(*types.DNumeric)
	return &types.DNumeric{Decimal: *n.Round(16)}, nil
}

func (cp *compiler) unaryOp(x *ast.UnaryOp) (*expr, error) {
	e, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	if e.isUnknown() {
		if e, err = cp.coerce(e, types.Numeric, types.CastImplicit, ""); err != nil {
			return nil, err
		}
	}
	t := e.T
	switch {
	case x.Op == "+" && (numericFamily(t.Family()) || t.Family() == types.FamInterval):
		return e, nil
	case x.Op == "-" && numericFamily(t.Family()):
		zero, _ := cp.coerce(constExpr(types.Int4, types.DInt(0), "0"), t, types.CastImplicit, "")
		out, err := cp.numericArith("-", zero, e, "(-"+e.text+")", x.Pos)
		if err == nil && e.constVal != nil {
			out.constVal, err = out.eval(nil, nil)
		}
		return out, err
	case x.Op == "-" && t.Family() == types.FamInterval:
		return strict(t, "(-"+e.text+")", []*expr{e}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
			iv := ds[0].(types.DInterval)
			return types.DInterval{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}, nil
		}), nil
	}
	return nil, sqlerr.New(sqlerr.UndefinedFunction, "operator does not exist: %s %s", x.Op, t.String()).At(x.Pos)
}
