package sql

import (
	"strconv"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// fuzzSchema gives fuzzed queries something to read and write.
const fuzzSchema = `CREATE TABLE t (a int PRIMARY KEY, b text UNIQUE, c numeric(8,2) CHECK (c >= 0), d timestamptz DEFAULT now());
CREATE TABLE u (x serial, y varchar(4) NOT NULL DEFAULT 'y');
CREATE INDEX t_c ON t (c);
INSERT INTO t VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, NULL, 0);
INSERT INTO u (y) VALUES ('a'), ('bb')`

// checkNoInternalError fails on a result that hides a bug: a recovered
// panic or any other internal error is XX000.
func checkNoInternalError(t *testing.T, query string, rs []Result) {
	t.Helper()
	for _, r := range rs {
		if r.Err != nil && r.Err.Code == sqlerr.InternalError {
			t.Fatalf("query %q: internal error: %s", query, r.Err.Message)
		}
	}
}

// FuzzSQL feeds arbitrary query strings to a session, through both the
// simple and the extended protocol. Errors are fine; a panic, a hang or
// an internal error (XX000, which is what a recovered panic becomes) is a
// bug. Run: go test ./sql -run XXX -fuzz FuzzSQL -fuzztime 60s
func FuzzSQL(f *testing.F) {
	for _, q := range []string{
		"SELECT 1", "SELECT * FROM t WHERE a = 1", "SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 0 ORDER BY 1",
		"INSERT INTO t VALUES (9, 'nine', 9) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING *",
		"UPDATE t SET c = c + 1 WHERE a IN (SELECT x FROM u)", "DELETE FROM u WHERE y LIKE 'b%'",
		"BEGIN; SAVEPOINT s; INSERT INTO u DEFAULT VALUES; ROLLBACK TO s; COMMIT",
		"SELECT * FROM t LEFT JOIN u ON t.a = u.x FULL JOIN generate_series(1, 3) g ON g = t.a",
		"WITH w AS (SELECT a FROM t) SELECT (SELECT max(a) FROM w), EXISTS (SELECT 1 FROM w WHERE a > 2)",
		"SELECT CASE WHEN a > 1 THEN b ELSE 'x' END, coalesce(c, 0)::text || '!' FROM t ORDER BY c NULLS FIRST LIMIT 2 OFFSET 1",
		"SELECT '2024-01-01'::date + interval '1 day', extract(year FROM now()), date_trunc('hour', d) FROM t",
		"ALTER TABLE t ADD COLUMN e int; ALTER TABLE t RENAME COLUMN e TO f; ALTER TABLE t DROP COLUMN f",
		"COPY t TO STDOUT WITH (FORMAT csv, HEADER)", "SELECT $1::int + $2", "EXPLAIN SELECT * FROM t WHERE c = 1",
		"SELECT a FROM t UNION SELECT x FROM u INTERSECT SELECT 1 EXCEPT ALL SELECT 2",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		store := memkv.New()
		s := NewSession(SessionConfig{})
		mustRun(t, s, store, fuzzSchema)
		checkNoInternalError(t, query, Run(s, store, query))
		if s.InTransaction() != 'I' {
			Run(s, store, "ROLLBACK")
		}
		p, err := Prepare(s, store, query, nil)
		if err != nil {
			if err.Code == sqlerr.InternalError {
				t.Fatalf("prepare %q: internal error: %s", query, err.Message)
			}
			return
		}
		params := make([]types.Datum, len(p.ParamTypes))
		for i := range params {
			params[i] = types.Null
		}
		checkNoInternalError(t, query, Execute(s, store, p, params, nil))
	})
}

// TestHostileSQL: statements built to exhaust the stack, memory or time
// get an error (54000 program_limit_exceeded, 54001 statement_too_complex,
// or an ordinary data error), never a panic, a hang or an internal error.
func TestHostileSQL(t *testing.T) {
	big := strings.Repeat("x", 20<<20)
	for _, c := range []struct {
		name, q string
		codes   string // acceptable SQLSTATEs, space separated; "ok" = success
	}{
		{"nested parentheses", "SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), "ok 54001"},
		{"deeper parentheses", "SELECT " + strings.Repeat("(", 50000) + "1" + strings.Repeat(")", 50000), "42601 54001"},
		{"long operator chain", "SELECT " + strings.Repeat("1+", 20000) + "1", "54001"},
		{"nested NOT", "SELECT " + strings.Repeat("NOT ", 5000) + "true", "54001"},
		{"nested subqueries", "SELECT " + strings.Repeat("(SELECT ", 500) + "1" + strings.Repeat(")", 500), "54001"},
		{"nested functions", "SELECT " + strings.Repeat("abs(", 3000) + "1" + strings.Repeat(")", 3000), "54001"},
		{"nested CASE", "SELECT " + strings.Repeat("CASE WHEN true THEN ", 2000) + "1" + strings.Repeat(" END", 2000), "42601 54001"}, // PostgreSQL: 42601 memory exhausted
		{"nested CTEs", "WITH " + nestedCTEs(200) + " SELECT * FROM c199", "ok 54001"},
		{"long IN list", "SELECT 1 IN (" + strings.Repeat("1,", 100000) + "1)", "ok"},
		{"huge query text", "SELECT '" + big + "'", "54000"},
		{"huge numeric literal", "SELECT 1" + strings.Repeat("0", 200000) + "::numeric", "22003"},
		{"numeric exponent", "SELECT '1e100000000'::numeric", "22003 22P02"},
		{"power overflow", "SELECT power(10::numeric, 1000000)", "22003 54000"},
		{"repeat", "SELECT repeat('x', 1000000000)", "54000"},
		{"lpad", "SELECT lpad('x', 2000000000)", "54000"},
		{"string_agg growth", "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 30000)", "ok 54000"},
		{"absurd LIMIT", "SELECT * FROM t LIMIT 9223372036854775807", "ok"},
		{"absurd OFFSET", "SELECT * FROM t OFFSET 9223372036854775807", "ok"},
		{"huge series", "SELECT count(*) FROM generate_series(1, 1000000000000)", "54000"},
		{"series to max int", "SELECT count(*) FROM generate_series(9223372036854775800, 9223372036854775807)", "ok"},
		{"cross join blowup", "SELECT count(*) FROM generate_series(1, 5000) a, generate_series(1, 5000) b", "54000"},
		{"timestamp series", "SELECT count(*) FROM generate_series('2000-01-01'::timestamp, '3000-01-01', interval '1 second')", "54000"},
		{"many VALUES", "SELECT count(*) FROM (VALUES " + strings.Repeat("(1),", 50000) + "(1)) v(x)", "ok"},
		{"many columns", "SELECT " + strings.Repeat("1,", 5000) + "1", "ok 54011"},
		{"create wide table", "CREATE TABLE wide (" + wideColumns(2000) + ")", "54011"},
		{"long identifier", "SELECT 1 AS " + strings.Repeat("a", 100000), "ok"},
		{"deep JSON-like string", "SELECT '" + strings.Repeat("[", 100000) + "'", "ok"},
		{"interval overflow", "SELECT interval '2147483647 days' * 1000000", "22008 22003"},
		{"date overflow", "SELECT '294277-01-01'::timestamp", "22008"},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := memkv.New()
			s := NewSession(SessionConfig{})
			mustRun(t, s, store, fuzzSchema)
			rs := Run(s, store, c.q)
			got := "ok"
			for _, r := range rs {
				if r.Err != nil {
					got = r.Err.Code
				}
			}
			if !strings.Contains(" "+c.codes+" ", " "+got+" ") {
				msg := ""
				if got != "ok" {
					msg = rs[len(rs)-1].Err.Message
				}
				msg = msg[:min(len(msg), 200)]
				t.Fatalf("got %s %s, want one of %s", got, msg, c.codes)
			}
		})
	}
}

func nestedCTEs(n int) string {
	var b strings.Builder
	b.WriteString("c0 AS (SELECT 1 AS v)")
	for i := 1; i < n; i++ {
		b.WriteString(", c" + itoa(i) + " AS (SELECT v + 1 AS v FROM c" + itoa(i-1) + ")")
	}
	return b.String()
}

func wideColumns(n int) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = "c" + itoa(i) + " int"
	}
	return strings.Join(cols, ", ")
}

func itoa(i int) string { return strconv.Itoa(i) }
