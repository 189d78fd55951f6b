package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/types"
)

// UPDATE ... FROM and DELETE ... USING, with PostgreSQL's semantics: the
// target table is joined with the other FROM items under the WHERE
// clause; SET, WHERE and RETURNING see every joined column (RETURNING *
// includes the other items' columns); a target row that joins with
// several rows is updated or deleted once, with the first joined row
// (PostgreSQL leaves which one unspecified), and counted once.

// dmlSource is what an UPDATE or DELETE reads: the target table's rows,
// possibly joined with other FROM items.
type dmlSource struct {
	t     *catalog.Table
	alias string
	plan  node
	// cols is the scope of SET, WHERE and RETURNING: the target's
	// columns first, then the other FROM items'.
	cols []scopeCol
	// joined is set when there are other FROM items: rows may then
	// repeat a target row, and run keeps the first of each.
	joined bool
}

// targetSource plans the rows an UPDATE or DELETE acts on.
func (env *Env) targetSource(tn ast.TableName, where ast.Expr, extra []ast.TableExpr) (*dmlSource, error) {
	if len(extra) == 0 {
		t, n, alias, err := env.targetScan(tn, where, nil)
		if err != nil {
			return nil, err
		}
		return &dmlSource{t: t, alias: alias, plan: n, cols: tableScope(t, alias)}, nil
	}
	t, err := env.lookupTable(tn)
	if err != nil {
		return nil, err
	}
	alias := tn.Alias
	if alias == "" {
		alias = t.Name
	}
	tcols := tableScope(t, alias)
	right, rcols, err := env.planFrom(extra, nil)
	if err != nil {
		return nil, err
	}
	if err := checkDuplicateAliases(tcols, rcols); err != nil {
		return nil, err
	}
	cols := append(append([]scopeCol{}, tcols...), rcols...)
	j := &joinNode{kind: ast.JoinInner, left: newScan(t, alias), right: right, leftWidth: len(tcols), rightWidth: len(rcols)}
	if where != nil {
		cp := &compiler{env: env, scope: &scope{cols: cols}, noAggs: "WHERE"}
		pred, err := cp.compile(where)
		if err != nil {
			return nil, err
		}
		if pred, err = cp.boolOf(pred, "WHERE"); err != nil {
			return nil, err
		}
		j.on = pred
		j.lkeys, j.rkeys = equiKeys(pred, len(tcols))
	}
	return &dmlSource{t: t, alias: alias, plan: j, cols: cols, joined: true}, nil
}

// run returns the rows to act on, each target row once.
func (src *dmlSource) run(c *Ctx) ([]types.Row, error) {
	rows, err := src.plan.run(c)
	if err != nil || !src.joined {
		return rows, err
	}
	seen := map[string]bool{}
	out := rows[:0]
	for _, r := range rows {
		k := string(targetRowKey(src.t, r))
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// targetRowKey is the primary key of the target row at the front of r.
func targetRowKey(t *catalog.Table, r types.Row) []byte {
	k := keys.RowPrefix(t.ID)
	for i, colID := range t.Primary.Columns {
		k = keys.EncodeKey(k, r[t.ColumnByID(colID)], t.Primary.Desc[i])
	}
	return k
}

// returningOver compiles RETURNING targets over the source's scope.
func (env *Env) returningOver(cols []scopeCol, targets []ast.Target) ([]*expr, []Column, error) {
	if len(targets) == 0 {
		return nil, nil, nil
	}
	ts, err := expandTargets(targets, cols)
	if err != nil {
		return nil, nil, err
	}
	cp := &compiler{env: env, scope: &scope{cols: cols}, noAggs: "RETURNING"}
	var exprs []*expr
	var out []Column
	for _, tg := range ts {
		x, err := cp.compile(tg.Expr)
		if err != nil {
			return nil, nil, err
		}
		if x, err = cp.resolveUnknown(x); err != nil {
			return nil, nil, err
		}
		name := tg.Alias
		if name == "" {
			name = ast.ColName(tg.Expr)
		}
		exprs = append(exprs, x)
		out = append(out, Column{Name: name, T: x.T})
	}
	return exprs, out, nil
}
