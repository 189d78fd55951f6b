package types

import (
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// textLenMax bounds any single text value, so a hostile literal cannot
// exhaust memory (PostgreSQL's limit is 1 GB; ours is lower on purpose).
const textLenMax = 64 << 20

// Parse converts PostgreSQL text input into a Datum of type t. loc is the
// session TimeZone for timestamptz input without an explicit zone.
func Parse(t T, s string, loc *time.Location) (Datum, error) {
	if len(s) > textLenMax {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "value too long: %d bytes exceeds the %d-byte limit", len(s), textLenMax)
	}
	invalid := func() error {
		return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", t.String(), s)
	}
	switch t.Family() {
	case FamBool:
		return parseBool(s, invalid)
	case FamInt:
		return parseInt(t, s, invalid)
	case FamFloat:
		return parseFloat(t, s, invalid)
	case FamNumeric:
		d, err := ParseDecimal(s)
		if err != nil {
			if strings.Contains(err.Error(), "overflow") {
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "%s", err.Error())
			}
			return nil, invalid()
		}
		return ApplyTypmod(t, &DNumeric{*d}, true)
	case FamString, FamUnknown:
		// As PostgreSQL's varcharin/bpcharin: input longer than the
		// declared length is an error (22001) unless the excess is
		// spaces. An explicit cast truncates instead: parse with the base
		// type, then ApplyTypmod(t, d, true).
		return ApplyTypmod(t, DString(s), false)
	case FamBytes:
		return parseBytea(s)
	case FamDate:
		d, err := ParseDate(s)
		return d, datetimeErr(err)
	case FamTimestamp:
		d, err := ParseTimestamp(s)
		return d, datetimeErr(err)
	case FamTimestampTZ:
		if loc == nil {
			loc = time.UTC
		}
		d, err := ParseTimestampTZ(s, loc)
		return d, datetimeErr(err)
	case FamInterval:
		d, err := ParseInterval(s)
		if err != nil {
			if strings.Contains(err.Error(), "out of range") {
				return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "%s", err.Error())
			}
			return nil, sqlerr.New(sqlerr.InvalidDatetimeFormat, "%s", err.Error())
		}
		return d, nil
	case FamUUID:
		return parseUUID(s, invalid)
	case FamArray:
		return ParseArray(t, s, loc)
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "input of type %s is not supported", t.String())
}

func datetimeErr(err error) error {
	if err == nil {
		return nil
	}
	var fo fieldOverflow
	if errors.As(err, &fo) {
		return sqlerr.New(sqlerr.DatetimeFieldOverflow, "%s", err.Error())
	}
	return sqlerr.New(sqlerr.InvalidDatetimeFormat, "%s", err.Error())
}

func parseBool(s string, invalid func() error) (Datum, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch {
	case v == "":
	case strings.HasPrefix("true", v), strings.HasPrefix("yes", v), v == "on", v == "1":
		return DBool(true), nil
	case strings.HasPrefix("false", v), strings.HasPrefix("no", v), len(v) >= 2 && strings.HasPrefix("off", v), v == "0":
		return DBool(false), nil
	}
	return nil, invalid()
}

// IntRange returns the bounds of an integer type.
func IntRange(t T) (int64, int64) {
	switch t.OID {
	case OIDInt2:
		return math.MinInt16, math.MaxInt16
	case OIDInt4:
		return math.MinInt32, math.MaxInt32
	case OIDOid:
		return 0, math.MaxUint32
	}
	return math.MinInt64, math.MaxInt64
}

// ErrIntRange is PostgreSQL's "integer out of range" for t.
func ErrIntRange(t T) error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "%s out of range", t.String())
}

func parseInt(t T, s string, invalid func() error) (Datum, error) {
	v := strings.TrimSpace(s)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value %q is out of range for type %s", s, t.String())
		}
		return nil, invalid()
	}
	lo, hi := IntRange(t)
	if n < lo || n > hi {
		return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value %q is out of range for type %s", s, t.String())
	}
	return DInt(n), nil
}

func parseFloat(t T, s string, invalid func() error) (Datum, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "nan":
		return DFloat(math.NaN()), nil
	case "infinity", "inf", "+infinity", "+inf":
		return DFloat(math.Inf(1)), nil
	case "-infinity", "-inf":
		return DFloat(math.Inf(-1)), nil
	}
	bits := 64
	if t.OID == OIDFloat4 {
		bits = 32
	}
	f, err := strconv.ParseFloat(v, bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "%q is out of range for type %s", s, t.String())
		}
		return nil, invalid()
	}
	return DFloat(f), nil
}

func parseBytea(s string) (Datum, error) {
	if strings.HasPrefix(s, `\x`) {
		h := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\t' {
				return -1
			}
			return r
		}, s[2:])
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid hexadecimal data")
		}
		return DBytes(b), nil
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return DBytes(out), nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func parseUUID(s string, invalid func() error) (Datum, error) {
	v := strings.TrimSpace(s)
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		v = v[1 : len(v)-1]
	}
	v = strings.ReplaceAll(v, "-", "")
	if len(v) != 32 {
		return nil, invalid()
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, invalid()
	}
	var u DUUID
	copy(u[:], b)
	return u, nil
}

// ApplyTypmod coerces a value to t's modifier: varchar(n)/char(n) length
// (explicit casts truncate, assignments error unless only spaces are cut),
// char padding, numeric(p,s) rounding and precision.
func ApplyTypmod(t T, d Datum, explicit bool) (Datum, error) {
	switch v := d.(type) {
	case *DArray:
		return applyArrayTypmod(t, v, explicit)
	case DString:
		return applyCharTypmod(t, v, explicit)
	case *DNumeric:
		p, s := t.NumericPrecScale()
		if p < 0 {
			return v, nil
		}
		r := v.Round(int32(s))
		if r.IntDigits() > p-s {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "numeric field overflow").
				WithDetail("A field with precision %d, scale %d must round to an absolute value less than %s.", p, s, tenPow(p-s))
		}
		return &DNumeric{*r}, nil
	case DFloat:
		if t.OID == OIDFloat4 {
			f32 := float32(v)
			if math.IsInf(float64(f32), 0) && !math.IsInf(float64(v), 0) {
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			return DFloat(f32), nil
		}
	}
	return d, nil
}

func tenPow(n int) string {
	if n <= 0 {
		return "1"
	}
	return "10^" + strconv.Itoa(n)
}

func applyCharTypmod(t T, v DString, explicit bool) (Datum, error) {
	n := t.CharLen()
	if n < 0 {
		return v, nil
	}
	runes := []rune(string(v))
	if len(runes) > n {
		if !explicit && strings.TrimRight(string(runes[n:]), " ") != "" {
			return nil, sqlerr.New(sqlerr.StringDataRightTruncation, "value too long for type %s", t.String())
		}
		runes = runes[:n]
	}
	if t.OID == OIDBpchar && len(runes) < n {
		return DString(string(runes) + strings.Repeat(" ", n-len(runes))), nil
	}
	return DString(string(runes)), nil
}
