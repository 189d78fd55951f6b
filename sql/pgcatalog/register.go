package pgcatalog

import (
	"fmt"
	"strings"

	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/types"
)

// Schema names of the virtual tables.
const (
	schemaCatalog = "pg_catalog"
	schemaInfo    = "information_schema"
)

// table is one virtual table as registered.
type table struct {
	schema, name string
	cols         []exec.Column
}

// registered lists every virtual table, in registration order; the
// rewriter qualifies unqualified pg_catalog names with it and pg_class
// lists nothing of it (system relations stay out of user listings).
var registered []table

// define registers schema.name; spec lists "column type" pairs separated
// by commas, with PostgreSQL type names ("char" and array-typed columns
// are text here).
func define(schema, name, spec string, rows exec.VirtualRows) {
	cols := parseSpec(spec)
	registered = append(registered, table{schema: schema, name: name, cols: cols})
	if schema == schemaCatalog {
		catalogTables[name] = true
	}
	exec.RegisterVirtualTable(schema, name, cols, func(c *exec.Ctx) ([]types.Row, error) {
		out, err := rows(c)
		for _, r := range out {
			if len(r) != len(cols) {
				panic(fmt.Sprintf("pgcatalog: %s.%s row has %d values for %d columns", schema, name, len(r), len(cols)))
			}
		}
		return out, err
	})
}

func parseSpec(spec string) []exec.Column {
	var out []exec.Column
	for _, f := range strings.Split(spec, ",") {
		parts := strings.Fields(f)
		if len(parts) != 2 {
			panic("pgcatalog: bad column spec " + f)
		}
		t, ok := types.Lookup(parts[1])
		if !ok {
			panic("pgcatalog: unknown type in column spec " + f)
		}
		out = append(out, exec.Column{Name: parts[0], T: t})
	}
	return out
}

// catalogTables indexes the pg_catalog names of registered, for lookups
// on every query's words.
var catalogTables = map[string]bool{}

func isCatalogTable(name string) bool { return catalogTables[name] }

func empty(*exec.Ctx) ([]types.Row, error) { return nil, nil }

// Datum constructors keep row literals short.
func dOID(v uint32) types.Datum { return types.DInt(v) }
func dInt(v int) types.Datum    { return types.DInt(v) }
func dStr(v string) types.Datum { return types.DString(v) }
func dBool(v bool) types.Datum  { return types.DBool(v) }

var null = types.Null

// dStrOrNull is NULL for "".
func dStrOrNull(v string) types.Datum {
	if v == "" {
		return null
	}
	return dStr(v)
}
