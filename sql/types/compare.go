package types

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Compare orders two non-NULL datums of the same family: -1, 0 or 1.
// Floats order NaN above everything and equal to itself, as PostgreSQL
// does. Mismatched families panic: the compiler inserts casts first.
func Compare(a, b Datum) int {
	switch x := a.(type) {
	case DBool:
		y := b.(DBool)
		switch {
		case x == y:
			return 0
		case !bool(x):
			return -1
		}
		return 1
	case DInt:
		return cmpOrdered(x, b.(DInt))
	case DFloat:
		return CompareFloat(float64(x), float64(b.(DFloat)))
	case *DNumeric:
		return x.Cmp(&b.(*DNumeric).Decimal)
	case DString:
		return strings.Compare(string(x), string(b.(DString)))
	case DBytes:
		return strings.Compare(string(x), string(b.(DBytes)))
	case DDate:
		return cmpOrdered(x, b.(DDate))
	case DTimestamp:
		return cmpOrdered(x, b.(DTimestamp))
	case DTimestampTZ:
		return cmpOrdered(x, b.(DTimestampTZ))
	case DInterval:
		y := b.(DInterval)
		return CompareFloat(IntervalMicros(x), IntervalMicros(y))
	case DUUID:
		y := b.(DUUID)
		return bytes.Compare(x[:], y[:])
	case *DArray:
		return CompareArrays(x, b.(*DArray))
	}
	panic("types.Compare: unsupported datum")
}

func cmpOrdered[X ~int64 | ~int32](a, b X) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareFloat orders floats with NaN largest.
func CompareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareNullable orders datums with NULL after every value (PostgreSQL's
// default for ascending order).
func CompareNullable(a, b Datum) int {
	an, bn := IsNull(a), IsNull(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return Compare(a, b)
}

// HashKey renders a datum to a string that is equal for equal values,
// for hash joins, grouping and DISTINCT.
func HashKey(d Datum) string {
	switch v := d.(type) {
	case DNull:
		return "\x00N"
	case *DNumeric:
		return "n" + v.Normalized().String()
	case DFloat:
		f := float64(v)
		if f == 0 {
			f = 0 // -0 and 0 group together
		}
		if math.IsNaN(f) {
			return "fNaN"
		}
		return "f" + strconv.FormatFloat(f, 'g', -1, 64)
	case DInterval:
		return "i" + strconv.FormatFloat(IntervalMicros(v), 'g', -1, 64)
	case DString:
		return "s" + string(v)
	case DBytes:
		return "b" + string(v)
	case DUUID:
		return "u" + string(v[:])
	case DBool:
		if v {
			return "t"
		}
		return "F"
	case DInt:
		return "d" + strconv.FormatInt(int64(v), 10)
	case DDate:
		return "D" + strconv.FormatInt(int64(v), 10)
	case DTimestamp:
		return "T" + strconv.FormatInt(int64(v), 10)
	case DTimestampTZ:
		return "Z" + strconv.FormatInt(int64(v), 10)
	case *DArray:
		return "A" + RowHashKey(Row(v.Elems))
	}
	return "?"
}

// RowHashKey concatenates HashKeys with an unambiguous separator.
func RowHashKey(r Row) string {
	var b strings.Builder
	for _, d := range r {
		k := HashKey(d)
		b.WriteString(strconv.Itoa(len(k)))
		b.WriteByte(':')
		b.WriteString(k)
	}
	return b.String()
}
