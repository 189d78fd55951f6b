package sql

import (
	"strings"

	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/pgcatalog"
)

// settingBootstrapSuperuser is the read-only setting that names the
// bootstrap superuser (OID 10) to catalog queries and current_setting.
const settingBootstrapSuperuser = "lineradb.bootstrap_superuser"

// pg_roles, pg_authid, pg_user and \du list the bootstrap superuser and
// the stored roles.
func init() { pgcatalog.SetRoleSource(catalogRoles) }

// ctxSetting is the settings view statements get (current_setting, the
// catalog): the session's settings plus the bootstrap superuser's name.
func (s *Session) ctxSetting(name string) (string, bool) {
	if strings.EqualFold(name, settingBootstrapSuperuser) {
		return s.bootstrapRole(), true
	}
	return s.setting(name)
}

// catalogRoles reads the roles through the statement's transaction. A
// read error (the statement is failing anyway) lists the bootstrap
// superuser alone: RoleSource has no error path.
func catalogRoles(c *exec.Ctx) []pgcatalog.Role {
	boot := c.User
	if c.Setting != nil {
		if v, ok := c.Setting(settingBootstrapSuperuser); ok && v != "" {
			boot = v
		}
	}
	if boot == "" {
		boot = "lineradb"
	}
	out := []pgcatalog.Role{{OID: 10, Name: boot, Superuser: true, Inherit: true, CreateRole: true,
		CreateDB: true, CanLogin: true, Replication: true, BypassRLS: true, ConnLimit: -1}}
	if c.Txn == nil {
		return out
	}
	stored, err := ListRoles(c.Txn)
	if err != nil {
		return out
	}
	// As in PostgreSQL, only superusers read pg_authid's verifiers: a
	// verifier is enough for an offline dictionary attack.
	readPasswords := true
	for _, r := range stored {
		if r.Name == c.User && !r.Superuser {
			readPasswords = false
		}
	}
	for _, r := range stored {
		if r.Name == boot {
			continue
		}
		role := pgcatalog.Role{OID: r.OID, Name: r.Name, Superuser: r.Superuser, Inherit: r.Inherit,
			CreateRole: r.CreateRole, CreateDB: r.CreateDB, CanLogin: r.Login, Replication: r.Replication,
			BypassRLS: r.BypassRLS, ConnLimit: r.ConnLimit}
		if readPasswords {
			role.Password = r.Password
		}
		out = append(out, role)
	}
	return out
}
