package pgwire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// selfSignedTLS makes a server certificate for 127.0.0.1.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lineradb-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	ts := startServer(t, ServerConfig{TLS: selfSignedTLS(t)})
	conn, err := pgConnect(ts.addr, "alice", "", "sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, ok := conn.Conn().(*tls.Conn); !ok {
		t.Fatalf("connection is %T, want *tls.Conn", conn.Conn())
	}
	res := conn.Exec(context.Background(), "rows 2")
	rs, err := res.ReadAll()
	if err != nil || len(rs) != 1 || len(rs[0].Rows) != 2 {
		t.Fatalf("query over TLS: %v %v", rs, err)
	}
	// Without a certificate, sslmode=require fails and prefer falls back.
	plain := startServer(t, ServerConfig{})
	if c, err := pgConnect(plain.addr, "alice", "", "sslmode=require"); err == nil {
		c.Close(context.Background())
		t.Fatal("sslmode=require succeeded without a certificate")
	}
	c, err := pgConnect(plain.addr, "alice", "", "sslmode=prefer")
	if err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	conn, err := pgConnect(ts.addr, "alice", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "wait").ReadAll()
		done <- err
	}()
	waitFor(t, func() bool { return activeQuery(ts.srv) == "wait" })
	// A wrong secret key cancels nothing.
	other := dial(t, ts.addr)
	key := conn.SecretKey()
	other.sendRaw(cancelPacket(conn.PID(), ^(uint32(key[0])<<24 | uint32(key[1])<<16 | uint32(key[2])<<8 | uint32(key[3]))))
	other.untilClosed() // the server handled the request before closing
	if e := interruptOf(ts.srv, conn.PID()).Err(); e != nil {
		t.Fatalf("a wrong secret key interrupted the query: %v", e)
	}
	if err := conn.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; pgCode(err) != "57014" {
		t.Fatalf("canceled query: %v, want 57014", err)
	}
	// The connection goes on, and the cancel does not leak into it.
	if _, err := conn.Exec(context.Background(), "rows 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
}

func cancelPacket(pid, key uint32) []byte {
	b := startupPacket(cancelRequestCode, nil)
	b[3] = 16
	b = append(b, byte(pid>>24), byte(pid>>16), byte(pid>>8), byte(pid))
	return append(b, byte(key>>24), byte(key>>16), byte(key>>8), byte(key))
}

func interruptOf(s *Server, pid uint32) *Interrupt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[pid].conn.Interrupt()
}

func activeQuery(s *Server) string {
	for _, ci := range s.Snapshot() {
		if ci.State == "active" {
			return ci.Query
		}
	}
	return ""
}

func TestStatementTimeout(t *testing.T) {
	ts := startServer(t, ServerConfig{QueryTimeout: 50 * time.Millisecond})
	c, _ := connect(t, ts.addr, nil)
	expectTrace(t, c.query("wait"), "ErrorResponse(ERROR 57014 canceling statement due to statement timeout)", "ReadyForQuery(I)")
	expectTrace(t, c.query("rows 0"), "RowDescription(n:23/0,s:25/0)", "CommandComplete(SELECT 0)", "ReadyForQuery(I)")
}

func TestConnectionLimit(t *testing.T) {
	ts := startServer(t, ServerConfig{MaxConnections: 2})
	c1, _ := connect(t, ts.addr, nil)
	connect(t, ts.addr, nil)
	c3 := dial(t, ts.addr)
	c3.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "x"}})
	expectTrace(t, c3.untilClosed(), "ErrorResponse(FATAL 53300 sorry, too many clients already)")
	c1.send(&pgproto3.Terminate{})
	c1.untilClosed()
	waitFor(t, func() bool { return ts.srv.ConnCount() == 1 })
	connect(t, ts.addr, nil)
}

func TestSnapshot(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	c, _ := connect(t, ts.addr, map[string]string{"application_name": "snapper", "user": "bob"})
	c.send(&pgproto3.Query{String: "wait"})
	waitFor(t, func() bool { return activeQuery(ts.srv) == "wait" })
	snap := ts.srv.Snapshot()
	if len(snap) != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
	ci := snap[0]
	if ci.User != "bob" || ci.ApplicationName != "snapper" || ci.Database != "bob" || ci.ClientAddr == "" ||
		ci.QueryStart.IsZero() || ci.ProcessID == 0 {
		t.Fatalf("snapshot entry %+v", ci)
	}
	// Cancel through the server's own path to end the wait.
	ts.srv.mu.Lock()
	secret := ts.srv.conns[ci.ProcessID].secret
	ts.srv.mu.Unlock()
	ts.srv.cancel(ci.ProcessID, secret[:])
	expectTrace(t, c.untilReady(), "ErrorResponse(ERROR 57014 canceling statement due to user request)", "ReadyForQuery(I)")
	waitFor(t, func() bool { return ts.srv.Snapshot()[0].State == "idle" })
}

func TestCloseDrains(t *testing.T) {
	ts := startServer(t, ServerConfig{})
	idle, _ := connect(t, ts.addr, nil)
	busy, _ := connect(t, ts.addr, nil)
	busy.send(&pgproto3.Query{String: "wait"})
	waitFor(t, func() bool { return activeQuery(ts.srv) == "wait" })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v, want the drain deadline to pass", err)
	}
	expectTrace(t, idle.untilClosed(), "ErrorResponse(FATAL 57P01 terminating connection due to administrator command)")
	busy.untilClosed()
	if n := ts.srv.ConnCount(); n != 0 {
		t.Fatalf("%d connections after Shutdown", n)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Fatal("listener still accepting after Shutdown")
	}
}

func TestCloseLetsRunningQueryFinish(t *testing.T) {
	ts := startServer(t, ServerConfig{QueryTimeout: 300 * time.Millisecond})
	busy, _ := connect(t, ts.addr, nil)
	busy.send(&pgproto3.Query{String: "wait"})
	waitFor(t, func() bool { return activeQuery(ts.srv) == "wait" })
	if err := ts.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The statement ran to its end (here, its timeout) and its result was
	// delivered before the connection closed.
	expectTrace(t, busy.untilClosed(), "ErrorResponse(ERROR 57014 canceling statement due to statement timeout)",
		"ReadyForQuery(I)", "ErrorResponse(FATAL 57P01 terminating connection due to administrator command)")
}

var _ = pgconn.PgError{}
