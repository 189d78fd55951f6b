package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lineradb/lineradb/sql/types"
)

// TestPgxCopyFromBinary: pgx's CopyFrom (COPY ... FROM STDIN BINARY with
// every field in its binary form) loads rows of every binary-capable
// type, and COPY ... TO STDOUT (FORMAT binary) gives the same bytes back
// as a row-by-row re-encoding.
func TestPgxCopyFromBinary(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeCacheStatement)
	ctx := context.Background()
	mustExec(t, conn, `CREATE TABLE b (id bigint PRIMARY KEY, s smallint, i integer, r real, d double precision,
		n numeric(12,3), t text, v varchar(8), ok boolean, raw bytea, day date, ts timestamp, tz timestamptz,
		iv interval, u uuid)`)
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	ts0 := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	var num pgtype.Numeric
	if err := num.Scan("-1234.567"); err != nil {
		t.Fatal(err)
	}
	u := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	rows := [][]any{
		{int64(1), int16(-2), int32(3), float32(1.5), 2.25, num, "héllo", "short", true, []byte{0, 1, 255}, day, ts0, ts0,
			pgtype.Interval{Months: 1, Days: 2, Microseconds: 3_000_000, Valid: true}, u},
		{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	for i := int64(3); i <= 2500; i++ { // more than one insert batch
		rows = append(rows, []any{i, int16(i % 100), int32(i), nil, float64(i) / 4, nil, "row", nil, i%2 == 0, nil, nil, nil, nil, nil, nil})
	}
	cols := []string{"id", "s", "i", "r", "d", "n", "t", "v", "ok", "raw", "day", "ts", "tz", "iv", "u"}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"b"}, cols, pgx.CopyFromRows(rows))
	if err != nil || n != int64(len(rows)) {
		t.Fatalf("CopyFrom: %d rows, %v", n, err)
	}
	var got string
	err = conn.QueryRow(ctx, `SELECT s::text || '|' || i::text || '|' || r::text || '|' || d::text || '|' || n::text || '|' || t::text || '|' || v::text || '|' || ok::text || '|' || raw::text || '|' || day::text || '|' || ts::text || '|' || tz::text || '|' || iv::text || '|' || u::text FROM b WHERE id = 1`).Scan(&got)
	want := `-2|3|1.5|2.25|-1234.567|héllo|short|true|\x0001ff|2024-02-29|2024-02-29 13:14:15.123456|2024-02-29 13:14:15.123456+00|1 mon 2 days 00:00:03|01020304-0506-0708-090a-0b0c0d0e0f10`
	if err != nil || got != want {
		t.Fatalf("row 1 after binary COPY:\n got %q (%v)\nwant %q", got, err, want)
	}
	var nulls, sum int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FILTER (WHERE u IS NULL), sum(i) FROM b").Scan(&nulls, &sum); err != nil {
		t.Fatal(err)
	}
	if nulls != int64(len(rows)-1) || sum != 3+(3+2500)*2498/2 {
		t.Fatalf("nulls %d sum %d", nulls, sum)
	}

	// COPY TO binary: header, one tuple per row, trailer.
	var out bytes.Buffer
	if _, err := conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT id, t, ok FROM b WHERE id <= 2 ORDER BY id) TO STDOUT (FORMAT binary)"); err != nil {
		t.Fatal(err)
	}
	c3 := []Column{{Type: types.Int8}, {Type: types.Text}, {Type: types.Bool}}
	wantOut := binaryCopyHeader()
	wantOut = append(wantOut, encodeBinaryTuple(c3, types.Row{types.DInt(1), types.DString("héllo"), types.DBool(true)})...)
	wantOut = append(wantOut, encodeBinaryTuple(c3, types.Row{types.DInt(2), types.Null, types.Null})...)
	wantOut = append(wantOut, binaryCopyTrailer()...)
	if !bytes.Equal(out.Bytes(), wantOut) {
		t.Fatalf("COPY TO binary:\n%q\nwant\n%q", out.Bytes(), wantOut)
	}
	// ... which COPY FROM binary reads back.
	mustExec(t, conn, "CREATE TABLE b2 (id bigint, t text, ok boolean)")
	if tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(out.Bytes()), "COPY b2 FROM STDIN (FORMAT binary)"); err != nil || tag.String() != "COPY 2" {
		t.Fatalf("COPY FROM our own binary output: %q %v", tag, err)
	}
}

// TestCopyBinaryHostile: malformed binary COPY streams are errors with
// PostgreSQL's SQLSTATEs, never panics, and the connection stays usable.
func TestCopyBinaryHostile(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	mustExec(t, conn, "CREATE TABLE h (a int, b text)")
	hdr := binaryCopyHeader()
	tuple := func(fields ...[]byte) []byte {
		out := binary.BigEndian.AppendUint16(nil, uint16(len(fields)))
		for _, f := range fields {
			if f == nil {
				out = binary.BigEndian.AppendUint32(out, 0xFFFFFFFF)
				continue
			}
			out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
			out = append(out, f...)
		}
		return out
	}
	int4 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	good := tuple(int4(7), []byte("x"))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := map[string]struct {
		data []byte
		code string
	}{
		"bad signature":     {cat([]byte("PGCOPY\n\xff\r\n\x01"), make([]byte, 8)), "22P04"},
		"short header":      {hdr[:7], "22P04"},
		"critical flag":     {cat(hdr[:11], []byte{0x80, 0, 0, 0}, make([]byte, 4)), "22P04"},
		"oids flag":         {cat(hdr[:11], []byte{0, 1, 0, 0}, make([]byte, 4)), "0A000"},
		"huge extension":    {cat(hdr[:15], []byte{0x7f, 0xff, 0xff, 0xff}), "22P04"},
		"field count":       {cat(hdr, tuple(int4(1))), "22P04"},
		"negative size":     {cat(hdr, []byte{0, 2, 0xff, 0xff, 0xff, 0xfe}), "22P04"},
		"truncated tuple":   {cat(hdr, good[:len(good)-1]), "22P04"},
		"bad int4 length":   {cat(hdr, tuple([]byte{1, 2}, []byte("x"))), "22P03"},
		"bad utf8":          {cat(hdr, tuple(int4(1), []byte{0xff, 0xfe})), "22021"},
		"data after end":    {cat(hdr, good, binaryCopyTrailer(), good), "22P04"},
		"absurd field size": {cat(hdr, []byte{0, 2, 0x7f, 0xff, 0xff, 0xff}), "54000"},
	}
	for name, c := range cases {
		_, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(c.data), "COPY h FROM STDIN (FORMAT binary)")
		if pgCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	// A valid stream without a trailer ends at a tuple boundary: accepted.
	if tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(cat(hdr, good, good)), "COPY h FROM STDIN BINARY"); err != nil || tag.String() != "COPY 2" {
		t.Fatalf("no trailer: %q %v", tag, err)
	}
	for _, q := range []string{"COPY h FROM STDIN (FORMAT binary, DELIMITER ',')", "COPY h FROM STDIN (FORMAT binary, HEADER)"} {
		if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(nil), q); pgCode(err) != "42601" {
			t.Errorf("%s: %v, want 42601", q, err)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM h").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after hostile COPYs: %d rows, %v", n, err)
	}
}

// TestCopyBinaryChunking: the decoder gives the same rows however the
// stream is cut into CopyData messages (seeded; the seed is printed).
func TestCopyBinaryChunking(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	cols := []Column{{Name: "a", Type: types.Int4}, {Name: "b", Type: types.Text}}
	var stream []byte
	stream = append(stream, binaryCopyHeader()...)
	var want []types.Row
	for i := 0; i < 50; i++ {
		row := types.Row{types.DInt(int64(i)), types.DString(strings.Repeat("z", r.IntN(40)))}
		if r.IntN(5) == 0 {
			row[1] = types.Null
		}
		want = append(want, row)
		stream = append(stream, encodeBinaryTuple(cols, row)...)
	}
	stream = append(stream, binaryCopyTrailer()...)
	for trial := 0; trial < 20; trial++ {
		var got []types.Row
		d := &binaryCopyDecoder{rows: &copyDecoder{spec: CopySpec{Columns: cols, Format: CopyBinary},
			insert: func(rs []types.Row) error { got = append(got, rs...); return nil }}}
		for rest := stream; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(30))
			if err := d.feed(rest[:n]); err != nil {
				t.Fatalf("seed %d trial %d: %v", seed, trial, err)
			}
			rest = rest[n:]
		}
		if err := d.finish(); err != nil {
			t.Fatalf("seed %d trial %d: finish: %v", seed, trial, err)
		}
		if len(got) != len(want) {
			t.Fatalf("seed %d trial %d: %d rows, want %d", seed, trial, len(got), len(want))
		}
		for i := range want {
			if types.Compare(got[i][0], want[i][0]) != 0 || types.IsNull(got[i][1]) != types.IsNull(want[i][1]) ||
				(!types.IsNull(want[i][1]) && types.Compare(got[i][1], want[i][1]) != 0) {
				t.Fatalf("seed %d trial %d: row %d = %v, want %v", seed, trial, i, got[i], want[i])
			}
		}
	}
}
