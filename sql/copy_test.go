package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

// feedRows is a CopyFeeder that inserts rows in batches of two.
func feedRows(rows ...types.Row) CopyFeeder {
	return func(ci *CopyIn) (int64, error) {
		n := int64(0)
		for i := 0; i < len(rows); i += 2 {
			batch := rows[i:min(i+2, len(rows))]
			if err := ci.Insert(batch); err != nil {
				return n, err
			}
			n += int64(len(batch))
		}
		return n, nil
	}
}

func TestCopyFromAutocommit(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (id int PRIMARY KEY, name varchar(3) NOT NULL, n int DEFAULT 5 CHECK (n > 0))")

	var spec CopySpec
	feed := feedRows(types.Row{types.DString("a"), types.DInt(1)}, types.Row{types.DString("b"), types.DInt(2)}, types.Row{types.DString("c"), types.DInt(3)})
	rs := DriveCopy(s, store, s.Start("COPY t (name, id) FROM STDIN WITH (FORMAT csv, HEADER, DELIMITER ';', NULL 'x')"), func(ci *CopyIn) (int64, error) {
		spec = ci.Spec
		return feed(ci)
	})
	if dump(rs) != "COPY 3\n" {
		t.Fatalf("copy: %s", dump(rs))
	}
	if spec.Format != CopyCSV || !spec.Header || spec.Delimiter != ';' || spec.Null == nil || *spec.Null != "x" ||
		len(spec.Columns) != 2 || spec.Columns[0].Name != "name" || spec.Columns[1].T.OID != types.OIDInt4 {
		t.Fatalf("spec %+v", spec)
	}
	if got := dump(mustRun(t, s, store, "SELECT * FROM t ORDER BY id")); got != "SELECT 3\n  1|a|5\n  2|b|5\n  3|c|5\n" {
		t.Fatalf("rows: %s", got)
	}

	// Every constraint holds; a failing row rolls the whole COPY back.
	for _, c := range []struct {
		rows []types.Row
		code string
	}{
		{[]types.Row{{types.DInt(4), types.DString("d")}, {types.DInt(1), types.DString("dup")}}, "23505"},
		{[]types.Row{{types.DInt(5), types.Null}}, "23502"},
		{[]types.Row{{types.DInt(6), types.DString("toolong")}}, "22001"},
	} {
		rs := DriveCopy(s, store, s.Start("COPY t (id, name) FROM STDIN"), feedRows(c.rows...))
		wantCode(t, rs, c.code)
	}
	wantCode(t, DriveCopy(s, store, s.Start("COPY t (id, name, n) FROM STDIN"), feedRows(types.Row{types.DInt(7), types.DString("g"), types.DInt(0)})), "23514")
	if got := dump(mustRun(t, s, store, "SELECT count(*) FROM t")); got != "SELECT 1\n  3\n" {
		t.Fatalf("a failed COPY left rows behind: %s", got)
	}
	// Without a data source, Drive reports the COPY as unsupported.
	wantCode(t, Run(s, store, "COPY t FROM STDIN"), "0A000")
}

func TestCopyInBlockAndAfter(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (id int PRIMARY KEY)")
	rs := DriveCopy(s, store, s.Start("BEGIN; COPY t FROM STDIN; SELECT count(*) FROM t"), feedRows(types.Row{types.DInt(1)}, types.Row{types.DInt(2)}))
	if dump(rs) != "BEGIN\nCOPY 2\nSELECT 1\n  2\n" {
		t.Fatalf("in block: %s", dump(rs))
	}
	mustRun(t, s, store, "ROLLBACK")
	if got := dump(mustRun(t, s, store, "SELECT count(*) FROM t")); got != "SELECT 1\n  0\n" {
		t.Fatalf("ROLLBACK kept the COPY: %s", got)
	}
	// A failed COPY in a block aborts the block.
	rs = DriveCopy(s, store, s.Start("BEGIN; COPY t FROM STDIN"), feedRows(types.Row{types.DInt(1)}, types.Row{types.DInt(1)}))
	wantCode(t, rs, "23505")
	if s.InTransaction() != 'E' {
		t.Fatalf("status %c, want E", s.InTransaction())
	}
	mustRun(t, s, store, "ROLLBACK")
	// The driver's own error (bad data, CopyFail) fails the statement.
	step := s.Start("COPY t FROM STDIN")
	rs = DriveCopy(s, store, step, func(ci *CopyIn) (int64, error) {
		_ = ci.Insert([]types.Row{{types.DInt(9)}})
		return 1, &Error{Code: "22P04", Message: "missing data for column"}
	})
	wantCode(t, rs, "22P04")
	if got := dump(mustRun(t, s, store, "SELECT count(*) FROM t")); got != "SELECT 1\n  0\n" {
		t.Fatalf("a failed COPY left rows behind: %s", got)
	}
}

func TestCopyTo(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (2, 'b'), (1, NULL)")
	rs := mustRun(t, s, store, "COPY t TO STDOUT")
	if dump(rs) != "COPY 2\n  1|NULL\n  2|b\n" || rs[0].Copy == nil || rs[0].Copy.Format != CopyText || len(rs[0].Copy.Columns) != 2 {
		t.Fatalf("copy to: %s %+v", dump(rs), rs[0].Copy)
	}
	rs = mustRun(t, s, store, "COPY (SELECT name, id * 10 AS x FROM t WHERE id = 2) TO STDOUT WITH (FORMAT csv, HEADER)")
	if dump(rs) != "COPY 1\n  b|20\n" || !rs[0].Copy.Header || rs[0].Copy.Columns[1].Name != "x" {
		t.Fatalf("copy query: %s %+v", dump(rs), rs[0].Copy)
	}
	rs = mustRun(t, s, store, "COPY t TO STDOUT WITH (FORMAT binary)")
	if rs[0].Copy == nil || rs[0].Copy.Format != CopyBinary {
		t.Fatalf("copy binary: %+v", rs[0].Copy)
	}
	rs = mustRun(t, s, store, "COPY t (name) TO STDOUT")
	if dump(rs) != "COPY 2\n  NULL\n  b\n" {
		t.Fatalf("copy columns: %s", dump(rs))
	}
	for _, c := range []struct{ q, code string }{
		{"COPY t FROM '/etc/passwd'", "0A000"},
		{"COPY t TO PROGRAM 'ls'", "0A000"},
		{"COPY t TO STDOUT WITH (FORMAT binary, DELIMITER ',')", "42601"},
		{"COPY t TO STDOUT WITH (QUOTE 'x')", "0A000"},
		{"COPY t TO STDOUT WITH (DELIMITER 'ab')", "0A000"},
		{"COPY missing TO STDOUT", "42P01"},
		{"COPY t (nope) TO STDOUT", "42703"},
	} {
		wantCode(t, Run(s, store, c.q), c.code)
	}
	// COPY through the extended protocol.
	p, err := Prepare(s, store, "COPY t FROM STDIN", nil)
	if err != nil || p.Columns != nil {
		t.Fatalf("prepare COPY FROM: %v %+v", err, p)
	}
	if rs := Execute(s, store, p, nil, feedRows(types.Row{types.DInt(3), types.DString("c")})); dump(rs) != "COPY 1\n" {
		t.Fatalf("execute COPY FROM: %s", dump(rs))
	}
	out, err := Prepare(s, store, "COPY t TO STDOUT", nil)
	if err != nil || len(out.Columns) != 2 {
		t.Fatalf("prepare COPY TO: %v %+v", err, out)
	}
}
