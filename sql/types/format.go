package types

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
)

// Format renders d in PostgreSQL's text output format for type t; loc is
// the session's TimeZone (for timestamptz). NULL has no text form: callers
// check IsNull first; Format returns "" for it.
func Format(t T, d Datum, loc *time.Location) string {
	switch v := d.(type) {
	case DNull:
		return ""
	case DBool:
		if v {
			return "t"
		}
		return "f"
	case DInt:
		return strconv.FormatInt(int64(v), 10)
	case DFloat:
		return FormatFloat(float64(v), t.OID == OIDFloat4)
	case *DNumeric:
		return v.String()
	case DString:
		return string(v)
	case DBytes:
		return `\x` + hex.EncodeToString([]byte(v))
	case DDate:
		return FormatDate(v)
	case DTimestamp:
		return FormatTimestamp(v)
	case DTimestampTZ:
		if loc == nil {
			loc = time.UTC
		}
		return FormatTimestampTZ(v, loc)
	case DInterval:
		return FormatInterval(v)
	case DUUID:
		return FormatUUID(v)
	case *DArray:
		return FormatArray(t, v, loc)
	}
	return ""
}

// FormatFloat prints the shortest text that reads back as the same value,
// switching to exponent form outside [1e-4, 1e15) (1e6 for real), as
// PostgreSQL 12+ does with extra_float_digits = 1.
func FormatFloat(f float64, single bool) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	bits, digitsMax := 64, 15
	if single {
		bits, digitsMax = 32, 6
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp < -4 || exp >= digitsMax {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		return mant + "e" + sign + es
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// FormatUUID prints the canonical 8-4-4-4-12 lower-case form.
func FormatUUID(u DUUID) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
