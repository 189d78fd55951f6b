package types

import (
	"testing"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

func TestArrayTextRoundTrip(t *testing.T) {
	cases := []struct {
		t        T
		in, want string
	}{
		{T{OIDInt4Array, -1}, "{1,2,NULL}", "{1,2,NULL}"},
		{T{OIDInt4Array, -1}, " { 1 , 2 } ", "{1,2}"},
		{T{OIDInt4Array, -1}, "{}", "{}"},
		{T{OIDTextArray, -1}, `{a,"b c","",NULL,"NULL","q\"x","back\\slash","{}",",", a b }`, `{a,"b c","",NULL,"NULL","q\"x","back\\slash","{}",",","a b"}`},
		{T{OIDTextArray, -1}, `{nuLL,\N}`, `{NULL,N}`},
		{T{OIDBoolArray, -1}, "{t,false,yes}", "{t,f,t}"},
		{T{OIDFloat8Array, -1}, "{1.5,NaN,-Infinity}", "{1.5,NaN,-Infinity}"},
		{T{OIDNumericArray, -1}, "{1.50,-2}", "{1.50,-2}"},
		{T{OIDByteaArray, -1}, `{"\\x0102"}`, `{"\\x0102"}`},
		{T{OIDDateArray, -1}, "{2024-01-02}", "{2024-01-02}"},
		{T{OIDTimestampArray, -1}, `{"2024-01-02 03:04:05"}`, `{"2024-01-02 03:04:05"}`},
		{T{OIDUUIDArray, -1}, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"},
	}
	for _, c := range cases {
		d, err := Parse(c.t, c.in, nil)
		if err != nil {
			t.Fatalf("Parse(%s, %q): %v", c.t, c.in, err)
		}
		if got := Format(c.t, d, nil); got != c.want {
			t.Errorf("Format(Parse(%s, %q)) = %q, want %q", c.t, c.in, got, c.want)
		}
		again, err := Parse(c.t, c.want, nil)
		if err != nil || Compare(d, again) != 0 {
			t.Errorf("%q does not read back: %v", c.want, err)
		}
	}
}

func TestArrayTextRejects(t *testing.T) {
	cases := []struct {
		in, code string
	}{
		{"1,2", sqlerr.InvalidTextRepresentation},
		{"{1,2", sqlerr.InvalidTextRepresentation},
		{"{1,,2}", sqlerr.InvalidTextRepresentation},
		{"{1,}", sqlerr.InvalidTextRepresentation},
		{`{"a}`, sqlerr.InvalidTextRepresentation},
		{`{"a"b}`, sqlerr.InvalidTextRepresentation},
		{`{a}}`, sqlerr.InvalidTextRepresentation},
		{"{x}", sqlerr.InvalidTextRepresentation}, // not an int4
		{"{{1,2},{3,4}}", sqlerr.FeatureNotSupported},
		{"[2:3]={1,2}", sqlerr.FeatureNotSupported},
	}
	for _, c := range cases {
		_, err := Parse(T{OIDInt4Array, -1}, c.in, nil)
		e, ok := err.(*sqlerr.Error)
		if !ok || e.Code != c.code {
			t.Errorf("Parse(int4[], %q) = %v, want SQLSTATE %s", c.in, err, c.code)
		}
	}
}

func TestArrayTypes(t *testing.T) {
	vc, _ := WithTypmod(Varchar, []int64{10})
	a, ok := ArrayOf(vc)
	if !ok || a.OID != OIDVarcharArray || a.String() != "character varying(10)[]" || a.TypName() != "_varchar" {
		t.Fatalf("ArrayOf(varchar(10)) = %v %q %q", a, a.String(), a.TypName())
	}
	if a.Elem() != vc || a.Family() != FamArray || !a.IsArray() || vc.IsArray() {
		t.Fatalf("Elem/Family wrong for %v", a)
	}
	if _, ok := ArrayOf(a); ok {
		t.Fatal("arrays of arrays must not exist")
	}
	ia, _ := ArrayOf(Int4)
	ba, _ := ArrayOf(Int8)
	d, _ := Parse(ia, "{1,NULL,3}", nil)
	v, err := Cast(d, ia, ba, CastImplicit, nil)
	if err != nil || Format(ba, v, nil) != "{1,NULL,3}" {
		t.Fatalf("int4[] -> int8[]: %v %v", v, err)
	}
	if _, err := Cast(&DArray{Elems: []Datum{DInt(1 << 40)}}, ba, ia, CastAssignment, nil); err == nil {
		t.Fatal("int8[] -> int4[] must check each element's range")
	}
	x, _ := Parse(ia, "{1,2}", nil)
	y, _ := Parse(ia, "{1,2,3}", nil)
	z, _ := Parse(ia, "{1,NULL}", nil)
	if Compare(x, y) >= 0 || Compare(y, z) >= 0 || Compare(x, x) != 0 {
		t.Fatal("array order is element-wise, NULL last, shorter first")
	}
	if HashKey(x) == HashKey(y) || HashKey(x) != HashKey(&DArray{Elems: []Datum{DInt(1), DInt(2)}}) {
		t.Fatal("HashKey must separate different arrays and match equal ones")
	}
}
