package exec

import (
	"fmt"
	"maps"
	"slices"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

func (env *Env) targetColumns(t *catalog.Table, names []string) ([]int, error) {
	if len(names) == 0 {
		var out []int
		for i, c := range t.Columns {
			if !c.Hidden {
				out = append(out, i)
			}
		}
		return out, nil
	}
	seen := map[int]bool{}
	out := make([]int, len(names))
	for i, n := range names {
		_, idx := t.Column(n)
		if idx < 0 || t.Columns[idx].Hidden {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", n, t.Name)
		}
		if seen[idx] {
			return nil, sqlerr.New(sqlerr.DuplicateColumn, "column %q specified more than once", n)
		}
		seen[idx] = true
		out[i] = idx
	}
	return out, nil
}

func (env *Env) prepareInsert(s *ast.Insert) (*Prepared, error) {
	if len(s.With) > 0 {
		if err := env.pushCTEs(s.With, nil); err != nil {
			return nil, err
		}
		defer func() { env.ctes = env.ctes[:len(env.ctes)-1] }()
	}
	t, err := env.lookupTable(s.Table)
	if err != nil {
		return nil, err
	}
	w, err := env.newWriter(t)
	if err != nil {
		return nil, err
	}
	cols, err := env.targetColumns(t, s.Columns)
	if err != nil {
		return nil, err
	}
	if s.Source == nil {
		cols = nil // DEFAULT VALUES: every column takes its default
	}
	if len(s.Columns) == 0 && s.Source != nil && len(s.Source.Values) > 0 && len(s.Source.Values[0]) < len(cols) {
		cols = cols[:len(s.Source.Values[0])] // the rest take their defaults
	}
	source, err := env.insertSource(s, t, w, cols)
	if err != nil {
		return nil, err
	}
	alias := s.Table.Alias
	if alias == "" {
		alias = t.Name
	}
	ret, retCols, err := env.returning(t, alias, s.Returning)
	if err != nil {
		return nil, err
	}
	var upsert *upsertPlan
	if s.OnConflict != nil {
		if upsert, err = env.planUpsert(s.OnConflict, t, alias); err != nil {
			return nil, err
		}
	}
	return &Prepared{Columns: retCols, plan: source, run: func(c *Ctx) (Result, error) {
		rows, err := source.run(c)
		if err != nil {
			return Result{}, err
		}
		var out []types.Row
		n := 0
		for _, r := range rows {
			row, err := fullRow(c, w, cols, r)
			if err != nil {
				return Result{}, err
			}
			row, ok, err := insertOne(c, w, upsert, row)
			if err != nil {
				return Result{}, err
			}
			if !ok {
				continue
			}
			n++
			if ret != nil {
				pr, err := project(c, ret, row)
				if err != nil {
					return Result{}, err
				}
				out = append(out, pr)
			}
		}
		return Result{Tag: fmt.Sprintf("INSERT 0 %d", n), Columns: retCols, Rows: out}, nil
	}}, nil
}

// insertSource plans the rows to insert, already coerced to the target
// columns' types; DEFAULT in VALUES becomes a marker NULL filled later.
func (env *Env) insertSource(s *ast.Insert, t *catalog.Table, w *tableWriter, cols []int) (node, error) {
	if s.Source == nil {
		return &valuesNode{rows: [][]*expr{{}}}, nil
	}
	if s.Source.Values != nil && s.Source.Op == ast.SetNone && s.Source.OrderBy == nil && s.Source.Limit == nil {
		cp := &compiler{env: env, scope: &scope{}, noAggs: "VALUES"}
		rows := make([][]*expr, len(s.Source.Values))
		for i, vals := range s.Source.Values {
			if len(vals) > len(cols) {
				return nil, sqlerr.New(sqlerr.SyntaxError, "INSERT has more expressions than target columns")
			}
			if len(vals) < len(cols) {
				return nil, sqlerr.New(sqlerr.SyntaxError, "INSERT has more target columns than expressions")
			}
			for j, v := range vals {
				col := t.Columns[cols[j]]
				if _, ok := v.(*ast.Default); ok {
					rows[i] = append(rows[i], defaultExpr(w, cols[j]))
					continue
				}
				x, err := cp.compile(v)
				if err != nil {
					return nil, err
				}
				if x, err = cp.coerce(x, col.Type, types.CastAssignment, fmt.Sprintf("column %q", col.Name)); err != nil {
					return nil, err
				}
				rows[i] = append(rows[i], x)
			}
		}
		return &valuesNode{rows: rows}, nil
	}
	plan, scols, err := env.planQuery(s.Source, nil)
	if err != nil {
		return nil, err
	}
	if len(scols) > len(cols) {
		return nil, sqlerr.New(sqlerr.SyntaxError, "INSERT has more expressions than target columns")
	}
	if len(scols) < len(cols) {
		return nil, sqlerr.New(sqlerr.SyntaxError, "INSERT has more target columns than expressions")
	}
	cp := &compiler{env: env, scope: &scope{cols: scols}}
	exprs := make([]*expr, len(scols))
	for j, sc := range scols {
		col := t.Columns[cols[j]]
		if exprs[j], err = cp.coerce(columnExpr(j, sc), col.Type, types.CastAssignment, fmt.Sprintf("column %q", col.Name)); err != nil {
			return nil, err
		}
	}
	return &projectNode{in: plan, exprs: exprs}, nil
}

func defaultExpr(w *tableWriter, col int) *expr {
	if d := w.defaults[col]; d != nil {
		return d
	}
	return constExpr(w.t.Columns[col].Type, types.Null, "NULL")
}

// fullRow places the supplied values and fills every other column from
// its default.
func fullRow(c *Ctx, w *tableWriter, cols []int, vals types.Row) (types.Row, error) {
	row := make(types.Row, len(w.t.Columns))
	given := make([]bool, len(row))
	for j, idx := range cols {
		row[idx], given[idx] = vals[j], true
	}
	for i := range row {
		if given[i] {
			continue
		}
		d, err := defaultExpr(w, i).eval(c, nil)
		if err != nil {
			return nil, err
		}
		row[i] = d
	}
	return row, nil
}

// upsertPlan is ON CONFLICT: nothing, or SET expressions over the
// existing row followed by the proposed row (EXCLUDED).
type upsertPlan struct {
	doUpdate bool
	sets     map[int]*expr
	where    *expr
	columns  []string
}

func (env *Env) planUpsert(oc *ast.OnConflict, t *catalog.Table, alias string) (*upsertPlan, error) {
	p := &upsertPlan{doUpdate: oc.DoUpdate, sets: map[int]*expr{}, columns: oc.Columns}
	for _, c := range oc.Columns {
		if col, _ := t.Column(c); col == nil {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q does not exist", c)
		}
	}
	if len(oc.Columns) > 0 && !matchesUnique(t, oc.Columns) {
		return nil, sqlerr.New(sqlerr.InvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
	}
	sc := append(tableScope(t, alias), tableScope(t, "excluded")...)
	cp := &compiler{env: env, scope: &scope{cols: sc}, noAggs: "ON CONFLICT"}
	for _, set := range oc.Set {
		col, idx := t.Column(set.Column)
		if col == nil {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", set.Column, t.Name).At(set.Pos)
		}
		x, err := cp.compile(set.Value)
		if err != nil {
			return nil, err
		}
		if p.sets[idx], err = cp.coerce(x, col.Type, types.CastAssignment, fmt.Sprintf("column %q", col.Name)); err != nil {
			return nil, err
		}
	}
	if oc.Where != nil {
		x, err := cp.compile(oc.Where)
		if err != nil {
			return nil, err
		}
		if p.where, err = cp.boolOf(x, "WHERE"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func matchesUnique(t *catalog.Table, cols []string) bool {
	want := map[string]bool{}
	for _, c := range cols {
		want[c] = true
	}
	match := func(idx catalog.Index) bool {
		if len(idx.Columns) != len(want) {
			return false
		}
		for _, id := range idx.Columns {
			if !want[t.Columns[t.ColumnByID(id)].Name] {
				return false
			}
		}
		return true
	}
	if match(t.Primary) && !t.HasRowID {
		return true
	}
	for _, idx := range t.Indexes {
		if idx.Unique && match(idx) {
			return true
		}
	}
	return false
}

// insertOne inserts row, resolving a conflict per ON CONFLICT; ok is false
// when nothing was written. It returns the row as stored.
func insertOne(c *Ctx, w *tableWriter, up *upsertPlan, row types.Row) (types.Row, bool, error) {
	if up == nil {
		return row, true, w.insertRow(c, row)
	}
	if err := w.validate(c, row); err != nil {
		return nil, false, err
	}
	existingKey, idx, err := w.conflict(c, row, nil)
	if err != nil {
		return nil, false, err
	}
	if idx == nil {
		return row, true, w.put(c, row)
	}
	if !up.doUpdate {
		return nil, false, nil
	}
	v, _, err := c.Txn.Get(existingKey)
	if err != nil {
		return nil, false, err
	}
	old, err := decodeStored(w.t, v)
	if err != nil {
		return nil, false, err
	}
	both := append(append(types.Row{}, old...), row...)
	if up.where != nil {
		ok, err := evalBool(c, up.where, both)
		if err != nil || !ok {
			return nil, false, err
		}
	}
	updated := append(types.Row{}, old...)
	// In column order, so that which error a row reports is deterministic.
	for _, i := range slices.Sorted(maps.Keys(up.sets)) {
		if updated[i], err = up.sets[i].eval(c, both); err != nil {
			return nil, false, err
		}
	}
	return updated, true, w.updateRow(c, old, updated)
}
