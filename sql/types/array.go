package types

import (
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Arrays are one-dimensional with lower bound 1, which is what
// applications and drivers use; multi-dimensional values and explicit
// bounds ('[2:3]={1,2}') are rejected with 0A000 rather than half
// supported. An array type is T{OID: the array OID, Typmod: the element
// type's modifier}, as in PostgreSQL (varchar(10)[] keeps the 10).

// ArrayElemsMax bounds the elements of one array value, so a hostile
// literal or array_agg cannot grow without limit.
const ArrayElemsMax = 1 << 20

// FamArray is the family of every array type; the element type is
// t.Elem().
const FamArray Family = 64

// DArray is an array value: its elements in order, NULL elements as
// Null. The element type travels beside it (in the array's T).
type DArray struct{ Elems []Datum }

func (*DArray) isDatum() {}

// Array OIDs (pg_type.typarray in PostgreSQL 15).
const (
	OIDBoolArray        OID = 1000
	OIDByteaArray       OID = 1001
	OIDNameArray        OID = 1003
	OIDInt2Array        OID = 1005
	OIDInt4Array        OID = 1007
	OIDTextArray        OID = 1009
	OIDBpcharArray      OID = 1014
	OIDVarcharArray     OID = 1015
	OIDInt8Array        OID = 1016
	OIDFloat4Array      OID = 1021
	OIDFloat8Array      OID = 1022
	OIDOidArray         OID = 1028
	OIDTimestampArray   OID = 1115
	OIDDateArray        OID = 1182
	OIDTimestampTZArray OID = 1185
	OIDIntervalArray    OID = 1187
	OIDNumericArray     OID = 1231
	OIDUUIDArray        OID = 2951
)

// arrayOf maps an element OID to its array OID; elemOf is the reverse.
var arrayOf = map[OID]OID{
	OIDBool: OIDBoolArray, OIDBytea: OIDByteaArray, OIDName: OIDNameArray,
	OIDInt2: OIDInt2Array, OIDInt4: OIDInt4Array, OIDText: OIDTextArray,
	OIDBpchar: OIDBpcharArray, OIDVarchar: OIDVarcharArray, OIDInt8: OIDInt8Array,
	OIDFloat4: OIDFloat4Array, OIDFloat8: OIDFloat8Array, OIDOid: OIDOidArray,
	OIDTimestamp: OIDTimestampArray, OIDDate: OIDDateArray,
	OIDTimestampTZ: OIDTimestampTZArray, OIDInterval: OIDIntervalArray,
	OIDNumeric: OIDNumericArray, OIDUUID: OIDUUIDArray,
}

var elemOf = map[OID]OID{}

func init() {
	for e, a := range arrayOf { //detlint:ordered each key is written once, in any order
		elemOf[a] = e
		families[a] = FamArray
		shortNames[a] = "_" + shortNames[e]
	}
}

// ArrayOf returns the array type whose elements are of type elem; ok is
// false when PostgreSQL has no such array type here (arrays of arrays,
// unknown, void).
func ArrayOf(elem T) (T, bool) {
	a, ok := arrayOf[elem.OID]
	if !ok {
		return T{}, false
	}
	return T{OID: a, Typmod: elem.Typmod}, true
}

// ArrayOIDOf is pg_type.typarray for an element OID, or 0.
func ArrayOIDOf(elem OID) OID { return arrayOf[elem] }

// IsArray reports whether t is an array type.
func (t T) IsArray() bool {
	_, ok := elemOf[t.OID]
	return ok
}

// Elem is an array type's element type (with the array's modifier);
// Unknown for non-arrays.
func (t T) Elem() T {
	e, ok := elemOf[t.OID]
	if !ok {
		return Unknown
	}
	return T{OID: e, Typmod: t.Typmod}
}

// errArrayMultiDim is the 0A000 for what this implementation leaves out.
func errArrayMultiDim() error {
	return sqlerr.Unsupported("multidimensional arrays and arrays with explicit bounds")
}

func errMalformedArray(s, detail string) error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s).WithDetail("%s", detail)
}

// ParseArray reads PostgreSQL's array text format ('{1,2,NULL}',
// '{"a b","c\"d"}') into an array of type t.
func ParseArray(t T, s string, loc *time.Location) (Datum, error) {
	raw, err := SplitArrayText(s)
	if err != nil {
		return nil, err
	}
	elem := t.Elem()
	out := &DArray{Elems: make([]Datum, len(raw))}
	for i, r := range raw {
		if r == nil {
			out.Elems[i] = Null
			continue
		}
		d, err := Parse(elem, *r, loc)
		if err != nil {
			return nil, err
		}
		out.Elems[i] = d
	}
	return out, nil
}

// SplitArrayText splits a one-dimensional array literal into its element
// texts, nil for NULL. Quoted elements may hold any character, with
// backslash escaping '"' and '\'; unquoted elements are trimmed of
// surrounding white space and may use backslash escapes too.
func SplitArrayText(s string) ([]*string, error) {
	body := strings.TrimSpace(s)
	if strings.HasPrefix(body, "[") {
		return nil, errArrayMultiDim()
	}
	if !strings.HasPrefix(body, "{") {
		return nil, errMalformedArray(s, `Array value must start with "{" or dimension information.`)
	}
	if !strings.HasSuffix(body, "}") || len(body) < 2 {
		return nil, errMalformedArray(s, "Unexpected end of input.")
	}
	body = strings.TrimSpace(body[1 : len(body)-1])
	if body == "" {
		return nil, nil
	}
	var out []*string
	for i := 0; ; {
		if len(out) >= ArrayElemsMax {
			return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", ArrayElemsMax)
		}
		elem, next, err := arrayElemText(s, body, i)
		if err != nil {
			return nil, err
		}
		out = append(out, elem)
		if next == len(body) {
			return out, nil
		}
		i = next + 1 // past the comma
	}
}

// arrayElemText reads the element at body[i:], skipping white space
// around it; next is the index of the following comma or len(body).
func arrayElemText(s, body string, i int) (*string, int, error) {
	for i < len(body) && isArraySpace(body[i]) {
		i++
	}
	var b strings.Builder
	quoted, sawQuote, sawEscape := false, false, false
	trailing := 0 // unquoted trailing spaces, trimmed at the end
	j := i
	for ; j < len(body); j++ {
		c := body[j]
		switch {
		case c == '\\':
			if j+1 >= len(body) {
				return nil, 0, errMalformedArray(s, "Unexpected end of input.")
			}
			j++
			b.WriteByte(body[j])
			sawEscape, trailing = true, 0
			continue
		case c == '"':
			if !quoted && (sawQuote || b.Len() > 0) {
				return nil, 0, errMalformedArray(s, `Unexpected array element.`)
			}
			quoted, sawQuote = !quoted, true
			continue
		case quoted:
			b.WriteByte(c)
			continue
		case c == '{':
			return nil, 0, errArrayMultiDim()
		case c == '}':
			return nil, 0, errMalformedArray(s, `Unexpected "}" character.`)
		case c == ',':
		case isArraySpace(c):
			if b.Len() > 0 || sawQuote {
				b.WriteByte(c)
				trailing++
			}
			continue
		default:
			if sawQuote {
				return nil, 0, errMalformedArray(s, "Unexpected array element.")
			}
			b.WriteByte(c)
			trailing = 0
			continue
		}
		break // the comma
	}
	if quoted {
		return nil, 0, errMalformedArray(s, "Unexpected end of input.")
	}
	text := b.String()
	text = text[:len(text)-trailing]
	if !sawQuote && !sawEscape && text == "" {
		return nil, 0, errMalformedArray(s, `Unexpected "," character.`)
	}
	if !sawQuote && !sawEscape && strings.EqualFold(text, "NULL") {
		return nil, j, nil
	}
	return &text, j, nil
}

func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FormatArray renders an array of type t as PostgreSQL's array_out does.
func FormatArray(t T, a *DArray, loc *time.Location) string {
	elem := t.Elem()
	var b strings.Builder
	b.WriteByte('{')
	for i, d := range a.Elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if IsNull(d) {
			b.WriteString("NULL")
			continue
		}
		writeArrayElem(&b, elemText(elem, d, loc))
	}
	b.WriteByte('}')
	return b.String()
}

func elemText(elem T, d Datum, loc *time.Location) string {
	if v, ok := d.(DBool); ok {
		if v {
			return "t"
		}
		return "f"
	}
	return Format(elem, d, loc)
}

// writeArrayElem quotes an element when it is empty, reads as NULL, or
// holds a character the array syntax gives a meaning to.
func writeArrayElem(b *strings.Builder, s string) {
	needQuote := s == "" || strings.EqualFold(s, "NULL")
	for i := 0; i < len(s) && !needQuote; i++ {
		c := s[i]
		needQuote = c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' || isArraySpace(c)
	}
	if !needQuote {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// CompareArrays orders arrays as PostgreSQL's btree array_cmp: element by
// element, a NULL element after every value and equal to another NULL,
// then the shorter array first.
func CompareArrays(a, b *DArray) int {
	for i := 0; i < len(a.Elems) && i < len(b.Elems); i++ {
		if c := CompareNullable(a.Elems[i], b.Elems[i]); c != 0 {
			return c
		}
	}
	return cmpOrdered(int64(len(a.Elems)), int64(len(b.Elems)))
}

// castArray converts each element of an array to the target's element
// type; from may be an array type or unknown/text (parsed).
func castArray(a *DArray, from, to T, ctx CastContext, loc *time.Location) (Datum, error) {
	fe, te := from.Elem(), to.Elem()
	out := &DArray{Elems: make([]Datum, len(a.Elems))}
	for i, d := range a.Elems {
		v, err := Cast(d, fe, te, ctx, loc)
		if err != nil {
			return nil, err
		}
		out.Elems[i] = v
	}
	return out, nil
}

// applyArrayTypmod applies the element modifier to every element.
func applyArrayTypmod(t T, a *DArray, explicit bool) (Datum, error) {
	if t.Typmod < 0 {
		return a, nil
	}
	elem := t.Elem()
	out := &DArray{Elems: make([]Datum, len(a.Elems))}
	for i, d := range a.Elems {
		v, err := ApplyTypmod(elem, d, explicit)
		if err != nil {
			return nil, err
		}
		out.Elems[i] = v
	}
	return out, nil
}
