package types

import (
	"fmt"
	"strings"
)

// OID is a PostgreSQL type OID, as sent in RowDescription.
type OID uint32

// The type OIDs LineraDB knows (pg_type.oid in PostgreSQL 15).
const (
	OIDUnknown     OID = 705
	OIDBool        OID = 16
	OIDBytea       OID = 17
	OIDName        OID = 19
	OIDInt8        OID = 20
	OIDInt2        OID = 21
	OIDInt4        OID = 23
	OIDText        OID = 25
	OIDOid         OID = 26
	OIDFloat4      OID = 700
	OIDFloat8      OID = 701
	OIDBpchar      OID = 1042
	OIDVarchar     OID = 1043
	OIDDate        OID = 1082
	OIDTimestamp   OID = 1114
	OIDTimestampTZ OID = 1184
	OIDInterval    OID = 1186
	OIDNumeric     OID = 1700
	OIDUUID        OID = 2950
	OIDVoid        OID = 2278
	OIDRecord      OID = 2249
)

// Family groups types that share a Datum representation.
type Family uint8

// Families.
const (
	FamUnknown Family = iota
	FamBool
	FamInt
	FamFloat
	FamNumeric
	FamString
	FamBytes
	FamDate
	FamTimestamp
	FamTimestampTZ
	FamInterval
	FamUUID
	FamVoid
)

// T is a SQL type: an OID plus PostgreSQL's type modifier (-1 if none;
// varchar(n)/char(n): n+4; numeric(p,s): ((p<<16)|s)+4).
type T struct {
	OID    OID
	Typmod int32
}

// Common types without modifiers.
var (
	Unknown     = T{OIDUnknown, -1}
	Bool        = T{OIDBool, -1}
	Bytea       = T{OIDBytea, -1}
	Int2        = T{OIDInt2, -1}
	Int4        = T{OIDInt4, -1}
	Int8        = T{OIDInt8, -1}
	Float4      = T{OIDFloat4, -1}
	Float8      = T{OIDFloat8, -1}
	Numeric     = T{OIDNumeric, -1}
	Text        = T{OIDText, -1}
	Varchar     = T{OIDVarchar, -1}
	Bpchar      = T{OIDBpchar, -1}
	Name        = T{OIDName, -1}
	Oid         = T{OIDOid, -1}
	Date        = T{OIDDate, -1}
	Timestamp   = T{OIDTimestamp, -1}
	TimestampTZ = T{OIDTimestampTZ, -1}
	Interval    = T{OIDInterval, -1}
	UUID        = T{OIDUUID, -1}
	Void        = T{OIDVoid, -1}
)

var families = map[OID]Family{
	OIDUnknown: FamUnknown, OIDBool: FamBool, OIDBytea: FamBytes, OIDName: FamString,
	OIDInt8: FamInt, OIDInt2: FamInt, OIDInt4: FamInt, OIDOid: FamInt, OIDText: FamString,
	OIDFloat4: FamFloat, OIDFloat8: FamFloat, OIDBpchar: FamString, OIDVarchar: FamString,
	OIDDate: FamDate, OIDTimestamp: FamTimestamp, OIDTimestampTZ: FamTimestampTZ,
	OIDInterval: FamInterval, OIDNumeric: FamNumeric, OIDUUID: FamUUID, OIDVoid: FamVoid,
}

// Family returns t's family.
func (t T) Family() Family { return families[t.OID] }

// Is reports whether t has the given OID, whatever its modifier.
func (t T) Is(o OID) bool { return t.OID == o }

// names are the canonical names format_type prints.
var names = map[OID]string{
	OIDUnknown: "unknown", OIDBool: "boolean", OIDBytea: "bytea", OIDName: "name",
	OIDInt8: "bigint", OIDInt2: "smallint", OIDInt4: "integer", OIDOid: "oid", OIDText: "text",
	OIDFloat4: "real", OIDFloat8: "double precision", OIDBpchar: "character",
	OIDVarchar: "character varying", OIDDate: "date", OIDTimestamp: "timestamp without time zone",
	OIDTimestampTZ: "timestamp with time zone", OIDInterval: "interval", OIDNumeric: "numeric",
	OIDUUID: "uuid", OIDVoid: "void", OIDRecord: "record",
}

// shortNames are pg_type.typname, used for column names of casts.
var shortNames = map[OID]string{
	OIDUnknown: "unknown", OIDBool: "bool", OIDBytea: "bytea", OIDName: "name",
	OIDInt8: "int8", OIDInt2: "int2", OIDInt4: "int4", OIDOid: "oid", OIDText: "text",
	OIDFloat4: "float4", OIDFloat8: "float8", OIDBpchar: "bpchar", OIDVarchar: "varchar",
	OIDDate: "date", OIDTimestamp: "timestamp", OIDTimestampTZ: "timestamptz",
	OIDInterval: "interval", OIDNumeric: "numeric", OIDUUID: "uuid", OIDVoid: "void", OIDRecord: "record",
}

// TypName is pg_type.typname (int4, varchar, ...).
func (t T) TypName() string { return shortNames[t.OID] }

// String is format_type's rendering: "character varying(10)", "numeric(10,2)".
func (t T) String() string {
	if t.IsArray() {
		return t.Elem().String() + "[]"
	}
	n := names[t.OID]
	if t.Typmod < 0 {
		return n
	}
	switch t.OID {
	case OIDVarchar, OIDBpchar:
		return fmt.Sprintf("%s(%d)", n, t.Typmod-4)
	case OIDNumeric:
		p, s := t.NumericPrecScale()
		return fmt.Sprintf("numeric(%d,%d)", p, s)
	}
	return n
}

// CharLen is n of varchar(n)/char(n), or -1.
func (t T) CharLen() int {
	if t.Typmod < 4 {
		return -1
	}
	return int(t.Typmod - 4)
}

// NumericPrecScale returns numeric(p,s)'s p and s; p is -1 if unconstrained.
func (t T) NumericPrecScale() (int, int) {
	if t.Typmod < 4 {
		return -1, 0
	}
	m := t.Typmod - 4
	return int(m >> 16), int(int16(m & 0xffff))
}

// Size is pg_type.typlen: the fixed width in bytes, or -1 for varlena.
func (t T) Size() int16 {
	switch t.OID {
	case OIDBool:
		return 1
	case OIDInt2:
		return 2
	case OIDInt4, OIDFloat4, OIDDate, OIDOid:
		return 4
	case OIDInt8, OIDFloat8, OIDTimestamp, OIDTimestampTZ:
		return 8
	case OIDInterval, OIDUUID:
		return 16
	case OIDName:
		return 64
	}
	return -1
}

// typeAliases maps the names SQL accepts to base types.
var typeAliases = map[string]T{
	"bool": Bool, "boolean": Bool, "bytea": Bytea, "int8": Int8, "bigint": Int8,
	"int2": Int2, "smallint": Int2, "int4": Int4, "int": Int4, "integer": Int4,
	"text": Text, "float4": Float4, "real": Float4, "float8": Float8,
	"double precision": Float8, "float": Float8, "numeric": Numeric, "decimal": Numeric,
	"varchar": Varchar, "character varying": Varchar, "bpchar": Bpchar, "char": Bpchar,
	"character": Bpchar, "date": Date, "timestamp": Timestamp,
	"timestamp without time zone": Timestamp, "timestamptz": TimestampTZ,
	"timestamp with time zone": TimestampTZ, "interval": Interval, "uuid": UUID,
	"name": Name, "oid": Oid, "serial": Int4, "serial4": Int4, "bigserial": Int8,
	"serial8": Int8, "smallserial": Int2, "serial2": Int2, "void": Void,
	// regclass is only used as nextval('seq'::regclass); a name is text here.
	"regclass": Text,
}

// Lookup resolves a type name (lower case, without modifiers).
func Lookup(name string) (T, bool) {
	t, ok := typeAliases[strings.ToLower(name)]
	return t, ok
}

// IsSerial reports whether name is a serial pseudo-type.
func IsSerial(name string) bool {
	switch strings.ToLower(name) {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return true
	}
	return false
}

// WithTypmod applies SQL type modifiers, e.g. varchar(10) or numeric(10,2).
func WithTypmod(t T, mods []int64) (T, error) {
	if len(mods) == 0 {
		if t.OID == OIDBpchar {
			t.Typmod = 1 + 4 // char means char(1)
		}
		return t, nil
	}
	switch t.OID {
	case OIDVarchar, OIDBpchar:
		if len(mods) != 1 || mods[0] < 1 || mods[0] > 10485760 {
			return t, fmt.Errorf("length for type %s must be between 1 and 10485760", t.TypName())
		}
		t.Typmod = int32(mods[0]) + 4
	case OIDNumeric:
		p, s := mods[0], int64(0)
		if len(mods) > 1 {
			s = mods[1]
		}
		if len(mods) > 2 || p < 1 || p > 1000 {
			return t, fmt.Errorf("NUMERIC precision %d must be between 1 and 1000", p)
		}
		if s < -1000 || s > 1000 {
			return t, fmt.Errorf("NUMERIC scale %d must be between -1000 and 1000", s)
		}
		t.Typmod = int32(p<<16|(s&0xffff)) + 4
	case OIDTimestamp, OIDTimestampTZ, OIDInterval, OIDFloat8, OIDFloat4:
		// Precision modifiers are accepted and ignored (microseconds kept).
	default:
		return t, fmt.Errorf("type modifier is not allowed for type %q", t.TypName())
	}
	return t, nil
}

// FloatFromPrecision maps float(p) to real or double precision.
func FloatFromPrecision(p int64) (T, error) {
	switch {
	case p < 1:
		return T{}, fmt.Errorf("precision for type float must be at least 1 bit")
	case p <= 24:
		return Float4, nil
	case p <= 53:
		return Float8, nil
	}
	return T{}, fmt.Errorf("precision for type float must be less than 54 bits")
}
