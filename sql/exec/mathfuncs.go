package exec

import (
	"math"
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// numArg resolves a numeric argument: untyped literals become numeric.
func (cp *compiler) numArg(f *ast.Func, a *expr) (*expr, error) {
	if a.isUnknown() {
		return cp.coerce(a, types.Float8, types.CastImplicit, "")
	}
	if !numericFamily(a.T.Family()) {
		return nil, noFunc(f, []*expr{a})
	}
	return a, nil
}

func fnAbs(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 1 {
		return nil, noFunc(f, args)
	}
	a, err := cp.numArg(f, args[0])
	if err != nil {
		return nil, err
	}
	t := a.T
	return strict(t, "abs", []*expr{a}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		switch v := ds[0].(type) {
		case types.DInt:
			if lo, _ := types.IntRange(t); int64(v) == lo {
				return nil, types.ErrIntRange(t)
			}
			return types.DInt(absInt(int64(v))), nil
		case types.DFloat:
			return types.DFloat(math.Abs(float64(v))), nil
		case *types.DNumeric:
			return &types.DNumeric{Decimal: *v.Abs()}, nil
		}
		return ds[0], nil
	}), nil
}

// fnRound is round/trunc: float8 without digits, numeric with or without.
func fnRound(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, noFunc(f, args)
	}
	a, err := cp.numArg(f, args[0])
	if err != nil {
		return nil, err
	}
	trunc := f.Name == "trunc"
	if len(args) == 2 || a.T.Family() != types.FamFloat {
		if a, err = cp.coerce(a, types.Numeric, types.CastImplicit, ""); err != nil {
			return nil, err
		}
		all := []*expr{a}
		if len(args) == 2 {
			d, err := cp.coerceArgs(f, args[1:], types.Int4)
			if err != nil {
				return nil, err
			}
			all = append(all, d[0])
		}
		return strict(types.Numeric, f.Name, all, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
			s := int32(0)
			if len(ds) == 2 {
				s = int32(max(min(int64(ds[1].(types.DInt)), 1000), -1000))
			}
			d := &ds[0].(*types.DNumeric).Decimal
			if trunc {
				return &types.DNumeric{Decimal: *d.Trunc(s)}, nil
			}
			return &types.DNumeric{Decimal: *d.Round(s)}, nil
		}), nil
	}
	return strict(types.Float8, f.Name, []*expr{a}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		v := float64(ds[0].(types.DFloat))
		if trunc {
			return types.DFloat(math.Trunc(v)), nil
		}
		return types.DFloat(math.RoundToEven(v)), nil
	}), nil
}

func fnFloorCeil(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 1 {
		return nil, noFunc(f, args)
	}
	a, err := cp.numArg(f, args[0])
	if err != nil {
		return nil, err
	}
	floor := f.Name == "floor"
	if a.T.Family() != types.FamFloat {
		if a, err = cp.coerce(a, types.Numeric, types.CastImplicit, ""); err != nil {
			return nil, err
		}
		return strict(types.Numeric, f.Name, []*expr{a}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
			d := &ds[0].(*types.DNumeric).Decimal
			if floor {
				return &types.DNumeric{Decimal: *d.Floor()}, nil
			}
			return &types.DNumeric{Decimal: *d.Ceil()}, nil
		}), nil
	}
	return strict(types.Float8, f.Name, []*expr{a}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		v := float64(ds[0].(types.DFloat))
		if floor {
			return types.DFloat(math.Floor(v)), nil
		}
		return types.DFloat(math.Ceil(v)), nil
	}), nil
}

func fnMod(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	return cp.arith("%", args[0], args[1], f.Pos)
}

func fnPower(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	return cp.arith("^", args[0], args[1], f.Pos)
}

func fnSign(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 1 {
		return nil, noFunc(f, args)
	}
	a, err := cp.numArg(f, args[0])
	if err != nil {
		return nil, err
	}
	if a.T.Family() == types.FamInt {
		a, _ = cp.coerce(a, types.Numeric, types.CastImplicit, "")
	}
	t := a.T
	return strict(t, "sign", []*expr{a}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		switch v := ds[0].(type) {
		case types.DFloat:
			switch {
			case v > 0:
				return types.DFloat(1), nil
			case v < 0:
				return types.DFloat(-1), nil
			}
			return types.DFloat(0), nil
		case *types.DNumeric:
			return &types.DNumeric{Decimal: *types.NewDecimal(int64(v.Sign()), 0)}, nil
		}
		return ds[0], nil
	}), nil
}

func floatFn(fn func(float64) float64, domain string) builtin {
	return func(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
		args, err := cp.coerceArgs(f, args, types.Float8)
		if err != nil {
			return nil, err
		}
		return strict(types.Float8, f.Name, args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
			v := float64(ds[0].(types.DFloat))
			switch {
			case domain == "sqrt" && v < 0:
				return nil, sqlerr.New("2201F", "cannot take square root of a negative number")
			case domain == "ln" && v == 0:
				return nil, sqlerr.New("2201E", "cannot take logarithm of zero")
			case domain == "ln" && v < 0:
				return nil, sqlerr.New("2201E", "cannot take logarithm of a negative number")
			}
			r := fn(v)
			if math.IsInf(r, 0) && !math.IsInf(v, 0) {
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			return types.DFloat(r), nil
		}), nil
	}
}

// timeArg returns the wall-clock time of a date/timestamp argument.
func timeArg(d types.Datum, loc *time.Location) time.Time {
	switch v := d.(type) {
	case types.DDate:
		return v.Time()
	case types.DTimestamp:
		return v.Time()
	case types.DTimestampTZ:
		return v.Time(loc)
	}
	return time.Time{}
}

func fnDateTrunc(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	field, err := cp.coerce(args[0], types.Text, types.CastImplicit, "")
	if err != nil {
		return nil, err
	}
	src := args[1]
	if src.isUnknown() {
		src, _ = cp.coerce(src, types.TimestampTZ, types.CastImplicit, "")
	}
	if src.T.Family() == types.FamDate {
		src, _ = cp.coerce(src, types.TimestampTZ, types.CastImplicit, "")
	}
	if !timeFamily(src.T.Family()) {
		return nil, noFunc(f, args)
	}
	t, loc := src.T, cp.env.Loc
	return strict(t, "date_trunc", []*expr{field, src}, func(c *Ctx, ds []types.Datum) (types.Datum, error) {
		tm := timeArg(ds[1], c.Loc)
		y, mo, d := tm.Date()
		h, mi, s := tm.Clock()
		ns := tm.Nanosecond()
		switch strings.ToLower(string(ds[0].(types.DString))) {
		case "microseconds":
		case "milliseconds":
			ns = ns / 1e6 * 1e6
		case "second":
			ns = 0
		case "minute":
			s, ns = 0, 0
		case "hour":
			mi, s, ns = 0, 0, 0
		case "day":
			h, mi, s, ns = 0, 0, 0, 0
		case "week":
			wd := (int(tm.Weekday()) + 6) % 7
			d -= wd
			h, mi, s, ns = 0, 0, 0, 0
		case "month":
			d, h, mi, s, ns = 1, 0, 0, 0, 0
		case "quarter":
			mo = (mo-1)/3*3 + 1
			d, h, mi, s, ns = 1, 0, 0, 0, 0
		case "year":
			mo, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
		case "decade":
			y = y / 10 * 10
			mo, d, h, mi, s, ns = 1, 1, 0, 0, 0, 0
		default:
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unit %q not recognized for type %s", string(ds[0].(types.DString)), t.String())
		}
		tz := time.UTC
		if t.Family() == types.FamTimestampTZ {
			tz = c.Loc
			if tz == nil {
				tz = loc
			}
		}
		out := time.Date(y, mo, d, h, mi, s, ns, tz)
		if t.Family() == types.FamTimestampTZ {
			return types.TimestampTZFromTime(out), nil
		}
		return types.TimestampFromTime(out), nil
	}), nil
}

func fnExtract(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	field, err := cp.coerce(args[0], types.Text, types.CastImplicit, "")
	if err != nil {
		return nil, err
	}
	src := args[1]
	if src.isUnknown() {
		src, _ = cp.coerce(src, types.TimestampTZ, types.CastImplicit, "")
	}
	if !timeFamily(src.T.Family()) && src.T.Family() != types.FamInterval {
		return nil, noFunc(f, args)
	}
	ret := types.Numeric
	if f.Name == "date_part" {
		ret = types.Float8
	}
	return strict(ret, "extract", []*expr{field, src}, func(c *Ctx, ds []types.Datum) (types.Datum, error) {
		v, err := extractField(strings.ToLower(string(ds[0].(types.DString))), ds[1], c.Loc)
		if err != nil {
			return nil, err
		}
		if ret.Family() == types.FamFloat {
			return types.DFloat(v.Float64()), nil
		}
		return &types.DNumeric{Decimal: *v}, nil
	}), nil
}

func extractField(field string, d types.Datum, loc *time.Location) (*types.Decimal, error) {
	if iv, ok := d.(types.DInterval); ok {
		switch field {
		case "year", "years":
			return types.NewDecimal(int64(iv.Months/12), 0), nil
		case "month", "months", "mon":
			return types.NewDecimal(int64(iv.Months%12), 0), nil
		case "day", "days":
			return types.NewDecimal(int64(iv.Days), 0), nil
		case "hour":
			return types.NewDecimal(iv.Micros/3_600_000_000, 0), nil
		case "minute":
			return types.NewDecimal(iv.Micros%3_600_000_000/60_000_000, 0), nil
		case "second":
			return types.NewDecimal(iv.Micros%60_000_000, 6), nil
		case "epoch":
			us := int64(iv.Months)*30*86400e6/1 + int64(iv.Days)*86400e6 + iv.Micros
			return types.NewDecimal(us, 6), nil
		}
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unit %q not supported for type interval", field)
	}
	tm := timeArg(d, loc)
	switch field {
	case "year":
		return types.NewDecimal(int64(tm.Year()), 0), nil
	case "month":
		return types.NewDecimal(int64(tm.Month()), 0), nil
	case "day":
		return types.NewDecimal(int64(tm.Day()), 0), nil
	case "hour":
		return types.NewDecimal(int64(tm.Hour()), 0), nil
	case "minute":
		return types.NewDecimal(int64(tm.Minute()), 0), nil
	case "second":
		return types.NewDecimal(int64(tm.Second())*1_000_000+int64(tm.Nanosecond()/1000), 6), nil
	case "dow":
		return types.NewDecimal(int64(tm.Weekday()), 0), nil
	case "isodow":
		return types.NewDecimal(int64((int(tm.Weekday())+6)%7+1), 0), nil
	case "doy":
		return types.NewDecimal(int64(tm.YearDay()), 0), nil
	case "quarter":
		return types.NewDecimal(int64((tm.Month()-1)/3+1), 0), nil
	case "week":
		_, w := tm.ISOWeek()
		return types.NewDecimal(int64(w), 0), nil
	case "epoch":
		var us int64
		switch v := d.(type) {
		case types.DTimestampTZ:
			us = int64(v)
		case types.DTimestamp:
			us = int64(v)
		case types.DDate:
			us = int64(v) * 86400e6
		}
		return types.NewDecimal(us, 6), nil
	}
	return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unit %q not recognized", field)
}
