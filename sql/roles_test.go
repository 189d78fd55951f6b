package sql

import (
	"strings"
	"testing"

	"github.com/lineradb/lineradb/internal/scram"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
)

// runOne runs q and returns dump's text of its results.
func runOne(s *Session, store kv.Store, q string) string { return dump(Run(s, store, q)) }

func expect(t *testing.T, s *Session, store kv.Store, q, want string) {
	t.Helper()
	if got := runOne(s, store, q); got != want {
		t.Errorf("%s:\ngot:\n%swant:\n%s", q, got, want)
	}
}

func lookup(t *testing.T, store kv.Store, name string) (*Role, bool) {
	t.Helper()
	txn, err := store.Begin(kv.TxnOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Abort(txn)
	r, ok, err := LookupRole(txn, name)
	if err != nil {
		t.Fatalf("LookupRole(%q): %v", name, err)
	}
	return r, ok
}

func checkPassword(t *testing.T, store kv.Store, name, pw string) bool {
	t.Helper()
	r, ok := lookup(t, store, name)
	if !ok {
		t.Fatalf("role %q not stored", name)
	}
	if r.Password == pw {
		t.Fatalf("role %q stores its password in clear", name)
	}
	v, err := scram.Parse(r.Password)
	return err == nil && v.Check(pw)
}

func TestCreateAlterDropRole(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "postgres"})
	expect(t, s, store, "CREATE USER alice WITH PASSWORD 'pw1'", "CREATE ROLE\n")
	expect(t, s, store, "CREATE ROLE carol", "CREATE ROLE\n")
	expect(t, s, store, "CREATE ROLE dave WITH LOGIN SUPERUSER CREATEDB CONNECTION LIMIT 5", "CREATE ROLE\n")
	if !checkPassword(t, store, "alice", "pw1") || checkPassword(t, store, "alice", "pw2") {
		t.Fatal("alice's verifier does not check her password")
	}
	expect(t, s, store, "SELECT rolname, rolsuper, rolcanlogin, rolcreatedb, rolconnlimit FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_' ORDER BY oid",
		"SELECT 4\n  postgres|t|t|t|-1\n  alice|f|t|f|-1\n  carol|f|f|f|-1\n  dave|t|t|t|5\n")

	expect(t, s, store, "ALTER USER alice PASSWORD 'pw2'", "ALTER ROLE\n")
	if !checkPassword(t, store, "alice", "pw2") || checkPassword(t, store, "alice", "pw1") {
		t.Fatal("ALTER ROLE did not replace the verifier")
	}
	expect(t, s, store, "ALTER ROLE carol WITH LOGIN NOINHERIT", "ALTER ROLE\n")
	expect(t, s, store, "SELECT rolcanlogin, rolinherit FROM pg_roles WHERE rolname = 'carol'", "SELECT 1\n  t|f\n")

	expect(t, s, store, "DROP ROLE alice, carol", "DROP ROLE\n")
	if _, ok := lookup(t, store, "alice"); ok {
		t.Fatal("DROP ROLE left alice")
	}
	rs := Run(s, store, "DROP ROLE IF EXISTS alice")
	if len(rs) != 1 || rs[0].Err != nil || len(rs[0].Notices) != 1 || !strings.Contains(rs[0].Notices[0].Message, "does not exist, skipping") {
		t.Fatalf("DROP ROLE IF EXISTS of a missing role: %+v", rs)
	}
}

func TestRoleErrors(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "postgres"})
	expect(t, s, store, "CREATE ROLE alice", "CREATE ROLE\n")
	for q, code := range map[string]string{
		"CREATE ROLE alice":                      "42710",
		"CREATE ROLE postgres":                   "42710",
		"CREATE ROLE pg_mine":                    "42939",
		"ALTER ROLE nobody PASSWORD 'x'":         "42704",
		"DROP ROLE nobody":                       "42704",
		"DROP ROLE postgres":                     "55006",
		"CREATE ROLE x IN ROLE alice":            "0A000",
		"CREATE ROLE x VALID UNTIL '2030-01-01'": "0A000",
		"CREATE ROLE x LOGIN NOLOGIN":            "42601",
		"CREATE ROLE x PASSWORD '" + strings.Repeat("p", passwordBytesMax+1) + "'": "22023",
	} {
		rs := Run(s, store, q)
		if len(rs) != 1 || rs[0].Err == nil || rs[0].Err.Code != code {
			t.Errorf("%.60s: got %s, want error %s", q, dump(rs), code)
		}
	}
	// The bootstrap superuser is configured, not stored.
	s2 := NewSession(SessionConfig{User: "alice", Superuser: "admin"})
	expect(t, s2, store, "DROP ROLE admin", "ERROR 2BP01: cannot drop role admin because it is required by the database system\n")
}

func TestRolesAreTransactional(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "postgres"})
	expect(t, s, store, "BEGIN; CREATE ROLE ghost; ROLLBACK", "BEGIN\nCREATE ROLE\nROLLBACK\n")
	if _, ok := lookup(t, store, "ghost"); ok {
		t.Fatal("a rolled-back CREATE ROLE was stored")
	}
	expect(t, s, store, "BEGIN READ ONLY; CREATE ROLE ghost", "BEGIN\nERROR 25006: cannot execute CREATE ROLE in a read-only transaction\n")
	expect(t, s, store, "ROLLBACK", "ROLLBACK\n")
}

func TestRolePrivileges(t *testing.T) {
	store := memkv.New()
	admin := NewSession(SessionConfig{User: "postgres"})
	expect(t, admin, store, "CREATE USER bob PASSWORD 'b'; CREATE USER mgr CREATEROLE; CREATE USER root SUPERUSER", "CREATE ROLE\nCREATE ROLE\nCREATE ROLE\n")
	expect(t, admin, store, "SELECT rolname, left(rolpassword, 14) FROM pg_authid WHERE rolname IN ('bob', 'mgr') ORDER BY 1",
		"SELECT 2\n  bob|SCRAM-SHA-256$\n  mgr|NULL\n")
	bob := NewSession(SessionConfig{User: "bob", Superuser: "postgres"})
	expect(t, bob, store, "SELECT count(rolpassword) FROM pg_authid", "SELECT 1\n  0\n")
	expect(t, bob, store, "CREATE ROLE x", "ERROR 42501: permission denied to create role\n")
	expect(t, bob, store, "ALTER ROLE bob PASSWORD 'b2'", "ALTER ROLE\n")
	expect(t, bob, store, "ALTER ROLE bob SUPERUSER", "ERROR 42501: permission denied to alter role\n")
	expect(t, bob, store, "ALTER ROLE mgr PASSWORD 'x'", "ERROR 42501: permission denied to alter role\n")
	mgr := NewSession(SessionConfig{User: "mgr", Superuser: "postgres"})
	expect(t, mgr, store, "CREATE ROLE y", "CREATE ROLE\n")
	expect(t, mgr, store, "CREATE ROLE z SUPERUSER", "ERROR 42501: permission denied to create role\n")
	expect(t, mgr, store, "DROP ROLE root", "ERROR 42501: permission denied to drop role\n")
	root := NewSession(SessionConfig{User: "root", Superuser: "postgres"})
	expect(t, root, store, "DROP ROLE mgr", "DROP ROLE\n")
}

func TestRolePasswordForms(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "postgres"})
	verifier, err := scram.Hash("pre", strings.NewReader(strings.Repeat("s", scram.SaltBytes)))
	if err != nil {
		t.Fatal(err)
	}
	md5 := "md5" + strings.Repeat("ab", 16)
	expect(t, s, store, "CREATE USER a PASSWORD '"+verifier+"'; CREATE USER b PASSWORD '"+md5+"'; CREATE USER c PASSWORD NULL", "CREATE ROLE\nCREATE ROLE\nCREATE ROLE\n")
	for name, want := range map[string]string{"a": verifier, "b": md5, "c": ""} {
		if r, _ := lookup(t, store, name); r.Password != want {
			t.Errorf("%s stored %q, want %q", name, r.Password, want)
		}
	}
	rs := Run(s, store, "ALTER USER a PASSWORD ''")
	if len(rs) != 1 || len(rs[0].Notices) != 1 || !strings.Contains(rs[0].Notices[0].Message, "clearing password") {
		t.Fatalf("empty password: %+v", rs)
	}
	// Two roles with one password get different salts.
	expect(t, s, store, "CREATE USER d PASSWORD 'same'; CREATE USER e PASSWORD 'same'", "CREATE ROLE\nCREATE ROLE\n")
	d, _ := lookup(t, store, "d")
	e, _ := lookup(t, store, "e")
	if d.Password == e.Password {
		t.Fatal("two roles share a salt")
	}
}

// TestCorruptRole: a stored role that does not decode is an error, never
// a panic or a silent login.
func TestCorruptRole(t *testing.T) {
	store := memkv.New()
	txn, _ := store.Begin(kv.TxnOptions{})
	_ = txn.Put(roleKey("eve"), []byte(`{"oid":`))
	_ = txn.Put(roleKey("mallory"), []byte(`{"oid":16390,"name":"alice","login":true}`))
	if _, err := store.Commit(txn); err != nil {
		t.Fatal(err)
	}
	txn, _ = store.Begin(kv.TxnOptions{ReadOnly: true})
	defer store.Abort(txn)
	for _, name := range []string{"eve", "mallory"} {
		if _, ok, err := LookupRole(txn, name); err == nil || ok {
			t.Errorf("LookupRole(%q) of a corrupt row: ok=%v err=%v", name, ok, err)
		}
	}
	if _, err := ListRoles(txn); err == nil {
		t.Error("ListRoles accepted corrupt rows")
	}
}

func TestPreparedRoleStatement(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "postgres"})
	p, perr := Prepare(s, store, "CREATE USER pat PASSWORD 'x'", nil)
	if perr != nil {
		t.Fatal(perr.Message)
	}
	if rs := Execute(s, store, p, nil, nil); len(rs) != 1 || rs[0].Tag != "CREATE ROLE" {
		t.Fatalf("execute: %s", dump(rs))
	}
	if !checkPassword(t, store, "pat", "x") {
		t.Fatal("prepared CREATE USER stored a wrong verifier")
	}
}
