package pgwire

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/sql/types"
)

func copiedText(be *fakeBackend) []string {
	be.mu.Lock()
	defer be.mu.Unlock()
	var out []string
	for _, r := range be.copied {
		var f []string
		for i, d := range r {
			if types.IsNull(d) {
				f = append(f, "NULL")
			} else {
				f = append(f, types.Format(copyCols[i].Type, d, time.UTC))
			}
		}
		out = append(out, strings.Join(f, "|"))
	}
	return out
}

func TestCopyInText(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Query{String: "copyin"})
	expectTrace(t, c.n(1), "CopyInResponse(2)")
	// Records split across CopyData messages, escapes, NULL, \r\n.
	c.send(&pgproto3.CopyData{Data: []byte("1\ta\\tb\n2\t\\N\n3\tx\\\\y")},
		&pgproto3.CopyData{Data: []byte("z\r\n4\t\\101\\x42\\\tc\n")},
		&pgproto3.Flush{}, &pgproto3.Sync{},
		&pgproto3.CopyData{Data: []byte("5\tlast")}, &pgproto3.CopyDone{})
	expectTrace(t, c.untilReady(), "CommandComplete(COPY 5)", "ReadyForQuery(I)")
	expectTrace(t, copiedText(ts.be), "1|a\tb", "2|NULL", "3|x\\yz", "4|AB\tc", "5|last")
}

func TestCopyInCSVAndOut(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Query{String: "copyin csv header"})
	expectTrace(t, c.n(1), "CopyInResponse(2)")
	c.send(&pgproto3.CopyData{Data: []byte("a,b\n1,\"multi\nline, \"\"quoted\"\"\"\n2,\n3,\"\"\n")},
		&pgproto3.CopyData{Data: []byte("\\.\n")}, &pgproto3.CopyDone{})
	expectTrace(t, c.untilReady(), "CommandComplete(COPY 3)", "ReadyForQuery(I)")
	expectTrace(t, copiedText(ts.be), "1|multi\nline, \"quoted\"", "2|NULL", "3|")

	expectTrace(t, c.query("copyout csv header"), "CopyOutResponse(2)",
		`CopyData("a,b\n")`, `CopyData("1,\"multi\nline, \"\"quoted\"\"\"\n")`, `CopyData("2,\n")`,
		`CopyData("3,\"\"\n")`, "CopyDone", "CommandComplete(COPY 3)", "ReadyForQuery(I)")
	expectTrace(t, c.query("copyout"), "CopyOutResponse(2)",
		`CopyData("1\tmulti\\nline, \"quoted\"\n")`, `CopyData("2\t\\N\n")`,
		`CopyData("3\t\n")`, "CopyDone", "CommandComplete(COPY 3)", "ReadyForQuery(I)")
}

func TestCopyInErrors(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	cases := []struct {
		data string
		want string
	}{
		{"1\n", "ErrorResponse(ERROR 22P04 missing data for column \"b\")"},
		{"1\ta\tb\n", "ErrorResponse(ERROR 22P04 extra data after last expected column)"},
		{"x\ta\n", "ErrorResponse(ERROR 22P02 invalid input syntax for type integer: \"x\")"},
		{"1\t\xff\n", "ErrorResponse(ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xff)"},
	}
	for _, tc := range cases {
		c.send(&pgproto3.Query{String: "copyin"})
		expectTrace(t, c.n(1), "CopyInResponse(2)")
		// The client keeps streaming after the error; the tail is ignored.
		c.send(&pgproto3.CopyData{Data: []byte(tc.data)}, &pgproto3.CopyData{Data: []byte("9\tz\n")}, &pgproto3.CopyDone{})
		expectTrace(t, c.untilReady(), tc.want, "ReadyForQuery(I)")
	}
	c.send(&pgproto3.Query{String: "copyin"})
	expectTrace(t, c.n(1), "CopyInResponse(2)")
	c.send(&pgproto3.CopyFail{Message: "client gave up"})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 57014 COPY from stdin failed: client gave up)", "ReadyForQuery(I)")
	c.send(&pgproto3.Query{String: "copyin"})
	expectTrace(t, c.n(1), "CopyInResponse(2)")
	c.send(&pgproto3.Query{String: "rows 1"})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 08P01 unexpected message type *pgproto3.Query during COPY from stdin)", "ReadyForQuery(I)")
	if n := len(copiedText(ts.be)); n != 0 {
		t.Fatalf("%d rows copied by failed COPYs", n)
	}
	c.send(&pgproto3.Query{String: "copyin csv"})
	expectTrace(t, c.n(1), "CopyInResponse(2)")
	c.send(&pgproto3.CopyData{Data: []byte("1,\"open")}, &pgproto3.CopyDone{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 22P04 unterminated CSV quoted field)", "ReadyForQuery(I)")
}

// TestCopyTextRoundTrip: every byte survives text-format encode + decode.
func TestCopyTextRoundTrip(t *testing.T) {
	var all []byte
	for b := 1; b < 128; b++ {
		all = append(all, byte(b))
	}
	for _, format := range []CopyFormat{CopyText, CopyCSV} {
		spec := CopySpec{Columns: []Column{{Name: "s", Type: types.Text}, {Name: "n", Type: types.Text}}, Format: format}
		enc, err := newCopyEncoder(spec, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		rows := []types.Row{{types.DString(all), types.Null}, {types.DString(""), types.DString(`\N`)}, {types.DString(`\.`), types.DString("é")}}
		var data []byte
		for _, r := range rows {
			data = append(data, enc.encode(r)...)
		}
		var got []types.Row
		norm, _ := spec.normalized()
		d := &copyDecoder{spec: norm, loc: time.UTC, insert: func(r []types.Row) error { got = append(got, r...); return nil }}
		for i := 0; i < len(data); i += 7 { // odd chunking
			if err := d.feed(data[i:min(i+7, len(data))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.finish(); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Fatalf("format %d: %d rows back, want %d", format, len(got), len(rows))
		}
		for i := range rows {
			for j := range rows[i] {
				if types.CompareNullable(got[i][j], rows[i][j]) != 0 {
					t.Errorf("format %d row %d col %d: %q, want %q", format, i, j, got[i][j], rows[i][j])
				}
			}
		}
	}
}
