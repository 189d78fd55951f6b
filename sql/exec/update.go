package exec

import (
	"fmt"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

func decodeStored(t *catalog.Table, v []byte) (types.Row, error) {
	return keys.DecodeRow(v, t.ColumnIDs(), t.ColumnTypes())
}

// targetScan plans the rows of the statement's table matching WHERE.
func (env *Env) targetScan(tn ast.TableName, where ast.Expr, extra []ast.TableExpr) (*catalog.Table, node, string, error) {
	t, err := env.lookupTable(tn)
	if err != nil {
		return nil, nil, "", err
	}
	alias := tn.Alias
	if alias == "" {
		alias = t.Name
	}
	var n node = newScan(t, alias)
	if where != nil {
		if n, err = env.planWhere(n, &scope{cols: tableScope(t, alias)}, where); err != nil {
			return nil, nil, "", err
		}
	}
	return t, n, alias, nil
}

func (env *Env) prepareUpdate(s *ast.Update) (*Prepared, error) {
	src, err := env.targetSource(s.Table, s.Where, s.From)
	if err != nil {
		return nil, err
	}
	t, width := src.t, len(src.t.Columns)
	w, err := env.newWriter(t)
	if err != nil {
		return nil, err
	}
	cp := &compiler{env: env, scope: &scope{cols: src.cols}, noAggs: "UPDATE"}
	sets := map[int]*expr{}
	order := []int{}
	for _, set := range s.Set {
		col, idx := t.Column(set.Column)
		if col == nil || col.Hidden {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", set.Column, t.Name).At(set.Pos)
		}
		if _, dup := sets[idx]; dup {
			return nil, sqlerr.New(sqlerr.SyntaxError, "multiple assignments to same column %q", set.Column)
		}
		var x *expr
		if _, isDef := set.Value.(*ast.Default); isDef {
			x = defaultExpr(w, idx)
		} else if x, err = cp.compile(set.Value); err != nil {
			return nil, err
		}
		if sets[idx], err = cp.coerce(x, col.Type, types.CastAssignment, fmt.Sprintf("column %q", col.Name)); err != nil {
			return nil, err
		}
		order = append(order, idx)
	}
	ret, retCols, err := env.returningOver(src.cols, s.Returning)
	if err != nil {
		return nil, err
	}
	return &Prepared{Columns: retCols, plan: src.plan, run: func(c *Ctx) (Result, error) {
		rows, err := src.run(c)
		if err != nil {
			return Result{}, err
		}
		var out []types.Row
		for _, joined := range rows {
			// SET sees the joined row; the target row is its front.
			old := joined[:width:width]
			row := append(types.Row{}, old...)
			for _, idx := range order {
				if row[idx], err = sets[idx].eval(c, joined); err != nil {
					return Result{}, err
				}
			}
			if err := w.updateRow(c, old, row); err != nil {
				return Result{}, err
			}
			if ret != nil {
				pr, err := project(c, ret, append(row, joined[width:]...))
				if err != nil {
					return Result{}, err
				}
				out = append(out, pr)
			}
		}
		return Result{Tag: fmt.Sprintf("UPDATE %d", len(rows)), Columns: retCols, Rows: out}, nil
	}}, nil
}

func (env *Env) prepareDelete(s *ast.Delete) (*Prepared, error) {
	src, err := env.targetSource(s.Table, s.Where, s.Using)
	if err != nil {
		return nil, err
	}
	t, width := src.t, len(src.t.Columns)
	w := &tableWriter{t: t}
	ret, retCols, err := env.returningOver(src.cols, s.Returning)
	if err != nil {
		return nil, err
	}
	return &Prepared{Columns: retCols, plan: src.plan, run: func(c *Ctx) (Result, error) {
		rows, err := src.run(c)
		if err != nil {
			return Result{}, err
		}
		var out []types.Row
		for _, row := range rows {
			if err := w.remove(c, row[:width:width]); err != nil {
				return Result{}, err
			}
			if ret != nil {
				pr, err := project(c, ret, row)
				if err != nil {
					return Result{}, err
				}
				out = append(out, pr)
			}
		}
		return Result{Tag: fmt.Sprintf("DELETE %d", len(rows)), Columns: retCols, Rows: out}, nil
	}}, nil
}
