package pgcatalog

import "github.com/lineradb/lineradb/sql/types"

// typeInfo is one built-in pg_type row's distinguishing fields, as in
// PostgreSQL 15.
type typeInfo struct {
	oid       uint32
	name      string
	length    int16
	byVal     bool
	typType   string // b base, p pseudo, c composite
	category  string // B boolean, N numeric, S string, D date/time, ...
	preferred bool
	align     string
	storage   string
	collation uint32
	array     uint32 // OID of the array type, 0 if none
	in, out   string
}

// builtinTypes are the types LineraDB implements (and the pseudo-types its
// functions mention), ordered by OID.
var builtinTypes = []typeInfo{
	{16, "bool", 1, true, "b", "B", true, "c", "p", 0, 1000, "boolin", "boolout"},
	{17, "bytea", -1, false, "b", "U", false, "i", "x", 0, 1001, "byteain", "byteaout"},
	{19, "name", 64, false, "b", "S", false, "c", "p", oidCollC, 1003, "namein", "nameout"},
	{20, "int8", 8, true, "b", "N", false, "d", "p", 0, 1016, "int8in", "int8out"},
	{21, "int2", 2, true, "b", "N", false, "s", "p", 0, 1005, "int2in", "int2out"},
	{23, "int4", 4, true, "b", "N", false, "i", "p", 0, 1007, "int4in", "int4out"},
	{25, "text", -1, false, "b", "S", true, "i", "x", oidCollDefault, 1009, "textin", "textout"},
	{26, "oid", 4, true, "b", "N", true, "i", "p", 0, 1028, "oidin", "oidout"},
	{700, "float4", 4, true, "b", "N", false, "i", "p", 0, 1021, "float4in", "float4out"},
	{701, "float8", 8, true, "b", "N", true, "d", "p", 0, 1022, "float8in", "float8out"},
	{705, "unknown", -2, false, "p", "X", false, "c", "p", 0, 0, "unknownin", "unknownout"},
	{1042, "bpchar", -1, false, "b", "S", false, "i", "x", oidCollDefault, 1014, "bpcharin", "bpcharout"},
	{1043, "varchar", -1, false, "b", "S", false, "i", "x", oidCollDefault, 1015, "varcharin", "varcharout"},
	{1082, "date", 4, true, "b", "D", false, "i", "p", 0, 1182, "date_in", "date_out"},
	{1114, "timestamp", 8, true, "b", "D", false, "d", "p", 0, 1115, "timestamp_in", "timestamp_out"},
	{1184, "timestamptz", 8, true, "b", "D", true, "d", "p", 0, 1185, "timestamptz_in", "timestamptz_out"},
	{1186, "interval", 16, false, "b", "T", true, "d", "p", 0, 1187, "interval_in", "interval_out"},
	{1700, "numeric", -1, false, "b", "N", false, "i", "m", 0, 1231, "numeric_in", "numeric_out"},
	{2249, "record", -1, false, "p", "P", false, "d", "x", 0, 2287, "record_in", "record_out"},
	{2278, "void", 4, true, "p", "P", false, "i", "p", 0, 0, "void_in", "void_out"},
	{2950, "uuid", 16, false, "b", "U", false, "c", "p", 0, 2951, "uuid_in", "uuid_out"},
}

// arrayOf maps an array type OID to its element's typeInfo.
var arrayOf = func() map[uint32]*typeInfo {
	m := map[uint32]*typeInfo{}
	for i := range builtinTypes {
		if a := builtinTypes[i].array; a != 0 {
			m[a] = &builtinTypes[i]
		}
	}
	return m
}()

func builtinType(oid uint32) *typeInfo {
	for i := range builtinTypes {
		if builtinTypes[i].oid == oid {
			return &builtinTypes[i]
		}
	}
	return nil
}

// arrayInfo is the pg_type row of the array type over elem.
func arrayInfo(elem *typeInfo) typeInfo {
	align := "i"
	if elem.align == "d" {
		align = "d"
	}
	return typeInfo{oid: elem.array, name: "_" + elem.name, length: -1, typType: "b", category: "A",
		align: align, storage: "x", collation: elem.collation, in: "array_in", out: "array_out"}
}

// formatType is format_type(oid, typmod): the SQL name of a type with its
// modifier, "integer[]" for arrays, "???" for an unknown OID.
func formatType(oid uint32, typmod int32, relName func(uint32) string) string {
	if elem, ok := arrayOf[oid]; ok {
		return formatType(elem.oid, typmod, relName) + "[]"
	}
	if builtinType(oid) != nil {
		if oid == 1042 && typmod < 0 {
			return "bpchar" // PostgreSQL prints unconstrained char as bpchar
		}
		return types.T{OID: types.OID(oid), Typmod: typmod}.String()
	}
	if name := relName(oid); name != "" {
		return name
	}
	return "???"
}
