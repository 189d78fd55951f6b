package pgcatalog

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// regexPatternMax bounds a ~ pattern, so a hostile pattern costs bounded
// compile time and memory.
const regexPatternMax = 4096

// procOIDFirst is the OID of the first registered function in pg_proc.
const procOIDFirst = 9000

type procInfo struct {
	name     string
	ret      types.T
	nargs    int
	argTypes string // pg_proc.proargtypes: space-separated OIDs
}

// procs lists the registered functions for pg_proc, in registration order.
var procs []procInfo

// fn registers a function, remembering its first overload for pg_proc.
func fn(name string, overloads ...exec.Overload) {
	o := overloads[0]
	args := make([]string, len(o.Args))
	for i, a := range o.Args {
		args[i] = itoa(int(a.OID))
	}
	procs = append(procs, procInfo{name: name, ret: o.Ret, nargs: len(o.Args), argTypes: strings.Join(args, " ")})
	exec.RegisterFunction(name, overloads...)
}

func over(ret types.T, f func(c *exec.Ctx, a []types.Datum) (types.Datum, error), args ...types.T) exec.Overload {
	return exec.Overload{Args: args, Ret: ret, Fn: f}
}

// onNull is an overload that sees NULL arguments.
func onNull(o exec.Overload) exec.Overload { o.CalledOnNull = true; return o }

func itoa(n int) string { return strconv.Itoa(n) }

func oidArg(d types.Datum) uint32 { return uint32(d.(types.DInt)) }
func strArg(d types.Datum) string { return string(d.(types.DString)) }

var (
	tOid, tText, tName, tBool, tInt4 = types.Oid, types.Text, types.Name, types.Bool, types.Int4
)

func init() {
	fn("format_type", onNull(over(tText, fnFormatType, tOid, tInt4)))
	fn("pg_get_userbyid", over(tName, fnUserByID, tOid))
	fn("pg_table_is_visible", over(tBool, fnTableIsVisible, tOid))
	fn("pg_type_is_visible", over(tBool, constant(dBool(true)), tOid))
	fn("pg_get_indexdef", over(tText, fnIndexDef, tOid), over(tText, fnIndexDef, tOid, tInt4, tBool))
	fn("pg_get_constraintdef", over(tText, fnConstraintDef, tOid), over(tText, fnConstraintDef, tOid, tBool))
	fn("pg_get_expr", over(tText, fnGetExpr, tText, tOid), over(tText, fnGetExpr, tText, tOid, tBool))
	fn("pg_encoding_to_char", over(tName, fnEncodingToChar, tInt4))
	fn("array_to_string", over(tText, fnArrayToString, tText, tText))
	fn("obj_description", onNull(over(tText, constant(null), tOid)), onNull(over(tText, constant(null), tOid, tName)))
	fn("col_description", onNull(over(tText, constant(null), tOid, tInt4)))
	fn("shobj_description", onNull(over(tText, constant(null), tOid, tName)))
	fn("pg_relation_is_publishable", over(tBool, constant(dBool(false)), tOid))
	fn("textregexeq", over(tBool, regexFn(false, false), tText, tText))
	fn("textregexne", over(tBool, regexFn(true, false), tText, tText))
	fn("texticregexeq", over(tBool, regexFn(false, true), tText, tText))
	fn("texticregexne", over(tBool, regexFn(true, true), tText, tText))
	fn("current_schemas", over(tText, fnCurrentSchemas, tBool))
	fn("has_table_privilege", over(tBool, constant(dBool(true)), tText, tText),
		over(tBool, constant(dBool(true)), tText, tText, tText))
	fn("has_schema_privilege", over(tBool, constant(dBool(true)), tText, tText),
		over(tBool, constant(dBool(true)), tText, tText, tText))
	fn("has_database_privilege", over(tBool, constant(dBool(true)), tText, tText),
		over(tBool, constant(dBool(true)), tText, tText, tText))
	fn("pg_get_serial_sequence", over(tText, fnSerialSequence, tText, tText))
	fn("pg_is_in_recovery", over(tBool, constant(dBool(false))))
	fn("quote_ident", over(tText, func(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
		return dStr(quoteIdent(strArg(a[0]))), nil
	}, tText))
	fn("to_regclass", over(tOid, fnToRegclass, tText))
	fn("to_regtype", over(tOid, fnToRegtype, tText))
	fn("pg_function_is_visible", over(tBool, constant(dBool(true)), tOid))
	fn("pg_get_function_result", over(tText, fnFunctionResult, tOid))
	fn("pg_get_function_arguments", over(tText, fnFunctionArguments, tOid))
	fn("pg_size_pretty", over(tText, fnSizePretty, types.Int8))
	// Sizes: LineraDB's rows live in a shared LSM, not per-relation files;
	// 0 is what an empty relation reports in PostgreSQL.
	for _, name := range []string{"pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size"} {
		fn(name, over(types.Int8, constant(types.DInt(0)), tOid))
	}
	registerRegFuncs()
}

func procByOID(oid uint32) *procInfo {
	if oid >= procOIDFirst && int(oid-procOIDFirst) < len(procs) {
		return &procs[oid-procOIDFirst]
	}
	return nil
}

func fnFunctionResult(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
	if p := procByOID(oidArg(a[0])); p != nil {
		return dStr(p.ret.String()), nil
	}
	return null, nil
}

func fnFunctionArguments(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
	p := procByOID(oidArg(a[0]))
	if p == nil {
		return null, nil
	}
	var args []string
	for _, f := range strings.Fields(p.argTypes) {
		n, _ := strconv.Atoi(f)
		args = append(args, formatType(uint32(n), -1, func(uint32) string { return "" }))
	}
	return dStr(strings.Join(args, ", ")), nil
}

// fnSizePretty is pg_size_pretty(bigint): bytes, then kB, MB, GB, TB,
// switching unit once the value reaches 10240 of the smaller one, with
// half-up rounding, as PostgreSQL prints it.
func fnSizePretty(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
	n := int64(a[0].(types.DInt))
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
	abs := func(v int64) int64 {
		if v < 0 {
			return -v
		}
		return v
	}
	if abs(n) < 10240 {
		return dStr(itoa(int(n)) + " bytes"), nil
	}
	v := n
	for _, u := range units[1:] {
		half := (v/512 + 1) / 2 // v / 1024, rounded half up
		if v < 0 {
			half = (v/512 - 1) / 2
		}
		v = half
		if abs(v) < 10240 || u == "PB" {
			return dStr(itoa(int(v)) + " " + u), nil
		}
	}
	return dStr(itoa(int(v)) + " PB"), nil
}

func constant(d types.Datum) func(*exec.Ctx, []types.Datum) (types.Datum, error) {
	return func(*exec.Ctx, []types.Datum) (types.Datum, error) { return d, nil }
}

func fnFormatType(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	if types.IsNull(a[0]) {
		return null, nil
	}
	typmod := int32(-1)
	if !types.IsNull(a[1]) {
		typmod = int32(a[1].(types.DInt))
	}
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	return dStr(formatType(oidArg(a[0]), typmod, s.rowTypeName)), nil
}

// rowTypeName names the table whose row type has the OID, or "".
func (s *snapshot) rowTypeName(oid uint32) string {
	id, kind, _ := splitOID(oid)
	if t := s.table(id); t != nil && (kind == kindRowType || kind == kindRowArray) {
		if kind == kindRowArray {
			return t.Name + "[]"
		}
		return t.Name
	}
	return ""
}

func fnUserByID(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	oid := oidArg(a[0])
	if name, ok := roleName(c, oid); ok {
		return dStr(name), nil
	}
	return dStr("unknown (OID=" + itoa(int(oid)) + ")"), nil
}

func fnTableIsVisible(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	oid := oidArg(a[0])
	if oid < oidUserMin {
		return dBool(true), nil // system relations: pg_catalog is always searched
	}
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	if s.rel(oid) == nil {
		return null, nil
	}
	return dBool(true), nil
}

func fnIndexDef(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	r := s.rel(oidArg(a[0]))
	if r == nil || r.kind != "i" {
		return null, nil
	}
	if len(a) == 3 {
		if col := int(a[1].(types.DInt)); col > 0 {
			if col > len(r.index.Columns) {
				return dStr(""), nil
			}
			return dStr(quoteIdent(columnName(r.table, r.index.Columns[col-1]))), nil
		}
	}
	return dStr(indexDef(r)), nil
}

func indexDef(r *rel) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if r.index.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX " + quoteIdent(r.name) + " ON " + quoteIdent(r.table.Name) + " USING btree (")
	b.WriteString(indexColumns(r))
	b.WriteString(")")
	return b.String()
}

func indexColumns(r *rel) string {
	cols := make([]string, len(r.index.Columns))
	for k, id := range r.index.Columns {
		cols[k] = quoteIdent(columnName(r.table, id))
		if k < len(r.index.Desc) && r.index.Desc[k] {
			cols[k] += " DESC"
		}
	}
	return strings.Join(cols, ", ")
}

func fnConstraintDef(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	pretty := len(a) == 2 && bool(a[1].(types.DBool))
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	id, kind, sub := splitOID(oidArg(a[0]))
	t := s.table(id)
	if t == nil {
		return null, nil
	}
	switch kind {
	case kindConstraint:
		for _, ix := range indexes(t) {
			if ix.ID == sub && ix.Constraint {
				r := &rel{table: t, index: ix}
				if sub == 1 {
					return dStr("PRIMARY KEY (" + indexColumns(r) + ")"), nil
				}
				return dStr("UNIQUE (" + indexColumns(r) + ")"), nil
			}
		}
	case kindCheck:
		if int(sub) < len(t.Checks) {
			e := renderExpr(t.Checks[sub].Expr, t, pretty)
			if !pretty {
				e = "(" + e + ")"
			}
			return dStr("CHECK (" + e + ")"), nil
		}
	}
	return null, nil
}

// fnGetExpr is pg_get_expr: the catalog's expression columns (adbin,
// conbin) already hold PostgreSQL's rendering.
func fnGetExpr(_ *exec.Ctx, a []types.Datum) (types.Datum, error) { return a[0], nil }

func fnEncodingToChar(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
	switch a[0].(types.DInt) {
	case 0:
		return dStr("SQL_ASCII"), nil
	case encodingUTF8:
		return dStr("UTF8"), nil
	}
	return dStr(""), nil
}

// fnArrayToString joins the elements of an array in text form ({a,b}):
// the catalog's array columns are text here.
func fnArrayToString(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
	s := strArg(a[0])
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
	}
	s = s[1 : len(s)-1]
	if s == "" {
		return dStr(""), nil
	}
	return dStr(strings.Join(strings.Split(s, ","), strArg(a[1]))), nil
}

func regexFn(negate, fold bool) func(*exec.Ctx, []types.Datum) (types.Datum, error) {
	return func(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
		pat := strArg(a[1])
		if len(pat) > regexPatternMax {
			return nil, sqlerr.New("2201B", "invalid regular expression: pattern longer than %d bytes", regexPatternMax)
		}
		if fold {
			pat = "(?i)" + pat
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, sqlerr.New("2201B", "invalid regular expression: %s", err.Error())
		}
		return dBool(re.MatchString(strArg(a[0])) != negate), nil
	}
}

func fnCurrentSchemas(_ *exec.Ctx, a []types.Datum) (types.Datum, error) {
	if a[0].(types.DBool) {
		return dStr("{pg_catalog,public}"), nil
	}
	return dStr("{public}"), nil
}

func fnSerialSequence(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	r := s.relByName(strings.TrimPrefix(strArg(a[0]), "public."))
	if r == nil || r.kind != "r" {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", strArg(a[0]))
	}
	col, _ := r.table.Column(strArg(a[1]))
	if col == nil {
		return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", strArg(a[1]), r.name)
	}
	for _, sq := range r.table.Sequences {
		if strings.Contains(col.Default, "'"+sq+"'") {
			return dStr("public." + quoteIdent(sq)), nil
		}
	}
	return null, nil
}

func fnToRegclass(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	oid, err := regclassIn(c, strArg(a[0]))
	if err != nil {
		return null, nil
	}
	return dOID(oid), nil
}

func fnToRegtype(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
	oid, err := regtypeIn(c, strArg(a[0]))
	if err != nil {
		return null, nil
	}
	return dOID(oid), nil
}

// quoteIdent quotes a name unless it is a plain lower-case identifier, as
// PostgreSQL's quote_ident does (keywords aside from a few common ones).
func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			plain = false
			break
		}
	}
	if plain && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are keywords quote_ident must quote (a common subset).
var reservedWords = map[string]bool{
	"all": true, "and": true, "any": true, "array": true, "as": true, "asc": true, "case": true,
	"check": true, "column": true, "constraint": true, "create": true, "default": true, "desc": true,
	"distinct": true, "do": true, "else": true, "end": true, "false": true, "for": true, "from": true,
	"group": true, "having": true, "in": true, "limit": true, "not": true, "null": true, "offset": true,
	"on": true, "or": true, "order": true, "primary": true, "references": true, "select": true,
	"table": true, "then": true, "to": true, "true": true, "union": true, "unique": true, "user": true,
	"using": true, "when": true, "where": true, "with": true,
}
