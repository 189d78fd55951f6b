package pgcatalog_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// psqlScripts are the testdata/psql scripts with golden output (*.out,
// regenerated from PostgreSQL 15 by testdata/psql/gen_golden.sh).
var psqlScripts = []string{"describe", "databases"}

// TestPsqlGolden runs the psql scripts through the real psql binary
// against a LineraDB server and diffs the output against the golden files.
// It runs when LINERADB_PSQL_ADDR (host:port) is set and psql is
// installed; LINERADB_PSQL_USER (default postgres) must be the role that
// owns the objects, and the server must serve database "lineradb".
func TestPsqlGolden(t *testing.T) {
	addr := os.Getenv("LINERADB_PSQL_ADDR")
	if addr == "" {
		t.Skip("LINERADB_PSQL_ADDR not set")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("LINERADB_PSQL_ADDR=%q: %v", addr, err)
	}
	user := os.Getenv("LINERADB_PSQL_USER")
	if user == "" {
		user = "postgres"
	}
	run := func(args ...string) string {
		cmd := exec.Command(psql, append([]string{"-X", "-q", "--no-psqlrc", "-h", host, "-p", port, "-U", user, "-d", "lineradb"}, args...)...)
		cmd.Dir = testdataDir
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
		out, _ := cmd.CombinedOutput() // errors show up in the output diff
		return string(out)
	}
	if out := run("-v", "ON_ERROR_STOP=1", "-c", "DROP TABLE IF EXISTS accounts, items", "-f", "schema.sql"); strings.Contains(out, "ERROR") {
		t.Fatalf("loading schema.sql:\n%s", out)
	}
	for _, name := range psqlScripts {
		want, err := os.ReadFile(filepath.Join(testdataDir, name+".out"))
		if err != nil {
			t.Fatal(err)
		}
		if got := run("-f", name+".sql"); got != string(want) {
			t.Errorf("psql -f %s.sql:\n--- LineraDB:\n%s--- PostgreSQL 15 (%s.out):\n%s", name, got, name, want)
		}
	}
}
