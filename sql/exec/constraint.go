package exec

import (
	"slices"
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// alterAddConstraint runs ALTER TABLE ... ADD [CONSTRAINT name] PRIMARY
// KEY / UNIQUE / CHECK. Each validates every existing row first, as
// PostgreSQL does, and changes nothing if one fails (the statement's
// writes are discarded with it).
func alterAddConstraint(c *Ctx, t *catalog.Table, con ast.TableConstraint) error {
	switch con.Kind {
	case ast.ConstraintPrimaryKey:
		return alterAddPrimaryKey(c, t, con)
	case ast.ConstraintUnique:
		idx, err := addIndex(t, catalog.Truncate(con.Name), con.Columns, nil, true, true)
		if err != nil {
			return err
		}
		if err := backfill(c, t, idx); err != nil {
			return err
		}
		return catalog.AddIndexName(c.Txn, idx.Name, t.ID, idx.ID)
	case ast.ConstraintCheck:
		addCheck(t, con.Check, "")
		if err := validateChecks(c, t); err != nil {
			return err
		}
		return validateRows(c, t)
	}
	return sqlerr.Unsupported("this ALTER TABLE ADD CONSTRAINT")
}

// validateRows checks every row of t against its NOT NULL and CHECK
// constraints.
func validateRows(c *Ctx, t *catalog.Table) error {
	w, err := (&Env{Txn: c.Txn, Loc: c.Loc}).newWriter(t)
	if err != nil {
		return err
	}
	rows, err := newScan(t, t.Name).run(c)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if err := c.poll(); err != nil {
			return err
		}
		if err := w.validate(c, row); err != nil {
			if e := sqlerr.Wrap(err); e.Code == sqlerr.CheckViolation {
				return sqlerr.New(sqlerr.CheckViolation, "check constraint %q of relation %q is violated by some row", t.Checks[len(t.Checks)-1].Name, t.Name)
			}
			return err
		}
	}
	return nil
}

// alterAddPrimaryKey gives a table created without a primary key (keyed by
// its hidden rowid) the primary key cols: every row moves from its rowid
// key to its new key, secondary index entries are rebuilt (they point at
// the row key), and the rowid column and its sequence go away. All of it
// happens in the statement's transaction, so a duplicate or NULL key
// leaves the table as it was.
//
// The rewrite deletes every old key before writing any new one: a rowid
// and a new key may encode to the same bytes, and the uniqueness check
// below must only see keys this rewrite wrote.
func alterAddPrimaryKey(c *Ctx, t *catalog.Table, con ast.TableConstraint) error {
	if _, err := indexColumns(t, con.Columns, nil); err != nil {
		return err // PostgreSQL resolves the columns first
	}
	if !t.HasRowID {
		return sqlerr.New(sqlerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", t.Name)
	}
	rowidPos := slices.IndexFunc(t.Columns, func(col catalog.Column) bool { return col.Hidden && col.Name == catalog.RowIDColumn })
	if rowidPos < 0 {
		return sqlerr.New(sqlerr.InternalError, "table %q has a row id but no rowid column", t.Name)
	}
	nt, rowidSeq := withoutRowID(t, rowidPos)
	if err := setPrimaryKey(nt, con.Columns); err != nil {
		return err
	}
	if con.Name != "" {
		nt.Primary.Name = catalog.Truncate(con.Name)
	}
	rows, err := newScan(t, t.Name).run(c)
	if err != nil {
		return err
	}
	old := &tableWriter{t: t}
	for _, row := range rows {
		if err := c.poll(); err != nil {
			return err
		}
		if err := old.remove(c, row); err != nil {
			return err
		}
	}
	if err := rekeyRows(c, nt, rows, rowidPos); err != nil {
		return err
	}
	if rowidSeq != "" {
		if err := catalog.DropSequence(c.Txn, rowidSeq); err != nil {
			return err
		}
	}
	if err := catalog.AddIndexName(c.Txn, nt.Primary.Name, nt.ID, nt.Primary.ID); err != nil {
		return err
	}
	*t = *nt
	return nil
}

// withoutRowID returns a copy of t without its rowid column (at pos) and
// the name of the sequence that fed it.
func withoutRowID(t *catalog.Table, pos int) (*catalog.Table, string) {
	nt := *t
	nt.Columns = slices.Delete(slices.Clone(t.Columns), pos, pos+1)
	nt.Indexes = slices.Clone(t.Indexes)
	nt.HasRowID = false
	seq := strings.TrimSuffix(strings.TrimPrefix(t.Columns[pos].Default, "nextval('"), "'::regclass)")
	if seq == t.Columns[pos].Default || !slices.Contains(t.Sequences, seq) {
		seq = ""
	}
	nt.Sequences = slices.DeleteFunc(slices.Clone(t.Sequences), func(s string) bool { return s == seq })
	return &nt, seq
}

// rekeyRows writes rows (still with their rowid at rowidPos) under nt's
// primary key, failing on a NULL or duplicated key as CREATE UNIQUE INDEX
// does in PostgreSQL.
func rekeyRows(c *Ctx, nt *catalog.Table, rows []types.Row, rowidPos int) error {
	w := &tableWriter{t: nt}
	for _, old := range rows {
		if err := c.poll(); err != nil {
			return err
		}
		row := slices.Delete(slices.Clone(old), rowidPos, rowidPos+1)
		for _, id := range nt.Primary.Columns {
			if i := nt.ColumnByID(id); types.IsNull(row[i]) {
				return sqlerr.New(sqlerr.NotNullViolation, "column %q of relation %q contains null values", nt.Columns[i].Name, nt.Name)
			}
		}
		if _, dup, err := c.Txn.Get(w.rowKey(row)); err != nil {
			return err
		} else if dup {
			return sqlerr.New(sqlerr.UniqueViolation, "could not create unique index %q", nt.Primary.Name).
				WithDetail("%s", strings.Replace(keyDetail(nt, &nt.Primary, row), "already exists", "is duplicated", 1))
		}
		if err := w.put(c, row); err != nil {
			return err
		}
	}
	return nil
}
