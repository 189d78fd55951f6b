package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// virtualTable is a table computed on demand (pg_catalog and
// information_schema views). pgwire's catalog work registers more here.
type virtualTable struct {
	schema, name string
	cols         []scopeCol
	rows         func(c *Ctx) ([]types.Row, error)
}

var virtualTables = map[string]*virtualTable{}

// registerVirtual adds a virtual table; called from init functions only.
func registerVirtual(v *virtualTable) { virtualTables[v.schema+"."+v.name] = v }

func lookupVirtual(schema, name string) *virtualTable { return virtualTables[schema+"."+name] }

type virtualNode struct{ vt *virtualTable }

func (n *virtualNode) run(c *Ctx) ([]types.Row, error) { return n.vt.rows(c) }
func (n *virtualNode) explain() (string, []node) {
	return "Virtual Scan on " + n.vt.schema + "." + n.vt.name, nil
}

// seriesMax bounds generate_series, so an absurd range is an error, not a
// hang.
const seriesMax = workRowsMax

type seriesNode struct {
	args []*expr
	T    types.T
}

func (n *seriesNode) run(c *Ctx) ([]types.Row, error) {
	vals := make([]types.Datum, len(n.args))
	for i, a := range n.args {
		d, err := a.eval(c, nil)
		if err != nil {
			return nil, err
		}
		if types.IsNull(d) {
			return nil, nil
		}
		vals[i] = d
	}
	if n.T.Family() == types.FamInt {
		return intSeries(vals)
	}
	return timeSeries(c, vals, n.T)
}

func intSeries(vals []types.Datum) ([]types.Row, error) {
	lo, hi, step := int64(vals[0].(types.DInt)), int64(vals[1].(types.DInt)), int64(1)
	if len(vals) == 3 {
		step = int64(vals[2].(types.DInt))
	}
	if step == 0 {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "step size cannot equal zero")
	}
	var out []types.Row
	for v := lo; (step > 0 && v <= hi) || (step < 0 && v >= hi); v += step {
		if len(out) >= seriesMax {
			return nil, checkRows(seriesMax + 1)
		}
		out = append(out, types.Row{types.DInt(v)})
		if (step > 0 && v > hi-step) || (step < 0 && v < hi-step) {
			break // the next step would overflow or pass hi
		}
	}
	return out, nil
}

func timeSeries(c *Ctx, vals []types.Datum, t types.T) ([]types.Row, error) {
	if len(vals) != 3 {
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function generate_series(%s, %s) does not exist", t.String(), t.String())
	}
	iv := vals[2].(types.DInterval)
	if types.IntervalMicros(iv) == 0 {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "step size cannot equal zero")
	}
	add, _ := temporalArithFor(t)
	cur := vals[0]
	var out []types.Row
	for {
		cmp := types.Compare(cur, vals[1])
		if (types.IntervalMicros(iv) > 0 && cmp > 0) || (types.IntervalMicros(iv) < 0 && cmp < 0) {
			return out, nil
		}
		if len(out) >= seriesMax {
			return nil, checkRows(seriesMax + 1)
		}
		out = append(out, types.Row{cur})
		next, err := add(cur, iv)
		if err != nil {
			return nil, err
		}
		cur = next
	}
}

func temporalArithFor(t types.T) (datumOp, types.T) {
	return addInterval(t, false, false, nil)
}

func (n *seriesNode) explain() (string, []node) { return "Function Scan on generate_series", nil }

func (e *Env) planFuncTable(x *ast.FuncTable, parent *scope) (node, []scopeCol, error) {
	if x.Func.Name == "unnest" {
		return e.planUnnest(x, parent)
	}
	if x.Func.Name != "generate_series" {
		return nil, nil, sqlerr.Unsupported("function " + x.Func.Name + " in FROM")
	}
	cp := &compiler{env: e, scope: &scope{parent: parent}, noAggs: "functions in FROM"}
	args, err := cp.compileAll(x.Func.Args)
	if err != nil {
		return nil, nil, err
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, nil, noFunc(x.Func, args)
	}
	t := types.Int4
	for _, a := range args[:2] {
		if a.T.Family() == types.FamInt && a.T.OID == types.OIDInt8 {
			t = types.Int8
		}
		if timeFamily(a.T.Family()) {
			t = a.T
		}
		if a.T.Family() == types.FamNumeric || a.T.Family() == types.FamFloat {
			return nil, nil, sqlerr.Unsupported("generate_series over numeric")
		}
	}
	for i := range args {
		want := t
		if i == 2 && timeFamily(t.Family()) {
			want = types.Interval
		}
		if args[i], err = cp.coerce(args[i], want, types.CastImplicit, ""); err != nil {
			return nil, nil, err
		}
	}
	alias := x.Alias
	name := "generate_series"
	if alias != "" {
		name = alias
	} else {
		alias = "generate_series"
	}
	cols, err := renameCols([]scopeCol{{Name: name, T: t}}, alias, x.ColAliases)
	return &seriesNode{args: args, T: t}, cols, err
}
