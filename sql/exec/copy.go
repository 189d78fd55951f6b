package exec

import (
	"fmt"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// CopyFrom is a planned COPY ... FROM STDIN: the columns the data rows
// carry, and the writer that inserts them with every constraint.
type CopyFrom struct {
	// Columns are the data's columns, in order, with their types: the
	// table's visible columns, or the COPY column list.
	Columns []Column
	w       *tableWriter
	cols    []int // table positions of Columns
}

// PrepareCopyFrom plans COPY s (s.From) against the catalog as env.Txn
// sees it.
func PrepareCopyFrom(s *ast.Copy, env *Env) (cf *CopyFrom, err error) {
	defer func() {
		if r := recover(); r != nil {
			cf, err = nil, sqlerr.New(sqlerr.InternalError, "internal error: %v", r)
		}
	}()
	if !s.From || s.Query != nil {
		return nil, fmt.Errorf("exec: PrepareCopyFrom of a COPY TO")
	}
	t, err := env.lookupTable(s.Table)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	w, err := env.newWriter(t)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	cols, err := env.targetColumns(t, s.Columns)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	cf = &CopyFrom{w: w, cols: cols}
	for _, i := range cols {
		cf.Columns = append(cf.Columns, Column{Name: t.Columns[i].Name, T: t.Columns[i].Type})
	}
	return cf, nil
}

// Insert inserts rows (one value per Columns entry, of its type; NULL
// allowed) on c.Txn: the other columns take their defaults, and NOT NULL,
// CHECK, UNIQUE and PRIMARY KEY are enforced as for INSERT. It returns the
// number of rows inserted before the first error.
func (cf *CopyFrom) Insert(c *Ctx, rows []types.Row) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = sqlerr.New(sqlerr.InternalError, "internal error: %v", r)
		}
	}()
	if c.Interrupted != nil {
		c.Txn = &interruptTxn{Txn: c.Txn, interrupted: c.Interrupted}
	}
	for _, r := range rows {
		if len(r) != len(cf.cols) {
			return n, sqlerr.New(sqlerr.BadCopyFileFormat, "COPY row has %d values, expected %d", len(r), len(cf.cols))
		}
		vals := make(types.Row, len(r))
		for j, d := range r {
			if vals[j], err = cf.coerce(j, d); err != nil {
				return n, err
			}
		}
		row, err := fullRow(c, cf.w, cf.cols, vals)
		if err != nil {
			return n, sqlerr.Wrap(err)
		}
		if _, _, err := insertOne(c, cf.w, nil, row); err != nil {
			return n, sqlerr.Wrap(err)
		}
		n++
	}
	return n, nil
}

// coerce applies the column's length or precision modifier, as an
// assignment does (22001 for a too-long string, 22003 for a numeric
// overflow).
func (cf *CopyFrom) coerce(j int, d types.Datum) (types.Datum, error) {
	if d == nil || types.IsNull(d) {
		return types.Null, nil
	}
	t := cf.Columns[j].T
	if t.Typmod < 0 {
		return d, nil
	}
	return types.ApplyTypmod(t, d, false)
}

// PrepareCopyTo plans COPY ... TO STDOUT as the query it is: the table's
// visible columns (or the COPY column list) in table order, or the
// given query. The command tag is "COPY n".
func PrepareCopyTo(s *ast.Copy, env *Env) (*Prepared, error) {
	q := s.Query
	if q == nil {
		q = &ast.Select{From: []ast.TableExpr{&s.Table}}
		if len(s.Columns) == 0 {
			q.Targets = []ast.Target{{Expr: &ast.ColRef{Star: true}, Pos: -1}}
		}
		for _, name := range s.Columns {
			q.Targets = append(q.Targets, ast.Target{Expr: &ast.ColRef{Parts: []string{name}}, Pos: -1})
		}
	}
	p, err := Prepare(q, env)
	if err != nil {
		return nil, err
	}
	inner := p.run
	p.run = func(c *Ctx) (Result, error) {
		res, err := inner(c)
		res.Tag = fmt.Sprintf("COPY %d", len(res.Rows))
		return res, err
	}
	return p, nil
}
