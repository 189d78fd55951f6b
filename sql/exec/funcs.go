package exec

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// textLenMax bounds strings built by functions (repeat, lpad...).
const textLenMax = 64 << 20

// builtin compiles a call of a scalar function.
type builtin func(cp *compiler, f *ast.Func, args []*expr) (*expr, error)

var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		"coalesce": fnCoalesce, "nullif": fnNullif, "greatest": fnGreatestLeast, "least": fnGreatestLeast,
		"length":       textFn(types.Int4, func(s string) types.Datum { return types.DInt(utf8.RuneCountInString(s)) }),
		"char_length":  textFn(types.Int4, func(s string) types.Datum { return types.DInt(utf8.RuneCountInString(s)) }),
		"octet_length": textFn(types.Int4, func(s string) types.Datum { return types.DInt(len(s)) }),
		"lower":        textFn(types.Text, func(s string) types.Datum { return types.DString(strings.ToLower(s)) }),
		"upper":        textFn(types.Text, func(s string) types.Datum { return types.DString(strings.ToUpper(s)) }),
		"md5":          nil, "concat": fnConcat, "substr": fnSubstr, "substring": fnSubstr,
		"btrim": trimFn("both"), "trim": trimFn("both"), "ltrim": trimFn("leading"), "rtrim": trimFn("trailing"),
		"replace": fnReplace, "position": fnPosition, "strpos": fnStrpos, "left": fnLeftRight, "right": fnLeftRight,
		"lpad": fnPad, "rpad": fnPad, "repeat": fnRepeat, "reverse": textFn(types.Text, reverseString),
		"abs": fnAbs, "round": fnRound, "trunc": fnRound, "floor": fnFloorCeil, "ceil": fnFloorCeil, "ceiling": fnFloorCeil,
		"mod": fnMod, "power": fnPower, "pow": fnPower, "sqrt": floatFn(math.Sqrt, "sqrt"), "exp": floatFn(math.Exp, ""),
		"ln": floatFn(math.Log, "ln"), "sign": fnSign,
		"now": fnNow, "current_timestamp": fnNow, "transaction_timestamp": fnNow, "statement_timestamp": fnNow,
		"clock_timestamp": fnNow, "localtimestamp": fnNow, "current_date": fnNow,
		"date_trunc": fnDateTrunc, "extract": fnExtract, "date_part": fnExtract,
		"current_user": fnIdent, "current_role": fnIdent, "session_user": fnIdent, "user": fnIdent,
		"current_catalog": fnIdent, "current_database": fnIdent, "current_schema": fnIdent, "version": fnIdent,
		"current_setting": fnCurrentSetting, "nextval": fnNextval, "gen_random_uuid": nil,
	}
	delete(builtins, "md5")
	delete(builtins, "gen_random_uuid")
	for name, fn := range arrayBuiltins { //detlint:ordered each key is written once, in any order
		builtins[name] = fn
	}
}

func (cp *compiler) function(f *ast.Func) (*expr, error) {
	if aggregateNames[f.Name] {
		clause := cp.noAggs
		if clause == "" {
			clause = "this context"
		}
		return nil, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", clause).At(f.Pos)
	}
	if f.Name == "generate_series" {
		return nil, sqlerr.Unsupported("generate_series outside FROM").At(f.Pos)
	}
	b, ok := builtins[f.Name]
	if !ok || f.Star || f.Distinct || len(f.OrderBy) > 0 || f.Filter != nil {
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function %s does not exist", f.Name).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.").At(f.Pos)
	}
	args, err := cp.compileAll(f.Args)
	if err != nil {
		return nil, err
	}
	out, err := b(cp, f, args)
	if err != nil {
		return nil, sqlerr.Wrap(err).At(f.Pos)
	}
	return out, nil
}

func noFunc(f *ast.Func, args []*expr) error {
	var ts []string
	for _, a := range args {
		ts = append(ts, a.T.String())
	}
	return sqlerr.New(sqlerr.UndefinedFunction, "function %s(%s) does not exist", f.Name, strings.Join(ts, ", ")).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// coerceArgs converts arguments to the given types; untyped literals
// adopt them, other types must cast implicitly.
func (cp *compiler) coerceArgs(f *ast.Func, args []*expr, want ...types.T) ([]*expr, error) {
	if len(args) != len(want) {
		return nil, noFunc(f, args)
	}
	out := make([]*expr, len(args))
	for i, a := range args {
		if !a.isUnknown() && !types.CanCast(a.T, want[i], types.CastImplicit) && !(a.T.Family() == want[i].Family()) {
			if !(want[i].Family() == types.FamString) {
				return nil, noFunc(f, args)
			}
			if a.T.Family() != types.FamString {
				return nil, noFunc(f, args)
			}
		}
		c, err := cp.coerce(a, want[i], types.CastImplicit, "")
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func textFn(ret types.T, fn func(string) types.Datum) builtin {
	return func(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
		args, err := cp.coerceArgs(f, args, types.Text)
		if err != nil {
			return nil, err
		}
		bp := args[0].T.OID == types.OIDBpchar
		return strict(ret, f.Name+"()", args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
			s := string(ds[0].(types.DString))
			if bp {
				s = strings.TrimRight(s, " ")
			}
			return fn(s), nil
		}), nil
	}
}

func reverseString(s string) types.Datum {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return types.DString(string(r))
}

func fnCoalesce(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) == 0 {
		return nil, noFunc(f, args)
	}
	all, t, err := cp.commonType(args, strings.ToUpper(f.Name))
	if err != nil {
		return nil, err
	}
	return &expr{T: t, col: -1, text: "COALESCE(...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		for _, a := range all {
			d, err := a.eval(c, row)
			if err != nil || !types.IsNull(d) {
				return d, err
			}
		}
		return types.Null, nil
	}}, nil
}

func fnNullif(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	l, r, err := cp.unify(args[0], args[1], "=", f.Pos)
	if err != nil {
		return nil, err
	}
	return &expr{T: l.T, col: -1, text: "NULLIF(...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := l.eval(c, row)
		if err != nil || types.IsNull(a) {
			return a, err
		}
		b, err := r.eval(c, row)
		if err != nil {
			return nil, err
		}
		if !types.IsNull(b) && types.Compare(a, b) == 0 {
			return types.Null, nil
		}
		return a, nil
	}}, nil
}

func fnGreatestLeast(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	all, t, err := cp.commonType(args, strings.ToUpper(f.Name))
	if err != nil {
		return nil, err
	}
	greatest := f.Name == "greatest"
	return &expr{T: t, col: -1, text: f.Name + "(...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		var best types.Datum = types.Null
		for _, a := range all {
			d, err := a.eval(c, row)
			if err != nil {
				return nil, err
			}
			if types.IsNull(d) {
				continue
			}
			if types.IsNull(best) || (types.Compare(d, best) > 0) == greatest && types.Compare(d, best) != 0 {
				best = d
			}
		}
		return best, nil
	}}, nil
}

func fnConcat(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	for i, a := range args {
		var err error
		if args[i], err = cp.resolveUnknown(a); err != nil {
			return nil, err
		}
	}
	loc := cp.env.Loc
	return &expr{T: types.Text, col: -1, text: "concat(...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		var b strings.Builder
		for _, a := range args {
			d, err := a.eval(c, row)
			if err != nil {
				return nil, err
			}
			if types.IsNull(d) {
				continue
			}
			s, err := types.Cast(d, a.T, types.Text, types.CastExplicit, loc)
			if err != nil {
				return nil, err
			}
			b.WriteString(string(s.(types.DString)))
			if b.Len() > textLenMax {
				return nil, errTooLong()
			}
		}
		return types.DString(b.String()), nil
	}}, nil
}

func errTooLong() error {
	return sqlerr.New(sqlerr.ProgramLimitExceeded, "result string exceeds the %d-byte limit", textLenMax)
}

func fnSubstr(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	want := []types.T{types.Text, types.Int4, types.Int4}[:len(args)]
	if len(args) < 2 || len(args) > 3 {
		return nil, noFunc(f, args)
	}
	args, err := cp.coerceArgs(f, args, want...)
	if err != nil {
		return nil, err
	}
	return strict(types.Text, "substr", args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		r := []rune(string(ds[0].(types.DString)))
		start := int64(ds[1].(types.DInt))
		end := int64(len(r)) + 1
		if len(ds) == 3 {
			n := int64(ds[2].(types.DInt))
			if n < 0 {
				return nil, sqlerr.New(sqlerr.SubstringError, "negative substring length not allowed")
			}
			end = start + n
		}
		start = max(start, 1)
		end = min(end, int64(len(r))+1)
		if start >= end {
			return types.DString(""), nil
		}
		return types.DString(string(r[start-1 : end-1])), nil
	}), nil
}

func trimFn(mode string) builtin {
	return func(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
		if len(args) == 1 {
			args = append(args, constExpr(types.Text, types.DString(" "), "' '"))
		}
		args, err := cp.coerceArgs(f, args, types.Text, types.Text)
		if err != nil {
			return nil, err
		}
		return strict(types.Text, f.Name, args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
			s, cut := string(ds[0].(types.DString)), string(ds[1].(types.DString))
			if mode != "trailing" {
				s = strings.TrimLeft(s, cut)
			}
			if mode != "leading" {
				s = strings.TrimRight(s, cut)
			}
			return types.DString(s), nil
		}), nil
	}
}

func fnReplace(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, types.Text, types.Text, types.Text)
	if err != nil {
		return nil, err
	}
	return strict(types.Text, "replace", args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		s, from, to := string(ds[0].(types.DString)), string(ds[1].(types.DString)), string(ds[2].(types.DString))
		if from == "" {
			return types.DString(s), nil
		}
		if n := strings.Count(s, from); len(s)+n*(len(to)-len(from)) > textLenMax {
			return nil, errTooLong()
		}
		return types.DString(strings.ReplaceAll(s, from, to)), nil
	}), nil
}

// fnPosition is position(sub IN s), which the grammar passes as (s, sub).
func fnPosition(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	return fnStrpos(cp, f, args)
}

func fnStrpos(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, types.Text, types.Text)
	if err != nil {
		return nil, err
	}
	return strict(types.Int4, f.Name, args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		s, sub := string(ds[0].(types.DString)), string(ds[1].(types.DString))
		i := strings.Index(s, sub)
		if i < 0 {
			return types.DInt(0), nil
		}
		return types.DInt(utf8.RuneCountInString(s[:i]) + 1), nil
	}), nil
}

func fnLeftRight(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, types.Text, types.Int4)
	if err != nil {
		return nil, err
	}
	left := f.Name == "left"
	return strict(types.Text, f.Name, args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		r := []rune(string(ds[0].(types.DString)))
		n := int(ds[1].(types.DInt))
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		n = min(n, len(r))
		if left {
			return types.DString(string(r[:n])), nil
		}
		return types.DString(string(r[len(r)-n:])), nil
	}), nil
}

func fnPad(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) == 2 {
		args = append(args, constExpr(types.Text, types.DString(" "), "' '"))
	}
	args, err := cp.coerceArgs(f, args, types.Text, types.Int4, types.Text)
	if err != nil {
		return nil, err
	}
	leftPad := f.Name == "lpad"
	return strict(types.Text, f.Name, args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		r := []rune(string(ds[0].(types.DString)))
		n := int(ds[1].(types.DInt))
		fill := []rune(string(ds[2].(types.DString)))
		if n > textLenMax {
			return nil, errTooLong()
		}
		if n <= len(r) {
			return types.DString(string(r[:max(n, 0)])), nil
		}
		if len(fill) == 0 {
			return types.DString(string(r)), nil
		}
		pad := make([]rune, 0, n-len(r))
		for i := 0; len(pad) < n-len(r); i++ {
			pad = append(pad, fill[i%len(fill)])
		}
		if leftPad {
			return types.DString(string(pad) + string(r)), nil
		}
		return types.DString(string(r) + string(pad)), nil
	}), nil
}

func fnRepeat(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, types.Text, types.Int4)
	if err != nil {
		return nil, err
	}
	return strict(types.Text, "repeat", args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		s, n := string(ds[0].(types.DString)), int(ds[1].(types.DInt))
		if n <= 0 {
			return types.DString(""), nil
		}
		if len(s)*n > textLenMax {
			return nil, errTooLong()
		}
		return types.DString(strings.Repeat(s, n)), nil
	}), nil
}

func fnIdent(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 0 {
		return nil, noFunc(f, args)
	}
	name := f.Name
	t := types.Name
	if name == "version" {
		t = types.Text
	}
	return &expr{T: t, col: -1, text: name, eval: func(c *Ctx, _ types.Row) (types.Datum, error) {
		switch name {
		case "current_catalog", "current_database":
			return types.DString(c.Database), nil
		case "current_schema":
			return types.DString("public"), nil
		case "version":
			return types.DString("PostgreSQL 15.0 (LineraDB)"), nil
		}
		return types.DString(c.User), nil
	}}, nil
}

func fnCurrentSetting(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, types.Text)
	if err != nil {
		return nil, err
	}
	return strict(types.Text, "current_setting", args, func(c *Ctx, ds []types.Datum) (types.Datum, error) {
		name := strings.ToLower(string(ds[0].(types.DString)))
		if c.Setting != nil {
			if v, ok := c.Setting(name); ok {
				return types.DString(v), nil
			}
		}
		return nil, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	}), nil
}

func fnNextval(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, types.Text)
	if err != nil {
		return nil, err
	}
	return strict(types.Int8, "nextval", args, func(c *Ctx, ds []types.Datum) (types.Datum, error) {
		name := strings.Trim(string(ds[0].(types.DString)), `"`)
		name = strings.TrimPrefix(name, "public.")
		v, err := catalog.NextVal(c.Txn, name)
		return types.DInt(v), err
	}), nil
}

func fnNow(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 0 {
		return nil, noFunc(f, args)
	}
	name := f.Name
	t := types.TimestampTZ
	switch name {
	case "current_date":
		t = types.Date
	case "localtimestamp":
		t = types.Timestamp
	}
	return &expr{T: t, col: -1, text: name + "()", eval: func(c *Ctx, _ types.Row) (types.Datum, error) {
		now := c.TxnStart
		if name == "statement_timestamp" || name == "clock_timestamp" {
			now = c.StmtTime
		}
		loc := c.Loc
		if loc == nil {
			loc = time.UTC
		}
		switch name {
		case "current_date":
			return types.DateFromTime(now.In(loc)), nil
		case "localtimestamp":
			return types.TimestampFromTime(now.In(loc)), nil
		}
		return types.TimestampTZFromTime(now), nil
	}}, nil
}
