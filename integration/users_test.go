package integration

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStoredUsers: with password authentication, the superuser (its
// verifier from lineradb-server --hash-password) creates a user over one
// connection; that user logs in with SCRAM-SHA-256 through pgx; a wrong
// password is 28P01; ALTER USER ... PASSWORD replaces the password; DROP
// USER removes access. Roles live in the replicated catalog, so they
// survive a restart.
func TestStoredUsers(t *testing.T) {
	out, err := exec.Command(binDir+"lineradb-server", "--hash-password", "admin-pw").Output()
	hash := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(hash, "SCRAM-SHA-256$") {
		t.Fatalf("--hash-password: %q %v", out, err)
	}
	_, p := startSingle(t, "LINERADB_SECURITY_AUTH_METHOD=password", "LINERADB_SECURITY_AUTH_SUPERUSER=admin",
		"LINERADB_SECURITY_AUTH_SUPERUSER_PASSWORD_HASH="+hash)
	ctx := context.Background()
	admin := connectAs(t, p, "admin", "admin-pw")
	if code := loginCode(p, "admin", "wrong"); code != "28P01" {
		t.Fatalf("superuser with a wrong password: %q, want 28P01", code)
	}
	execAs(t, admin, "CREATE USER alice WITH PASSWORD 'alice-pw'")
	execAs(t, admin, "CREATE TABLE notes (id int PRIMARY KEY, body text)")

	alice := connectAs(t, p, "alice", "alice-pw")
	execAs(t, alice, "INSERT INTO notes VALUES (1, 'from alice')")
	var who, body string
	if err := alice.QueryRow(ctx, "SELECT current_user, body FROM notes WHERE id = 1").Scan(&who, &body); err != nil || who != "alice" || body != "from alice" {
		t.Fatalf("alice's session: %q %q %v", who, body, err)
	}
	var roles string
	if err := admin.QueryRow(ctx, "SELECT string_agg(rolname || ':' || rolcanlogin::text, ',' ORDER BY oid) FROM pg_roles WHERE rolname !~ '^pg_'").Scan(&roles); err != nil || roles != "admin:true,alice:true" {
		t.Fatalf("pg_roles: %q %v", roles, err)
	}
	if code := loginCode(p, "alice", "not-her-pw"); code != "28P01" {
		t.Fatalf("wrong password: %q, want 28P01", code)
	}
	if code := loginCode(p, "mallory", "x"); code != "28P01" {
		t.Fatalf("unknown user: %q, want 28P01", code)
	}

	execAs(t, admin, "ALTER USER alice PASSWORD 'alice-pw2'")
	if code := loginCode(p, "alice", "alice-pw"); code != "28P01" {
		t.Fatalf("old password after ALTER USER: %q, want 28P01", code)
	}
	if code := loginCode(p, "alice", "alice-pw2"); code != "" {
		t.Fatalf("new password after ALTER USER: %q", code)
	}

	// Stored roles are data: they survive a restart.
	if err := p.stop(t); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	p.start(t)
	waitFor(t, "restarted node accepts alice", 20*time.Second, func() (bool, string) {
		code := loginCode(p, "alice", "alice-pw2")
		return code == "", code
	})

	admin = connectAs(t, p, "admin", "admin-pw")
	execAs(t, admin, "DROP USER alice")
	if code := loginCode(p, "alice", "alice-pw2"); code != "28P01" {
		t.Fatalf("dropped user: %q, want 28P01", code)
	}
}

func userDSN(p *proc, user, password string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/lineradb?sslmode=disable&connect_timeout=5", user, password, p.pgPort)
}

func connectAs(t *testing.T, p *proc, user, password string) *pgx.Conn {
	t.Helper()
	var conn *pgx.Conn
	waitFor(t, "connect as "+user, 20*time.Second, func() (bool, string) {
		c, err := pgx.Connect(context.Background(), userDSN(p, user, password))
		if err != nil {
			return false, err.Error()
		}
		conn = c
		return true, ""
	})
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func execAs(t *testing.T, conn *pgx.Conn, q string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// loginCode connects once: "" on success, else the SQLSTATE (or the
// error text when there is none).
func loginCode(p *proc, user, password string) string {
	conn, err := pgx.Connect(context.Background(), userDSN(p, user, password))
	if err != nil {
		if c := sqlState(err); c != "" {
			return c
		}
		return err.Error()
	}
	conn.Close(context.Background())
	return ""
}
