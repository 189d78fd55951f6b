package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/types"
)

// Hooks through which package pgcatalog adds pg_catalog and
// information_schema: virtual tables and the catalog functions psql and
// drivers call. Both are called from init functions only, before any
// statement is planned; the registries are read-only afterwards.

// VirtualRows computes a virtual table's rows for one execution; it reads
// the catalog through c.Txn and must be deterministic.
type VirtualRows func(c *Ctx) ([]types.Row, error)

// RegisterVirtualTable adds schema.name (schema is never "public").
func RegisterVirtualTable(schema, name string, cols []Column, rows VirtualRows) {
	if schema == "" || schema == "public" {
		panic("exec: virtual tables live outside the public schema")
	}
	sc := make([]scopeCol, len(cols))
	for i, c := range cols {
		sc[i] = scopeCol{Table: name, Name: c.Name, T: c.T}
	}
	registerVirtual(&virtualTable{schema: schema, name: name, cols: sc, rows: rows})
}

// Overload is one signature of a registered scalar function.
type Overload struct {
	Args []types.T
	Ret  types.T
	// CalledOnNull passes NULL arguments to Fn; otherwise any NULL
	// argument makes the result NULL (PostgreSQL's STRICT).
	CalledOnNull bool
	Fn           func(c *Ctx, args []types.Datum) (types.Datum, error)
}

// RegisterFunction adds a scalar function whose overloads differ in their
// number of arguments. A name the executor already implements keeps its
// built-in meaning.
func RegisterFunction(name string, overloads ...Overload) {
	reg := func(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
		for _, o := range overloads {
			if len(o.Args) == len(args) {
				return cp.registered(f, o, args)
			}
		}
		return nil, noFunc(f, args)
	}
	if _, ok := arrayBuiltins[name]; ok {
		// Catalog columns that still hold arrays as text go here.
		arrayTextFallback[name] = reg
		return
	}
	if _, ok := builtins[name]; ok {
		return
	}
	builtins[name] = reg
}

func (cp *compiler) registered(f *ast.Func, o Overload, args []*expr) (*expr, error) {
	args, err := cp.coerceArgs(f, args, o.Args...)
	if err != nil {
		return nil, err
	}
	if !o.CalledOnNull {
		return strict(o.Ret, f.Name+"()", args, o.Fn), nil
	}
	return &expr{T: o.Ret, col: -1, text: f.Name + "()", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		ds := make([]types.Datum, len(args))
		for i, a := range args {
			d, err := a.eval(c, row)
			if err != nil {
				return nil, err
			}
			ds[i] = d
		}
		return o.Fn(c, ds)
	}}, nil
}
