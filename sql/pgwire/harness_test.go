package pgwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// testServer runs a Server with the fake backend on a loopback port.
type testServer struct {
	srv  *Server
	be   *fakeBackend
	addr string
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startServer(t *testing.T, cfg ServerConfig) *testServer {
	t.Helper()
	be := &fakeBackend{}
	if cfg.Backend == nil {
		cfg.Backend = be
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 2 * time.Second
	}
	srv := NewServer(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return &testServer{srv: srv, be: be, addr: l.Addr().String()}
}

// client is a raw protocol client: it sends frontend messages and records
// what comes back as a readable trace.
type client struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// connect dials and completes a trust startup, returning the trace of
// the startup reply.
func connect(t *testing.T, addr string, params map[string]string) (*client, []string) {
	t.Helper()
	c := dial(t, addr)
	if params == nil {
		params = map[string]string{}
	}
	if params["user"] == "" {
		params["user"] = "alice"
	}
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params})
	return c, c.untilReady()
}

func (c *client) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// sendRaw writes bytes as they are.
func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("sendRaw: %v", err)
	}
}

// untilReady reads messages up to and including ReadyForQuery.
func (c *client) untilReady() []string {
	c.t.Helper()
	var out []string
	for {
		m, err := c.fe.Receive()
		if err != nil {
			c.t.Fatalf("receive after %q: %v", out, err)
		}
		out = append(out, trace(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

// untilClosed reads messages until the server closes the connection.
func (c *client) untilClosed() []string {
	c.t.Helper()
	var out []string
	for {
		m, err := c.fe.Receive()
		if err != nil {
			return out
		}
		out = append(out, trace(m))
	}
}

// n reads exactly n messages.
func (c *client) n(n int) []string {
	c.t.Helper()
	var out []string
	for range n {
		m, err := c.fe.Receive()
		if err != nil {
			c.t.Fatalf("receive after %q: %v", out, err)
		}
		out = append(out, trace(m))
	}
	return out
}

func (c *client) query(q string) []string {
	c.t.Helper()
	c.send(&pgproto3.Query{String: q})
	return c.untilReady()
}

// trace renders a backend message compactly.
func trace(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.RowDescription:
		var f []string
		for _, d := range m.Fields {
			f = append(f, fmt.Sprintf("%s:%d/%d", d.Name, d.DataTypeOID, d.Format))
		}
		return "RowDescription(" + strings.Join(f, ",") + ")"
	case *pgproto3.DataRow:
		var f []string
		for _, v := range m.Values {
			if v == nil {
				f = append(f, "NULL")
			} else {
				f = append(f, string(v))
			}
		}
		return "DataRow(" + strings.Join(f, ",") + ")"
	case *pgproto3.CommandComplete:
		return "CommandComplete(" + string(m.CommandTag) + ")"
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery(" + string(m.TxStatus) + ")"
	case *pgproto3.ErrorResponse:
		return fmt.Sprintf("ErrorResponse(%s %s %s)", m.Severity, m.Code, m.Message)
	case *pgproto3.NoticeResponse:
		return fmt.Sprintf("NoticeResponse(%s %s %s)", m.Severity, m.Code, m.Message)
	case *pgproto3.ParameterStatus:
		return "ParameterStatus(" + m.Name + "=" + m.Value + ")"
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription(%v)", m.ParameterOIDs)
	case *pgproto3.BackendKeyData:
		return "BackendKeyData"
	case *pgproto3.CopyData:
		return fmt.Sprintf("CopyData(%q)", m.Data)
	case *pgproto3.CopyInResponse:
		return fmt.Sprintf("CopyInResponse(%d)", len(m.ColumnFormatCodes))
	case *pgproto3.CopyOutResponse:
		return fmt.Sprintf("CopyOutResponse(%d)", len(m.ColumnFormatCodes))
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}

func expectTrace(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trace mismatch\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// startupPacket builds a raw startup packet (length, code, body).
func startupPacket(code uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	b = binary.BigEndian.AppendUint32(b, code)
	return append(b, body...)
}

// rawMessage builds a typed message with an arbitrary declared length.
func rawMessage(typ byte, declaredLen int32, body []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint32(b, uint32(declaredLen))
	return append(b, body...)
}

func cstr(s string) []byte { return append([]byte(s), 0) }

var _ = bytes.Equal

// waitFor polls cond for up to 10 s (for effects of other goroutines).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
