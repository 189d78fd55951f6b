package sql

import (
	"strconv"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

// benchAccountsRows is the size of the pgbench-like table the point-lookup
// benchmarks read (small: the benchmarks measure per-statement CPU, not
// the store).
const benchAccountsRows = 1000

func benchAccounts(b *testing.B) (*Session, *memkv.Store) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "u"})
	for _, r := range Run(s, store, `CREATE TABLE pgbench_accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84));
INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, `+strconv.Itoa(benchAccountsRows)+`) g`) {
		if r.Err != nil {
			b.Fatal(r.Err.Message)
		}
	}
	return s, store
}

// BenchmarkPointSelectSimple is pgbench -S in simple mode: one autocommit
// statement whose text carries the key as a literal.
func BenchmarkPointSelectSimple(b *testing.B) {
	s, store := benchAccounts(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		aid := i%benchAccountsRows + 1
		rs := Run(s, store, "SELECT abalance FROM pgbench_accounts WHERE aid = "+strconv.Itoa(aid)+";")
		if len(rs) != 1 || rs[0].Err != nil || len(rs[0].Rows) != 1 {
			b.Fatalf("unexpected result %+v", rs)
		}
	}
}

// BenchmarkPointSelectPrepared is pgbench -S -M prepared: one prepared
// statement executed with a new key each time.
func BenchmarkPointSelectPrepared(b *testing.B) {
	s, store := benchAccounts(b)
	p, err := Prepare(s, store, "SELECT abalance FROM pgbench_accounts WHERE aid = $1", nil)
	if err != nil {
		b.Fatal(err.Message)
	}
	params := make([]types.Datum, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		params[0] = types.DInt(int64(i%benchAccountsRows + 1))
		rs := Execute(s, store, p, params, nil)
		if len(rs) != 1 || rs[0].Err != nil || len(rs[0].Rows) != 1 {
			b.Fatalf("unexpected result %+v", rs)
		}
	}
}

// BenchmarkPointSelectSimpleRepeated sends one text again and again (the
// parse cache's best case: BEGIN, COMMIT, literal-free statements).
func BenchmarkPointSelectSimpleRepeated(b *testing.B) {
	s, store := benchAccounts(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rs := Run(s, store, "SELECT abalance FROM pgbench_accounts WHERE aid = 42;")
		if len(rs) != 1 || rs[0].Err != nil || len(rs[0].Rows) != 1 {
			b.Fatalf("unexpected result %+v", rs)
		}
	}
}
