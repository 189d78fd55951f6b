package exec

import (
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// resolveAggregate checks argument types and sets the result type.
func resolveAggregate(cp *compiler, s *aggSpec, f *ast.Func) error {
	bad := func() error {
		var ts []string
		for _, a := range s.args {
			ts = append(ts, a.T.String())
		}
		return sqlerr.New(sqlerr.UndefinedFunction, "function %s(%s) does not exist", s.name, strings.Join(ts, ", ")).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.").At(f.Pos)
	}
	if s.star {
		if s.name != "count" {
			return bad()
		}
		s.T = types.Int8
		return nil
	}
	want := 1
	if s.name == "string_agg" {
		want = 2
	}
	if len(s.args) != want {
		return bad()
	}
	var err error
	for i := range s.args {
		if s.args[i], err = cp.resolveUnknown(s.args[i]); err != nil {
			return err
		}
	}
	t := s.args[0].T
	switch s.name {
	case "count":
		s.T = types.Int8
	case "sum":
		switch {
		case t.OID == types.OIDInt2 || t.OID == types.OIDInt4:
			s.T = types.Int8
		case t.OID == types.OIDInt8 || t.Family() == types.FamNumeric:
			s.T = types.Numeric
		case t.Family() == types.FamFloat || t.Family() == types.FamInterval:
			s.T = types.T{OID: t.OID, Typmod: -1}
		default:
			return bad()
		}
	case "avg":
		switch {
		case t.Family() == types.FamInt || t.Family() == types.FamNumeric:
			s.T = types.Numeric
		case t.Family() == types.FamFloat:
			s.T = types.Float8
		case t.Family() == types.FamInterval:
			s.T = types.Interval
		default:
			return bad()
		}
	case "min", "max":
		if t.Family() == types.FamBool || t.Family() == types.FamVoid {
			return bad()
		}
		s.T = t
		if t.Family() == types.FamString && t.OID != types.OIDBpchar {
			s.T = types.Text
		}
	case "array_agg":
		at, ok := types.ArrayOf(t)
		if !ok {
			return bad()
		}
		s.T = types.T{OID: at.OID, Typmod: -1}
	case "bool_and", "bool_or", "every":
		if t.Family() != types.FamBool {
			return bad()
		}
		s.T = types.Bool
	case "string_agg":
		if t.Family() != types.FamString && t.Family() != types.FamBytes {
			return bad()
		}
		if s.args[1], err = cp.coerce(s.args[1], t, types.CastImplicit, ""); err != nil {
			return bad()
		}
		s.T = types.Text
		if t.Family() == types.FamBytes {
			s.T = types.Bytea
		}
	}
	return nil
}

// accumulator collects an aggregate's argument rows for one group.
type accumulator struct {
	rows  []types.Row
	count int64 // count(*)
}

func newAccumulators(specs []*aggSpec) []accumulator { return make([]accumulator, len(specs)) }

func accumulate(c *Ctx, g *group, specs []*aggSpec, r types.Row) error {
	for i, s := range specs {
		if s.filter != nil {
			ok, err := evalBool(c, s.filter, r)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		if s.star {
			g.accs[i].count++
			continue
		}
		vals := make(types.Row, 0, len(s.args)+len(s.orderBy))
		for _, a := range append(append([]*expr{}, s.args...), s.orderBy...) {
			d, err := a.eval(c, r)
			if err != nil {
				return err
			}
			vals = append(vals, d)
		}
		if types.IsNull(vals[0]) && s.name != "array_agg" {
			continue // aggregates but array_agg skip NULL inputs
		}
		if chargesRows(s) {
			if err := c.mem.grow(opAggregate, rowBytes(vals)); err != nil {
				return err
			}
		}
		g.accs[i].rows = append(g.accs[i].rows, vals)
		if err := checkRows(len(g.accs[i].rows)); err != nil {
			return err
		}
	}
	return nil
}

// chargesRows says whether an aggregate's argument rows count against
// work_mem: those that must keep them (DISTINCT, ORDER BY, array_agg,
// string_agg), as PostgreSQL's do. The others (count, sum, avg, min,
// max, bool_*) fold to constant state in PostgreSQL; here they still
// collect their rows, uncharged like a scan's, until aggregation folds
// as it goes — so SELECT sum(x) over a big table is not refused.
func chargesRows(s *aggSpec) bool {
	return s.distinct || len(s.order) > 0 || s.name == "array_agg" || s.name == "string_agg"
}

func (a *accumulator) result(s *aggSpec) (types.Datum, error) {
	if s.star {
		return types.DInt(a.count), nil
	}
	rows := a.rows
	if s.distinct {
		rows = distinctFirst(rows)
	}
	if len(s.order) > 0 {
		sortRows(rows, s.order)
	}
	if s.name == "count" {
		return types.DInt(len(rows)), nil
	}
	if len(rows) == 0 {
		return types.Null, nil
	}
	switch s.name {
	case "sum":
		return sumRows(rows, s.T)
	case "avg":
		return avgRows(rows, s.T)
	case "min", "max":
		best := rows[0][0]
		for _, r := range rows[1:] {
			c := types.Compare(r[0], best)
			if (s.name == "min" && c < 0) || (s.name == "max" && c > 0) {
				best = r[0]
			}
		}
		return best, nil
	case "bool_and", "every", "bool_or":
		and := s.name != "bool_or"
		for _, r := range rows {
			if bool(r[0].(types.DBool)) != and {
				return types.DBool(!and), nil
			}
		}
		return types.DBool(and), nil
	case "array_agg":
		out := &types.DArray{Elems: make([]types.Datum, len(rows))}
		for i, r := range rows {
			out.Elems[i] = r[0]
		}
		return out, nil
	case "string_agg":
		var b strings.Builder
		for i, r := range rows {
			if i > 0 && !types.IsNull(r[1]) {
				b.WriteString(datumString(r[1]))
			}
			b.WriteString(datumString(r[0]))
		}
		if s.T.Family() == types.FamBytes {
			return types.DBytes(b.String()), nil
		}
		return types.DString(b.String()), nil
	}
	return nil, sqlerr.New(sqlerr.InternalError, "unknown aggregate %s", s.name)
}

func datumString(d types.Datum) string {
	switch v := d.(type) {
	case types.DString:
		return string(v)
	case types.DBytes:
		return string(v)
	}
	return ""
}

// distinctFirst keeps the first row per distinct first value.
func distinctFirst(rows []types.Row) []types.Row {
	seen := map[string]bool{}
	var out []types.Row
	for _, r := range rows {
		h := types.HashKey(r[0])
		if !seen[h] {
			seen[h] = true
			out = append(out, r)
		}
	}
	return out
}

func toDecimal(d types.Datum) *types.Decimal {
	switch v := d.(type) {
	case types.DInt:
		return types.NewDecimal(int64(v), 0)
	case *types.DNumeric:
		return &v.Decimal
	}
	return types.NewDecimal(0, 0)
}

func sumRows(rows []types.Row, t types.T) (types.Datum, error) {
	switch t.Family() {
	case types.FamInt:
		fn := intOp("+", types.Int8)
		var acc types.Datum = types.DInt(0)
		for _, r := range rows {
			var err error
			if acc, err = fn(acc, r[0]); err != nil {
				return nil, err
			}
		}
		return acc, nil
	case types.FamFloat:
		var f float64
		for _, r := range rows {
			f += float64(r[0].(types.DFloat))
		}
		if t.OID == types.OIDFloat4 {
			f = float64(float32(f))
		}
		return types.DFloat(f), nil
	case types.FamInterval:
		var iv types.DInterval
		for _, r := range rows {
			x := r[0].(types.DInterval)
			iv = types.DInterval{Months: iv.Months + x.Months, Days: iv.Days + x.Days, Micros: iv.Micros + x.Micros}
		}
		return iv, nil
	}
	acc := types.NewDecimal(0, 0)
	for _, r := range rows {
		acc = acc.Add(toDecimal(r[0]))
	}
	return &types.DNumeric{Decimal: *acc}, nil
}

func avgRows(rows []types.Row, t types.T) (types.Datum, error) {
	n := int64(len(rows))
	switch t.Family() {
	case types.FamFloat:
		var f float64
		for _, r := range rows {
			f += float64(r[0].(types.DFloat))
		}
		return types.DFloat(f / float64(n)), nil
	case types.FamInterval:
		s, _ := sumRows(rows, t)
		return scaleInterval("/", false)(s, types.DInt(n))
	}
	sum := types.NewDecimal(0, 0)
	for _, r := range rows {
		sum = sum.Add(toDecimal(r[0]))
	}
	cnt := types.NewDecimal(n, 0)
	return &types.DNumeric{Decimal: *sum.Div(cnt, types.DivScale(sum, cnt))}, nil
}
