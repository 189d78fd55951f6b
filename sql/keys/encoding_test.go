package keys

import (
	"bytes"
	"math"
	"testing"

	"github.com/lineradb/lineradb/sql/types"
	"pgregory.net/rapid"
)

// gen draws a datum of type t (never NULL unless nullable).
func gen(t types.T) *rapid.Generator[types.Datum] {
	return rapid.Custom(func(r *rapid.T) types.Datum {
		switch t.Family() {
		case types.FamInt:
			return types.DInt(rapid.Int64().Draw(r, "i"))
		case types.FamFloat:
			switch rapid.IntRange(0, 9).Draw(r, "special") {
			case 0:
				return types.DFloat(math.Inf(rapid.SampledFrom([]int{-1, 1}).Draw(r, "sign")))
			case 1:
				return types.DFloat(math.NaN())
			}
			return types.DFloat(rapid.Float64().Draw(r, "f") * float64(rapid.SampledFrom([]int{-1, 1}).Draw(r, "s")))
		case types.FamNumeric:
			d := types.NewDecimal(rapid.Int64Range(-1e15, 1e15).Draw(r, "coef"), int32(rapid.IntRange(0, 20).Draw(r, "scale")))
			return &types.DNumeric{Decimal: *d}
		case types.FamString:
			return types.DString(rapid.StringOfN(rapid.RuneFrom([]rune{0, 1, 'a', 'b', 0xFF, 'é'}), 0, 8, -1).Draw(r, "s"))
		case types.FamBytes:
			return types.DBytes(rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(r, "b"))
		case types.FamBool:
			return types.DBool(rapid.Bool().Draw(r, "b"))
		case types.FamDate:
			return types.DDate(rapid.Int32().Draw(r, "d"))
		case types.FamTimestamp:
			return types.DTimestamp(rapid.Int64().Draw(r, "ts"))
		case types.FamUUID:
			var u types.DUUID
			copy(u[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(r, "u"))
			return u
		case types.FamInterval:
			return types.DInterval{Months: rapid.Int32Range(-1e6, 1e6).Draw(r, "mo"),
				Days: rapid.Int32Range(-1e6, 1e6).Draw(r, "d"), Micros: rapid.Int64Range(-1e15, 1e15).Draw(r, "us")}
		}
		panic("no generator")
	})
}

var keyTypes = []types.T{types.Int8, types.Float8, types.Numeric, types.Text, types.Bytea,
	types.Bool, types.Date, types.Timestamp, types.UUID, types.Interval}

// TestKeyOrderPreserved: encode(a) < encode(b) ⇔ a < b, NULL last, and the
// opposite for descending keys.
func TestKeyOrderPreserved(t *testing.T) {
	for _, typ := range keyTypes {
		t.Run(typ.TypName(), func(t *testing.T) {
			rapid.Check(t, func(r *rapid.T) {
				a, b := gen(typ).Draw(r, "a"), gen(typ).Draw(r, "b")
				if rapid.IntRange(0, 9).Draw(r, "nullA") == 0 {
					a = types.Null
				}
				want := types.CompareNullable(a, b)
				if typ.Family() == types.FamInterval && want == 0 && a != b {
					return // equal length, different fields: ordered by fields
				}
				if got := sign(bytes.Compare(EncodeKey(nil, a, false), EncodeKey(nil, b, false))); got != want {
					r.Fatalf("asc: compare(%v, %v) = %d, encoded %d", a, b, want, got)
				}
				if got := sign(bytes.Compare(EncodeKey(nil, a, true), EncodeKey(nil, b, true))); got != -want {
					r.Fatalf("desc: compare(%v, %v) = %d, encoded %d", a, b, want, got)
				}
			})
		})
	}
}

// TestKeyRoundTrip: decode(encode(x)) == x, with a trailing suffix left
// untouched.
func TestKeyRoundTrip(t *testing.T) {
	for _, typ := range keyTypes {
		t.Run(typ.TypName(), func(t *testing.T) {
			rapid.Check(t, func(r *rapid.T) {
				x := gen(typ).Draw(r, "x")
				desc := rapid.Bool().Draw(r, "desc")
				enc := EncodeKey(nil, x, desc)
				got, rest, err := DecodeKey(append(enc, 0xAB), typ, desc)
				if err != nil || len(rest) != 1 || rest[0] != 0xAB {
					r.Fatalf("decode %v: err %v rest %x", x, err, rest)
				}
				if types.CompareNullable(got, x) != 0 {
					r.Fatalf("round trip %v -> %v", x, got)
				}
			})
		})
	}
}

func TestRowRoundTripKeepsNumericScale(t *testing.T) {
	d, _ := types.ParseDecimal("1.50")
	row := types.Row{types.DInt(7), types.Null, &types.DNumeric{Decimal: *d}, types.DString("x\x00y")}
	ids := []uint32{1, 2, 3, 4}
	ts := []types.T{types.Int4, types.Text, types.Numeric, types.Text}
	got, err := DecodeRow(EncodeRow(ids, row), ids, ts)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != types.DInt(7) || !types.IsNull(got[1]) || got[2].(*types.DNumeric).String() != "1.50" || got[3] != types.DString("x\x00y") {
		t.Fatalf("row round trip: %v", got)
	}
}

// TestDecodeRejectsCorruptBytes: truncated or garbage encodings are
// errors, never panics.
func TestDecodeRejectsCorruptBytes(t *testing.T) {
	rapid.Check(t, func(r *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(r, "b")
		typ := rapid.SampledFrom(keyTypes).Draw(r, "t")
		_, _, _ = DecodeKey(b, typ, rapid.Bool().Draw(r, "desc"))
		_, _ = DecodeRow(b, []uint32{1, 2}, []types.T{typ, types.Text})
	})
	for _, b := range [][]byte{{}, {tagInt, 1}, {tagBytes, 'a'}, {tagBytes, 0, 7}, {0x99}} {
		if _, _, err := DecodeKey(b, types.Int8, false); err == nil {
			t.Errorf("DecodeKey(%x) accepted corrupt bytes", b)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestRowArrayRoundTrip(t *testing.T) {
	it, _ := types.ArrayOf(types.Int4)
	nt, _ := types.ArrayOf(types.Numeric)
	st, _ := types.ArrayOf(types.Text)
	ia, _ := types.Parse(it, "{1,NULL,-3}", nil)
	na, _ := types.Parse(nt, "{1.50,NULL}", nil)
	sa, _ := types.Parse(st, `{"",a,"b,c"}`, nil)
	row := types.Row{ia, na, sa, &types.DArray{}}
	ts := []types.T{it, nt, st, it}
	buf := EncodeRow([]uint32{1, 2, 3, 4}, row)
	got, err := DecodeRow(buf, []uint32{1, 2, 3, 4}, ts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range row {
		if a, b := types.Format(ts[i], row[i], nil), types.Format(ts[i], got[i], nil); a != b {
			t.Errorf("column %d: %s != %s", i, a, b)
		}
	}
	// A dropped array column is skipped.
	if got, err := DecodeRow(buf, []uint32{3}, []types.T{st}); err != nil || types.Format(st, got[0], nil) != `{"",a,"b,c"}` {
		t.Fatalf("skipping arrays: %v %v", got, err)
	}
	// A corrupt length must be an error, not a panic or a huge allocation.
	bad := append([]byte{}, buf...)
	bad[1] = tagArray
	bad = append(bad[:2], 0xff, 0xff, 0xff, 0x7f)
	if _, err := DecodeRow(bad, []uint32{1}, []types.T{it}); err == nil {
		t.Fatal("corrupt array length accepted")
	}
}
