package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/parser"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

func alterTable(c *Ctx, s *ast.AlterTable) (Result, error) {
	t, err := catalog.GetTable(c.Txn, s.Table.Name)
	if err != nil {
		return Result{}, err
	}
	if t == nil {
		if s.IfExists {
			return Result{Tag: "ALTER TABLE"}, nil
		}
		return Result{}, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", s.Table.Name)
	}
	for _, cmd := range s.Cmds {
		switch cmd.Kind {
		case ast.AlterAddColumn:
			if err := alterAddColumn(c, t, cmd); err != nil {
				return Result{}, err
			}
		case ast.AlterDropColumn:
			if err := alterDropColumn(t, cmd); err != nil {
				return Result{}, err
			}
		case ast.AlterAddConstraint:
			if err := alterAddConstraint(c, t, cmd.Constraint); err != nil {
				return Result{}, err
			}
		}
	}
	return Result{Tag: "ALTER TABLE"}, catalog.PutTable(c.Txn, t)
}

// alterAddColumn adds a column. Existing rows are rewritten with the
// column's default (evaluated per row, so nextval gives each its own
// value) when it has one, and checked against NOT NULL and CHECK, as
// PostgreSQL's table rewrite does; without a default they read it as NULL
// with no rewrite.
func alterAddColumn(c *Ctx, t *catalog.Table, cmd ast.AlterCmd) error {
	if col, _ := t.Column(cmd.Column.Name); col != nil {
		if cmd.IfNotExists {
			return nil
		}
		return sqlerr.New(sqlerr.DuplicateColumn, "column %q of relation %q already exists", cmd.Column.Name, t.Name)
	}
	if cmd.Column.PrimaryKey || cmd.Column.Unique {
		return sqlerr.Unsupported("ADD COLUMN with PRIMARY KEY or UNIQUE")
	}
	nSeq, nChecks := len(t.Sequences), len(t.Checks)
	if err := addColumn(t, cmd.Column); err != nil {
		return err
	}
	for _, s := range t.Sequences[nSeq:] {
		if err := catalog.CreateSequence(c.Txn, s, t.ID); err != nil {
			return err
		}
	}
	if err := validateChecks(c, t); err != nil {
		return err
	}
	col := t.Columns[len(t.Columns)-1]
	if col.Default != "" || col.NotNull || len(t.Checks) > nChecks {
		return backfillColumn(c, t)
	}
	return nil
}

// backfillColumn fills the table's last (new) column in every existing
// row and validates the rows. Index entries do not change: no index can
// cover a column that did not exist.
func backfillColumn(c *Ctx, t *catalog.Table) error {
	env := &Env{Txn: c.Txn, Loc: c.Loc}
	w, err := env.newWriter(t)
	if err != nil {
		return err
	}
	rows, err := newScan(t, t.Name).run(c)
	if err != nil {
		return err
	}
	last := len(t.Columns) - 1
	col := t.Columns[last]
	for _, row := range rows {
		if err := c.poll(); err != nil {
			return err
		}
		if row[last], err = defaultExpr(w, last).eval(c, nil); err != nil {
			return err
		}
		if col.NotNull && types.IsNull(row[last]) {
			return sqlerr.New(sqlerr.NotNullViolation, "column %q of relation %q contains null values", col.Name, t.Name)
		}
		if err := w.validate(c, row); err != nil {
			if e := sqlerr.Wrap(err); e.Code == sqlerr.CheckViolation {
				return sqlerr.New(sqlerr.CheckViolation, "check constraint of relation %q is violated by some row", t.Name)
			}
			return err
		}
		if err := c.Txn.Put(w.rowKey(row), keys.EncodeRow(t.ColumnIDs(), row)); err != nil {
			return err
		}
	}
	return nil
}

func alterDropColumn(t *catalog.Table, cmd ast.AlterCmd) error {
	col, pos := t.Column(cmd.Name)
	if col == nil || col.Hidden {
		if cmd.IfExists {
			return nil
		}
		return sqlerr.New(sqlerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, t.Name)
	}
	for _, id := range t.Primary.Columns {
		if id == col.ID && !t.HasRowID {
			return sqlerr.Unsupported("dropping a primary key column")
		}
	}
	for _, idx := range t.Indexes {
		for _, id := range idx.Columns {
			if id == col.ID {
				return sqlerr.Unsupported("dropping an indexed column (drop the index first)")
			}
		}
	}
	// Values of the dropped column stay in old rows and are skipped on
	// read: column IDs are never reused.
	t.Columns = append(t.Columns[:pos], t.Columns[pos+1:]...)
	return nil
}

func rename(c *Ctx, s *ast.Rename) (Result, error) {
	if s.Index {
		t, id, err := catalog.GetIndexTable(c.Txn, s.Table.Name)
		if err != nil || t == nil {
			if err == nil {
				err = sqlerr.New(sqlerr.UndefinedObject, "index %q does not exist", s.Table.Name)
			}
			return Result{}, err
		}
		if err := catalog.RenameRelation(c.Txn, s.Table.Name, s.NewName); err != nil {
			return Result{}, err
		}
		for i := range t.Indexes {
			if t.Indexes[i].ID == id {
				t.Indexes[i].Name = s.NewName
			}
		}
		if t.Primary.ID == id {
			t.Primary.Name = s.NewName
		}
		return Result{Tag: "ALTER INDEX"}, catalog.PutTable(c.Txn, t)
	}
	t, err := catalog.GetTable(c.Txn, s.Table.Name)
	if err != nil {
		return Result{}, err
	}
	if t == nil {
		return Result{}, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", s.Table.Name)
	}
	if s.Column == "" {
		if err := catalog.RenameRelation(c.Txn, t.Name, s.NewName); err != nil {
			return Result{}, err
		}
		t.Name = s.NewName
		return Result{Tag: "ALTER TABLE"}, catalog.PutTable(c.Txn, t)
	}
	col, _ := t.Column(s.Column)
	if col == nil || col.Hidden {
		return Result{}, sqlerr.New(sqlerr.UndefinedColumn, "column %q does not exist", s.Column)
	}
	if other, _ := t.Column(s.NewName); other != nil {
		return Result{}, sqlerr.New(sqlerr.DuplicateColumn, "column %q of relation %q already exists", s.NewName, t.Name)
	}
	// CHECK constraints are stored as SQL text: rewrite their references
	// so they keep naming the same column.
	for i := range t.Checks {
		text, err := parser.RenameColumnRefs(t.Checks[i].Expr, col.Name, s.NewName)
		if err != nil {
			return Result{}, err
		}
		t.Checks[i].Expr = text
	}
	col.Name = s.NewName
	return Result{Tag: "ALTER TABLE"}, catalog.PutTable(c.Txn, t)
}
