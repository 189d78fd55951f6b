package pgcatalog

import (
	"slices"

	"github.com/lineradb/lineradb/sql/exec"
)

// Role is one row of pg_roles / pg_authid / pg_user.
type Role struct {
	OID         uint32
	Name        string
	Superuser   bool
	Inherit     bool
	CreateRole  bool
	CreateDB    bool
	CanLogin    bool
	Replication bool
	BypassRLS   bool
	ConnLimit   int // -1: no limit
	// Password is pg_authid.rolpassword (a SCRAM verifier; "" = NULL). The
	// source leaves it empty for sessions that may not read it.
	Password string
}

// RoleSource lists the roles a statement sees. It must be deterministic
// and cheap; the result is sorted by OID before use. The role with OID 10
// (oidBootstrapRole) owns every database object.
type RoleSource func(c *exec.Ctx) []Role

var roleSource RoleSource = defaultRoles

// SetRoleSource replaces the role list (the server fills it from its
// stored users). Call it before serving statements; nil restores the
// default: the session user as the bootstrap superuser.
func SetRoleSource(f RoleSource) {
	if f == nil {
		f = defaultRoles
	}
	roleSource = f
}

func defaultRoles(c *exec.Ctx) []Role {
	name := c.User
	if name == "" {
		name = "lineradb"
	}
	return []Role{{OID: oidBootstrapRole, Name: name, Superuser: true, Inherit: true, CreateRole: true,
		CreateDB: true, CanLogin: true, Replication: true, BypassRLS: true, ConnLimit: -1}}
}

// roles returns the role list with PostgreSQL's built-in
// pg_database_owner added, sorted by OID.
func roles(c *exec.Ctx) []Role {
	rs := slices.Clone(roleSource(c))
	rs = append(rs, Role{OID: oidDatabaseOwner, Name: "pg_database_owner", Inherit: true, ConnLimit: -1})
	slices.SortFunc(rs, func(a, b Role) int { return int(int64(a.OID) - int64(b.OID)) })
	return slices.CompactFunc(rs, func(a, b Role) bool { return a.OID == b.OID })
}

func roleName(c *exec.Ctx, oid uint32) (string, bool) {
	for _, r := range roles(c) {
		if r.OID == oid {
			return r.Name, true
		}
	}
	return "", false
}
