package types

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// CastContext says how strict a cast is, as in pg_cast.castcontext.
type CastContext uint8

// Cast contexts.
const (
	CastImplicit   CastContext = iota // in expressions, e.g. int4 + int8
	CastAssignment                    // INSERT/UPDATE into a column
	CastExplicit                      // CAST(x AS t), x::t
)

// CanCast reports whether a cast from one type to another exists in ctx.
func CanCast(from, to T, ctx CastContext) bool {
	ff, tf := from.Family(), to.Family()
	if ff == FamArray && tf == FamArray {
		return CanCast(from.Elem(), to.Elem(), ctx)
	}
	if ff == FamUnknown || ff == tf {
		return true
	}
	if tf == FamString && ctx >= CastAssignment {
		return true // every type has an I/O conversion to text
	}
	if ff == FamString && ctx == CastExplicit {
		return true
	}
	numeric := func(f Family) bool { return f == FamInt || f == FamFloat || f == FamNumeric }
	if numeric(ff) && numeric(tf) {
		return ctx >= CastAssignment || rank(from) <= rank(to)
	}
	switch {
	case ff == FamDate && (tf == FamTimestamp || tf == FamTimestampTZ):
		return true
	case ff == FamTimestamp && tf == FamTimestampTZ:
		return true
	case (ff == FamTimestamp || ff == FamTimestampTZ) && (tf == FamDate || tf == FamTimestamp || tf == FamTimestampTZ):
		return ctx >= CastAssignment
	case ff == FamInt && tf == FamBool, ff == FamBool && tf == FamInt:
		return ctx == CastExplicit
	}
	return false
}

// rank orders the numeric types for implicit promotion.
func rank(t T) int {
	switch t.OID {
	case OIDInt2:
		return 1
	case OIDInt4, OIDOid:
		return 2
	case OIDInt8:
		return 3
	case OIDNumeric:
		return 4
	case OIDFloat4:
		return 5
	case OIDFloat8:
		return 6
	}
	return 0
}

// Promote returns the common type of two numeric types.
func Promote(a, b T) T {
	if rank(a) >= rank(b) {
		return T{a.OID, -1}
	}
	return T{b.OID, -1}
}

// Cast converts d from one type to another with PostgreSQL's semantics.
func Cast(d Datum, from, to T, ctx CastContext, loc *time.Location) (Datum, error) {
	if IsNull(d) {
		return Null, nil
	}
	if !CanCast(from, to, ctx) {
		return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", from.String(), to.String())
	}
	if from.Family() == FamUnknown || (from.Family() == FamString && to.Family() != FamString) {
		s, _ := d.(DString)
		return Parse(to, string(s), loc)
	}
	if to.Family() == FamString {
		return ApplyTypmod(to, DString(castToText(from, d, loc)), ctx == CastExplicit)
	}
	if a, ok := d.(*DArray); ok && to.Family() == FamArray {
		return castArray(a, from, to, ctx, loc)
	}
	v, err := convert(d, from, to, loc)
	if err != nil {
		return nil, err
	}
	return ApplyTypmod(to, v, ctx == CastExplicit)
}

func castToText(from T, d Datum, loc *time.Location) string {
	if b, ok := d.(DBool); ok {
		if b {
			return "true"
		}
		return "false"
	}
	s := Format(from, d, loc)
	if from.OID == OIDBpchar {
		s = strings.TrimRight(s, " ")
	}
	return s
}

func convert(d Datum, from, to T, loc *time.Location) (Datum, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch v := d.(type) {
	case DInt:
		return fromInt(int64(v), to)
	case DFloat:
		return fromFloat(float64(v), to)
	case *DNumeric:
		return fromNumeric(v, to)
	case DBool:
		if to.Family() == FamInt {
			if v {
				return DInt(1), nil
			}
			return DInt(0), nil
		}
	case DDate:
		switch to.Family() {
		case FamTimestamp:
			return DTimestamp(int64(v) * microsPerDay), nil
		case FamTimestampTZ:
			t := v.Time()
			return TimestampTZFromTime(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)), nil
		}
	case DTimestamp:
		switch to.Family() {
		case FamDate:
			return DateFromTime(v.Time()), nil
		case FamTimestampTZ:
			t := v.Time()
			return TimestampTZFromTime(time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)), nil
		}
	case DTimestampTZ:
		switch to.Family() {
		case FamDate:
			return DateFromTime(v.Time(loc)), nil
		case FamTimestamp:
			return TimestampFromTime(v.Time(loc)), nil
		}
	}
	if from.Family() == to.Family() {
		return d, nil
	}
	return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", from.String(), to.String())
}

func fromInt(n int64, to T) (Datum, error) {
	switch to.Family() {
	case FamInt:
		lo, hi := IntRange(to)
		if n < lo || n > hi {
			return nil, ErrIntRange(to)
		}
		return DInt(n), nil
	case FamFloat:
		return DFloat(float64(n)), nil
	case FamNumeric:
		return &DNumeric{*NewDecimal(n, 0)}, nil
	case FamBool:
		return DBool(n != 0), nil
	}
	return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast integer to %s", to.String())
}

func fromFloat(f float64, to T) (Datum, error) {
	switch to.Family() {
	case FamFloat:
		return DFloat(f), nil
	case FamInt:
		r := math.RoundToEven(f)
		lo, hi := IntRange(to)
		if math.IsNaN(r) || r < float64(lo) || r >= -float64(lo) || r > float64(hi)+0.5 {
			return nil, ErrIntRange(to)
		}
		return DInt(int64(r)), nil
	case FamNumeric:
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "cannot convert %s to numeric", FormatFloat(f, false))
		}
		dig := 15 // DBL_DIG significant digits, as PostgreSQL's float8_numeric
		s := formatSig(f, dig)
		dec, err := ParseDecimal(s)
		if err != nil {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value overflows numeric format")
		}
		return &DNumeric{*dec}, nil
	}
	return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast double precision to %s", to.String())
}

func formatSig(f float64, digits int) string {
	s := strconv.FormatFloat(f, 'g', digits, 64)
	d, err := ParseDecimal(s)
	if err != nil {
		return s
	}
	return d.Normalized().String()
}

func fromNumeric(d *DNumeric, to T) (Datum, error) {
	switch to.Family() {
	case FamNumeric:
		return d, nil
	case FamFloat:
		return DFloat(d.Float64()), nil
	case FamInt:
		n, ok := d.Int64()
		lo, hi := IntRange(to)
		if !ok || n < lo || n > hi {
			return nil, ErrIntRange(to)
		}
		return DInt(n), nil
	}
	return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast numeric to %s", to.String())
}
