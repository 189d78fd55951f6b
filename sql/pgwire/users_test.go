package pgwire

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// TestStoredUsersSCRAM: roles created with CREATE USER ... PASSWORD log
// in with SCRAM-SHA-256 through StoredUsers; a wrong password, a NOLOGIN
// role, a dropped role and an unknown one all get 28P01.
func TestStoredUsersSCRAM(t *testing.T) {
	store := memkv.NewLocked(memkv.New())
	adminHash, err := HashPassword("adminpw", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	users := &StoredUsers{Store: store, Superuser: "admin", SuperuserPassword: adminHash}
	ts := startServer(t, ServerConfig{
		Backend: &SQLBackend{Store: store, Superuser: "admin", Rand: rand.Reader},
		Auth:    AuthConfig{Method: AuthSCRAM, Users: users},
	})
	admin := pgxConnect(t, ts.addr, "admin", "adminpw", pgx.QueryExecModeSimpleProtocol)
	mustExec(t, admin, "CREATE USER app WITH PASSWORD 'app-pw'")
	mustExec(t, admin, "CREATE ROLE nologin PASSWORD 'x'")

	app := pgxConnect(t, ts.addr, "app", "app-pw", pgx.QueryExecModeCacheStatement)
	var who string
	if err := app.QueryRow(context.Background(), "SELECT current_user").Scan(&who); err != nil || who != "app" {
		t.Fatalf("current_user = %q (%v)", who, err)
	}
	var roles string
	if err := admin.QueryRow(context.Background(), "SELECT string_agg(rolname, ',' ORDER BY oid) FROM pg_roles WHERE rolname !~ '^pg_'").Scan(&roles); err != nil || roles != "admin,app,nologin" {
		t.Fatalf("pg_roles: %q (%v)", roles, err)
	}
	for _, c := range []struct{ user, pw string }{{"app", "wrong"}, {"nologin", "x"}, {"nobody", "x"}, {"admin", "app-pw"}} {
		if code := loginCode(ts.addr, c.user, c.pw); code != "28P01" {
			t.Errorf("login %s/%s: %q, want 28P01", c.user, c.pw, code)
		}
	}
	mustExec(t, admin, "ALTER USER app PASSWORD 'new-pw'")
	if code := loginCode(ts.addr, "app", "app-pw"); code != "28P01" {
		t.Errorf("old password after ALTER: %q, want 28P01", code)
	}
	if code := loginCode(ts.addr, "app", "new-pw"); code != "" {
		t.Errorf("new password after ALTER: %q", code)
	}
	mustExec(t, admin, "DROP USER app")
	if code := loginCode(ts.addr, "app", "new-pw"); code != "28P01" {
		t.Errorf("dropped role: %q, want 28P01", code)
	}
}

// loginCode connects and returns "" on success, else the SQLSTATE.
func loginCode(addr, user, pw string) string {
	host, port, _ := strings.Cut(addr, ":")
	conn, err := pgx.Connect(context.Background(), fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=lineradb sslmode=disable", host, port, user, pw))
	if err != nil {
		if c := pgCode(err); c != "" {
			return c
		}
		return err.Error()
	}
	conn.Close(context.Background())
	return ""
}
