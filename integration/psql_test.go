package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// psqlDir holds the psql scripts and their golden output, regenerated
// from PostgreSQL 15 by testdata/psql/gen_golden.sh.
const psqlDir = "../testdata/psql"

// psqlScripts are the scripts of psqlDir with golden output (name.out).
var psqlScripts = []string{"describe", "describe_plus", "databases", "roles"}

// TestPsqlDescribe runs psql's \d family through the real psql binary
// against a real lineradb-server and diffs what psql prints with what it
// prints against PostgreSQL 15. It is skipped only when psql is missing
// (CI installs postgresql-client).
func TestPsqlDescribe(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	// The objects' owner is the bootstrap superuser, as in the golden
	// files, where a PostgreSQL initdb'd by "postgres" made them.
	_, p := startSingle(t, "LINERADB_SECURITY_AUTH_SUPERUSER=postgres")
	execRetry(t, p, "SELECT 1", 20*time.Second)
	run := func(args ...string) string {
		return runPsql(t, psql, p, "postgres", args...)
	}
	if out := run("-v", "ON_ERROR_STOP=1", "-c", "DROP TABLE IF EXISTS accounts, items", "-f", "schema.sql"); strings.Contains(out, "ERROR") {
		t.Fatalf("loading schema.sql:\n%s", out)
	}
	for _, name := range psqlScripts {
		want, err := os.ReadFile(filepath.Join(psqlDir, name+".out"))
		if err != nil {
			t.Fatal(err)
		}
		if got := run("-f", name+".sql"); got != string(want) {
			t.Errorf("psql -f %s.sql differs from PostgreSQL 15's output:\n%s", name, lineDiff(string(want), got))
		}
	}
}

// runPsql runs psql against p as user with args, in psqlDir, and returns
// what it printed; errors show up in the output.
func runPsql(t *testing.T, psql string, p *proc, user string, args ...string) string {
	t.Helper()
	base := []string{"-X", "-q", "--no-psqlrc", "-h", "127.0.0.1", "-p", fmt.Sprint(p.pgPort), "-U", user, "-d", "lineradb"}
	cmd := exec.Command(psql, append(base, args...)...)
	cmd.Dir = psqlDir
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=disable", "PAGER=", "PSQL_PAGER=")
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// TestPsqlDiffCanFail proves lineDiff reports a changed line.
func TestPsqlDiffCanFail(t *testing.T) {
	if d := lineDiff("a\nb\n", "a\nc\n"); !strings.Contains(d, "-b") || !strings.Contains(d, "+c") {
		t.Fatalf("lineDiff missed a changed line:\n%s", d)
	}
	if d := lineDiff("a\n", "a\n"); d != "" {
		t.Fatalf("lineDiff of equal texts: %q", d)
	}
}

// lineDiff lists the lines that differ, position by position: "-" from
// want, "+" from got ("" when equal).
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, wl, gl)
		}
	}
	return b.String() + "--- full output:\n" + got
}
