package pgwire

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestStartupParameterStatusOrder(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	_, got := connect(t, ts.addr, map[string]string{"application_name": "app1", "database": "db1"})
	expectTrace(t, got,
		"AuthenticationOk",
		"ParameterStatus(server_version=15.0 (LineraDB))",
		"ParameterStatus(server_encoding=UTF8)",
		"ParameterStatus(client_encoding=UTF8)",
		"ParameterStatus(DateStyle=ISO, MDY)",
		"ParameterStatus(IntervalStyle=postgres)",
		"ParameterStatus(TimeZone=UTC)",
		"ParameterStatus(integer_datetimes=on)",
		"ParameterStatus(standard_conforming_strings=on)",
		"ParameterStatus(application_name=app1)",
		"ParameterStatus(is_superuser=on)",
		"ParameterStatus(session_authorization=alice)",
		"ParameterStatus(default_transaction_read_only=off)",
		"ParameterStatus(in_hot_standby=off)",
		"BackendKeyData",
		"ReadyForQuery(I)")
}

func TestStartupRejections(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	cases := []struct {
		name   string
		packet []byte
		want   []string
	}{
		{"no user", startupPacket(pgproto3.ProtocolVersion30, cstr("database")), nil},
		{"protocol 2", startupPacket(2<<16, []byte{0}),
			[]string{"ErrorResponse(FATAL 0A000 unsupported frontend protocol 2.0: server supports 3.0 to 3.0)"}},
		{"missing terminator", startupPacket(pgproto3.ProtocolVersion30, []byte("user\x00bob")),
			[]string{"ErrorResponse(FATAL 08P01 invalid startup packet layout: expected terminator as last byte)"}},
		{"bad encoding", startupPacket(pgproto3.ProtocolVersion30, []byte("user\x00bob\x00client_encoding\x00LATIN1\x00\x00")),
			[]string{"ErrorResponse(FATAL 22023 invalid value for parameter \"client_encoding\": \"LATIN1\")"}},
		{"huge length", []byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0},
			[]string{"ErrorResponse(FATAL 08P01 invalid length of startup packet)"}},
	}
	cases[0].want = []string{"ErrorResponse(FATAL 28000 no PostgreSQL user name specified in startup packet)"}
	cases[0].packet = startupPacket(pgproto3.ProtocolVersion30, []byte("database\x00x\x00\x00"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			c.sendRaw(tc.packet)
			expectTrace(t, c.untilClosed(), tc.want...)
		})
	}
}

func TestStartupMinorVersionNegotiated(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c := dial(t, ts.addr)
	c.sendRaw(startupPacket(3<<16|2, []byte("user\x00bob\x00_pq_.foo\x00x\x00\x00")))
	got := c.untilReady()
	if got[0] != "NegotiateProtocolVersion" {
		t.Fatalf("first message %q, want NegotiateProtocolVersion", got[0])
	}
}

func TestSSLAndGSSRequestDeclinedWithoutCertificate(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c := dial(t, ts.addr)
	for _, code := range []uint32{sslRequestCode, gssEncRequestCode} {
		c.sendRaw(startupPacket(code, nil))
		b := make([]byte, 1)
		if _, err := c.nc.Read(b); err != nil || b[0] != 'N' {
			t.Fatalf("answer to %d: %q %v, want N", code, b, err)
		}
	}
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
	got := c.untilReady()
	expectTrace(t, got[len(got)-1:], "ReadyForQuery(I)")
}

func TestSessionCreationErrorIsFatal(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c := dial(t, ts.addr)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "u", "database": "nodb"}})
	expectTrace(t, c.untilClosed(), "AuthenticationOk", "ErrorResponse(FATAL 3D000 database \"nodb\" does not exist)")
}

func TestSimpleQueryMultiStatement(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	expectTrace(t, c.query("rows 2; notice; rows 0"),
		"RowDescription(n:23/0,s:25/0)", "DataRow(1,r1)", "DataRow(2,r2)", "CommandComplete(SELECT 2)",
		"NoticeResponse(NOTICE 00000 hello notice)", "CommandComplete(DO)",
		"RowDescription(n:23/0,s:25/0)", "CommandComplete(SELECT 0)",
		"ReadyForQuery(I)")
	// After an error the rest of the string is skipped.
	expectTrace(t, c.query("rows 1; error 42P01; rows 1"),
		"RowDescription(n:23/0,s:25/0)", "DataRow(1,r1)", "CommandComplete(SELECT 1)",
		"ErrorResponse(ERROR 42P01 fake error 42P01)", "ReadyForQuery(I)")
	expectTrace(t, c.query(""), "EmptyQueryResponse", "ReadyForQuery(I)")
	expectTrace(t, c.query(" ; ;"), "EmptyQueryResponse", "ReadyForQuery(I)")
}

func TestErrorResponseFields(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Query{String: "error 23505"})
	m, err := c.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := m.(*pgproto3.ErrorResponse)
	if !ok {
		t.Fatalf("got %T", m)
	}
	if e.Severity != "ERROR" || e.SeverityUnlocalized != "ERROR" || e.Code != "23505" ||
		e.Detail != "some detail" || e.Hint != "some hint" || e.Position != 3 {
		t.Fatalf("error fields: %+v", e)
	}
	c.untilReady()
}

func TestTransactionStatusByte(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	expectTrace(t, c.query("begin"), "CommandComplete(BEGIN)", "ReadyForQuery(T)")
	expectTrace(t, c.query("error 22012"), "ErrorResponse(ERROR 22012 fake error 22012)", "ReadyForQuery(E)")
	expectTrace(t, c.query("rows 1"),
		"ErrorResponse(ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block)",
		"ReadyForQuery(E)")
	expectTrace(t, c.query("commit"), "CommandComplete(ROLLBACK)", "ReadyForQuery(I)")
}

func TestInvalidUTF8Query(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	expectTrace(t, c.query("rows 1 \xff\xfe"),
		"ErrorResponse(ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xff 0xfe)", "ReadyForQuery(I)")
	expectTrace(t, c.query("rows 1"), "RowDescription(n:23/0,s:25/0)", "DataRow(1,r1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
}

func TestParameterStatusAfterSet(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	expectTrace(t, c.query("setapp psql"), "ParameterStatus(application_name=psql)", "CommandComplete(SET)", "ReadyForQuery(I)")
}

func TestSessionPanicIsXX000AndServerSurvives(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Query{String: "panic"})
	expectTrace(t, c.untilClosed(), "ErrorResponse(FATAL XX000 internal error: fake session panic)")
	c2, _ := connect(t, ts.addr, nil)
	expectTrace(t, c2.query("rows 1"), "RowDescription(n:23/0,s:25/0)", "DataRow(1,r1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
}

func TestTerminateClosesSession(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, nil)
	c.send(&pgproto3.Terminate{})
	expectTrace(t, c.untilClosed())
	waitFor(t, func() bool {
		ts.be.mu.Lock()
		defer ts.be.mu.Unlock()
		return ts.be.closed == 1
	})
}
