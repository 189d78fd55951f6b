package keys

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strings"

	"github.com/lineradb/lineradb/sql/types"
)

// Tags lead every encoded datum; their order is the cross-type order,
// which only matters for NULL (last).
const (
	tagInt      = 0x10
	tagFloat    = 0x12
	tagNumNeg   = 0x14
	tagNumZero  = 0x15
	tagNumPos   = 0x16
	tagBytes    = 0x20
	tagBool     = 0x30
	tagUUID     = 0x40
	tagInterval = 0x42
	tagNumText  = 0x50 // row values only: numeric as text, scale kept
	tagNull     = 0xF0
)

// ErrCorrupt reports bytes that are not a valid encoding.
var ErrCorrupt = errors.New("keys: corrupt encoding")

// EncodeKey appends d's order-preserving encoding to buf.
func EncodeKey(buf []byte, d types.Datum, desc bool) []byte {
	start := len(buf)
	buf = encodeAsc(buf, d)
	if desc {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

func encodeAsc(buf []byte, d types.Datum) []byte {
	switch v := d.(type) {
	case types.DNull, nil:
		return append(buf, tagNull)
	case types.DInt:
		return appendInt(append(buf, tagInt), int64(v))
	case types.DDate:
		return appendInt(append(buf, tagInt), int64(v))
	case types.DTimestamp:
		return appendInt(append(buf, tagInt), int64(v))
	case types.DTimestampTZ:
		return appendInt(append(buf, tagInt), int64(v))
	case types.DFloat:
		return appendFloat(append(buf, tagFloat), float64(v))
	case types.DBool:
		if v {
			return append(buf, tagBool, 1)
		}
		return append(buf, tagBool, 0)
	case types.DString:
		return appendBytes(append(buf, tagBytes), string(v))
	case types.DBytes:
		return appendBytes(append(buf, tagBytes), string(v))
	case types.DUUID:
		return append(append(buf, tagUUID), v[:]...)
	case types.DInterval:
		return appendInterval(append(buf, tagInterval), v)
	case *types.DNumeric:
		return appendDecimal(buf, &v.Decimal)
	}
	panic("keys.EncodeKey: unsupported datum")
}

func appendInt(buf []byte, n int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(n)^(1<<63))
}

func appendFloat(buf []byte, f float64) []byte {
	if f == 0 {
		f = 0 // one encoding for -0 and 0
	}
	if math.IsNaN(f) {
		return binary.BigEndian.AppendUint64(buf, math.MaxUint64) // NaN sorts last
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(buf, u)
}

// appendBytes escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x01, so
// a prefix sorts before its extensions.
func appendBytes(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			buf = append(buf, 0, 0xFF)
			continue
		}
		buf = append(buf, s[i])
	}
	return append(buf, 0, 1)
}

// appendInterval orders by PostgreSQL's 30-day-month length, then keeps
// the fields for decoding.
func appendInterval(buf []byte, iv types.DInterval) []byte {
	span := new(big.Int).SetInt64(int64(iv.Months) * 30)
	span.Add(span, big.NewInt(int64(iv.Days)))
	span.Mul(span, big.NewInt(86_400_000_000))
	span.Add(span, big.NewInt(iv.Micros))
	span.Add(span, new(big.Int).Lsh(big.NewInt(1), 127)) // bias: unsigned order
	var b [16]byte
	span.FillBytes(b[:])
	buf = append(buf, b[:]...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(iv.Months)^(1<<31))
	buf = binary.BigEndian.AppendUint32(buf, uint32(iv.Days)^(1<<31))
	return appendInt(buf, iv.Micros)
}

// appendDecimal writes sign, exponent and digits of 0.d1d2...×10^E; for
// negatives the exponent and digits are inverted so larger magnitudes sort
// first.
func appendDecimal(buf []byte, d *types.Decimal) []byte {
	if d.Sign() == 0 {
		return append(buf, tagNumZero)
	}
	n := d.Normalized()
	digits := new(big.Int).Abs(&n.Coef).String()
	digits = strings.TrimRight(digits, "0")
	exp := int32(len(new(big.Int).Abs(&n.Coef).String())) - n.Scale
	neg := d.Sign() < 0
	tag := byte(tagNumPos)
	if neg {
		tag = tagNumNeg
	}
	buf = append(buf, tag)
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(exp)^(1<<31))
	for i := 0; i < len(digits); i++ {
		buf = append(buf, digits[i]-'0'+1)
	}
	buf = append(buf, 0)
	if neg {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

// DecodeKey decodes one datum of type t from the front of buf.
func DecodeKey(buf []byte, t types.T, desc bool) (types.Datum, []byte, error) {
	if len(buf) == 0 {
		return nil, nil, ErrCorrupt
	}
	if desc {
		inv := make([]byte, len(buf))
		for i := range buf {
			inv[i] = ^buf[i]
		}
		d, rest, err := decodeAsc(inv, t)
		return d, buf[len(buf)-len(rest):], err
	}
	return decodeAsc(buf, t)
}

func decodeAsc(buf []byte, t types.T) (types.Datum, []byte, error) {
	tag, rest := buf[0], buf[1:]
	switch tag {
	case tagNull:
		return types.Null, rest, nil
	case tagInt:
		if len(rest) < 8 {
			return nil, nil, ErrCorrupt
		}
		n := int64(binary.BigEndian.Uint64(rest) ^ (1 << 63))
		return intDatum(t, n), rest[8:], nil
	case tagFloat:
		if len(rest) < 8 {
			return nil, nil, ErrCorrupt
		}
		u := binary.BigEndian.Uint64(rest)
		if u == math.MaxUint64 {
			return types.DFloat(math.NaN()), rest[8:], nil
		}
		if u&(1<<63) != 0 {
			u &^= 1 << 63
		} else {
			u = ^u
		}
		return types.DFloat(math.Float64frombits(u)), rest[8:], nil
	case tagBool:
		if len(rest) < 1 {
			return nil, nil, ErrCorrupt
		}
		return types.DBool(rest[0] == 1), rest[1:], nil
	case tagBytes:
		s, rest, err := decodeBytes(rest)
		if err != nil {
			return nil, nil, err
		}
		if t.Family() == types.FamBytes {
			return types.DBytes(s), rest, nil
		}
		return types.DString(s), rest, nil
	case tagUUID:
		if len(rest) < 16 {
			return nil, nil, ErrCorrupt
		}
		var u types.DUUID
		copy(u[:], rest)
		return u, rest[16:], nil
	case tagInterval:
		if len(rest) < 32 {
			return nil, nil, ErrCorrupt
		}
		iv := types.DInterval{
			Months: int32(binary.BigEndian.Uint32(rest[16:]) ^ (1 << 31)),
			Days:   int32(binary.BigEndian.Uint32(rest[20:]) ^ (1 << 31)),
			Micros: int64(binary.BigEndian.Uint64(rest[24:]) ^ (1 << 63)),
		}
		return iv, rest[32:], nil
	case tagNumText:
		s, rest, err := decodeBytes(rest)
		if err != nil {
			return nil, nil, err
		}
		d, err := types.ParseDecimal(s)
		if err != nil {
			return nil, nil, ErrCorrupt
		}
		return &types.DNumeric{Decimal: *d}, rest, nil
	case tagArray:
		return decodeArray(rest, t)
	case tagNumZero:
		return &types.DNumeric{Decimal: *types.NewDecimal(0, 0)}, rest, nil
	case tagNumPos, tagNumNeg:
		return decodeDecimal(rest, tag == tagNumNeg)
	}
	return nil, nil, ErrCorrupt
}

func intDatum(t types.T, n int64) types.Datum {
	switch t.Family() {
	case types.FamDate:
		return types.DDate(n)
	case types.FamTimestamp:
		return types.DTimestamp(n)
	case types.FamTimestampTZ:
		return types.DTimestampTZ(n)
	}
	return types.DInt(n)
}

func decodeBytes(buf []byte) (string, []byte, error) {
	var out []byte
	for i := 0; i < len(buf); i++ {
		if buf[i] != 0 {
			out = append(out, buf[i])
			continue
		}
		if i+1 >= len(buf) {
			return "", nil, ErrCorrupt
		}
		switch buf[i+1] {
		case 0xFF:
			out = append(out, 0)
			i++
		case 1:
			return string(out), buf[i+2:], nil
		default:
			return "", nil, ErrCorrupt
		}
	}
	return "", nil, ErrCorrupt
}

func decodeDecimal(buf []byte, neg bool) (types.Datum, []byte, error) {
	b := buf
	if neg {
		b = make([]byte, len(buf))
		for i := range buf {
			b[i] = ^buf[i]
		}
	}
	if len(b) < 5 {
		return nil, nil, ErrCorrupt
	}
	exp := int32(binary.BigEndian.Uint32(b) ^ (1 << 31))
	var digits []byte
	i := 4
	for ; i < len(b) && b[i] != 0; i++ {
		if b[i] > 10 {
			return nil, nil, ErrCorrupt
		}
		digits = append(digits, b[i]-1+'0')
	}
	if i >= len(b) || len(digits) == 0 || exp > 1<<20 || exp < -(1<<20) {
		return nil, nil, ErrCorrupt
	}
	d := &types.Decimal{Scale: int32(len(digits)) - exp}
	d.Coef.SetString(string(digits), 10)
	if d.Scale < 0 {
		d.Coef.Mul(&d.Coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Scale)), nil))
		d.Scale = 0
	}
	if neg {
		d.Coef.Neg(&d.Coef)
	}
	return &types.DNumeric{Decimal: *d}, buf[i+1:], nil
}
