package sql

import (
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// workMemTinyBytes is small enough that 5,000 materialised integers
// (about 80 bytes each) exceed it, and large enough for the small
// results the queries return.
const workMemTinyBytes = 64 << 10

// workMemCases: one query per charging operator, each with a big
// materialised input and a one-row result, and the operator its error
// must name.
var workMemCases = []struct{ op, query string }{
	{"Sort", "SELECT g FROM generate_series(1, 5000) g ORDER BY g DESC LIMIT 1"},
	{"Hash Join", "SELECT count(*) FROM generate_series(1, 5000) a JOIN generate_series(1, 5000) b ON a.a = b.b"},
	{"Nested Loop Join", "SELECT count(*) FROM generate_series(1, 100) a, generate_series(1, 100) b"},
	{"HashAggregate", "SELECT count(*) FROM (SELECT g FROM generate_series(1, 5000) g GROUP BY g) s"},
	{"HashAggregate", "SELECT count(DISTINCT g) FROM generate_series(1, 5000) g"},
	{"HashAggregate", "SELECT length(string_agg(g::text, ',' ORDER BY g DESC)) FROM generate_series(1, 5000) g"},
	{"Unique", "SELECT count(*) FROM (SELECT DISTINCT g FROM generate_series(1, 5000) g) s"},
	{"UNION", "SELECT count(*) FROM (SELECT g FROM generate_series(1, 3000) g UNION SELECT g FROM generate_series(1, 3000) g) s"},
	{"INTERSECT", "SELECT count(*) FROM (SELECT g FROM generate_series(1, 3000) g INTERSECT SELECT g FROM generate_series(1, 3000) g) s"},
	{"EXCEPT", "SELECT count(*) FROM (SELECT g FROM generate_series(1, 3000) g EXCEPT SELECT g FROM generate_series(1, 10) g) s"},
	{"CTE Scan", "WITH c AS (SELECT g FROM generate_series(1, 5000) g) SELECT count(*) FROM c"},
	{"SubPlan", "SELECT 1 WHERE 0 IN (SELECT g FROM generate_series(1, 5000) g)"},
	{"Recursive Union", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5000) SELECT count(*) FROM r"},
}

// A plain SELECT of many rows is not refused: PostgreSQL streams results
// and does not count them against work_mem, and neither does LineraDB
// (max_result_rows bounds them).
func TestWorkMemDoesNotChargeTheResult(t *testing.T) {
	store := memkv.New()
	tight := NewSession(SessionConfig{WorkMemBytes: workMemTinyBytes})
	mustRun(t, tight, store, "SELECT g FROM generate_series(1, 5000) g")
}

func TestWorkMemTripsEachOperator(t *testing.T) {
	store := memkv.New()
	tight := NewSession(SessionConfig{WorkMemBytes: workMemTinyBytes})
	roomy := NewSession(SessionConfig{WorkMemBytes: 64 << 20})
	unlimited := NewSession(SessionConfig{})
	for _, c := range workMemCases {
		rs := Run(tight, store, c.query)
		wantCode(t, rs, "53200")
		msg := rs[len(rs)-1].Err.Message
		if !strings.Contains(msg, "work_mem") || !strings.Contains(msg, c.op+" ") || !strings.Contains(msg, "64kB") {
			t.Errorf("%s: message %q does not name work_mem (64kB) and %s", c.query, msg, c.op)
		}
		mustRun(t, roomy, store, c.query)
		mustRun(t, unlimited, store, c.query)
	}
}

// A statement holds what its operators hold at once, not what they held
// in total: a correlated subquery that sorts per outer row releases each
// run's rows, so 2,000 runs of 50 rows (8 MB in total) fit in 64 kB.
// Aggregates that fold (count, sum, avg, min, max) are not refused for
// a big input: PostgreSQL holds constant state for them.
func TestWorkMemFoldingAggregates(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{WorkMemBytes: workMemTinyBytes})
	q := "SELECT count(g), sum(g), avg(g), min(g), max(g), bool_and(g > 0) FROM generate_series(1, 5000) g"
	if got := dump(mustRun(t, s, store, q)); !strings.Contains(got, "12502500") {
		t.Fatalf("got %s", got)
	}
}

func TestWorkMemReleasedBetweenRuns(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{WorkMemBytes: workMemTinyBytes})
	q := "SELECT count(*) FROM generate_series(1, 2000) o WHERE o.o IN (SELECT i FROM generate_series(o.o, o.o + 49) i ORDER BY i DESC)"
	if got := dump(mustRun(t, s, store, q)); got != "SELECT 1\n  2000\n" {
		t.Fatalf("got %s", got)
	}
	// One run of the same subquery over 5,000 rows is over.
	wantCode(t, Run(s, store, "SELECT count(*) FROM generate_series(1, 2) o WHERE o.o IN (SELECT i FROM generate_series(1, 5000) i ORDER BY i + o.o)"), "53200")
}

func TestWorkMemSetting(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{WorkMemBytes: 4 << 20})
	show := func() string { return dump(mustRun(t, s, store, "SHOW work_mem")) }
	if got := show(); got != "SHOW\n  4MB\n" {
		t.Fatalf("default: %q", got)
	}
	big := "SELECT g FROM generate_series(1, 5000) g ORDER BY g DESC LIMIT 1"
	mustRun(t, s, store, big)
	mustRun(t, s, store, "SET work_mem = '64kB'")
	if got := show(); got != "SHOW\n  64kB\n" {
		t.Fatalf("after SET: %q", got)
	}
	wantCode(t, Run(s, store, big), "53200")
	mustRun(t, s, store, "SET work_mem = 1024") // kB, as in PostgreSQL
	if got := show(); got != "SHOW\n  1MB\n" {
		t.Fatalf("after SET 1024: %q", got)
	}
	mustRun(t, s, store, big)
	for _, bad := range []string{"'1kB'", "'lots'", "'3TB'", "'4 MB extra'", "99999999999999"} {
		wantCode(t, Run(s, store, "SET work_mem = "+bad), "22023")
	}
	mustRun(t, s, store, "SET work_mem = '64kB'; RESET work_mem")
	if got := show(); got != "SHOW\n  4MB\n" {
		t.Fatalf("after RESET: %q", got)
	}
	mustRun(t, s, store, "SET work_mem = '64kB'; RESET ALL")
	if got := show(); got != "SHOW\n  4MB\n" {
		t.Fatalf("after RESET ALL: %q", got)
	}
	// In a block the failure aborts the block, like any error.
	mustRun(t, s, store, "SET work_mem = '64kB'; BEGIN")
	wantCode(t, Run(s, store, big), "53200")
	if s.InTransaction() != 'E' {
		t.Fatalf("status %c after 53200 in a block, want E", s.InTransaction())
	}
	mustRun(t, s, store, "ROLLBACK")
	if got := dump(mustRun(t, NewSession(SessionConfig{}), store, "SHOW work_mem")); got != "SHOW\n  unlimited\n" {
		t.Fatalf("no budget: %q", got)
	}
}
