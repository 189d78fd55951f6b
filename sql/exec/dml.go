package exec

import (
	"fmt"
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// tableWriter maintains a table's rows, indexes and constraints.
type tableWriter struct {
	t        *catalog.Table
	checks   []*expr
	defaults []*expr // per column; nil for none
}

func (env *Env) newWriter(t *catalog.Table) (*tableWriter, error) {
	w := &tableWriter{t: t, defaults: make([]*expr, len(t.Columns))}
	cp := &compiler{env: env, scope: &scope{cols: tableScope(t, t.Name)}, noAggs: "check constraints"}
	for _, ch := range t.Checks {
		x, err := compileText(cp, ch.Expr)
		if err != nil {
			return nil, err
		}
		w.checks = append(w.checks, x)
	}
	dcp := &compiler{env: env, scope: &scope{}, noAggs: "DEFAULT expressions"}
	for i, c := range t.Columns {
		if c.Default == "" {
			continue
		}
		x, err := compileText(dcp, c.Default)
		if err != nil {
			return nil, err
		}
		if w.defaults[i], err = dcp.coerce(x, c.Type, types.CastAssignment, fmt.Sprintf("column %q", c.Name)); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// compileText compiles an expression kept as SQL text in the catalog.
func compileText(cp *compiler, text string) (*expr, error) {
	e, err := catalogExprs.parse(text)
	if err != nil {
		return nil, err
	}
	return cp.compile(e)
}

func (w *tableWriter) rowKey(row types.Row) []byte {
	k := keys.RowPrefix(w.t.ID)
	for i, colID := range w.t.Primary.Columns {
		k = keys.EncodeKey(k, row[w.t.ColumnByID(colID)], w.t.Primary.Desc[i])
	}
	return k
}

// indexKey returns an index entry's key and whether its indexed values
// contain NULL (which never conflicts in a unique index).
func (w *tableWriter) indexKey(idx *catalog.Index, row types.Row, rowKey []byte) ([]byte, bool) {
	k := keys.IndexKeyPrefix(w.t.ID, idx.ID)
	hasNull := false
	for i, colID := range idx.Columns {
		d := row[w.t.ColumnByID(colID)]
		hasNull = hasNull || types.IsNull(d)
		k = keys.EncodeKey(k, d, idx.Desc[i])
	}
	if !idx.Unique || hasNull {
		k = append(k, rowKey...) // non-unique entries are made unique by the row key
	}
	return k, hasNull
}

func failingRow(row types.Row, t *catalog.Table) string {
	var parts []string
	for i, d := range row {
		if t.Columns[i].Hidden {
			continue
		}
		if types.IsNull(d) {
			parts = append(parts, "null")
		} else {
			parts = append(parts, types.Format(t.Columns[i].Type, d, nil))
		}
	}
	return "Failing row contains (" + strings.Join(parts, ", ") + ")."
}

// validate checks NOT NULL and CHECK constraints.
func (w *tableWriter) validate(c *Ctx, row types.Row) error {
	for i, col := range w.t.Columns {
		if col.NotNull && types.IsNull(row[i]) {
			return sqlerr.New(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col.Name, w.t.Name).
				WithDetail("%s", failingRow(row, w.t))
		}
	}
	for i, ch := range w.checks {
		d, err := ch.eval(c, row)
		if err != nil {
			return err
		}
		if !types.IsNull(d) && !bool(d.(types.DBool)) {
			return sqlerr.New(sqlerr.CheckViolation, "new row for relation %q violates check constraint %q", w.t.Name, w.t.Checks[i].Name).
				WithDetail("%s", failingRow(row, w.t))
		}
	}
	return nil
}

func keyDetail(t *catalog.Table, idx *catalog.Index, row types.Row) string {
	var names, vals []string
	for _, colID := range idx.Columns {
		i := t.ColumnByID(colID)
		names = append(names, t.Columns[i].Name)
		vals = append(vals, types.Format(t.Columns[i].Type, row[i], nil))
	}
	return fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", "))
}

// conflict returns the key of an existing row that the new row collides
// with on the primary key or a unique index (nil if none), and the index.
func (w *tableWriter) conflict(c *Ctx, row types.Row, ignoreKey []byte) ([]byte, *catalog.Index, error) {
	rk := w.rowKey(row)
	if string(rk) != string(ignoreKey) {
		if _, ok, err := c.Txn.Get(rk); err != nil || ok {
			return rk, &w.t.Primary, err
		}
	}
	for i := range w.t.Indexes {
		idx := &w.t.Indexes[i]
		if !idx.Unique {
			continue
		}
		ik, hasNull := w.indexKey(idx, row, rk)
		if hasNull {
			continue
		}
		v, ok, err := c.Txn.Get(ik)
		if err != nil {
			return nil, nil, err
		}
		if ok && string(v) != string(ignoreKey) {
			return v, idx, nil
		}
	}
	return nil, nil, nil
}

func uniqueViolation(t *catalog.Table, idx *catalog.Index, row types.Row) error {
	return sqlerr.New(sqlerr.UniqueViolation, "duplicate key value violates unique constraint %q", idx.Name).
		WithDetail("%s", keyDetail(t, idx, row))
}

// put writes a row and its index entries.
func (w *tableWriter) put(c *Ctx, row types.Row) error {
	rk := w.rowKey(row)
	if err := c.Txn.Put(rk, keys.EncodeRow(w.t.ColumnIDs(), row)); err != nil {
		return err
	}
	for i := range w.t.Indexes {
		ik, _ := w.indexKey(&w.t.Indexes[i], row, rk)
		if err := c.Txn.Put(ik, rk); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes a row and its index entries.
func (w *tableWriter) remove(c *Ctx, row types.Row) error {
	rk := w.rowKey(row)
	if err := c.Txn.Delete(rk); err != nil {
		return err
	}
	for i := range w.t.Indexes {
		ik, _ := w.indexKey(&w.t.Indexes[i], row, rk)
		if err := c.Txn.Delete(ik); err != nil {
			return err
		}
	}
	return nil
}

// insertRow validates and writes a new row, reporting unique violations.
func (w *tableWriter) insertRow(c *Ctx, row types.Row) error {
	if err := w.validate(c, row); err != nil {
		return err
	}
	if _, idx, err := w.conflict(c, row, nil); err != nil || idx != nil {
		if err != nil {
			return err
		}
		return uniqueViolation(w.t, idx, row)
	}
	return w.put(c, row)
}

// updateRow replaces old with row.
func (w *tableWriter) updateRow(c *Ctx, old, row types.Row) error {
	if err := w.validate(c, row); err != nil {
		return err
	}
	oldKey := w.rowKey(old)
	if err := w.remove(c, old); err != nil {
		return err
	}
	if _, idx, err := w.conflict(c, row, oldKey); err != nil || idx != nil {
		if err != nil {
			return err
		}
		return uniqueViolation(w.t, idx, row)
	}
	return w.put(c, row)
}

func (env *Env) lookupTable(tn ast.TableName) (*catalog.Table, error) {
	if tn.Schema != "" && tn.Schema != "public" {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation \"%s.%s\" does not exist", tn.Schema, tn.Name).At(tn.Pos)
	}
	t, err := catalog.LookupTable(env.Txn, tn.Name)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", tn.Name).At(tn.Pos)
	}
	return t, nil
}

// returning compiles RETURNING targets over the table's row.
func (env *Env) returning(t *catalog.Table, alias string, targets []ast.Target) ([]*expr, []Column, error) {
	if len(targets) == 0 {
		return nil, nil, nil
	}
	return env.returningOver(tableScope(t, alias), targets)
}

func project(c *Ctx, exprs []*expr, row types.Row) (types.Row, error) {
	out := make(types.Row, len(exprs))
	for i, e := range exprs {
		d, err := e.eval(c, row)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}
