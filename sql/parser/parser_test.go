package parser

import (
	"strings"
	"testing"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

func TestParseShapes(t *testing.T) {
	stmts, err := Parse("SELECT a, b::int FROM t WHERE a IN (1,2) AND b LIKE 'x%'; INSERT INTO t VALUES (1, DEFAULT) RETURNING *")
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 {
		t.Fatalf("got %d statements", len(stmts))
	}
	sel := stmts[0].AST.(*ast.Select)
	if len(sel.Targets) != 2 || sel.Where == nil {
		t.Fatalf("select: %+v", sel)
	}
	if stmts[1].Text != "INSERT INTO t VALUES (1, DEFAULT) RETURNING *" {
		t.Fatalf("text %q", stmts[1].Text)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ sql, code string }{
		{"SELEC 1", sqlerr.SyntaxError},
		{"SELECT 1 FROM", sqlerr.SyntaxError},
		{"CREATE TABLE t (a int REFERENCES u)", sqlerr.FeatureNotSupported},
		{"SELECT rank() OVER ()", sqlerr.FeatureNotSupported},
		{"SELECT " + strings.Repeat("1+", 5000) + "1", sqlerr.StatementTooComplex},
		{"SELECT " + strings.Repeat("NOT ", 3000) + "true", sqlerr.StatementTooComplex},
		{"SELECT " + strings.Repeat("(SELECT ", 2000) + "1" + strings.Repeat(")", 2000), sqlerr.StatementTooComplex},
	} {
		_, err := Parse(c.sql)
		e, ok := err.(*sqlerr.Error)
		if !ok || e.Code != c.code {
			t.Errorf("Parse(%.40q) = %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	_, err := Parse("SELECT 1 FRM t")
	if e := err.(*sqlerr.Error); e.Position != 14 {
		t.Errorf("position %d, want 14", e.Position)
	}
}
