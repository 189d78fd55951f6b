package sim

import (
	"strings"
	"testing"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql"
	"github.com/lineradb/lineradb/sql/keys"
)

// Unit tests of the SQL campaign's pieces against package sql over the
// in-memory kv store: the statements the workload sends do what it
// assumes, the index checks really go through the index, and every
// validator rejects a broken input.

func sqlMustRun(t *testing.T, s *sql.Session, store *memkv.Store, q string) []sql.Result {
	t.Helper()
	res := sql.Run(s, store, q)
	if e := sqlFirstErr(res); e != nil {
		t.Fatalf("%s: %s %s", q, e.Code, e.Message)
	}
	return res
}

// sqlTestWorkload is a workload with no cluster behind it, for the
// client's parsers and validators; its kernel records their verdicts.
func sqlTestWorkload(repr sqlListRepr) (*sqlWorkload, *sqlClient, *sqlOp) {
	k := NewKernel(1)
	c := &dbCluster{k: k, counters: counterSet{}}
	w := &sqlWorkload{c: c, cfg: sqlWorkConfig{accounts: 3, listRepr: repr,
		enabled: [sqlWorkKindCount]bool{true, true}}}
	cl := &sqlClient{w: w, id: 1, rng: k.Rand("test")}
	dn := &dbNode{c: c, id: 1}
	o := &sqlOp{cl: cl, conn: &sqlConn{c: c, dn: dn}}
	return w, cl, o
}

// TestSQLWorkloadStatements runs the setup, every append, read and
// catalog change of both list representations once, and checks the
// parsed results.
func TestSQLWorkloadStatements(t *testing.T) {
	for _, repr := range []sqlListRepr{sqlListRows, sqlListText} {
		w, cl, o := sqlTestWorkload(repr)
		store := memkv.New()
		s := sql.NewSession(sql.SessionConfig{})
		for range 2 { // the setup is idempotent
			sqlMustRun(t, s, store, w.setupQuery())
		}
		for i, v := range []int64{5, 9, 11} {
			res := sqlMustRun(t, s, store, w.appendQuery(3, v))
			if tags := sqlTags(res); len(tags) != 1 || tags[0] != "INSERT 0 1" {
				t.Fatalf("append %d answered %v", i, tags)
			}
		}
		sqlMustRun(t, s, store, w.appendQuery(4, 6))
		vals, ok := cl.parseList(o, sqlMustRun(t, s, store, w.readQuery(3))[0])
		if !ok || len(vals) != 3 || vals[0] != 5 || vals[2] != 11 {
			t.Fatalf("repr %d: list 3 read as %v (%v)", repr, vals, w.c.k.Err())
		}
		if vals, ok := cl.parseList(o, sqlMustRun(t, s, store, w.readQuery(99))[0]); !ok || len(vals) != 0 {
			t.Fatalf("repr %d: absent list read as %v", repr, vals)
		}
		for _, d := range []sqlDDLKind{sqlDDLAudit, sqlDDLBankIndex, sqlDDLListIndex} {
			sqlMustRun(t, s, store, d.query(repr, false))
			// A plain CREATE of an existing object must fail, which is
			// why a retry after an unknown outcome says IF NOT EXISTS.
			if e := sqlFirstErr(sql.Run(s, store, d.query(repr, false))); e == nil || e.Code != "42P07" {
				t.Fatalf("%s twice: %v", d, e)
			}
			sqlMustRun(t, s, store, d.query(repr, true))
		}
		bals, ok := cl.balances(o, sqlMustRun(t, s, store, bankReadAllQuery)[0], []int{0, 1, 2})
		if !ok || len(bals) != 3 || bals[0] != dbBankInitial {
			t.Fatalf("balances %v (%v)", bals, w.c.k.Err())
		}
	}
}

// TestSQLIndexChecksUseTheIndex: the lookups the workload compares with
// its primary-key reads are planned as index scans once the index exists
// (else the check would test nothing), and a damaged index is caught.
func TestSQLIndexChecksUseTheIndex(t *testing.T) {
	for _, repr := range []sqlListRepr{sqlListRows, sqlListText} {
		w, cl, o := sqlTestWorkload(repr)
		store := memkv.New()
		s := sql.NewSession(sql.SessionConfig{})
		sqlMustRun(t, s, store, w.setupQuery())
		sqlMustRun(t, s, store, w.appendQuery(7, 42))
		for _, d := range []sqlDDLKind{sqlDDLBankIndex, sqlDDLListIndex} {
			sqlMustRun(t, s, store, d.query(repr, false))
		}
		lookups := map[string]string{
			"SELECT id FROM bank WHERE balance = 100 ORDER BY id": "bank_balance",
			"SELECT k FROM la WHERE v = 42":                       "la_v",
		}
		if repr == sqlListText {
			lookups = map[string]string{"SELECT k FROM lt WHERE v = '42'": "lt_v"}
		}
		for q, index := range lookups { //detlint:ordered independent cases
			plan := sqlMustRun(t, s, store, "EXPLAIN "+q)[0]
			var text []string
			for i := range plan.Rows {
				line, _ := plan.Text(i, 0)
				text = append(text, line)
			}
			if !strings.Contains(strings.Join(text, "\n"), "Index Scan using "+index) {
				t.Errorf("%s is not planned through %s:\n%s", q, index, strings.Join(text, "\n"))
			}
		}
		scan, ok := cl.balances(o, sqlMustRun(t, s, store, bankReadAllQuery)[0], []int{0, 1, 2})
		if !ok {
			t.Fatal(w.c.k.Err())
		}
		lookup := func() []int64 {
			got, ok := cl.intColumn(o, sqlMustRun(t, s, store, "SELECT id FROM bank WHERE balance = 100 ORDER BY id")[0])
			if !ok {
				t.Fatal(w.c.k.Err())
			}
			return got
		}
		if err := sqlBalanceIndexMismatch(scan, 100, lookup()); err != nil {
			t.Fatalf("intact index: %v", err)
		}
		// Damage the index behind the SQL layer's back.
		txn, err := store.Begin(kv.TxnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := txn.DeleteRange(keys.IndexPrefix, keys.PrefixEnd(keys.IndexPrefix)); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Commit(txn); err != nil {
			t.Fatal(err)
		}
		if err := sqlBalanceIndexMismatch(scan, 100, lookup()); err == nil {
			t.Fatal("an emptied index passed the balance index check")
		}
		q := "SELECT k FROM la WHERE v = 42"
		if repr == sqlListText {
			q = "SELECT k FROM lt WHERE v = '42'"
		}
		got, _ := cl.intColumn(o, sqlMustRun(t, s, store, q)[0])
		if err := sqlListIndexMismatch(7, got); err == nil {
			t.Fatal("an emptied index passed the list index check")
		}
	}
}

// TestSQLValidatorsReject: every parser and comparison the clients apply
// to results rejects what the workload cannot have produced, failing the
// run.
func TestSQLValidatorsReject(t *testing.T) {
	store := memkv.New()
	s := sql.NewSession(sql.SessionConfig{})
	query := func(q string) sql.Result { return sqlMustRun(t, s, store, q)[0] }
	cases := []struct {
		name  string
		repr  sqlListRepr
		check func(cl *sqlClient, o *sqlOp) bool
	}{
		{"bank row with a foreign id", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.balances(o, query("SELECT 0, 100 UNION ALL SELECT 5, 100 UNION ALL SELECT 2, 100"), []int{0, 1, 2})
			return ok
		}},
		{"missing bank row", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.balances(o, query("SELECT 0, 100 UNION ALL SELECT 1, 100"), []int{0, 1, 2})
			return ok
		}},
		{"NULL balance", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.balances(o, query("SELECT 0, NULL::int"), []int{0})
			return ok
		}},
		{"sum disagreeing with the rows", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			return cl.checkSum(o, query("SELECT 301, 3"), []int64{100, 100, 100})
		}},
		{"count disagreeing with the rows", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			return cl.checkSum(o, query("SELECT 300, 4"), []int64{100, 100, 100})
		}},
		{"two rows for one text list", sqlListText, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.parseList(o, query("SELECT '1' UNION ALL SELECT '2'"))
			return ok
		}},
		{"text list with an empty element", sqlListText, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.parseList(o, query("SELECT '1,,2'"))
			return ok
		}},
		{"text list with a value never appended", sqlListText, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.parseList(o, query("SELECT '1,-2'"))
			return ok
		}},
		{"non-integer list element", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			_, ok := cl.parseList(o, query("SELECT 'x'"))
			return ok
		}},
		{"unexpected SQLSTATE on a healthy gateway", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			cl.classify(o, &sql.Error{Code: "XX000", Message: "internal"}, false)
			return false
		}},
		{"40003 from a statement that did not commit", sqlListRows, func(cl *sqlClient, o *sqlOp) bool {
			cl.classify(o, &sql.Error{Code: "40003"}, false)
			return false
		}},
	}
	for _, tc := range cases {
		w, cl, o := sqlTestWorkload(tc.repr)
		if tc.check(cl, o) {
			t.Errorf("%s: accepted", tc.name)
		}
		if w.c.k.Err() == nil {
			t.Errorf("%s: the run was not failed", tc.name)
		}
	}
	// And what they must accept.
	w, cl, o := sqlTestWorkload(sqlListText)
	if vals, ok := cl.parseList(o, query("SELECT '3,1,2'")); !ok || len(vals) != 3 {
		t.Errorf("good text list rejected: %v", w.c.k.Err())
	}
	if !cl.checkSum(o, query("SELECT 300, 3"), []int64{100, 150, 50}) {
		t.Errorf("good sum rejected: %v", w.c.k.Err())
	}
	o.conn.dn.disk = dbDiskBitFlip
	if st := cl.classify(o, &sql.Error{Code: "XX000"}, true); w.c.k.Err() != nil || st != checker.StatusUnknown {
		t.Errorf("error on a faulted gateway: status %v, run failed: %v", st, w.c.k.Err())
	}
}
