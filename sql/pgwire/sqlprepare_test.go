package pgwire

import (
	"fmt"
	"testing"
)

func TestScanParamsSkipsLiteralsAndComments(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT $1, $2", "SELECT <1>, <2>"},
		{"SELECT '$1', \"$2\", $3", "SELECT '$1', \"$2\", <3>"},
		{"SELECT 'it''s $1' || $1", "SELECT 'it''s $1' || <1>"},
		{"SELECT E'\\' $1' || $2", "SELECT E'\\' $1' || <2>"},
		{"SELECT $$ $1 $$, $tag$ $2 $tag$, $3", "SELECT $$ $1 $$, $tag$ $2 $tag$, <3>"},
		{"SELECT 1 -- $1\n, $2 /* $3 /* $4 */ $5 */ $6", "SELECT 1 -- $1\n, <2> /* $3 /* $4 */ $5 */ <6>"},
		{"SELECT a$1 FROM t WHERE x = $10", "SELECT a$1 FROM t WHERE x = <10>"},
		{"SELECT '$1", "SELECT '$1"},
	}
	for _, tc := range cases {
		got := scanParams(tc.in, func(n int) string { return fmt.Sprintf("<%d>", n) })
		if got != tc.want {
			t.Errorf("scanParams(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := maxParam("SELECT $3, '$9', $1"); n != 3 {
		t.Errorf("maxParam = %d, want 3", n)
	}
}
