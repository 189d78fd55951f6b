package pgwire

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"pgregory.net/rapid"

	"github.com/lineradb/lineradb/sql/types"
)

// binaryCase pairs a Datum with the Go value pgtype encodes to the same
// PostgreSQL binary bytes.
type binaryCase struct {
	t     types.T
	d     types.Datum
	pgval any
}

func binaryCases() []binaryCase {
	num, _ := types.ParseDecimal("-12345.678900")
	small, _ := types.ParseDecimal("0.0001")
	big1, _ := types.ParseDecimal("100000000")
	zero, _ := types.ParseDecimal("0.00")
	day := func(d int) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }
	return []binaryCase{
		{types.Bool, types.DBool(true), true},
		{types.Bool, types.DBool(false), false},
		{types.Int2, types.DInt(-32768), int16(-32768)},
		{types.Int4, types.DInt(2147483647), int32(2147483647)},
		{types.Int8, types.DInt(-9223372036854775808), int64(-9223372036854775808)},
		{types.Float4, types.DFloat(float32(1.5)), float32(1.5)},
		{types.Float8, types.DFloat(-3.25e100), -3.25e100},
		{types.Numeric, &types.DNumeric{Decimal: *num}, pgtype.Numeric{Int: big.NewInt(-12345678900), Exp: -6, Valid: true}},
		{types.Numeric, &types.DNumeric{Decimal: *small}, pgtype.Numeric{Int: big.NewInt(1), Exp: -4, Valid: true}},
		{types.Numeric, &types.DNumeric{Decimal: *big1}, pgtype.Numeric{Int: big.NewInt(100000000), Exp: 0, Valid: true}},
		{types.Numeric, &types.DNumeric{Decimal: *zero}, pgtype.Numeric{Int: big.NewInt(0), Exp: -2, Valid: true}},
		{types.Text, types.DString("héllo"), "héllo"},
		{types.Varchar, types.DString(""), ""},
		{types.Bpchar, types.DString("ab  "), "ab  "},
		{types.Bytea, types.DBytes("\x00\xff\x10"), []byte{0, 255, 16}},
		{types.Date, types.DDate(19000), pgtype.Date{Time: day(19000), Valid: true}},
		{types.Date, types.DDate(-800000), pgtype.Date{Time: day(-800000), Valid: true}},
		{types.Timestamp, types.DTimestamp(1_700_000_000_123_456),
			pgtype.Timestamp{Time: time.UnixMicro(1_700_000_000_123_456).UTC(), Valid: true}},
		{types.TimestampTZ, types.DTimestampTZ(-1_000_001),
			pgtype.Timestamptz{Time: time.UnixMicro(-1_000_001), Valid: true}},
		{types.Interval, types.DInterval{Months: -14, Days: 3, Micros: 4_000_005},
			pgtype.Interval{Months: -14, Days: 3, Microseconds: 4_000_005, Valid: true}},
		{types.UUID, types.DUUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
			pgtype.UUID{Bytes: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Valid: true}},
	}
}

// TestBinaryMatchesPgtype: our encoding is byte-for-byte pgtype's (which
// is PostgreSQL's), and decoding pgtype's bytes gives the Datum back.
func TestBinaryMatchesPgtype(t *testing.T) {
	m := pgtype.NewMap()
	for _, tc := range binaryCases() {
		ours := appendBinary(nil, tc.t, tc.d)
		theirs, err := m.Encode(uint32(tc.t.OID), pgtype.BinaryFormatCode, tc.pgval, nil)
		if err != nil {
			t.Fatalf("%s: pgtype encode: %v", tc.t, err)
		}
		// pgtype keeps trailing zero base-10000 digits that PostgreSQL's
		// numeric_send strips, so numerics are compared by value below.
		if tc.t.OID != types.OIDNumeric && !bytes.Equal(ours, theirs) {
			t.Errorf("%s %v: ours % x, pgtype % x", tc.t, tc.d, ours, theirs)
		}
		for _, b := range [][]byte{ours, theirs} {
			back, e := decodeBinary(tc.t, b)
			if e != nil {
				t.Fatalf("%s: decode: %v", tc.t, e)
			}
			if types.Compare(back, tc.d) != 0 || types.Format(tc.t, back, time.UTC) != types.Format(tc.t, tc.d, time.UTC) {
				t.Errorf("%s: decoded %v, want %v", tc.t, back, tc.d)
			}
		}
	}
}

// TestBinaryNumericProperty round-trips random decimals through our
// encoder, pgtype's decoder, pgtype's encoder and our decoder.
func TestBinaryNumericProperty(t *testing.T) {
	m := pgtype.NewMap()
	rapid.Check(t, func(rt *rapid.T) {
		coef := new(big.Int).SetInt64(rapid.Int64().Draw(rt, "hi"))
		coef.Mul(coef, big.NewInt(rapid.Int64Range(1, 1<<40).Draw(rt, "mul")))
		coef.Add(coef, big.NewInt(rapid.Int64().Draw(rt, "lo")))
		scale := rapid.Int32Range(0, 30).Draw(rt, "scale")
		d := &types.DNumeric{}
		d.Coef.Set(coef)
		d.Scale = scale
		ours := appendBinary(nil, types.Numeric, d)
		var n pgtype.Numeric
		if err := m.Scan(uint32(types.OIDNumeric), pgtype.BinaryFormatCode, ours, &n); err != nil {
			rt.Fatalf("pgtype scan: %v", err)
		}
		want := new(big.Rat).SetFrac(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		got := new(big.Rat).SetInt(n.Int)
		if n.Exp >= 0 {
			got.Mul(got, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil)))
		} else {
			got.Quo(got, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n.Exp)), nil)))
		}
		if got.Cmp(want) != 0 {
			rt.Fatalf("pgtype read %v, want %v", got, want)
		}
		theirs, err := m.Encode(uint32(types.OIDNumeric), pgtype.BinaryFormatCode, n, nil)
		if err != nil {
			rt.Fatal(err)
		}
		back, e := decodeBinary(types.Numeric, theirs)
		if e != nil {
			rt.Fatal(e)
		}
		if bn := back.(*types.DNumeric); bn.Cmp(&d.Decimal) != 0 {
			rt.Fatalf("decoded %s, want %s", bn.String(), d.String())
		}
	})
}

// TestBinaryDecodeRejects: malformed client bytes are errors, not panics.
func TestBinaryDecodeRejects(t *testing.T) {
	cases := []struct {
		t    types.T
		b    []byte
		code string
	}{
		{types.Int4, []byte{1, 2, 3}, "22P03"},
		{types.Int8, nil, "22P03"},
		{types.Bool, []byte{}, "22P03"},
		{types.Float8, []byte{1}, "22P03"},
		{types.Text, []byte{0xff}, "22021"},
		{types.Date, []byte{1, 2}, "22P03"},
		{types.Timestamp, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "22008"},
		{types.Interval, make([]byte, 15), "22P03"},
		{types.UUID, make([]byte, 17), "22P03"},
		{types.Numeric, []byte{0, 1, 0, 0, 0, 0, 0, 0}, "22P03"},             // digit missing
		{types.Numeric, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}, "22P03"}, // digit 10000
		{types.Numeric, []byte{0, 0, 0, 0, 0x12, 0x34, 0, 0}, "22P03"},       // bad sign
		{types.Numeric, []byte{0, 0, 0, 0, 0xC0, 0, 0, 0}, "0A000"},          // NaN
		{types.Numeric, []byte{0, 0, 0x80, 0x00, 0, 0, 0, 0}, "22P03"},       // weight
		{types.Numeric, []byte{0, 0, 0, 0, 0, 0, 0xff, 0xff}, "22P03"},       // dscale
		{types.T{OID: types.OIDRecord, Typmod: -1}, []byte{1}, "0A000"},
	}
	for _, tc := range cases {
		_, e := decodeBinary(tc.t, tc.b)
		if e == nil || e.Code != tc.code {
			t.Errorf("%s % x: got %v, want %s", tc.t, tc.b, e, tc.code)
		}
	}
}
