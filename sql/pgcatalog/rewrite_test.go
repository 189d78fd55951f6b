package pgcatalog

import (
	"strings"
	"testing"
)

func TestRewriteLeavesOrdinaryQueriesAlone(t *testing.T) {
	for _, q := range []string{
		"SELECT 1",
		"SELECT a, b FROM t WHERE b = 1 ORDER BY a",
		"INSERT INTO t VALUES (1, 'x')",
		"UPDATE accounts SET balance = balance + 1 WHERE id = $1",
		"SELEC 1 FROM", // does not parse: the real parser reports it
		"WITH pg_type AS (SELECT 1 AS oid) SELECT oid FROM pg_type", // a CTE shadows the catalog
		"SELECT x FROM t ORDER BY x COLLATE \"de_DE\"",              // a real collation stays (and fails later)
		"SELECT count(*) FROM pg_catalog.pg_inherits",               // an aggregate over an empty catalog is one row
		"SELECT c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid",
	} {
		if got := Rewrite(q); got != q {
			t.Errorf("Rewrite(%q) = %q, want it unchanged", q, got)
		}
	}
}

func TestRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT typname FROM pg_type", "SELECT typname FROM pg_catalog.pg_type"},
		{"SELECT 1 FROM t WHERE a OPERATOR(pg_catalog.~) '^x$' COLLATE pg_catalog.default",
			"SELECT 1 FROM t WHERE pg_catalog.textregexeq(a, '^x$')"},
		{"SELECT a !~ 'p', a ~* 'p', a !~* 'p' FROM t",
			"SELECT pg_catalog.textregexne(a, 'p') AS \"?column?\", pg_catalog.texticregexeq(a, 'p') AS \"?column?\", pg_catalog.texticregexne(a, 'p') AS \"?column?\" FROM t"},
		{"SELECT nextval('s'::regclass)", "SELECT nextval('s') AS nextval"},
		{"SELECT c.oid::pg_catalog.regclass FROM t c", "SELECT pg_catalog.lineradb_regclass_out(c.oid) AS oid FROM t c"},
		{"SELECT $1::text::regtype::oid", "SELECT pg_catalog.lineradb_regtype_in($1::text)::oid AS oid"},
		{"SELECT a FROM t WHERE r = 'accounts'::regclass", "SELECT a FROM t WHERE r = pg_catalog.lineradb_regclass_in('accounts')"},
		{"SELECT c.oid::regclass::oid FROM t c", "SELECT c.oid::oid AS oid FROM t c"},
		{"SELECT polname, polcmd AS cmd FROM pg_catalog.pg_policy WHERE polrelid = 1 ORDER BY 1",
			"SELECT NULL AS polname, NULL AS cmd WHERE false"},
		{"SELECT m FROM pg_auth_members JOIN pg_roles ON true", "SELECT NULL AS m WHERE false"},
	} {
		if got := Rewrite(c.in); got != c.want {
			t.Errorf("Rewrite(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestRewriteArraySubquery(t *testing.T) {
	got := Rewrite("SELECT ARRAY(SELECT rolname FROM pg_catalog.pg_roles ORDER BY 1) AS memberof")
	for _, want := range []string{"string_agg", "'{'", "FROM (SELECT rolname FROM pg_catalog.pg_roles ORDER BY 1)", "AS memberof"} {
		if !strings.Contains(got, want) {
			t.Errorf("Rewrite of ARRAY(subquery) = %q, lacks %q", got, want)
		}
	}
}

func TestMayNeedRewrite(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT abalance FROM pgbench_accounts WHERE aid = $1": false,
		"UPDATE pgbench_tellers SET tbalance = tbalance + $1":  false,
		"select * from PG_CLASS":                               true,
		"SELECT a ~ 'x'":                                       true,
		"SELECT 'a'::RegClass":                                 true,
		"SELECT ARRAY(SELECT 1)":                               true,
		"SELECT x COLLATE \"C\" FROM t":                        true,
		"SELECT 1 FROM information_schema.tables":              false,
	} {
		if got := mayNeedRewrite(q); got != want {
			t.Errorf("mayNeedRewrite(%q) = %v, want %v", q, got, want)
		}
	}
}

func BenchmarkRewriteOrdinary(b *testing.B) {
	q := "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"
	for b.Loop() {
		if Rewrite(q) != q {
			b.Fatal("rewritten")
		}
	}
}
