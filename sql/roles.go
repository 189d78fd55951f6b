package sql

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/internal/scram"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Roles (CREATE ROLE / USER) are stored in the KV space beside the schema,
// so they are replicated and transactional like any table:
//
//	/meta/role/<name>   JSON Role
//	/meta/rolenext      the next role OID (decimal text)
//
// Passwords are never stored: PASSWORD 'text' stores its SCRAM-SHA-256
// verifier (a verifier or an md5 hash given as the password is stored as
// it is, as PostgreSQL does). The bootstrap superuser (SessionConfig.
// Superuser, OID 10) is not stored: the server configures it.

// Role is a stored role.
type Role struct {
	OID         uint32 `json:"oid"`
	Name        string `json:"name"`
	Superuser   bool   `json:"superuser,omitempty"`
	CreateDB    bool   `json:"createdb,omitempty"`
	CreateRole  bool   `json:"createrole,omitempty"`
	Inherit     bool   `json:"inherit,omitempty"`
	Login       bool   `json:"login,omitempty"`
	Replication bool   `json:"replication,omitempty"`
	BypassRLS   bool   `json:"bypassrls,omitempty"`
	ConnLimit   int    `json:"connlimit"`
	// Password is a SCRAM-SHA-256 verifier, an md5 hash, or "" for none.
	Password string `json:"password,omitempty"`
}

const (
	// roleOIDFirst is the first stored role's OID: above PostgreSQL's
	// fixed OIDs and the database's (16384), below the OID blocks of
	// tables (pgcatalog's oidUserMin).
	roleOIDFirst = 16385
	roleOIDMax   = 1<<20 - 1
	// rolesMax bounds the roles one listing reads.
	rolesMax = 100_000
	// roleNameBytesMax is PostgreSQL's NAMEDATALEN-1.
	roleNameBytesMax = 63
	// passwordBytesMax bounds a password, so a hostile statement cannot
	// make the session hash megabytes.
	passwordBytesMax = 1024
)

// codeDataCorrupted is SQLSTATE data_corrupted: a stored role that does
// not decode.
const codeDataCorrupted = "XX001"

var (
	rolePrefix     = []byte("/meta/role/")
	roleNextOIDKey = []byte("/meta/rolenext")
)

func roleKey(name string) []byte { return append(append([]byte{}, rolePrefix...), name...) }

// LookupRole reads a stored role through txn; ok is false if there is
// none of that name. The server's password check reads it.
func LookupRole(txn kv.Txn, name string) (r *Role, ok bool, err error) {
	if name == "" || len(name) > roleNameBytesMax*4 {
		return nil, false, nil
	}
	v, ok, err := txn.Get(roleKey(name))
	if err != nil || !ok {
		return nil, false, err
	}
	r = &Role{}
	if err := json.Unmarshal(v, r); err != nil || r.Name != name {
		return nil, false, sqlerr.New(codeDataCorrupted, "stored role %q is corrupt", name)
	}
	return r, true, nil
}

// ListRoles reads every stored role through txn, in name order.
func ListRoles(txn kv.Txn) ([]*Role, error) {
	kvs, err := txn.Scan(rolePrefix, keys.PrefixEnd(rolePrefix), rolesMax+1, false)
	if err != nil {
		return nil, err
	}
	if len(kvs) > rolesMax {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "more than %d roles", rolesMax)
	}
	out := make([]*Role, 0, len(kvs))
	for _, e := range kvs {
		r := &Role{}
		if err := json.Unmarshal(e.Value, r); err != nil || !bytes.Equal(roleKey(r.Name), e.Key) {
			return nil, sqlerr.New(codeDataCorrupted, "stored role %q is corrupt", e.Key[len(rolePrefix):])
		}
		out = append(out, r)
	}
	return out, nil
}

func putRole(txn kv.Txn, r *Role) error {
	if r.OID < roleOIDFirst || r.OID > roleOIDMax || r.Name == "" {
		panic(fmt.Sprintf("sql: storing role %q with OID %d", r.Name, r.OID))
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return txn.Put(roleKey(r.Name), b)
}

// allocRoleOID takes the next role OID; concurrent CREATE ROLEs conflict
// on the counter and one retries (40001).
func allocRoleOID(txn kv.Txn) (uint32, error) {
	next := uint64(roleOIDFirst)
	v, ok, err := txn.Get(roleNextOIDKey)
	if err != nil {
		return 0, err
	}
	if ok {
		if next, err = strconv.ParseUint(string(v), 10, 32); err != nil || next < roleOIDFirst {
			return 0, sqlerr.New(codeDataCorrupted, "stored role OID counter %q is corrupt", v)
		}
	}
	if next > roleOIDMax {
		return 0, sqlerr.New(sqlerr.ProgramLimitExceeded, "no role OIDs left (at most %d roles were ever created)", roleOIDMax-roleOIDFirst+1)
	}
	return uint32(next), txn.Put(roleNextOIDKey, []byte(strconv.FormatUint(next+1, 10)))
}

func isRoleStmt(st ast.Stmt) bool {
	switch st.(type) {
	case *ast.CreateRole, *ast.AlterRole, *ast.DropRole:
		return true
	}
	return false
}

// runRole executes a role statement on the open transaction.
func (s *Session) runRole(st ast.Stmt) Result {
	tag := map[bool]string{true: "CREATE ROLE", false: "ALTER ROLE"}[isCreateRole(st)]
	if _, ok := st.(*ast.DropRole); ok {
		tag = "DROP ROLE"
	}
	if s.txnReadOnly() {
		return errResult(sqlerr.New("25006", "cannot execute %s in a read-only transaction", tag))
	}
	var r Result
	var err error
	switch x := st.(type) {
	case *ast.CreateRole:
		r, err = s.createRole(x)
	case *ast.AlterRole:
		r, err = s.alterRole(x)
	case *ast.DropRole:
		r, err = s.dropRole(x)
	}
	if err != nil {
		return errResult(err)
	}
	return r
}

func isCreateRole(st ast.Stmt) bool { _, ok := st.(*ast.CreateRole); return ok }

// txnReadOnly reports whether the statement's transaction is read-only.
func (s *Session) txnReadOnly() bool {
	if s.state != stateIdle {
		return s.readOnly
	}
	return s.settings["default_transaction_read_only"] == "on"
}

// bootstrapRole is the name of the superuser that owns every object
// (OID 10): the server's configured superuser, else the session user.
func (s *Session) bootstrapRole() string {
	if s.cfg.Superuser != "" {
		return s.cfg.Superuser
	}
	return s.cfg.User
}

func (s *Session) createRole(x *ast.CreateRole) (Result, error) {
	if err := checkRoleName(x.Name); err != nil {
		return Result{}, err
	}
	if err := s.checkRoleAdmin("create", x.Options.Superuser != nil && *x.Options.Superuser, false); err != nil {
		return Result{}, err
	}
	_, exists, err := LookupRole(s.txn, x.Name)
	if err != nil {
		return Result{}, err
	}
	if exists || x.Name == s.bootstrapRole() {
		return Result{}, sqlerr.New(sqlerr.DuplicateObject, "role %q already exists", x.Name)
	}
	oid, err := allocRoleOID(s.txn)
	if err != nil {
		return Result{}, err
	}
	r := &Role{OID: oid, Name: x.Name, Inherit: true, Login: x.User, ConnLimit: -1}
	notices, err := s.applyRoleOptions(r, x.Options)
	if err != nil {
		return Result{}, err
	}
	return Result{Tag: "CREATE ROLE", Notices: notices}, putRole(s.txn, r)
}

func (s *Session) alterRole(x *ast.AlterRole) (Result, error) {
	if x.Name == s.bootstrapRole() {
		return Result{}, sqlerr.Unsupported("ALTER ROLE of the bootstrap superuser (it is configured in security.auth, not stored)")
	}
	r, exists, err := LookupRole(s.txn, x.Name)
	if err != nil {
		return Result{}, err
	}
	if !exists {
		return Result{}, sqlerr.New(sqlerr.UndefinedObject, "role %q does not exist", x.Name)
	}
	o := x.Options
	onlyPassword := o.Superuser == nil && o.CreateDB == nil && o.CreateRole == nil && o.Inherit == nil &&
		o.Login == nil && o.Replication == nil && o.BypassRLS == nil && o.ConnLimit == nil
	self := x.Name == s.cfg.User && onlyPassword
	if err := s.checkRoleAdmin("alter", r.Superuser || (o.Superuser != nil && *o.Superuser), self); err != nil {
		return Result{}, err
	}
	notices, err := s.applyRoleOptions(r, o)
	if err != nil {
		return Result{}, err
	}
	return Result{Tag: "ALTER ROLE", Notices: notices}, putRole(s.txn, r)
}

func (s *Session) dropRole(x *ast.DropRole) (Result, error) {
	res := Result{Tag: "DROP ROLE"}
	for _, name := range x.Names {
		switch name {
		case s.cfg.User:
			return Result{}, sqlerr.New("55006", "current user cannot be dropped")
		case s.bootstrapRole():
			return Result{}, sqlerr.New("2BP01", "cannot drop role %s because it is required by the database system", name)
		}
		r, exists, err := LookupRole(s.txn, name)
		if err != nil {
			return Result{}, err
		}
		if !exists {
			if !x.IfExists {
				return Result{}, sqlerr.New(sqlerr.UndefinedObject, "role %q does not exist", name)
			}
			res.Notices = append(res.Notices, Notice{Severity: "NOTICE", Code: "00000",
				Message: fmt.Sprintf("role %q does not exist, skipping", name)})
			continue
		}
		if err := s.checkRoleAdmin("drop", r.Superuser, false); err != nil {
			return Result{}, err
		}
		if err := s.txn.Delete(roleKey(name)); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

func checkRoleName(name string) error {
	if name == "" || len(name) > roleNameBytesMax*4 {
		return sqlerr.New(sqlerr.InvalidParameterValue, "invalid role name %q", name)
	}
	if strings.HasPrefix(name, "pg_") {
		return sqlerr.New("42939", "role name %q is reserved", name).
			WithDetail("Role names starting with \"pg_\" are reserved.")
	}
	return nil
}

// checkRoleAdmin applies PostgreSQL's rules to the session user: a user
// that is not a stored role is the bootstrap superuser (or, with trust
// authentication, any client) and may do anything; a stored superuser
// may too; a stored role with CREATEROLE may manage roles that are not
// superusers; any role may change its own password (self).
func (s *Session) checkRoleAdmin(verb string, superTarget, self bool) error {
	me, stored, err := LookupRole(s.txn, s.cfg.User)
	if err != nil || !stored || me.Superuser || self {
		return err
	}
	if superTarget {
		return sqlerr.New(sqlerr.InsufficientPrivilege, "permission denied to %s role", verb).
			WithDetail("Only roles with the SUPERUSER attribute may %s roles with the SUPERUSER attribute.", verb)
	}
	if !me.CreateRole {
		return sqlerr.New(sqlerr.InsufficientPrivilege, "permission denied to %s role", verb)
	}
	return nil
}

// applyRoleOptions sets the given options on r, hashing a new password.
func (s *Session) applyRoleOptions(r *Role, o ast.RoleOptions) ([]Notice, error) {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Superuser, o.Superuser)
	set(&r.CreateDB, o.CreateDB)
	set(&r.CreateRole, o.CreateRole)
	set(&r.Inherit, o.Inherit)
	set(&r.Login, o.Login)
	set(&r.Replication, o.Replication)
	set(&r.BypassRLS, o.BypassRLS)
	if o.ConnLimit != nil {
		r.ConnLimit = *o.ConnLimit
	}
	switch {
	case o.PasswordNull:
		r.Password = ""
	case o.Password != nil && *o.Password == "":
		r.Password = ""
		return []Notice{{Severity: "NOTICE", Code: "00000", Message: "empty string is not a valid password, clearing password"}}, nil
	case o.Password != nil:
		v, err := s.storedPassword(r.Name, *o.Password)
		if err != nil {
			return nil, err
		}
		r.Password = v
	}
	return nil, nil
}

// storedPassword is what PASSWORD 'pw' stores: pw itself if it already is
// a SCRAM verifier or an md5 hash, else its SCRAM-SHA-256 verifier.
func (s *Session) storedPassword(name, pw string) (string, error) {
	if len(pw) > passwordBytesMax {
		return "", sqlerr.New(sqlerr.InvalidParameterValue, "password is longer than %d bytes", passwordBytesMax)
	}
	if scram.IsVerifier(pw) || isMD5Hash(pw) {
		return pw, nil
	}
	return scram.Hash(pw, s.saltSource(name))
}

func isMD5Hash(s string) bool {
	if len(s) != 35 || !strings.HasPrefix(s, "md5") {
		return false
	}
	for _, c := range s[3:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// saltSource is SessionConfig.Rand, or, when none was given (tests, the
// simulator), a salt derived from the role, the clock and the read
// version: unique per hashing, deterministic under simulation.
func (s *Session) saltSource(name string) io.Reader {
	if s.cfg.Rand != nil {
		return s.cfg.Rand
	}
	h := sha256.New()
	h.Write([]byte("lineradb role salt\x00" + name + "\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(s.now().UnixNano())))
	h.Write(binary.BigEndian.AppendUint64(nil, s.txn.ReadVersion()))
	return bytes.NewReader(h.Sum(nil))
}
