package parser

import (
	"slices"
	"testing"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// TestPgbenchInitStatements parses what pgbench 15's -i sends that the
// other tests do not cover, and checks the translation keeps what the
// executor needs.
func TestPgbenchInitStatements(t *testing.T) {
	for _, sql := range []string{
		"copy pgbench_accounts from stdin with (freeze on)",
		"COPY t FROM STDIN (FREEZE)",
		"COPY t FROM STDIN (FREEZE false, FORMAT csv)",
		"create table pgbench_history(tid int,bid int,aid int,delta int,mtime timestamp,filler char(22)) with (fillfactor=100)",
	} {
		if _, err := Parse(sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	v := parseOne(t, "vacuum analyze pgbench_branches").(*ast.Vacuum)
	if !v.IsVacuum || len(v.Tables) != 1 || v.Tables[0].Name != "pgbench_branches" {
		t.Errorf("vacuum analyze: %+v", v)
	}
	v = parseOne(t, "ANALYZE a (x, y), b").(*ast.Vacuum)
	if v.IsVacuum || len(v.Tables) != 2 || !slices.Equal(v.Columns[0], []string{"x", "y"}) || len(v.Columns[1]) != 0 {
		t.Errorf("analyze: %+v", v)
	}
	if v := parseOne(t, "VACUUM").(*ast.Vacuum); !v.IsVacuum || len(v.Tables) != 0 {
		t.Errorf("bare vacuum: %+v", v)
	}
	a := parseOne(t, "alter table pgbench_accounts add constraint acc_pk primary key (aid)").(*ast.AlterTable)
	if len(a.Cmds) != 1 || a.Cmds[0].Kind != ast.AlterAddConstraint {
		t.Fatalf("add primary key: %+v", a)
	}
	if c := a.Cmds[0].Constraint; c.Kind != ast.ConstraintPrimaryKey || c.Name != "acc_pk" || !slices.Equal(c.Columns, []string{"aid"}) {
		t.Errorf("add primary key constraint: %+v", c)
	}
}

func TestPgbenchInitStatementsRejected(t *testing.T) {
	for _, c := range []struct{ sql, code string }{
		{"COPY t FROM STDIN (FREEZE 'sometimes')", sqlerr.SyntaxError},
		{"ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (b)", sqlerr.FeatureNotSupported},
	} {
		_, err := Parse(c.sql)
		if e, ok := err.(*sqlerr.Error); !ok || e.Code != c.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
}

func parseOne(t *testing.T, sql string) ast.Stmt {
	t.Helper()
	stmts, err := Parse(sql)
	if err != nil || len(stmts) != 1 {
		t.Fatalf("%s: %v (%d statements)", sql, err, len(stmts))
	}
	return stmts[0].AST
}
