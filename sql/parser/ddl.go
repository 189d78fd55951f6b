package parser

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

func (t *translator) typeRef(tn *pg.TypeName) ast.TypeRef {
	if tn == nil {
		fail(sqlerr.SyntaxError, "missing type")
	}
	if len(tn.ArrayBounds) > 0 {
		elem := &pg.TypeName{Names: tn.Names, Typmods: tn.Typmods, Location: tn.Location}
		return ast.TypeRef{T: arrayType(t.typeRef(elem).T)}
	}
	if tn.Setof || tn.PctType {
		unsupported("this type reference")
	}
	names := strList(tn.Names)
	if len(names) == 2 && names[0] == "pg_catalog" {
		names = names[1:]
	}
	if len(names) != 1 {
		fail(sqlerr.UndefinedObject, "type %q does not exist", strings.Join(names, "."))
	}
	name := names[0]
	var mods []int64
	for _, m := range tn.Typmods {
		c := m.GetAConst()
		if c == nil {
			fail(sqlerr.SyntaxError, "type modifiers must be simple constants or identifiers")
		}
		iv, ok := c.Val.(*pg.A_Const_Ival)
		if !ok {
			fail(sqlerr.SyntaxError, "type modifiers must be simple constants or identifiers")
		}
		mods = append(mods, int64(iv.Ival.Ival))
	}
	if name == "float" && len(mods) == 1 { // float(p)
		ft, err := types.FloatFromPrecision(mods[0])
		if err != nil {
			fail(sqlerr.InvalidParameterValue, "%s", err.Error())
		}
		return ast.TypeRef{T: ft}
	}
	base, ok := types.Lookup(name)
	if !ok {
		fail(sqlerr.UndefinedObject, "type %q does not exist", name)
	}
	if name == "bpchar" && len(mods) == 0 {
		return ast.TypeRef{T: types.Bpchar}
	}
	typ, err := types.WithTypmod(base, mods)
	if err != nil {
		fail(sqlerr.SyntaxError, "%s", err.Error())
	}
	return ast.TypeRef{T: typ, Serial: types.IsSerial(name)}
}

// deparse renders an expression node as PostgreSQL prints it, for the text
// of DEFAULT and CHECK expressions kept in the catalog.
func (t *translator) deparse(n *pg.Node) string {
	sel := &pg.SelectStmt{TargetList: []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: n}}}}}
	text, err := pg.Deparse(&pg.ParseResult{Version: t.version, Stmts: []*pg.RawStmt{{Stmt: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}}}}})
	if err != nil {
		fail(sqlerr.InternalError, "deparse: %v", err)
	}
	return strings.TrimPrefix(text, "SELECT ")
}

func (t *translator) createTable(s *pg.CreateStmt) ast.Stmt {
	if len(s.InhRelations) > 0 || s.Partspec != nil || s.Partbound != nil || s.OfTypename != nil {
		unsupported("inheritance, partitioning and typed tables")
	}
	if s.Relation.Relpersistence == "t" {
		unsupported("temporary tables")
	}
	out := &ast.CreateTable{Name: t.tableName(s.Relation), IfNotExists: s.IfNotExists}
	for _, e := range s.TableElts {
		switch {
		case e.GetColumnDef() != nil:
			out.Columns = append(out.Columns, t.columnDef(e.GetColumnDef()))
		case e.GetConstraint() != nil:
			out.Constraints = append(out.Constraints, t.tableConstraint(e.GetConstraint()))
		default:
			unsupported("table element %s", nodeName(e))
		}
	}
	return out
}

func (t *translator) columnDef(cd *pg.ColumnDef) ast.ColumnDef {
	if cd.CollClause != nil {
		unsupported("COLLATE")
	}
	out := ast.ColumnDef{Name: cd.Colname, Type: t.typeRef(cd.TypeName), Pos: int(cd.Location)}
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		switch c.Contype {
		case pg.ConstrType_CONSTR_NOTNULL:
			out.NotNull = true
		case pg.ConstrType_CONSTR_NULL:
		case pg.ConstrType_CONSTR_DEFAULT:
			out.Default = t.expr(c.RawExpr)
			out.DefaultText = t.deparse(c.RawExpr)
		case pg.ConstrType_CONSTR_PRIMARY:
			out.PrimaryKey = true
		case pg.ConstrType_CONSTR_UNIQUE:
			out.Unique = true
		case pg.ConstrType_CONSTR_CHECK:
			out.Checks = append(out.Checks, ast.CheckDef{Name: c.Conname, Expr: t.expr(c.RawExpr), Text: t.deparse(c.RawExpr)})
		case pg.ConstrType_CONSTR_FOREIGN:
			unsupported("FOREIGN KEY constraints")
		case pg.ConstrType_CONSTR_IDENTITY, pg.ConstrType_CONSTR_GENERATED:
			unsupported("identity and generated columns")
		default:
			unsupported("constraint %s", c.Contype)
		}
	}
	return out
}

func (t *translator) tableConstraint(c *pg.Constraint) ast.TableConstraint {
	out := ast.TableConstraint{Name: c.Conname, Columns: strList(c.Keys)}
	switch c.Contype {
	case pg.ConstrType_CONSTR_PRIMARY:
		out.Kind = ast.ConstraintPrimaryKey
	case pg.ConstrType_CONSTR_UNIQUE:
		out.Kind = ast.ConstraintUnique
	case pg.ConstrType_CONSTR_CHECK:
		out.Kind = ast.ConstraintCheck
		out.Check = ast.CheckDef{Name: c.Conname, Expr: t.expr(c.RawExpr), Text: t.deparse(c.RawExpr)}
	case pg.ConstrType_CONSTR_FOREIGN:
		unsupported("FOREIGN KEY constraints")
	default:
		unsupported("constraint %s", c.Contype)
	}
	if len(c.Including) > 0 {
		unsupported("INCLUDE")
	}
	return out
}

func (t *translator) drop(s *pg.DropStmt) ast.Stmt {
	var names []ast.TableName
	for _, o := range s.Objects {
		parts := strList(o.GetList().GetItems())
		tn := ast.TableName{Pos: -1}
		switch len(parts) {
		case 1:
			tn.Name = parts[0]
		case 2:
			tn.Schema, tn.Name = parts[0], parts[1]
		default:
			unsupported("cross-database references")
		}
		names = append(names, tn)
	}
	switch s.RemoveType {
	case pg.ObjectType_OBJECT_TABLE:
		return &ast.DropTable{Names: names, IfExists: s.MissingOk, Cascade: s.Behavior == pg.DropBehavior_DROP_CASCADE}
	case pg.ObjectType_OBJECT_INDEX:
		if s.Concurrent {
			unsupported("DROP INDEX CONCURRENTLY")
		}
		return &ast.DropIndex{Names: names, IfExists: s.MissingOk}
	}
	unsupported("DROP %s", strings.TrimPrefix(s.RemoveType.String(), "OBJECT_"))
	return nil
}

func (t *translator) createIndex(s *pg.IndexStmt) ast.Stmt {
	if s.WhereClause != nil {
		unsupported("partial indexes")
	}
	if s.AccessMethod != "" && s.AccessMethod != "btree" {
		unsupported("index method %s", s.AccessMethod)
	}
	if len(s.IndexIncludingParams) > 0 {
		unsupported("INCLUDE")
	}
	if s.Concurrent {
		unsupported("CREATE INDEX CONCURRENTLY")
	}
	out := &ast.CreateIndex{Name: s.Idxname, Table: t.tableName(s.Relation), Unique: s.Unique, IfNotExists: s.IfNotExists}
	for _, p := range s.IndexParams {
		ie := p.GetIndexElem()
		if ie.Name == "" {
			unsupported("indexes on expressions")
		}
		if ie.NullsOrdering != pg.SortByNulls_SORTBY_NULLS_DEFAULT {
			unsupported("NULLS FIRST/LAST in indexes")
		}
		out.Columns = append(out.Columns, ast.IndexColumn{Name: ie.Name, Desc: ie.Ordering == pg.SortByDir_SORTBY_DESC})
	}
	return out
}

func (t *translator) alterTable(s *pg.AlterTableStmt) ast.Stmt {
	if s.Objtype != pg.ObjectType_OBJECT_TABLE {
		unsupported("ALTER %s", strings.TrimPrefix(s.Objtype.String(), "OBJECT_"))
	}
	out := &ast.AlterTable{Table: t.tableName(s.Relation), IfExists: s.MissingOk}
	for _, cn := range s.Cmds {
		c := cn.GetAlterTableCmd()
		switch c.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			out.Cmds = append(out.Cmds, ast.AlterCmd{Kind: ast.AlterAddColumn, Column: t.columnDef(c.Def.GetColumnDef()), IfNotExists: c.MissingOk})
		case pg.AlterTableType_AT_DropColumn:
			out.Cmds = append(out.Cmds, ast.AlterCmd{Kind: ast.AlterDropColumn, Name: c.Name, IfExists: c.MissingOk})
		case pg.AlterTableType_AT_AddConstraint:
			con := c.Def.GetConstraint()
			if con == nil {
				fail(sqlerr.SyntaxError, "malformed ADD CONSTRAINT")
			}
			out.Cmds = append(out.Cmds, ast.AlterCmd{Kind: ast.AlterAddConstraint, Constraint: t.tableConstraint(con)})
		default:
			unsupported("ALTER TABLE %s", strings.TrimPrefix(c.Subtype.String(), "AT_"))
		}
	}
	return out
}

func (t *translator) rename(s *pg.RenameStmt) ast.Stmt {
	switch s.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		return &ast.Rename{Table: t.tableName(s.Relation), NewName: s.Newname, IfExists: s.MissingOk}
	case pg.ObjectType_OBJECT_COLUMN:
		if s.RelationType != pg.ObjectType_OBJECT_TABLE {
			break
		}
		return &ast.Rename{Table: t.tableName(s.Relation), Column: s.Subname, NewName: s.Newname, IfExists: s.MissingOk}
	case pg.ObjectType_OBJECT_INDEX:
		return &ast.Rename{Table: t.tableName(s.Relation), NewName: s.Newname, IfExists: s.MissingOk, Index: true}
	}
	unsupported("RENAME of %s", strings.TrimPrefix(s.RenameType.String(), "OBJECT_"))
	return nil
}

func (t *translator) truncate(s *pg.TruncateStmt) ast.Stmt {
	out := &ast.Truncate{}
	for _, r := range s.Relations {
		out.Tables = append(out.Tables, t.tableName(r.GetRangeVar()))
	}
	return out
}

// vacuum translates VACUUM and ANALYZE. Their options (FULL, VERBOSE,
// FREEZE, ANALYZE, ...) change how PostgreSQL reclaims space and samples
// statistics; LineraDB does neither, so only the table list matters.
func (t *translator) vacuum(s *pg.VacuumStmt) ast.Stmt {
	out := &ast.Vacuum{IsVacuum: s.IsVacuumcmd}
	for _, r := range s.Rels {
		vr := r.GetVacuumRelation()
		if vr == nil || vr.Relation == nil {
			fail(sqlerr.SyntaxError, "malformed VACUUM relation")
		}
		out.Tables = append(out.Tables, t.tableName(vr.Relation))
		out.Columns = append(out.Columns, strList(vr.VaCols))
	}
	return out
}
