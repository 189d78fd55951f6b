package pgwire

import (
	"context"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lineradb/lineradb/sql/types"
)

// TestPgxArrays round-trips int[] and text[] columns through pgx in every
// query mode: the extended modes send and receive arrays in binary, the
// simple protocol in text.
func TestPgxArrays(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeCacheStatement)
	mustExec(t, conn, "CREATE TABLE arrs (id int PRIMARY KEY, ints int[], tags text[])")
	for i, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			wantInts, wantTags := []int32{1, -2, 3}, []string{"a", "b c", "", `q"\`, "NULL"}
			if _, err := conn.Exec(ctx, "INSERT INTO arrs VALUES ($1, $2, $3)", mode, i, wantInts, wantTags); err != nil {
				t.Fatal(err)
			}
			var ints []int32
			var tags []string
			if err := conn.QueryRow(ctx, "SELECT ints, tags FROM arrs WHERE id = $1", mode, i).Scan(&ints, &tags); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ints, wantInts) || !reflect.DeepEqual(tags, wantTags) {
				t.Fatalf("got %v %q, want %v %q", ints, tags, wantInts, wantTags)
			}
			var withNull []pgtype.Int8
			if err := conn.QueryRow(ctx, "SELECT ARRAY[1, NULL]::int8[]", mode).Scan(&withNull); err != nil {
				t.Fatal(err)
			}
			if len(withNull) != 2 || !withNull[0].Valid || withNull[0].Int64 != 1 || withNull[1].Valid {
				t.Fatalf("NULL element: %v", withNull)
			}
			var empty []string
			if err := conn.QueryRow(ctx, "SELECT ARRAY[]::text[]", mode).Scan(&empty); err != nil || len(empty) != 0 {
				t.Fatalf("empty array: %v %v", empty, err)
			}
		})
	}
}

// TestBinaryArrayAgainstPgtype checks the array codec against pgx's own
// encoder and decoder, and that malformed client bytes are 22P03, not a
// panic.
func TestBinaryArrayAgainstPgtype(t *testing.T) {
	m := pgtype.NewMap()
	it, _ := types.ArrayOf(types.Int4)
	d, err := types.Parse(it, "{1,NULL,3}", nil)
	if err != nil {
		t.Fatal(err)
	}
	ours := appendBinary(nil, it, d)
	theirs, err := m.Encode(uint32(types.OIDInt4Array), pgtype.BinaryFormatCode, []*int32{ptr(int32(1)), nil, ptr(int32(3))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ours, theirs) {
		t.Fatalf("encoding differs from pgtype:\n ours   %x\n theirs %x", ours, theirs)
	}
	back, serr := decodeBinary(it, theirs)
	if serr != nil || types.Format(it, back, nil) != "{1,NULL,3}" {
		t.Fatalf("decode: %v %v", back, serr)
	}
	for _, bad := range [][]byte{
		theirs[:10],            // short header
		theirs[:len(theirs)-1], // truncated element
		append(theirs[:len(theirs):len(theirs)], 0),                               // trailing byte
		{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1}, // huge count
	} {
		if _, err := decodeBinary(it, bad); err == nil {
			t.Errorf("malformed array %x accepted", bad)
		}
	}
}

func ptr[X any](x X) *X { return &x }

// TestPgxLoadTypes has pgx load a table's composite type and array types
// from the catalog, as applications registering custom types do.
func TestPgxLoadTypes(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeCacheStatement)
	mustExec(t, conn, "CREATE TABLE widget (id int PRIMARY KEY, name text)")
	loaded, err := conn.LoadTypes(context.Background(), []string{"_int4", "_text", "widget"})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]uint32{}
	for _, ty := range loaded {
		names[ty.Name] = ty.OID
	}
	if names["_int4"] != uint32(types.OIDInt4Array) || names["_text"] != uint32(types.OIDTextArray) || names["widget"] == 0 {
		t.Fatalf("loaded types %v", names)
	}
	for _, ty := range loaded {
		if ty.Name != "widget" {
			continue
		}
		cc, ok := ty.Codec.(*pgtype.CompositeCodec)
		if !ok || len(cc.Fields) != 2 || cc.Fields[0].Name != "id" || cc.Fields[1].Name != "name" {
			t.Fatalf("widget's codec %#v", ty.Codec)
		}
	}
}
