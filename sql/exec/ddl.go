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

func runDDL(c *Ctx, stmt ast.Stmt) (Result, error) {
	switch s := stmt.(type) {
	case *ast.CreateTable:
		return createTable(c, s)
	case *ast.DropTable:
		return dropTable(c, s)
	case *ast.CreateIndex:
		return createIndex(c, s)
	case *ast.DropIndex:
		return dropIndex(c, s)
	case *ast.Truncate:
		return truncate(c, s)
	case *ast.AlterTable:
		return alterTable(c, s)
	case *ast.Rename:
		return rename(c, s)
	}
	return Result{}, sqlerr.Unsupported(fmt.Sprintf("%T", stmt))
}

func checkSchema(tn ast.TableName) error {
	if tn.Schema != "" && tn.Schema != "public" {
		return sqlerr.New(sqlerr.InvalidName, "schema %q does not exist", tn.Schema)
	}
	return nil
}

func createTable(c *Ctx, s *ast.CreateTable) (Result, error) {
	tag := Result{Tag: "CREATE TABLE"}
	if err := checkSchema(s.Name); err != nil {
		return Result{}, err
	}
	name := catalog.Truncate(s.Name.Name)
	kind, err := catalog.RelationExists(c.Txn, name)
	if err != nil {
		return Result{}, err
	}
	if kind != "" {
		if s.IfNotExists {
			return tag, nil // PostgreSQL adds a NOTICE; the session reports it
		}
		return Result{}, sqlerr.New(sqlerr.DuplicateTable, "relation %q already exists", name)
	}
	id, err := catalog.AllocID(c.Txn)
	if err != nil {
		return Result{}, err
	}
	t := &catalog.Table{ID: id, Name: name, NextColumn: 1, NextIndex: 2}
	var pk []string
	var uniques [][]string
	for _, cd := range s.Columns {
		if err := addColumn(t, cd); err != nil {
			return Result{}, err
		}
		if cd.PrimaryKey {
			if pk != nil {
				return Result{}, sqlerr.New(sqlerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", name)
			}
			pk = []string{cd.Name}
		}
		if cd.Unique {
			uniques = append(uniques, []string{cd.Name})
		}
	}
	for _, tc := range s.Constraints {
		switch tc.Kind {
		case ast.ConstraintPrimaryKey:
			if pk != nil {
				return Result{}, sqlerr.New(sqlerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", name)
			}
			pk = tc.Columns
		case ast.ConstraintUnique:
			uniques = append(uniques, tc.Columns)
		case ast.ConstraintCheck:
			addCheck(t, tc.Check, "")
		}
	}
	if err := setPrimaryKey(t, pk); err != nil {
		return Result{}, err
	}
	for _, u := range uniques {
		if _, err := addIndex(t, "", u, nil, true, true); err != nil {
			return Result{}, err
		}
	}
	if err := validateChecks(c, t); err != nil {
		return Result{}, err
	}
	return tag, catalog.CreateTable(c.Txn, t)
}

// addColumn appends a column definition to t (serial columns get a
// sequence and a nextval default).
func addColumn(t *catalog.Table, cd ast.ColumnDef) error {
	if col, _ := t.Column(cd.Name); col != nil {
		return sqlerr.New(sqlerr.DuplicateColumn, "column %q specified more than once", cd.Name)
	}
	if len(t.Columns) >= catalog.ColumnsMax {
		return sqlerr.New(sqlerr.TooManyColumns, "tables can have at most %d columns", catalog.ColumnsMax)
	}
	col := catalog.Column{ID: t.NextColumn, Name: catalog.Truncate(cd.Name), Type: cd.Type.T, NotNull: cd.NotNull || cd.PrimaryKey, Default: cd.DefaultText}
	t.NextColumn++
	if cd.Type.Serial {
		if cd.Default != nil {
			return sqlerr.New(sqlerr.SyntaxError, "multiple default values specified for column %q of table %q", cd.Name, t.Name)
		}
		seq := catalog.Truncate(t.Name + "_" + cd.Name + "_seq")
		t.Sequences = append(t.Sequences, seq)
		col.Default = fmt.Sprintf("nextval('%s'::regclass)", seq)
		col.NotNull = true
	}
	t.Columns = append(t.Columns, col)
	for _, ch := range cd.Checks {
		addCheck(t, ch, cd.Name)
	}
	return nil
}

func addCheck(t *catalog.Table, ch ast.CheckDef, col string) {
	name := ch.Name
	if name == "" {
		if col != "" {
			name = uniqueConstraintName(t, t.Name+"_"+col+"_check")
		} else {
			name = uniqueConstraintName(t, t.Name+"_check")
		}
	}
	t.Checks = append(t.Checks, catalog.Check{Name: name, Expr: ch.Text})
}

func uniqueConstraintName(t *catalog.Table, base string) string {
	name := catalog.Truncate(base)
	for i := 1; ; i++ {
		taken := false
		for _, ch := range t.Checks {
			taken = taken || ch.Name == name
		}
		if !taken {
			return name
		}
		name = catalog.Truncate(fmt.Sprintf("%s%d", base, i))
	}
}

func validateChecks(c *Ctx, t *catalog.Table) error {
	env := &Env{Txn: c.Txn, Loc: c.Loc}
	cp := &compiler{env: env, scope: &scope{cols: tableScope(t, t.Name)}, noAggs: "check constraints"}
	for _, ch := range t.Checks {
		x, err := compileText(cp, ch.Expr)
		if err != nil {
			return err
		}
		if _, err := cp.boolOf(x, "CHECK"); err != nil {
			return err
		}
	}
	dcp := &compiler{env: env, scope: &scope{}, noAggs: "DEFAULT expressions"}
	for _, col := range t.Columns {
		if col.Default == "" || strings.HasPrefix(col.Default, "nextval(") {
			continue
		}
		x, err := compileText(dcp, col.Default)
		if err != nil {
			if e := sqlerr.Wrap(err); e.Code == sqlerr.UndefinedColumn {
				return sqlerr.New("0A000", "cannot use column reference in DEFAULT expression")
			}
			return err
		}
		if _, err := dcp.coerce(x, col.Type, types.CastAssignment, fmt.Sprintf("column %q", col.Name)); err != nil {
			return err
		}
	}
	return nil
}

func setPrimaryKey(t *catalog.Table, pk []string) error {
	if pk == nil {
		t.HasRowID = true
		seq := catalog.Truncate(t.Name + "_rowid_seq")
		t.Sequences = append(t.Sequences, seq)
		t.Columns = append(t.Columns, catalog.Column{ID: t.NextColumn, Name: catalog.RowIDColumn, Type: types.Int8,
			NotNull: true, Hidden: true, Default: fmt.Sprintf("nextval('%s'::regclass)", seq)})
		t.NextColumn++
		t.Primary = catalog.Index{ID: catalog.PrimaryIndexID, Columns: []uint32{t.NextColumn - 1}, Desc: []bool{false}, Unique: true}
		return nil
	}
	idx, err := indexColumns(t, pk, nil)
	if err != nil {
		return err
	}
	idx.ID, idx.Unique, idx.Constraint = catalog.PrimaryIndexID, true, true
	idx.Name = catalog.Truncate(t.Name + "_pkey")
	for _, id := range idx.Columns {
		t.Columns[t.ColumnByID(id)].NotNull = true
	}
	t.Primary = idx
	return nil
}

func indexColumns(t *catalog.Table, names []string, desc []bool) (catalog.Index, error) {
	var idx catalog.Index
	for i, n := range names {
		col, _ := t.Column(n)
		if col == nil || col.Hidden {
			return idx, sqlerr.New(sqlerr.UndefinedColumn, "column %q named in key does not exist", n)
		}
		if col.Type.IsArray() {
			return idx, errArrayKey(col.Name)
		}
		idx.Columns = append(idx.Columns, col.ID)
		idx.Desc = append(idx.Desc, desc != nil && desc[i])
	}
	return idx, nil
}

// addIndex adds a secondary index to t and returns it.
func addIndex(t *catalog.Table, name string, cols []string, desc []bool, unique, constraint bool) (*catalog.Index, error) {
	if len(t.Indexes) >= catalog.IndexesMax {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "tables can have at most %d indexes", catalog.IndexesMax)
	}
	idx, err := indexColumns(t, cols, desc)
	if err != nil {
		return nil, err
	}
	if name == "" {
		suffix := "idx"
		if constraint {
			suffix = "key"
		}
		name = catalog.Truncate(t.Name + "_" + strings.Join(cols, "_") + "_" + suffix)
	}
	idx.ID, idx.Name, idx.Unique, idx.Constraint = t.NextIndex, name, unique, constraint
	t.NextIndex++
	t.Indexes = append(t.Indexes, idx)
	return &t.Indexes[len(t.Indexes)-1], nil
}

func dropTable(c *Ctx, s *ast.DropTable) (Result, error) {
	for _, tn := range s.Names {
		t, err := catalog.GetTable(c.Txn, tn.Name)
		if err != nil {
			return Result{}, err
		}
		if t == nil {
			if s.IfExists {
				continue
			}
			return Result{}, sqlerr.New(sqlerr.UndefinedTable, "table %q does not exist", tn.Name)
		}
		if err := catalog.DropTable(c.Txn, t); err != nil {
			return Result{}, err
		}
	}
	return Result{Tag: "DROP TABLE"}, nil
}

func createIndex(c *Ctx, s *ast.CreateIndex) (Result, error) {
	t, err := catalog.GetTable(c.Txn, s.Table.Name)
	if err != nil {
		return Result{}, err
	}
	if t == nil {
		return Result{}, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", s.Table.Name)
	}
	name := s.Name
	if name != "" {
		kind, err := catalog.RelationExists(c.Txn, name)
		if err != nil {
			return Result{}, err
		}
		if kind != "" {
			if s.IfNotExists {
				return Result{Tag: "CREATE INDEX"}, nil
			}
			return Result{}, sqlerr.New(sqlerr.DuplicateTable, "relation %q already exists", name)
		}
	}
	var cols []string
	var desc []bool
	for _, ic := range s.Columns {
		cols, desc = append(cols, ic.Name), append(desc, ic.Desc)
	}
	idx, err := addIndex(t, name, cols, desc, s.Unique, false)
	if err != nil {
		return Result{}, err
	}
	if err := backfill(c, t, idx); err != nil {
		return Result{}, err
	}
	if err := catalog.AddIndexName(c.Txn, idx.Name, t.ID, idx.ID); err != nil {
		return Result{}, err
	}
	return Result{Tag: "CREATE INDEX"}, catalog.PutTable(c.Txn, t)
}

// backfill writes the entries of a new index for every existing row,
// failing with 23505 if a unique index finds duplicates.
func backfill(c *Ctx, t *catalog.Table, idx *catalog.Index) error {
	rows, err := newScan(t, t.Name).run(c)
	if err != nil {
		return err
	}
	w := &tableWriter{t: t}
	for _, row := range rows {
		rk := w.rowKey(row)
		ik, hasNull := w.indexKey(idx, row, rk)
		if idx.Unique && !hasNull {
			if _, ok, err := c.Txn.Get(ik); err != nil {
				return err
			} else if ok {
				return sqlerr.New(sqlerr.UniqueViolation, "could not create unique index %q", idx.Name).
					WithDetail("%s", strings.Replace(keyDetail(t, idx, row), "already exists", "is duplicated", 1))
			}
		}
		if err := c.Txn.Put(ik, rk); err != nil {
			return err
		}
	}
	return nil
}

func dropIndex(c *Ctx, s *ast.DropIndex) (Result, error) {
	for _, n := range s.Names {
		t, id, err := catalog.GetIndexTable(c.Txn, n.Name)
		if err != nil {
			return Result{}, err
		}
		if t == nil {
			if s.IfExists {
				continue
			}
			return Result{}, sqlerr.New(sqlerr.UndefinedObject, "index %q does not exist", n.Name)
		}
		if id == catalog.PrimaryIndexID || t.Index(n.Name).Constraint {
			return Result{}, sqlerr.New("2BP01", "cannot drop index %s because constraint %s on table %s requires it", n.Name, n.Name, t.Name)
		}
		kept := t.Indexes[:0]
		for _, idx := range t.Indexes {
			if idx.ID != id {
				kept = append(kept, idx)
			}
		}
		t.Indexes = kept
		p := keys.IndexKeyPrefix(t.ID, id)
		if err := c.Txn.DeleteRange(p, keys.PrefixEnd(p)); err != nil {
			return Result{}, err
		}
		if err := catalog.RemoveName(c.Txn, n.Name); err != nil {
			return Result{}, err
		}
		if err := catalog.PutTable(c.Txn, t); err != nil {
			return Result{}, err
		}
	}
	return Result{Tag: "DROP INDEX"}, nil
}

func truncate(c *Ctx, s *ast.Truncate) (Result, error) {
	for _, tn := range s.Tables {
		t, err := catalog.GetTable(c.Txn, tn.Name)
		if err != nil {
			return Result{}, err
		}
		if t == nil {
			return Result{}, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", tn.Name)
		}
		for _, p := range [][]byte{keys.RowPrefix(t.ID), keys.IndexTablePrefix(t.ID)} {
			if err := c.Txn.DeleteRange(p, keys.PrefixEnd(p)); err != nil {
				return Result{}, err
			}
		}
	}
	return Result{Tag: "TRUNCATE TABLE"}, nil
}
