package exec

import (
	"testing"

	"github.com/lineradb/lineradb/sql/ast"
)

// TestExprCacheParsesEachTextOnce: a second lookup of the same text is
// served without parsing and yields the same tree; another text gets its
// own tree; a malformed text is an error and is not cached.
func TestExprCacheParsesEachTextOnce(t *testing.T) {
	c := &exprCache{entries: map[string]ast.Expr{}}
	a, err := c.parse("1 + 2")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.parse("1 + 2")
	if err != nil {
		t.Fatal(err)
	}
	if c.misses != 1 || a != b {
		t.Fatalf("same text parsed %d times (trees equal: %v), want once", c.misses, a == b)
	}
	d, err := c.parse("1 + 3")
	if err != nil || ast.String(d) == ast.String(a) || c.misses != 2 {
		t.Fatalf("another text: %v, %q vs %q, %d parses", err, ast.String(d), ast.String(a), c.misses)
	}
	for range 2 {
		if _, err := c.parse("1 +"); err == nil {
			t.Fatal("a malformed catalog expression parsed")
		}
	}
	if len(c.entries) != 2 {
		t.Fatalf("%d entries, want 2 (errors are not cached)", len(c.entries))
	}
}

// TestExprCacheBounded: the cache never holds more than its maximum.
func TestExprCacheBounded(t *testing.T) {
	c := &exprCache{entries: map[string]ast.Expr{}}
	for i := range exprCacheEntriesMax + 10 {
		if _, err := c.parse(string(rune('0'+i%10)) + " + " + itoa(i)); err != nil {
			t.Fatal(err)
		}
		if len(c.entries) > exprCacheEntriesMax {
			t.Fatalf("%d entries, max %d", len(c.entries), exprCacheEntriesMax)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}
