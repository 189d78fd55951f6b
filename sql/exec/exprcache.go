package exec

import (
	"fmt"
	"sync"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/parser"
)

// Catalog expressions (DEFAULT, CHECK) are kept as SQL text in the table
// descriptor and compiled by every DML prepare. Parsing is most of that
// cost, so parsed trees are cached by their text. The text is the key,
// so the cache follows the catalog exactly: a schema change that alters
// an expression changes its text (a new entry), one that does not keeps
// it valid, and no catalog version has to be threaded through. Compiling
// (names, types) still runs per prepare against the transaction's
// catalog. The trees are shared read-only: compile does not modify
// expression nodes of the kinds DEFAULT and CHECK may contain.

// exprCacheEntriesMax bounds the cache; when full it is emptied (the
// working set of a schema is far smaller).
const exprCacheEntriesMax = 4096

// exprCache maps catalog expression text to its parsed tree. Sessions run
// on many goroutines in the server, hence the mutex; no order of its
// map ever reaches output.
type exprCache struct {
	mu      sync.Mutex
	entries map[string]ast.Expr
	misses  int // parses done, for tests
}

var catalogExprs = &exprCache{entries: map[string]ast.Expr{}}

// parse returns the parsed tree of a catalog expression.
func (c *exprCache) parse(text string) (ast.Expr, error) {
	c.mu.Lock()
	e, ok := c.entries[text]
	c.mu.Unlock()
	if ok {
		return e, nil
	}
	stmts, err := parser.Parse("SELECT " + text)
	if err != nil {
		return nil, err
	}
	sel, ok := stmts[0].AST.(*ast.Select)
	if !ok || len(stmts) != 1 || len(sel.Targets) != 1 {
		return nil, fmt.Errorf("exec: bad catalog expression %q", text)
	}
	e = sel.Targets[0].Expr
	c.mu.Lock()
	defer c.mu.Unlock()
	c.misses++
	if len(c.entries) >= exprCacheEntriesMax {
		c.entries = map[string]ast.Expr{}
	}
	c.entries[text] = e
	return e, nil
}
