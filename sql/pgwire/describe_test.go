package pgwire

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Describe portal answers with the portal's RowDescription whether or not
// Execute then finds rows, and with NoData for a statement without rows.
//
// The columns are read from pgconn.ResultReader.FieldDescriptions, not
// from ResultReader.Read: pgconn's Read copies the field descriptions
// into its Result only when a DataRow arrives, so Read reports zero
// fields for an empty result from any server, PostgreSQL included.

// execParamsFields runs q the way pgconn's ExecParams does (Parse "",
// Bind, Describe portal, Execute, Sync) and returns the column names the
// client saw, the row count and the command tag.
func execParamsFields(t *testing.T, pc *pgconn.PgConn, q string) ([]string, int, string) {
	t.Helper()
	return readFields(t, pc.ExecParams(context.Background(), q, nil, nil, nil, nil))
}

func readFields(t *testing.T, rr *pgconn.ResultReader) ([]string, int, string) {
	t.Helper()
	rows := 0
	for rr.NextRow() {
		rows++
	}
	tag, err := rr.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range rr.FieldDescriptions() {
		names = append(names, f.Name)
	}
	return names, rows, tag.String()
}

func expectFields(t *testing.T, q string, names []string, rows int, tag string, wantNames []string, wantRows int, wantTag string) {
	t.Helper()
	if len(names) != len(wantNames) || rows != wantRows || tag != wantTag {
		t.Fatalf("%s: fields %v, %d rows, tag %q; want fields %v, %d rows, tag %q", q, names, rows, tag, wantNames, wantRows, wantTag)
	}
	for i := range names {
		if names[i] != wantNames[i] {
			t.Fatalf("%s: fields %v, want %v", q, names, wantNames)
		}
	}
}

func TestPgconnExecParamsDescribesEmptyResult(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeSimpleProtocol)
	mustExec(t, conn, "CREATE TABLE t (a int PRIMARY KEY, b text)")
	pc := conn.PgConn()

	q := "SELECT * FROM t"
	names, rows, tag := execParamsFields(t, pc, q)
	expectFields(t, q, names, rows, tag, []string{"a", "b"}, 0, "SELECT 0")

	q = "SELECT a FROM t WHERE a > 5 ORDER BY a LIMIT 0"
	names, rows, tag = execParamsFields(t, pc, q)
	expectFields(t, q, names, rows, tag, []string{"a"}, 0, "SELECT 0")

	q = "SELECT 1 AS x"
	names, rows, tag = execParamsFields(t, pc, q)
	expectFields(t, q, names, rows, tag, []string{"x"}, 1, "SELECT 1")

	// Non-SELECT: Describe portal answers NoData, so no fields.
	q = "INSERT INTO t VALUES (1, 'one')"
	names, rows, tag = execParamsFields(t, pc, q)
	expectFields(t, q, names, rows, tag, nil, 0, "INSERT 0 1")

	q = "SELECT b, a FROM t"
	names, rows, tag = execParamsFields(t, pc, q)
	expectFields(t, q, names, rows, tag, []string{"b", "a"}, 1, "SELECT 1")
}

func TestPgconnExecPreparedDescribesEmptyResult(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeSimpleProtocol)
	mustExec(t, conn, "CREATE TABLE t (a int PRIMARY KEY, b text)")
	pc := conn.PgConn()
	ctx := context.Background()

	q := "SELECT b FROM t WHERE a = $1"
	sd, err := pc.Prepare(ctx, "by_a", q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Fields) != 1 || sd.Fields[0].Name != "b" {
		t.Fatalf("Prepare fields %+v, want [b]", sd.Fields)
	}
	// ExecPrepared: Bind "by_a" to the unnamed portal, Describe portal.
	names, rows, tag := readFields(t, pc.ExecPrepared(ctx, "by_a", [][]byte{[]byte("7")}, nil, nil))
	expectFields(t, q, names, rows, tag, []string{"b"}, 0, "SELECT 0")

	mustExec(t, conn, "INSERT INTO t VALUES (7, 'seven')")
	names, rows, tag = readFields(t, pc.ExecPrepared(ctx, "by_a", [][]byte{[]byte("7")}, nil, nil))
	expectFields(t, q, names, rows, tag, []string{"b"}, 1, "SELECT 1")

	q = "DELETE FROM t WHERE a = $1"
	if _, err := pc.Prepare(ctx, "del", q, nil); err != nil {
		t.Fatal(err)
	}
	names, rows, tag = readFields(t, pc.ExecPrepared(ctx, "del", [][]byte{[]byte("8")}, nil, nil))
	expectFields(t, q, names, rows, tag, nil, 0, "DELETE 0")
}

// TestExtendedDescribePortalOnWire pins the messages themselves: the
// RowDescription precedes an empty result's CommandComplete, for the
// unnamed and a named portal, and a non-SELECT portal is NoData.
func TestExtendedDescribePortalOnWire(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	expectTrace(t, c.query("CREATE TABLE t (a int PRIMARY KEY)"), "CommandComplete(CREATE TABLE)", "ReadyForQuery(I)")

	c.send(&pgproto3.Parse{Query: "SELECT * FROM t"}, &pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete", "RowDescription(a:23/0)",
		"CommandComplete(SELECT 0)", "ReadyForQuery(I)")

	c.send(&pgproto3.Parse{Name: "s", Query: "SELECT a, a + 1 AS b FROM t WHERE a = $1"},
		&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p", Parameters: [][]byte{[]byte("1")},
			ResultFormatCodes: []int16{1, 0}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete", "RowDescription(a:23/1,b:23/0)",
		"CommandComplete(SELECT 0)", "ReadyForQuery(I)")

	c.send(&pgproto3.Parse{Query: "INSERT INTO t VALUES (1)"}, &pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete", "NoData",
		"CommandComplete(INSERT 0 1)", "ReadyForQuery(I)")

	c.send(&pgproto3.Parse{Query: "SELECT * FROM t"}, &pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete", "RowDescription(a:23/0)",
		"DataRow(1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
}
