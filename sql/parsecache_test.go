package sql

import (
	"strconv"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// TestParseCacheRepeatsAndBounds: a repeated text is parsed once and
// gives the same results; the cache never exceeds its bound, evicting the
// least recently used text.
func TestParseCacheRepeatsAndBounds(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "u"})
	mustRun(t, s, store, "CREATE TABLE t (id int PRIMARY KEY, v text)")
	const q = "INSERT INTO t SELECT coalesce(max(id), 0) + 1, 'x' FROM t; SELECT count(*) FROM t"
	wantDump(t, mustRun(t, s, store, q), "INSERT 0 1\nSELECT 1\n  1\n")
	wantDump(t, mustRun(t, s, store, q), "INSERT 0 1\nSELECT 1\n  2\n")
	if s.parses.hits != 1 {
		t.Fatalf("hits=%d after one repeat, want 1", s.parses.hits)
	}
	for i := range parseCacheEntriesMax + 10 {
		mustRun(t, s, store, "SELECT "+strconv.Itoa(i))
	}
	if n := s.parses.order.Len(); n != parseCacheEntriesMax || len(s.parses.entries) != n {
		t.Fatalf("cache holds %d (index %d), want %d", n, len(s.parses.entries), parseCacheEntriesMax)
	}
	if _, ok := s.parses.entries[q]; ok {
		t.Fatal("the least recently used text was not evicted")
	}
	// A failing text is reported every time, never cached.
	wantCode(t, Run(s, store, "SELEC 1"), "42601")
	wantCode(t, Run(s, store, "SELEC 1"), "42601")
}

// TestParseCacheAcrossDDL: a cached AST is planned against the current
// catalog each time (the cache holds syntax, not plans).
func TestParseCacheAcrossDDL(t *testing.T) {
	store := memkv.New()
	a, b := NewSession(SessionConfig{User: "u"}), NewSession(SessionConfig{User: "u"})
	mustRun(t, a, store, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1\n")
	mustRun(t, b, store, "ALTER TABLE t ADD COLUMN w int DEFAULT 4")
	wantDump(t, mustRun(t, a, store, "SELECT * FROM t"), "SELECT 1\n  1|4\n")
}
