package pgwire

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// PostgreSQL's binary formats (the typsend/typrecv functions), for every
// type LineraDB supports. Decoding is of client bytes, so every length and
// value is checked and reported as 22P03, never trusted.

const (
	// pgEpochDays is 2000-01-01 in days since 1970-01-01: binary dates
	// count from PostgreSQL's epoch, LineraDB's Datums from Unix's.
	pgEpochDays = 10957
	// pgEpochMicros is the same instant in microseconds.
	pgEpochMicros = pgEpochDays * 86400 * 1_000_000

	numericPos       = 0x0000
	numericNeg       = 0x4000
	numericNaN       = 0xC000
	numericBase      = 10000
	numericDScaleMax = 0x3FFF
	// numericWeightMax and numericWeightMin bound the exponent a client may
	// send (PostgreSQL's numeric spans 131072 digits before the point and
	// 16383 after).
	numericWeightMax = 131072 / 4
	numericWeightMin = -(numericDScaleMax/4 + 2)
)

// appendBinary appends d's binary form for type t.
func appendBinary(buf []byte, t types.T, d types.Datum) []byte {
	switch v := d.(type) {
	case types.DBool:
		if v {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.DInt:
		return appendBinaryInt(buf, t, int64(v))
	case types.DFloat:
		if t.OID == types.OIDFloat4 {
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		}
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(float64(v)))
	case *types.DNumeric:
		return appendBinaryNumeric(buf, &v.Decimal)
	case types.DString:
		return append(buf, v...)
	case types.DBytes:
		return append(buf, v...)
	case types.DDate:
		return binary.BigEndian.AppendUint32(buf, uint32(int32(v)-pgEpochDays))
	case types.DTimestamp:
		return binary.BigEndian.AppendUint64(buf, uint64(int64(v)-pgEpochMicros))
	case types.DTimestampTZ:
		return binary.BigEndian.AppendUint64(buf, uint64(int64(v)-pgEpochMicros))
	case types.DInterval:
		buf = binary.BigEndian.AppendUint64(buf, uint64(v.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(v.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(v.Months))
	case types.DUUID:
		return append(buf, v[:]...)
	case *types.DArray:
		return appendBinaryArray(buf, t, v)
	}
	panic(fmt.Sprintf("pgwire: no binary encoding for datum %T of type %s", d, t))
}

func appendBinaryInt(buf []byte, t types.T, v int64) []byte {
	switch t.OID {
	case types.OIDInt2:
		return binary.BigEndian.AppendUint16(buf, uint16(int16(v)))
	case types.OIDInt4, types.OIDOid:
		return binary.BigEndian.AppendUint32(buf, uint32(int32(v)))
	}
	return binary.BigEndian.AppendUint64(buf, uint64(v))
}

// appendBinaryNumeric writes numeric_send's form: ndigits, weight, sign,
// dscale (int16 each), then base-10000 digits, most significant first,
// without leading or trailing zero digits.
func appendBinaryNumeric(buf []byte, d *types.Decimal) []byte {
	scale := int(d.Scale)
	coef := new(big.Int).Abs(&d.Coef)
	if scale < 0 {
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	digits := coef.String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-scale], digits[len(digits)-scale:]
	intPart = strings.Repeat("0", (4-len(intPart)%4)%4) + intPart
	frac += strings.Repeat("0", (4-len(frac)%4)%4)
	all := intPart + frac
	groups := make([]int16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		g := 0
		for _, ch := range all[i : i+4] {
			g = g*10 + int(ch-'0')
		}
		groups = append(groups, int16(g))
	}
	weight := len(intPart)/4 - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	sign := uint16(numericPos)
	if d.Coef.Sign() < 0 {
		sign = numericNeg
	}
	if len(groups) == 0 {
		weight = 0
		sign = numericPos
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(groups)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, uint16(g))
	}
	return buf
}

// errBinary is the 22P03 a malformed binary value gets.
func errBinary(t types.T, why string) *sqlerr.Error {
	return sqlerr.New(codeInvalidBinaryRepresentation,
		"incorrect binary data format for type %s: %s", t.String(), why)
}

// decodeBinary parses a client's binary value of type t.
func decodeBinary(t types.T, b []byte) (types.Datum, *sqlerr.Error) {
	switch t.Family() {
	case types.FamBool:
		if len(b) != 1 {
			return nil, errBinary(t, "length must be 1")
		}
		return types.DBool(b[0] != 0), nil
	case types.FamInt:
		return decodeBinaryInt(t, b)
	case types.FamFloat:
		return decodeBinaryFloat(t, b)
	case types.FamNumeric:
		return decodeBinaryNumeric(t, b)
	case types.FamString, types.FamUnknown:
		if t.Family() == types.FamUnknown && t.OID != types.OIDUnknown && t.OID != 0 {
			break
		}
		if !utf8.Valid(b) {
			return nil, errInvalidUTF8(b)
		}
		return types.DString(b), nil
	case types.FamBytes:
		return types.DBytes(b), nil
	case types.FamDate:
		if len(b) != 4 {
			return nil, errBinary(t, "length must be 4")
		}
		return types.DDate(int64(int32(binary.BigEndian.Uint32(b))) + pgEpochDays), nil
	case types.FamTimestamp, types.FamTimestampTZ:
		return decodeBinaryTimestamp(t, b)
	case types.FamInterval:
		if len(b) != 16 {
			return nil, errBinary(t, "length must be 16")
		}
		return types.DInterval{Micros: int64(binary.BigEndian.Uint64(b)),
			Days: int32(binary.BigEndian.Uint32(b[8:])), Months: int32(binary.BigEndian.Uint32(b[12:]))}, nil
	case types.FamUUID:
		if len(b) != 16 {
			return nil, errBinary(t, "length must be 16")
		}
		return types.DUUID(b), nil
	case types.FamArray:
		return decodeBinaryArray(t, b)
	}
	return nil, sqlerr.Unsupported("binary format for type " + t.String())
}

func decodeBinaryInt(t types.T, b []byte) (types.Datum, *sqlerr.Error) {
	switch {
	case t.OID == types.OIDInt2 && len(b) == 2:
		return types.DInt(int16(binary.BigEndian.Uint16(b))), nil
	case (t.OID == types.OIDInt4 && len(b) == 4):
		return types.DInt(int32(binary.BigEndian.Uint32(b))), nil
	case t.OID == types.OIDOid && len(b) == 4:
		return types.DInt(binary.BigEndian.Uint32(b)), nil
	case t.OID == types.OIDInt8 && len(b) == 8:
		return types.DInt(int64(binary.BigEndian.Uint64(b))), nil
	}
	return nil, errBinary(t, "wrong length")
}

func decodeBinaryFloat(t types.T, b []byte) (types.Datum, *sqlerr.Error) {
	if t.OID == types.OIDFloat4 && len(b) == 4 {
		return types.DFloat(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	}
	if t.OID == types.OIDFloat8 && len(b) == 8 {
		return types.DFloat(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
	}
	return nil, errBinary(t, "wrong length")
}

// timestampMicrosMax keeps decoded timestamps within PostgreSQL's range
// (4714 BC .. 294276 AD), so later arithmetic cannot overflow.
const (
	timestampMicrosMin = -211813488000000000
	timestampMicrosMax = 9223371331200000000
)

func decodeBinaryTimestamp(t types.T, b []byte) (types.Datum, *sqlerr.Error) {
	if len(b) != 8 {
		return nil, errBinary(t, "length must be 8")
	}
	v := int64(binary.BigEndian.Uint64(b))
	if v < timestampMicrosMin || v > timestampMicrosMax {
		return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range")
	}
	if t.Family() == types.FamTimestampTZ {
		return types.DTimestampTZ(v + pgEpochMicros), nil
	}
	return types.DTimestamp(v + pgEpochMicros), nil
}

// decodeBinaryNumeric parses numeric_send's form (see appendBinaryNumeric).
func decodeBinaryNumeric(t types.T, b []byte) (types.Datum, *sqlerr.Error) {
	if len(b) < 8 {
		return nil, errBinary(t, "insufficient data")
	}
	n := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	switch {
	case len(b) != 8+2*n:
		return nil, errBinary(t, "wrong length")
	case sign == numericNaN:
		return nil, sqlerr.Unsupported("numeric NaN")
	case sign != numericPos && sign != numericNeg:
		return nil, errBinary(t, "invalid sign")
	case dscale > numericDScaleMax:
		return nil, errBinary(t, "invalid scale")
	case weight > numericWeightMax || weight < numericWeightMin:
		return nil, errBinary(t, "weight out of range")
	}
	coef := new(big.Int)
	base := big.NewInt(numericBase)
	for i := range n {
		g := binary.BigEndian.Uint16(b[8+2*i:])
		if g >= numericBase {
			return nil, errBinary(t, "invalid digit")
		}
		coef.Mul(coef, base)
		coef.Add(coef, big.NewInt(int64(g)))
	}
	// The value is coef × 10000^(weight-n+1); express it with dscale
	// decimal places, rounding away digits beyond it as numeric_recv does.
	exp10 := 4 * (weight - n + 1)
	d := &types.DNumeric{}
	d.Coef.Set(coef)
	if exp10 >= 0 {
		d.Coef.Mul(&d.Coef, pow10(exp10+dscale))
		d.Scale = int32(dscale)
	} else {
		d.Scale = int32(-exp10)
		if d.Scale != int32(dscale) {
			d.Decimal = *d.Decimal.Round(int32(dscale))
		}
	}
	if sign == numericNeg {
		d.Coef.Neg(&d.Coef)
	}
	return d, nil
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
