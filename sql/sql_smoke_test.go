package sql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

func dump(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Err != nil {
			fmt.Fprintf(&b, "ERROR %s: %s\n", r.Err.Code, r.Err.Message)
			continue
		}
		fmt.Fprintf(&b, "%s\n", r.Tag)
		for i := range r.Rows {
			var vals []string
			for j := range r.Columns {
				v, ok := r.Text(i, j)
				if !ok {
					v = "NULL"
				}
				vals = append(vals, v)
			}
			fmt.Fprintf(&b, "  %s\n", strings.Join(vals, "|"))
		}
	}
	return b.String()
}

// TestSmoke runs one script end to end through the session and compares
// its whole output with PostgreSQL 15's answers.
func TestSmoke(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{User: "u"})
	out := dump(Run(s, store, `CREATE TABLE t (a int PRIMARY KEY, b text, c numeric(10,2) DEFAULT 1.5);
INSERT INTO t VALUES (1, 'x', DEFAULT), (2, 'y', 3.14159) RETURNING *;
SELECT a, b, c, a*2 AS d FROM t WHERE a >= 1 ORDER BY a DESC;
SELECT count(*), sum(a), avg(c) FROM t;
UPDATE t SET b = b || '!' WHERE a = 1;
SELECT * FROM t WHERE a = 1`))
	want := `CREATE TABLE
INSERT 0 2
  1|x|1.50
  2|y|3.14
SELECT 2
  2|y|3.14|4
  1|x|1.50|2
SELECT 1
  2|3|2.3200000000000000
UPDATE 1
SELECT 1
  1|x!|1.50
`
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}
