package ast

// ---- roles (CREATE / ALTER / DROP ROLE and USER) ----

// RoleOptions are the options of CREATE ROLE and ALTER ROLE; a nil field
// was not given (CREATE takes the default, ALTER keeps the old value).
type RoleOptions struct {
	Superuser, CreateDB, CreateRole, Inherit, Login, Replication, BypassRLS *bool
	// Password is PASSWORD 'text'; PasswordNull is PASSWORD NULL.
	Password     *string
	PasswordNull bool
	// ConnLimit is CONNECTION LIMIT n (-1: none).
	ConnLimit *int
}

// CreateRole is CREATE ROLE, or CREATE USER (User: LOGIN by default).
type CreateRole struct {
	Name    string
	User    bool
	Options RoleOptions
}

// AlterRole is ALTER ROLE / ALTER USER name [WITH] options.
type AlterRole struct {
	Name    string
	Options RoleOptions
}

// DropRole is DROP ROLE / DROP USER [IF EXISTS] names.
type DropRole struct {
	Names    []string
	IfExists bool
}

func (*CreateRole) stmt() {}
func (*AlterRole) stmt()  {}
func (*DropRole) stmt()   {}
