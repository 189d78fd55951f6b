package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// prepareVacuum plans VACUUM / ANALYZE. There is nothing for them to do:
// MVCC garbage is dropped by the storage engine's compactions and the
// planner keeps no statistics. They still resolve their tables and
// columns, so a misspelt name fails as it does in PostgreSQL (42P01,
// 42703), and answer with PostgreSQL's command tag, which clients such as
// pgbench check.
func prepareVacuum(s *ast.Vacuum) (*Prepared, error) {
	tag := "ANALYZE"
	if s.IsVacuum {
		tag = "VACUUM"
	}
	return &Prepared{run: func(c *Ctx) (Result, error) {
		env := &Env{Txn: c.Txn, Loc: c.Loc}
		for i, tn := range s.Tables {
			t, err := env.lookupTable(tn)
			if err != nil {
				return Result{}, err
			}
			for _, name := range s.Columns[i] {
				if col, _ := t.Column(name); col == nil || col.Hidden {
					return Result{}, sqlerr.New(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
				}
			}
		}
		return Result{Tag: tag}, nil
	}}, nil
}
