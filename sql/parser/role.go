package parser

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Role statements: CREATE ROLE/USER, ALTER ROLE/USER ... [WITH] options,
// DROP ROLE/USER. Membership (IN ROLE, ROLE, ADMIN, GRANT role), VALID
// UNTIL and ALTER ROLE ... SET are not supported (0A000).

func (t *translator) roleStmt(n *pg.Node) ast.Stmt {
	switch {
	case n.GetCreateRoleStmt() != nil:
		s := n.GetCreateRoleStmt()
		if s.StmtType == pg.RoleStmtType_ROLESTMT_GROUP {
			unsupported("CREATE GROUP")
		}
		return &ast.CreateRole{Name: s.Role, User: s.StmtType == pg.RoleStmtType_ROLESTMT_USER,
			Options: t.roleOptions(s.Options)}
	case n.GetAlterRoleStmt() != nil:
		s := n.GetAlterRoleStmt()
		return &ast.AlterRole{Name: roleSpecName(s.Role), Options: t.roleOptions(s.Options)}
	case n.GetDropRoleStmt() != nil:
		s := n.GetDropRoleStmt()
		d := &ast.DropRole{IfExists: s.MissingOk}
		for _, r := range s.Roles {
			d.Names = append(d.Names, roleSpecName(r.GetRoleSpec()))
		}
		return d
	}
	unsupported("statement %s", nodeName(n))
	return nil
}

// roleSpecName is a role named by its name; CURRENT_USER and the like
// are not supported here.
func roleSpecName(r *pg.RoleSpec) string {
	if r == nil || r.Roletype != pg.RoleSpecType_ROLESPEC_CSTRING {
		unsupported("role specification other than a name")
	}
	return r.Rolename
}

func (t *translator) roleOptions(opts []*pg.Node) ast.RoleOptions {
	var o ast.RoleOptions
	seen := map[string]bool{}
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		if seen[d.Defname] {
			fail(sqlerr.SyntaxError, "conflicting or redundant options")
		}
		seen[d.Defname] = true
		t.roleOption(&o, d)
	}
	return o
}

func (t *translator) roleOption(o *ast.RoleOptions, d *pg.DefElem) {
	flag := func() *bool {
		v := t.constText(d.Arg) == "true"
		return &v
	}
	switch d.Defname {
	case "superuser":
		o.Superuser = flag()
	case "createdb":
		o.CreateDB = flag()
	case "createrole":
		o.CreateRole = flag()
	case "inherit":
		o.Inherit = flag()
	case "canlogin":
		o.Login = flag()
	case "isreplication":
		o.Replication = flag()
	case "bypassrls":
		o.BypassRLS = flag()
	case "password":
		if d.Arg == nil {
			o.PasswordNull = true
			return
		}
		pw := t.constText(d.Arg)
		o.Password = &pw
	case "connectionlimit":
		n := -1
		if i := d.Arg.GetInteger(); i != nil {
			n = int(i.Ival)
		}
		if n < -1 {
			fail(sqlerr.InvalidParameterValue, "invalid connection limit: %d", n)
		}
		o.ConnLimit = &n
	default:
		unsupported("role option %s", d.Defname)
	}
}
