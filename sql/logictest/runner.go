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

// outcome is what running one record's SQL produced, in a form both the
// in-process session and a wire client can fill: the first error (or
// none), and the last statement's columns and text rows.
type outcome struct {
	errCode, errMessage string
	failed              bool
	columns             int
	rows                [][]*string // nil cell = NULL
}

// executor runs a record's SQL (one or more statements) in one session;
// query says the record expects rows.
type executor interface {
	exec(sql string, query bool) outcome
}

// sessionExec runs statements in-process on a Session over memkv.
type sessionExec struct {
	s     *sql.Session
	store *memkv.Store
}

func (e *sessionExec) exec(q string, _ bool) outcome {
	res := lastResult(sql.Run(e.s, e.store, q))
	if res.Err != nil {
		return outcome{failed: true, errCode: res.Err.Code, errMessage: res.Err.Message}
	}
	o := outcome{columns: len(res.Columns)}
	for i := range res.Rows {
		row := make([]*string, len(res.Columns))
		for j := range res.Columns {
			if v, ok := res.Text(i, j); ok {
				row[j] = &v
			}
		}
		o.rows = append(o.rows, row)
	}
	return o
}

func newSessionExec() *sessionExec {
	s := sql.NewSession(sql.SessionConfig{User: "postgres", Database: "lineradb"})
	return &sessionExec{s: s, store: memkv.New()}
}

// RunFile runs a script in a fresh database, in-process.
func RunFile(t *testing.T, path string) {
	for _, f := range failures(t, path, newSessionExec()) {
		t.Error(f)
	}
}

// failures runs every record of a script and describes each whose
// outcome differs from its expectation.
func failures(t testing.TB, path string, e executor) []string {
	recs, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		if msg := check(r, e.exec(r.sql, r.kind == "query")); msg != "" {
			out = append(out, fmt.Sprintf("%s:%d: %s\n%s", path, r.line, msg, r.sql))
		}
	}
	return out
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

func check(r record, res outcome) string {
	switch {
	case r.kind == "statement" && r.arg == "ok":
		if res.failed {
			return fmt.Sprintf("unexpected error %s: %s", res.errCode, res.errMessage)
		}
		return ""
	case r.kind == "statement":
		pat := strings.TrimSpace(strings.TrimPrefix(r.arg, "error"))
		if !res.failed {
			return fmt.Sprintf("expected error %q, statement succeeded", pat)
		}
		if sqlstate.MatchString(pat) {
			if res.errCode != pat {
				return fmt.Sprintf("expected SQLSTATE %s, got %s: %s", pat, res.errCode, res.errMessage)
			}
			return ""
		}
		if ok, _ := regexp.MatchString(pat, res.errMessage); !ok {
			return fmt.Sprintf("error %q does not match %q", res.errMessage, pat)
		}
		return ""
	}
	if res.failed {
		return fmt.Sprintf("query failed: %s: %s", res.errCode, res.errMessage)
	}
	if res.columns != len(r.arg) {
		return fmt.Sprintf("expected %d columns, got %d", len(r.arg), res.columns)
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

func format(res outcome, mode string) []string {
	var rows []string
	var vals []string
	for _, row := range res.rows {
		var cells []string
		for _, c := range row {
			v := "NULL"
			switch {
			case c == nil:
			case *c == "":
				v = "(empty)"
			default:
				v = *c
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
