package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// BenchmarkPrepareInsertWithDefaults prepares an INSERT into a table
// whose DEFAULT and CHECK expressions the writer must compile: the cost
// the parsed-expression cache removes (compare before/after in
// docs or the commit message).
func BenchmarkPrepareInsertWithDefaults(b *testing.B) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "u"})
	for _, r := range Run(s, store, `CREATE TABLE bd (id int PRIMARY KEY, a int DEFAULT 1 + 2 * 3, b text DEFAULT 'x' || 'y',
		c numeric DEFAULT 10.5, d int DEFAULT abs(-4), e text DEFAULT upper('abc'),
		CHECK (a > 0), CHECK (length(b) < 100), CHECK (c BETWEEN 0 AND 1000), CHECK (d IS NOT NULL OR e IS NOT NULL))`) {
		if r.Err != nil {
			b.Fatal(r.Err.Message)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Prepare(s, store, "INSERT INTO bd (id) VALUES ($1)", nil); err != nil {
			b.Fatal(err.Message)
		}
	}
}

// TestCachedDefaultsFollowTheCatalog: a table recreated with other
// DEFAULT and CHECK expressions uses the new ones (the cache is keyed by
// the expressions' text, so it cannot serve a stale tree).
func TestCachedDefaultsFollowTheCatalog(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "u"})
	out := dump(Run(s, store, `CREATE TABLE cd (id int PRIMARY KEY, a int DEFAULT 7 CHECK (a < 10));
INSERT INTO cd (id) VALUES (1);
DROP TABLE cd;
CREATE TABLE cd (id int PRIMARY KEY, a int DEFAULT 70 CHECK (a < 100));
INSERT INTO cd (id) VALUES (1);
INSERT INTO cd VALUES (2, 50);
SELECT a FROM cd ORDER BY id`))
	want := "CREATE TABLE\nINSERT 0 1\nDROP TABLE\nCREATE TABLE\nINSERT 0 1\nINSERT 0 1\nSELECT 2\n  70\n  50\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}
