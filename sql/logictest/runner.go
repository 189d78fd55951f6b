//detlint:exempt test harness: reads script files from disk; never linked into the server.

package logictest

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql"
)

// record is one directive of a script.
type record struct {
	kind     string // "statement" or "query"
	arg      string // "ok", "error <pat>", or the column types
	sort     string
	sql      string
	expected []string
	line     int
}

// Parse reads a script.
func Parse(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []record
	var cur *record
	inResults := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	flush := func() {
		if cur != nil {
			recs = append(recs, *cur)
		}
		cur, inResults = nil, false
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case strings.TrimSpace(text) == "":
			flush()
		case cur == nil && strings.HasPrefix(text, "#"):
		case cur == nil:
			fields := strings.Fields(text)
			cur = &record{kind: fields[0], line: line}
			switch fields[0] {
			case "statement":
				cur.arg = strings.TrimSpace(strings.TrimPrefix(text, "statement"))
			case "query":
				if len(fields) > 1 {
					cur.arg = fields[1]
				}
				if len(fields) > 2 {
					cur.sort = fields[2]
				}
			default:
				return nil, fmt.Errorf("%s:%d: unknown directive %q", path, line, fields[0])
			}
		case text == "----":
			inResults = true
		case inResults:
			cur.expected = append(cur.expected, text)
		default:
			if cur.sql != "" {
				cur.sql += "\n"
			}
			cur.sql += text
		}
	}
	flush()
	return recs, sc.Err()
}

// RunFile runs a script in a fresh database.
func RunFile(t *testing.T, path string) {
	recs, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	store := memkv.New()
	s := sql.NewSession(sql.SessionConfig{User: "postgres", Database: "lineradb"})
	for _, r := range recs {
		results := sql.Run(s, store, r.sql)
		if msg := check(r, results); msg != "" {
			t.Errorf("%s:%d: %s\n%s", path, r.line, msg, r.sql)
		}
	}
}

func lastResult(results []sql.Result) sql.Result {
	for _, r := range results {
		if r.Err != nil {
			return r
		}
	}
	if len(results) == 0 {
		return sql.Result{}
	}
	return results[len(results)-1]
}

var sqlstate = regexp.MustCompile(`^[0-9A-Z]{5}$`)

func check(r record, results []sql.Result) string {
	res := lastResult(results)
	switch {
	case r.kind == "statement" && r.arg == "ok":
		if res.Err != nil {
			return fmt.Sprintf("unexpected error %s: %s", res.Err.Code, res.Err.Message)
		}
		return ""
	case r.kind == "statement":
		pat := strings.TrimSpace(strings.TrimPrefix(r.arg, "error"))
		if res.Err == nil {
			return fmt.Sprintf("expected error %q, statement succeeded", pat)
		}
		if sqlstate.MatchString(pat) {
			if res.Err.Code != pat {
				return fmt.Sprintf("expected SQLSTATE %s, got %s: %s", pat, res.Err.Code, res.Err.Message)
			}
			return ""
		}
		if ok, _ := regexp.MatchString(pat, res.Err.Message); !ok {
			return fmt.Sprintf("error %q does not match %q", res.Err.Message, pat)
		}
		return ""
	}
	if res.Err != nil {
		return fmt.Sprintf("query failed: %s: %s", res.Err.Code, res.Err.Message)
	}
	if len(res.Columns) != len(r.arg) {
		return fmt.Sprintf("expected %d columns, got %d", len(r.arg), len(res.Columns))
	}
	got := format(res, r.sort)
	want := r.expected
	if r.sort == "rowsort" {
		want = append([]string{}, want...)
		sort.Strings(want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		return fmt.Sprintf("results differ\n--- got:\n%s\n--- want:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return ""
}

func format(res sql.Result, mode string) []string {
	var rows []string
	var vals []string
	for i := range res.Rows {
		var cells []string
		for j := range res.Columns {
			v, ok := res.Text(i, j)
			switch {
			case !ok:
				v = "NULL"
			case v == "":
				v = "(empty)"
			}
			cells = append(cells, v)
			vals = append(vals, v)
		}
		rows = append(rows, strings.Join(cells, " "))
	}
	switch mode {
	case "rowsort":
		sort.Strings(rows)
	case "valuesort":
		sort.Strings(vals)
		return vals
	}
	return rows
}
