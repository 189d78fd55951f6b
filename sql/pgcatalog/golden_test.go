package pgcatalog_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/pgcatalog"
)

// The catalog queries psql 15 sends for \d, \dt, \d TABLE, \di, \l, \dn,
// \du (captured with psql -E) and those pgx v5 sends to load types live in
// testdata/psql/queries.sql; queries.golden holds PostgreSQL 15's answers
// for the schema in schema.sql. Regenerate with
//
//	go test ./sql/pgcatalog -run TestCatalogQueries -rewrite \
//	    -pg 'postgres://postgres@127.0.0.1:55432/lineradb'
//
// (the database must exist; its public tables are dropped and recreated).
var (
	pgDSN   = flag.String("pg", "", "PostgreSQL 15 URL to regenerate golden answers from (with -rewrite)")
	rewrite = flag.Bool("rewrite", false, "regenerate testdata/psql/queries.golden from -pg")
)

const testdataDir = "../../testdata/psql"

// oidNames are the objects whose OIDs differ between PostgreSQL and
// LineraDB; results and query templates name them as {{oid name}} and
// {{type name}} (the table's row type).
var oidNames = []string{"accounts", "items", "accounts_pkey", "accounts_email_key",
	"accounts_created_idx", "accounts_id_seq"}

type query struct {
	name   string
	filter string // "col=value": keep only rows whose column col (1-based) is value
	sql    string
}

func readQueries(t *testing.T) []query {
	b, err := os.ReadFile(filepath.Join(testdataDir, "queries.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var out []query
	for _, block := range strings.Split("\n\n"+string(b), "\n\n-- ")[1:] {
		lines := strings.Split(block, "\n")
		q := query{name: lines[0]}
		lines = lines[1:]
		for len(lines) > 0 && strings.HasPrefix(lines[0], "-- filter: ") {
			q.filter = strings.TrimPrefix(lines[0], "-- filter: ")
			lines = lines[1:]
		}
		q.sql = strings.TrimSpace(strings.Join(lines, "\n"))
		out = append(out, q)
	}
	return out
}

// runner runs one query and returns its column names and text rows
// (NULL as "NULL"), or an error text.
type runner func(sql string) ([]string, [][]string, error)

// render runs every query through run and returns the golden text.
func render(t *testing.T, qs []query, run runner) map[string]string {
	oids := map[string]string{}
	for _, n := range oidNames {
		for kind, q := range map[string]string{
			"oid":  "SELECT oid FROM pg_catalog.pg_class WHERE relname = '" + n + "'",
			"type": "SELECT oid FROM pg_catalog.pg_type WHERE typname = '" + n + "'",
		} {
			_, rows, err := run(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if len(rows) == 1 {
				oids["{{"+kind+" "+n+"}}"] = rows[0][0]
			}
		}
	}
	out := map[string]string{}
	for _, q := range qs {
		text := q.sql
		for ph, v := range oids {
			text = strings.ReplaceAll(text, ph, v)
		}
		cols, rows, err := run(text)
		out[q.name] = format(q, cols, rows, err, oids)
	}
	return out
}

func format(q query, cols []string, rows [][]string, err error, oids map[string]string) string {
	if err != nil {
		return "ERROR " + err.Error() + "\n"
	}
	byValue := map[string]string{}
	for ph, v := range oids {
		byValue[v] = ph
	}
	if len(rows) == 0 {
		// psql reads only the row count of these (policies, publications,
		// ...); their column names are immaterial.
		return "(no rows)\n"
	}
	var b strings.Builder
	b.WriteString(strings.Join(cols, "|") + "\n")
	for _, r := range rows {
		if col, val, ok := strings.Cut(q.filter, "="); ok {
			if i := int(col[0] - '1'); i < len(r) && r[i] != val {
				continue
			}
		}
		cells := make([]string, len(r))
		for i, c := range r {
			if ph, ok := byValue[c]; ok {
				c = ph
			}
			cells[i] = strings.ReplaceAll(c, "\n", `\n`)
		}
		b.WriteString(strings.Join(cells, "|") + "\n")
	}
	return b.String()
}

func goldenText(qs []query, res map[string]string) string {
	var b strings.Builder
	for _, q := range qs {
		fmt.Fprintf(&b, "== %s\n%s\n", q.name, res[q.name])
	}
	return b.String()
}

func parseGolden(t *testing.T) map[string]string {
	b, err := os.ReadFile(filepath.Join(testdataDir, "queries.golden"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, block := range strings.Split("\n"+string(b), "\n== ")[1:] {
		name, body, _ := strings.Cut(block, "\n")
		out[name] = strings.TrimRight(body, "\n") + "\n"
	}
	return out
}

func schemaSQL(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(testdataDir, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineradbRunner runs queries in-process: a session over an in-memory
// store, each query string passed through pgcatalog.Rewrite as the
// session's caller does.
func lineradbRunner(t *testing.T) runner {
	store := memkv.New()
	s := sql.NewSession(sql.SessionConfig{User: "postgres", Database: "lineradb"})
	for _, r := range sql.Run(s, store, schemaSQL(t)) {
		if r.Err != nil {
			t.Fatalf("schema: %s", r.Err.Message)
		}
	}
	return func(q string) ([]string, [][]string, error) {
		rs := sql.Run(s, store, pgcatalog.Rewrite(q))
		if len(rs) != 1 {
			return nil, nil, fmt.Errorf("%d results", len(rs))
		}
		r := rs[0]
		if r.Err != nil {
			return nil, nil, fmt.Errorf("%s: %s", r.Err.Code, r.Err.Message)
		}
		cols := make([]string, len(r.Columns))
		for i, c := range r.Columns {
			cols[i] = c.Name
		}
		rows := make([][]string, len(r.Rows))
		for i := range r.Rows {
			for j := range r.Columns {
				v, ok := r.Text(i, j)
				if !ok {
					v = "NULL"
				}
				rows[i] = append(rows[i], v)
			}
		}
		return cols, rows, nil
	}
}

func postgresRunner(t *testing.T, dsn string) runner {
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS accounts, items; "+schemaSQL(t)).ReadAll(); err != nil {
		t.Fatal(err)
	}
	return func(q string) ([]string, [][]string, error) {
		rs, err := conn.Exec(ctx, q).ReadAll()
		if err != nil {
			return nil, nil, err
		}
		r := rs[len(rs)-1]
		cols := make([]string, len(r.FieldDescriptions))
		for i, f := range r.FieldDescriptions {
			cols[i] = f.Name
		}
		rows := make([][]string, len(r.Rows))
		for i, row := range r.Rows {
			for _, v := range row {
				s := "NULL"
				if v != nil {
					s = string(v)
				}
				rows[i] = append(rows[i], s)
			}
		}
		return cols, rows, nil
	}
}

func TestCatalogQueries(t *testing.T) {
	qs := readQueries(t)
	if *rewrite {
		if *pgDSN == "" {
			t.Fatal("-rewrite needs -pg")
		}
		res := render(t, qs, postgresRunner(t, *pgDSN))
		if err := os.WriteFile(filepath.Join(testdataDir, "queries.golden"), []byte(goldenText(qs, res)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, d := range diffGolden(qs, render(t, qs, lineradbRunner(t)), parseGolden(t)) {
		t.Error(d)
	}
}

// diffGolden lists the queries whose answers differ.
func diffGolden(qs []query, got, want map[string]string) []string {
	var out []string
	for _, q := range qs {
		if got[q.name] != want[q.name] {
			out = append(out, fmt.Sprintf("%s\nquery:\n%s\n--- LineraDB:\n%s--- PostgreSQL 15:\n%s", q.name, q.sql, got[q.name], want[q.name]))
		}
	}
	return out
}

// TestCatalogQueriesCanFail proves the golden comparison catches drift: a
// catalog whose owner is named differently, and a golden answer with one
// row changed, must both be reported.
func TestCatalogQueriesCanFail(t *testing.T) {
	qs := readQueries(t)
	want := parseGolden(t)
	pgcatalog.SetRoleSource(func(*exec.Ctx) []pgcatalog.Role {
		return []pgcatalog.Role{{OID: 10, Name: "alice", Superuser: true, CanLogin: true, ConnLimit: -1}}
	})
	got := render(t, qs, lineradbRunner(t))
	pgcatalog.SetRoleSource(nil)
	if d := diffGolden(qs, got, want); len(d) == 0 {
		t.Fatal("a catalog owned by another role matched PostgreSQL's answers")
	}
	got = render(t, qs, lineradbRunner(t))
	if d := diffGolden(qs, got, want); len(d) != 0 {
		t.Fatalf("the restored role source still differs:\n%s", d[0])
	}
	broken := map[string]string{}
	for k, v := range want {
		broken[k] = strings.Replace(v, "accounts_pkey|t|t", "accounts_pkey|f|t", 1)
	}
	if d := diffGolden(qs, got, broken); len(d) != 1 {
		t.Fatalf("one corrupted golden answer produced %d differences, want 1", len(d))
	}
}
