package pgwire

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestExtendedNamedStatementAndPortal(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(
		&pgproto3.Parse{Name: "s1", Query: "echo $1 $2", ParameterOIDs: []uint32{25}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1",
			Parameters: [][]byte{[]byte("hi"), []byte("42")}, ResultFormatCodes: []int16{0}},
		&pgproto3.Describe{ObjectType: 'P', Name: "p1"},
		&pgproto3.Execute{Portal: "p1"},
		&pgproto3.Close{ObjectType: 'P', Name: "p1"},
		&pgproto3.Close{ObjectType: 'S', Name: "s1"},
		&pgproto3.Sync{},
	)
	expectTrace(t, c.untilReady(),
		"ParseComplete",
		"ParameterDescription([25 20])",
		"RowDescription(p1:25/0,p2:20/0)",
		"BindComplete",
		"RowDescription(p1:25/0,p2:20/0)",
		"DataRow(hi,42)",
		"CommandComplete(SELECT 1)",
		"CloseComplete", "CloseComplete",
		"ReadyForQuery(I)")
	// The statement is gone after Close.
	c.send(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 26000 prepared statement \"s1\" does not exist)", "ReadyForQuery(I)")
}

func TestExtendedBinaryParamsAndResults(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(
		&pgproto3.Parse{Query: "echo $1"},
		&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 0, 0, 0, 1, 0}},
			ResultFormatCodes: []int16{0}},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete", "DataRow(256)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
	c.send(
		&pgproto3.Bind{Parameters: [][]byte{[]byte("7")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	expectTrace(t, c.untilReady(), "BindComplete", "DataRow(\x00\x00\x00\x00\x00\x00\x00\a)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
}

func TestExtendedPortalSuspension(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(
		&pgproto3.Parse{Query: "rows 5"},
		&pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Sync{},
	)
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete",
		"DataRow(1,r1)", "DataRow(2,r2)", "PortalSuspended",
		"DataRow(3,r3)", "DataRow(4,r4)", "PortalSuspended",
		"DataRow(5,r5)", "CommandComplete(SELECT 1)",
		"ReadyForQuery(I)")
	// Exactly the limit: suspended, then an empty completion.
	c.send(&pgproto3.Parse{Query: "rows 2"}, &pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{MaxRows: 2}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete",
		"DataRow(1,r1)", "DataRow(2,r2)", "PortalSuspended", "CommandComplete(SELECT 0)", "ReadyForQuery(I)")
	// The unnamed portal does not survive Sync outside a transaction.
	c.send(&pgproto3.Execute{}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 34000 portal \"\" does not exist)", "ReadyForQuery(I)")
}

func TestExtendedErrorSkipsToSync(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(
		&pgproto3.Parse{Query: "bad"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Query{String: "rows 1"},
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: "rows 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{},
	)
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 42601 syntax error at or near \"bad\")", "ReadyForQuery(I)")
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete", "DataRow(1,r1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
	// An Execute that fails also skips to Sync.
	c.send(&pgproto3.Parse{Query: "error 40001"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "rows 1"}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "BindComplete",
		"ErrorResponse(ERROR 40001 fake error 40001)", "ReadyForQuery(I)")
}

func TestExtendedBindValidation(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Parse{Name: "e", Query: "echo $1 $2", ParameterOIDs: []uint32{23, 1082}}, &pgproto3.Sync{})
	c.untilReady()
	cases := []struct {
		bind *pgproto3.Bind
		want string
	}{
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}},
			"ErrorResponse(ERROR 08P01 bind message supplies 1 parameters, but prepared statement \"e\" requires 2)"},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{0, 0, 0}, Parameters: [][]byte{nil, nil}},
			"ErrorResponse(ERROR 08P01 bind message has 3 parameter formats but 2 parameters)"},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{7}, Parameters: [][]byte{nil, []byte("x")}},
			"ErrorResponse(ERROR 22023 unsupported format code: 7)"},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}, nil}},
			"ErrorResponse(ERROR 22P03 incorrect binary data format for type integer: wrong length (in bind parameter 1))"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("x1"), nil}},
			"ErrorResponse(ERROR 22P02 invalid input syntax for type integer: \"x1\")"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("\xff"), nil}},
			"ErrorResponse(ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xff)"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil, nil}, ResultFormatCodes: []int16{0, 0, 0}},
			"ErrorResponse(ERROR 08P01 bind message has 3 result formats but query has 2 columns)"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil, nil}, ResultFormatCodes: []int16{-1}},
			"ErrorResponse(ERROR 22023 unsupported format code: -1)"},
	}
	for _, tc := range cases {
		c.send(tc.bind, &pgproto3.Sync{})
		expectTrace(t, c.untilReady(), tc.want, "ReadyForQuery(I)")
	}
	c.send(&pgproto3.Parse{Name: "e", Query: "rows 1"}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 42P05 prepared statement \"e\" already exists)", "ReadyForQuery(I)")
	c.send(&pgproto3.Describe{ObjectType: 'X', Name: "e"}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 08P01 invalid DESCRIBE message subtype 88)", "ReadyForQuery(I)")
	// Named portals collide; Describe of an unknown portal fails.
	c.send(&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "e", Parameters: [][]byte{nil, nil}},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "e", Parameters: [][]byte{nil, nil}}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "BindComplete", "ErrorResponse(ERROR 42P03 portal \"p\" already exists)", "ReadyForQuery(I)")
	c.send(&pgproto3.Describe{ObjectType: 'P', Name: "nope"}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 34000 portal \"nope\" does not exist)", "ReadyForQuery(I)")
}

func TestExtendedEmptyQueryAndNoData(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Parse{Query: ""}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Bind{},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ParseComplete", "ParameterDescription([])", "NoData", "BindComplete",
		"EmptyQueryResponse", "ReadyForQuery(I)")
}

func TestExtendedFlushSendsWithoutSync(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Parse{Query: "rows 1"}, &pgproto3.Flush{})
	expectTrace(t, c.n(1), "ParseComplete")
	c.send(&pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ReadyForQuery(I)")
}

func TestCopyDataOutsideCopyIsIgnored(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.CopyFail{Message: "m"})
	expectTrace(t, c.query("rows 0"), "RowDescription(n:23/0,s:25/0)", "CommandComplete(SELECT 0)", "ReadyForQuery(I)")
}

func TestFunctionCallUnsupported(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.FunctionCall{Function: 1}, &pgproto3.Sync{})
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 0A000 the fastpath function call protocol is not supported)", "ReadyForQuery(I)")
}
