package sql

import (
	"sync/atomic"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

func TestMaxResultRows(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{MaxResultRows: 10})
	mustRun(t, s, store, "SELECT * FROM generate_series(1, 10)")
	wantCode(t, Run(s, store, "SELECT * FROM generate_series(1, 11)"), "54000")
	// Counting is not returning: an aggregate over many rows is fine.
	mustRun(t, s, store, "SELECT count(*) FROM generate_series(1, 1000)")
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	wantCode(t, Run(s, store, "INSERT INTO t SELECT * FROM generate_series(1, 20) RETURNING a"), "54000")
	if got := dump(mustRun(t, s, store, "SELECT count(*) FROM t")); got != "SELECT 1\n  0\n" {
		t.Fatalf("the failed statement's writes survived: %s", got)
	}
	s.SetMaxResultRows(0)
	mustRun(t, s, store, "SELECT * FROM generate_series(1, 11)")
}

func TestInterrupt(t *testing.T) {
	store := memkv.New()
	var flag atomic.Bool // set by another goroutine in production
	canceled := sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	polls := atomic.Int64{}
	s := NewSession(SessionConfig{Interrupted: func() error {
		polls.Add(1)
		if flag.Load() {
			return canceled
		}
		return nil
	}})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY); INSERT INTO t SELECT * FROM generate_series(1, 2000)")
	if polls.Load() == 0 {
		t.Fatal("Interrupted was never polled")
	}
	flag.Store(true)
	for _, q := range []string{
		"SELECT count(*) FROM t",
		"SELECT count(*) FROM generate_series(1, 5000) a, generate_series(1, 100) b",
		"INSERT INTO t VALUES (0)",
	} {
		wantCode(t, Run(s, store, q), "57014")
	}
	// Polling is what stops it mid-statement: flip the flag after some
	// rows of a long join.
	flag.Store(false)
	polls.Store(0)
	s2 := NewSession(SessionConfig{Interrupted: func() error {
		if polls.Add(1) > 5 {
			return canceled
		}
		return nil
	}})
	wantCode(t, Run(s2, store, "SELECT count(*) FROM generate_series(1, 3000) a, generate_series(1, 300) b"), "57014")
	// A canceled statement in a block aborts the block, like any error.
	s3 := NewSession(SessionConfig{Interrupted: func() error {
		if flag.Load() {
			return canceled
		}
		return nil
	}})
	mustRun(t, s3, store, "BEGIN")
	flag.Store(true)
	wantCode(t, Run(s3, store, "SELECT count(*) FROM t"), "57014")
	flag.Store(false)
	if s3.InTransaction() != 'E' {
		t.Fatalf("status %c after a cancel in a block, want E", s3.InTransaction())
	}
	mustRun(t, s3, store, "ROLLBACK")
}
