package sql

import (
	"container/list"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/parser"
	"github.com/lineradb/lineradb/sql/pgcatalog"
)

// Bounds of the simple-protocol parse cache (per session).
const (
	// parseCacheEntriesMax bounds the distinct query texts kept.
	parseCacheEntriesMax = 128
	// parseCacheQueryBytesMax: longer texts are parsed every time (they
	// are rarely repeated, and would pin large ASTs).
	parseCacheQueryBytesMax = 4096
)

// parseCache maps a simple-protocol query string to its parsed
// statements, least recently used evicted first. It saves pg_query's
// parse (cgo plus a protobuf decode, ~20% of a point SELECT's CPU) when
// clients repeat texts (BEGIN, COMMIT, literal-free statements).
//
// It is per session because the planner may annotate an AST as it plans
// it (a default alias), which is idempotent but not safe across
// goroutines; prepared statements already re-plan one AST many times, so
// re-planning a cached one is nothing new.
//
// Literals are not normalised into parameters: pgbench -S's texts differ
// in their key, so they miss. A safe normaliser needs PostgreSQL's lexer
// (escape and dollar-quoted strings, comments), must keep numbers that are not values
// (ORDER BY/GROUP BY ordinals, LIMIT, typmods) and must give each literal
// the type PostgreSQL would (int4/int8/numeric by magnitude, unknown for
// strings); not cheap enough to trust here — -M prepared is the fast path.
//
// Invariant: len(entries) == order.Len() <= parseCacheEntriesMax.
type parseCache struct {
	entries map[string]*list.Element
	order   *list.List // of *parseEntry, most recent first
	hits    uint64
}

type parseEntry struct {
	query string
	stmts []ast.Stmt
}

func newParseCache() *parseCache {
	return &parseCache{entries: map[string]*list.Element{}, order: list.New()}
}

// parse returns query's statements, from the cache when it holds them.
// Errors are not cached: a failing text is rare and re-parsing it gives
// the same error.
func (c *parseCache) parse(query string) ([]ast.Stmt, error) {
	if e, ok := c.entries[query]; ok {
		c.hits++
		c.order.MoveToFront(e)
		return e.Value.(*parseEntry).stmts, nil
	}
	// Catalog queries (psql's \d, pgx's type loading) use constructs the
	// executor lacks; Rewrite returns every other query unchanged.
	parsed, err := parser.Parse(pgcatalog.Rewrite(query))
	if err != nil {
		return nil, err
	}
	stmts := make([]ast.Stmt, len(parsed))
	for i, st := range parsed {
		stmts[i] = st.AST
	}
	if len(query) <= parseCacheQueryBytesMax {
		c.add(query, stmts)
	}
	return stmts, nil
}

func (c *parseCache) add(query string, stmts []ast.Stmt) {
	if c.order.Len() >= parseCacheEntriesMax {
		last := c.order.Back()
		delete(c.entries, last.Value.(*parseEntry).query)
		c.order.Remove(last)
	}
	c.entries[query] = c.order.PushFront(&parseEntry{query: query, stmts: stmts})
	if len(c.entries) != c.order.Len() || c.order.Len() > parseCacheEntriesMax {
		panic("sql: parse cache index and LRU list disagree")
	}
}
