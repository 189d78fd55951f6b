package pgcatalog

import (
	"strings"

	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// PostgreSQL's object-identifier types (regclass, regtype, ...) are not
// types of the SQL layer: the rewriter turns casts to them into calls of
// these functions. name → OID is "<reg>_in", OID → name is "<reg>_out".
const regFuncPrefix = "lineradb_"

var regTypes = map[string]struct {
	in  func(c *exec.Ctx, name string) (uint32, error)
	out func(c *exec.Ctx, oid uint32) (string, error)
}{
	"regclass":     {regclassIn, regclassOut},
	"regtype":      {regtypeIn, regtypeOut},
	"regnamespace": {regnamespaceIn, regnamespaceOut},
	"regrole":      {regroleIn, regroleOut},
	"regproc":      {regprocIn, regprocOut},
	"regprocedure": {regprocIn, regprocOut},
}

func registerRegFuncs() {
	for _, name := range []string{"regclass", "regtype", "regnamespace", "regrole", "regproc", "regprocedure"} {
		rt := regTypes[name]
		fn(regFuncPrefix+name+"_in", over(tOid, func(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
			oid, err := rt.in(c, strArg(a[0]))
			return dOID(oid), err
		}, tText))
		fn(regFuncPrefix+name+"_out", over(tText, func(c *exec.Ctx, a []types.Datum) (types.Datum, error) {
			s, err := rt.out(c, oidArg(a[0]))
			return dStr(s), err
		}, tOid))
	}
}

// unqualify strips a pg_catalog. or public. prefix and identifier quotes;
// ok is false for another schema.
func unqualify(name string) (string, bool) {
	name = strings.TrimSpace(name)
	if len(name) > 0 && name[0] >= '0' && name[0] <= '9' {
		return name, true
	}
	for _, p := range []string{"pg_catalog.", "public.", `"pg_catalog".`, `"public".`} {
		name = strings.TrimPrefix(name, p)
	}
	if strings.Contains(strings.ReplaceAll(name, `"`, ""), ".") && !strings.HasPrefix(name, `"`) {
		return "", false
	}
	if strings.HasPrefix(name, `"`) && strings.HasSuffix(name, `"`) && len(name) >= 2 {
		return strings.ReplaceAll(name[1:len(name)-1], `""`, `"`), true
	}
	return strings.ToLower(name), true
}

// numericOID accepts the numeric form every reg type's input allows.
func numericOID(name string) (uint32, bool) {
	var n uint64
	if name == "" {
		return 0, false
	}
	for _, r := range name {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + uint64(r-'0')
		if n > 1<<32-1 {
			return 0, false
		}
	}
	return uint32(n), true
}

func regclassIn(c *exec.Ctx, name string) (uint32, error) {
	if oid, ok := numericOID(name); ok {
		return oid, nil
	}
	n, ok := unqualify(name)
	if ok {
		for _, t := range registered {
			if t.name == n && t.schema == schemaCatalog {
				return 0, sqlerr.Unsupported("regclass of a system catalog")
			}
		}
		s, err := load(c)
		if err != nil {
			return 0, err
		}
		if r := s.relByName(n); r != nil {
			return r.oid, nil
		}
	}
	return 0, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", name)
}

func regclassOut(c *exec.Ctx, oid uint32) (string, error) {
	s, err := load(c)
	if err != nil {
		return "", err
	}
	if r := s.rel(oid); r != nil {
		return quoteIdent(r.name), nil
	}
	return itoa(int(oid)), nil
}

func regtypeIn(c *exec.Ctx, name string) (uint32, error) {
	if oid, ok := numericOID(name); ok {
		return oid, nil
	}
	n, ok := unqualify(name)
	if ok {
		if oid, found := lookupTypeName(c, n); found {
			return oid, nil
		}
	}
	return 0, sqlerr.New(sqlerr.UndefinedObject, "type %q does not exist", name)
}

// lookupTypeName resolves a type name as regtype input does: SQL names
// and aliases, pg_type names (_int4), "x[]", and table row types.
func lookupTypeName(c *exec.Ctx, n string) (uint32, bool) {
	if elem, ok := strings.CutSuffix(n, "[]"); ok {
		oid, found := lookupTypeName(c, strings.TrimSpace(elem))
		if ti := builtinType(oid); found && ti != nil && ti.array != 0 {
			return ti.array, true
		}
		if s, err := load(c); found && err == nil && s.rowTypeName(oid) != "" {
			return oid + 1, true
		}
		return 0, false
	}
	if t, ok := types.Lookup(n); ok && n != "regclass" && !types.IsSerial(n) {
		return uint32(t.OID), true
	}
	for i := range builtinTypes {
		ti := &builtinTypes[i]
		if ti.name == n {
			return ti.oid, true
		}
		if ti.array != 0 && "_"+ti.name == n {
			return ti.array, true
		}
	}
	s, err := load(c)
	if err != nil {
		return 0, false
	}
	for _, t := range s.tables {
		switch n {
		case t.Name:
			return tableOID(t) + 1, true
		case "_" + t.Name:
			return tableOID(t) + 2, true
		}
	}
	return 0, false
}

func regtypeOut(c *exec.Ctx, oid uint32) (string, error) {
	s, err := load(c)
	if err != nil {
		return "", err
	}
	if name := formatType(oid, -1, s.rowTypeName); name != "???" {
		return name, nil
	}
	return itoa(int(oid)), nil
}

func regnamespaceIn(c *exec.Ctx, name string) (uint32, error) {
	if oid, ok := numericOID(name); ok {
		return oid, nil
	}
	rows, _ := namespaceRows(c)
	for _, r := range rows {
		if string(r[1].(types.DString)) == strings.Trim(name, `"`) {
			return uint32(r[0].(types.DInt)), nil
		}
	}
	return 0, sqlerr.New(sqlerr.UndefinedObject, "schema %q does not exist", name)
}

func regnamespaceOut(c *exec.Ctx, oid uint32) (string, error) {
	rows, _ := namespaceRows(c)
	for _, r := range rows {
		if uint32(r[0].(types.DInt)) == oid {
			return string(r[1].(types.DString)), nil
		}
	}
	return itoa(int(oid)), nil
}

func regroleIn(c *exec.Ctx, name string) (uint32, error) {
	if oid, ok := numericOID(name); ok {
		return oid, nil
	}
	for _, r := range roles(c) {
		if r.Name == strings.Trim(name, `"`) {
			return r.OID, nil
		}
	}
	return 0, sqlerr.New(sqlerr.UndefinedObject, "role %q does not exist", name)
}

func regroleOut(c *exec.Ctx, oid uint32) (string, error) {
	if name, ok := roleName(c, oid); ok {
		return quoteIdent(name), nil
	}
	return itoa(int(oid)), nil
}

func regprocIn(_ *exec.Ctx, name string) (uint32, error) {
	if oid, ok := numericOID(name); ok {
		return oid, nil
	}
	n, _ := unqualify(name)
	if i := strings.IndexByte(n, '('); i >= 0 {
		n = n[:i]
	}
	for i, p := range procs {
		if p.name == n {
			return procOIDFirst + uint32(i), nil
		}
	}
	return 0, sqlerr.New(sqlerr.UndefinedFunction, "function %q does not exist", name)
}

func regprocOut(_ *exec.Ctx, oid uint32) (string, error) {
	if oid >= procOIDFirst && int(oid-procOIDFirst) < len(procs) {
		return procs[oid-procOIDFirst].name, nil
	}
	if oid == 0 {
		return "-", nil
	}
	return itoa(int(oid)), nil
}
