package exec

import (
	"math"
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

type datumOp func(a, b types.Datum) (types.Datum, error)

// temporalArith resolves date/time/interval arithmetic.
func temporalArith(op string, l, r types.T, cp *compiler) (datumOp, types.T) {
	lf, rf := l.Family(), r.Family()
	loc := cp.env.Loc
	switch {
	case lf == types.FamDate && rf == types.FamInt && (op == "+" || op == "-"):
		sign := int64(1)
		if op == "-" {
			sign = -1
		}
		return func(a, b types.Datum) (types.Datum, error) {
			return types.DDate(int64(a.(types.DDate)) + sign*int64(b.(types.DInt))), nil
		}, types.Date
	case lf == types.FamInt && rf == types.FamDate && op == "+":
		return func(a, b types.Datum) (types.Datum, error) {
			return types.DDate(int64(b.(types.DDate)) + int64(a.(types.DInt))), nil
		}, types.Date
	case lf == types.FamDate && rf == types.FamDate && op == "-":
		return func(a, b types.Datum) (types.Datum, error) {
			return types.DInt(int64(a.(types.DDate)) - int64(b.(types.DDate))), nil
		}, types.Int4
	case timeFamily(lf) && rf == types.FamInterval && (op == "+" || op == "-"):
		return addInterval(l, op == "-", false, loc)
	case lf == types.FamInterval && timeFamily(rf) && op == "+":
		return addInterval(r, false, true, loc)
	case (lf == types.FamTimestamp || lf == types.FamTimestampTZ) && lf == rf && op == "-":
		return func(a, b types.Datum) (types.Datum, error) {
			return types.IntervalBetween(tsMicros(a), tsMicros(b)), nil
		}, types.Interval
	case lf == types.FamInterval && rf == types.FamInterval && (op == "+" || op == "-"):
		sign := int64(1)
		if op == "-" {
			sign = -1
		}
		return func(a, b types.Datum) (types.Datum, error) {
			x, y := a.(types.DInterval), b.(types.DInterval)
			return types.DInterval{Months: x.Months + int32(sign)*y.Months, Days: x.Days + int32(sign)*y.Days, Micros: x.Micros + sign*y.Micros}, nil
		}, types.Interval
	case lf == types.FamInterval && numericFamily(rf) && (op == "*" || op == "/"):
		return scaleInterval(op, false), types.Interval
	case numericFamily(lf) && rf == types.FamInterval && op == "*":
		return scaleInterval(op, true), types.Interval
	}
	return nil, types.T{}
}

func tsMicros(d types.Datum) int64 {
	switch v := d.(type) {
	case types.DTimestamp:
		return int64(v)
	case types.DTimestampTZ:
		return int64(v)
	}
	return 0
}

func addInterval(t types.T, neg, swapped bool, loc *time.Location) (datumOp, types.T) {
	out := t
	if t.Family() == types.FamDate {
		out = types.Timestamp
	}
	return func(a, b types.Datum) (types.Datum, error) {
		if swapped {
			a, b = b, a
		}
		iv := b.(types.DInterval)
		if neg {
			iv = types.DInterval{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
		}
		var res time.Time
		switch v := a.(type) {
		case types.DDate:
			res = types.AddInterval(v.Time(), iv)
		case types.DTimestamp:
			res = types.AddInterval(v.Time(), iv)
		case types.DTimestampTZ:
			res = types.AddInterval(v.Time(loc), iv)
		}
		if err := types.CheckTimestampRange(res); err != nil {
			return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
		}
		if out.Family() == types.FamTimestampTZ {
			return types.TimestampTZFromTime(res), nil
		}
		return types.TimestampFromTime(res), nil
	}, out
}

func toFloat(d types.Datum) float64 {
	switch v := d.(type) {
	case types.DInt:
		return float64(v)
	case types.DFloat:
		return float64(v)
	case *types.DNumeric:
		return v.Float64()
	}
	return 0
}

func scaleInterval(op string, swapped bool) datumOp {
	return func(a, b types.Datum) (types.Datum, error) {
		if swapped {
			a, b = b, a
		}
		iv, f := a.(types.DInterval), toFloat(b)
		if op == "/" {
			if f == 0 {
				return nil, errDivZero
			}
			f = 1 / f
		}
		months := float64(iv.Months) * f
		days := float64(iv.Days) * f
		micros := float64(iv.Micros) * f
		if math.IsInf(months+days+micros, 0) || math.IsNaN(months+days+micros) || math.Abs(micros) > 9e18 {
			return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval out of range")
		}
		wm := math.Trunc(months)
		days += (months - wm) * 30
		wd := math.Trunc(days)
		micros += (days - wd) * 86400e6
		if wm > math.MaxInt32 || wm < math.MinInt32 || wd > math.MaxInt32 || wd < math.MinInt32 || math.Abs(micros) > 9e18 {
			// The fields are int32/int64: a wrapped value would be a
			// silently wrong answer.
			return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval out of range")
		}
		return types.DInterval{Months: int32(wm), Days: int32(wd), Micros: int64(math.Round(micros))}, nil
	}
}
