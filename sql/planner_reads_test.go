package sql

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

// countingStore counts the kv pairs its transactions read: one per Get,
// one per pair a Scan returns. It proves plans read what they claim.
type countingStore struct {
	*memkv.Store
	reads int
}

type countingTxn struct {
	kv.Txn
	s *countingStore
}

func (s *countingStore) Begin(o kv.TxnOptions) (kv.Txn, error) {
	t, err := s.Store.Begin(o)
	if err != nil {
		return nil, err
	}
	return &countingTxn{Txn: t, s: s}, nil
}

func (s *countingStore) Commit(t kv.Txn) (kv.CommitResult, error) {
	return s.Store.Commit(t.(*countingTxn).Txn)
}

func (s *countingStore) Abort(t kv.Txn) { s.Store.Abort(t.(*countingTxn).Txn) }

func (t *countingTxn) Get(k []byte) ([]byte, bool, error) {
	t.s.reads++
	return t.Txn.Get(k)
}

func (t *countingTxn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	kvs, err := t.Txn.Scan(start, end, limit, reverse)
	t.s.reads += len(kvs)
	return kvs, err
}

// readsOf runs one query and returns its kv reads and its rows' text.
func readsOf(t *testing.T, s *Session, store *countingStore, q string) (int, string) {
	t.Helper()
	store.reads = 0
	out := dump(Run(s, store, q))
	if strings.HasPrefix(out, "ERROR") {
		t.Fatalf("%s: %s", q, out)
	}
	return store.reads, out
}

const pushdownRowsN = 1000

// TestOrderByLimitReadsOnlyTheLimit: ORDER BY an index's order with LIMIT
// reads about LIMIT rows (index entries plus their row Gets), not the
// table, and returns what the full sort returns. The control query,
// ordered by an unindexed column, must read the whole table: otherwise
// the counter is not counting.
func TestOrderByLimitReadsOnlyTheLimit(t *testing.T) {
	store := &countingStore{Store: memkv.New()}
	s := NewSession(SessionConfig{User: "u"})
	var b strings.Builder
	b.WriteString("CREATE TABLE t (id int PRIMARY KEY, b int, c int, d int);CREATE INDEX t_b ON t (b);CREATE INDEX t_c_desc ON t (c DESC);")
	var vals []string
	for i := 1; i <= pushdownRowsN; i++ {
		c := fmt.Sprint(i % 37)
		if i%10 == 0 {
			c = "NULL"
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, %s, %d)", i, (i*7919)%pushdownRowsN, c, i%3))
	}
	b.WriteString("INSERT INTO t VALUES " + strings.Join(vals, ","))
	if out := dump(Run(s, store, b.String())); strings.Contains(out, "ERROR") {
		t.Fatal(out)
	}
	base, _ := readsOf(t, s, store, "SELECT * FROM t WHERE id = 1")
	cases := []struct {
		query, unordered string
		readsMax         int
	}{
		{"SELECT * FROM t ORDER BY id LIMIT 10", "", 10},
		{"SELECT * FROM t ORDER BY id DESC LIMIT 10 OFFSET 5", "", 15},
		{"SELECT id, b FROM t ORDER BY b LIMIT 10", "", 20},
		{"SELECT id, b FROM t ORDER BY b DESC, id DESC LIMIT 10", "", 20},
		{"SELECT id, b FROM t WHERE b > 500 ORDER BY b LIMIT 10", "", 20},
		{"SELECT id, b FROM t WHERE b BETWEEN 100 AND 104 ORDER BY b", "", 10},
		{"SELECT id, c FROM t ORDER BY c DESC, id LIMIT 10", "", 20},
		{"SELECT id, c FROM t ORDER BY c NULLS LAST, id DESC LIMIT 10", "", 20},
		{"SELECT id FROM t WHERE d = 0 ORDER BY id LIMIT 10", "", 30},
		{"SELECT id FROM t LIMIT 7", "", 7},
	}
	for _, tc := range cases {
		reads, got := readsOf(t, s, store, tc.query)
		if reads-base > tc.readsMax {
			t.Errorf("%s: %d kv reads beyond a point lookup's, want <= %d\n%s", tc.query, reads-base, tc.readsMax, explain(t, s, store, tc.query))
		}
		// The same query planned with a sort over a full scan (ORDER BY
		// an expression no index has) must give the same rows.
		full := strings.Replace(tc.query, "ORDER BY ", "ORDER BY 0 + 0, ", 1)
		if _, want := readsOf(t, s, store, full); want != got && strings.Contains(tc.query, "ORDER BY") {
			t.Errorf("%s:\n%s\nwant (sorted):\n%s", tc.query, got, want)
		}
	}
	// Parameters: the path's bounds are bound per execution, its order kept.
	p, perr := Prepare(s, store, "SELECT id, b FROM t WHERE b > $1 ORDER BY b DESC LIMIT $2", nil)
	if perr != nil {
		t.Fatal(perr.Message)
	}
	store.reads = 0
	got := dump(Execute(s, store, p, []types.Datum{types.DInt(990), types.DInt(3)}, nil))
	if _, want := readsOf(t, s, store, "SELECT id, b FROM t WHERE b > 990 ORDER BY 0 + 0, b DESC LIMIT 3"); got != want {
		t.Errorf("prepared ordered scan:\n%s\nwant:\n%s", got, want)
	}
	reads, _ := readsOf(t, s, store, "SELECT id FROM t ORDER BY d, id LIMIT 10")
	if reads < pushdownRowsN {
		t.Fatalf("control query read %d pairs of a %d-row table: the counter is broken", reads, pushdownRowsN)
	}
}

// TestExplainShowsAccessPath: EXPLAIN names the path chosen for ordered,
// limited and ranged reads, and the sort disappears when an index
// delivers the order.
func TestExplainShowsAccessPath(t *testing.T) {
	store := &countingStore{Store: memkv.New()}
	s := NewSession(SessionConfig{User: "u"})
	dump(Run(s, store, "CREATE TABLE t (id int PRIMARY KEY, b int, c text); CREATE INDEX t_b ON t (b); CREATE UNIQUE INDEX t_c ON t (c)"))
	cases := map[string][]string{
		"SELECT * FROM t ORDER BY id LIMIT 10":               {"Limit", "Index Scan using t_pkey on t (stops at LIMIT)"},
		"SELECT * FROM t ORDER BY id DESC":                   {"Index Scan Backward using t_pkey on t"},
		"SELECT * FROM t ORDER BY b LIMIT 3":                 {"Limit", "Index Scan using t_b on t (stops at LIMIT)"},
		"SELECT * FROM t ORDER BY b":                         {"Sort (keys [t.b])", "Seq Scan on t"},
		"SELECT * FROM t WHERE b >= 3 AND b < 9":             {"Filter: ((b >= 3) AND (b < 9))", "Index Scan using t_b on t ((b >= 3) AND (b < 9))"},
		"SELECT * FROM t WHERE c = 'x' AND id > 3":           {"Filter: ((c = 'x'::text) AND (id > 3))", "Index Scan using t_c on t ((c = 'x'::text))"},
		"SELECT * FROM t WHERE id > 3 ORDER BY id DESC":      {"Filter: (id > 3)", "Range Scan Backward on t ((id > 3))"},
		"SELECT * FROM t ORDER BY b NULLS FIRST LIMIT 1":     {"Limit", "Sort (keys [t.b])", "Seq Scan on t"},
		"SELECT * FROM t WHERE b = 4 ORDER BY id DESC":       {"Filter: (b = 4)", "Index Scan Backward using t_b on t ((b = 4))"},
		"SELECT * FROM t WHERE b BETWEEN 1 AND 2 ORDER BY b": {"Filter: ((b >= 1) AND (b <= 2))", "Index Scan using t_b on t ((b >= 1) AND (b <= 2))"},
	}
	qs := make([]string, 0, len(cases))
	for q := range cases {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for _, q := range qs {
		got := explain(t, s, store, q)
		var want []string
		for i, l := range cases[q] {
			if i > 0 {
				l = strings.Repeat("  ", i-1) + "  ->  " + l
			}
			want = append(want, l)
		}
		if got != strings.Join(want, "\n") {
			t.Errorf("EXPLAIN %s:\n%s\nwant:\n%s", q, got, strings.Join(want, "\n"))
		}
	}
}

func explain(t *testing.T, s *Session, store kv.Store, q string) string {
	t.Helper()
	rs := Run(s, store, "EXPLAIN "+q)
	if rs[0].Err != nil {
		t.Fatalf("EXPLAIN %s: %s", q, rs[0].Err.Message)
	}
	var lines []string
	for i := range rs[0].Rows {
		l, _ := rs[0].Text(i, 0)
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}
