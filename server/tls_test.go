package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/internal/config"
	"github.com/lineradb/lineradb/sql/pgwire"
)

// writeTestPKI writes a CA and a certificate it issued for 127.0.0.1 and
// localhost (client and server use) under dir, as security.tls wants them.
func writeTestPKI(t *testing.T, dir, caName string) config.TLSConfig {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: caName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "node"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	c := config.TLSConfig{Enabled: true, CertFile: filepath.Join(dir, "node.crt"),
		KeyFile: filepath.Join(dir, "node.key"), CAFile: filepath.Join(dir, "ca.crt")}
	writePEM(t, c.CAFile, "CERTIFICATE", caDER)
	writePEM(t, c.CertFile, "CERTIFICATE", der)
	writePEM(t, c.KeyFile, "EC PRIVATE KEY", keyDER)
	return c
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadTLS(t *testing.T) {
	c := writeTestPKI(t, t.TempDir(), "test CA")
	m, err := loadTLS(c)
	if err != nil || m == nil {
		t.Fatalf("loadTLS: %v", err)
	}
	if s, cl, err := m.nodeTLS(); err != nil || s == nil || cl == nil {
		t.Fatalf("nodeTLS: %v", err)
	}
	if m, err := loadTLS(config.TLSConfig{}); m != nil || err != nil {
		t.Fatalf("TLS off: %v, %v", m, err)
	}
	noCA := c
	noCA.CAFile = ""
	notPEM := c
	notPEM.CAFile = c.KeyFile
	missing := c
	missing.CertFile = filepath.Join(t.TempDir(), "nope.crt")
	for name, bad := range map[string]config.TLSConfig{"no ca_file": noCA, "ca_file not a certificate": notPEM, "missing cert": missing} {
		if _, err := loadTLS(bad); err == nil {
			t.Errorf("%s: loadTLS accepted it", name)
		}
	}
}

// startupPacket encodes a client's first packet: length, then code, then
// body.
func startupPacket(code uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	b = binary.BigEndian.AppendUint32(b, code)
	return append(b, body...)
}

// TestTLSRequiredConn feeds first packets to the TLS-required wrapper:
// an SSLRequest and a CancelRequest pass untouched, a GSSENCRequest passes
// and the next packet is judged, a plaintext StartupMessage and garbage
// get FATAL 28000 and the connection ends.
func TestTLSRequiredConn(t *testing.T) {
	startup := startupPacket(196608, []byte("user\x00admin\x00\x00"))
	cases := []struct {
		name   string
		send   []byte
		passed int // bytes the server side must read before the verdict
		refuse bool
	}{
		{"ssl request", startupPacket(pgSSLRequestCode, nil), 8, false},
		{"cancel request", startupPacket(pgCancelRequestCode, make([]byte, 8)), 16, false},
		{"gssenc then ssl", append(startupPacket(pgGSSENCRequestCode, nil), startupPacket(pgSSLRequestCode, nil)...), 16, false},
		{"plaintext startup", startup, 0, true},
		{"gssenc then plaintext", append(startupPacket(pgGSSENCRequestCode, nil), startup...), 8, true},
		{"gssenc forever", bytesRepeat(startupPacket(pgGSSENCRequestCode, nil), 3), 16, true},
		{"garbage", []byte("GET / HTTP/1.1\r\n\r\n"), 0, true},
	}
	for _, c := range cases {
		client, srv := net.Pipe()
		conn := &tlsRequiredConn{Conn: srv}
		go func() { client.Write(c.send) }()
		got := make([]byte, c.passed)
		if _, err := io.ReadFull(conn, got); err != nil {
			t.Fatalf("%s: reading the %d bytes that pass: %v", c.name, c.passed, err)
		}
		if string(got) != string(c.send[:c.passed]) {
			t.Fatalf("%s: passed %x, want %x", c.name, got, c.send[:c.passed])
		}
		if !c.refuse {
			client.Close()
			srv.Close()
			continue
		}
		reply := make(chan []byte, 1)
		go func() { b := make([]byte, 512); n, _ := client.Read(b); reply <- b[:n] }()
		if _, err := conn.Read(make([]byte, 64)); !errors.Is(err, errPlaintextClient) {
			t.Fatalf("%s: read err %v, want errPlaintextClient", c.name, err)
		}
		if r := <-reply; len(r) == 0 || r[0] != 'E' || !strings.Contains(string(r), "28000") {
			t.Fatalf("%s: client got %q, want an ErrorResponse with 28000", c.name, r)
		}
		client.Close()
		srv.Close()
	}
}

func bytesRepeat(b []byte, n int) []byte {
	var out []byte
	for range n {
		out = append(out, b...)
	}
	return out
}

// TestClientTLSRequired serves pgwire with the server's TLS wiring and
// connects with pgx: verify-full works, a plaintext client is refused
// with 28000, and a client that does not trust the CA fails.
func TestClientTLSRequired(t *testing.T) {
	dir := t.TempDir()
	c := writeTestPKI(t, dir, "test CA")
	m, err := loadTLS(c)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwire.NewServer(pgwire.ServerConfig{Backend: &pgwire.SQLBackend{Store: newMem(t), Clock: clock.Real{}},
		Auth: pgwire.AuthConfig{Method: pgwire.AuthTrust}, TLS: m.clientTLS()})
	go srv.Serve(tlsRequiredListener{Listener: ln})
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dsn := func(mode string) string {
		return fmt.Sprintf("postgres://admin@127.0.0.1:%d/lineradb?connect_timeout=5&%s", port, mode)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn("sslmode=verify-full&sslrootcert="+c.CAFile))
	if err != nil {
		t.Fatalf("verify-full: %v", err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query over TLS: %d %v", one, err)
	}
	if !conn.PgConn().Conn().(interface{ ConnectionState() tls.ConnectionState }).ConnectionState().HandshakeComplete {
		t.Fatal("verify-full connection is not TLS")
	}
	conn.Close(ctx)

	_, err = pgx.Connect(ctx, dsn("sslmode=disable"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" {
		t.Fatalf("plaintext client: %v, want SQLSTATE 28000", err)
	}
	other := writeTestPKI(t, t.TempDir(), "other CA")
	if _, err := pgx.Connect(ctx, dsn("sslmode=verify-full&sslrootcert="+other.CAFile)); err == nil {
		t.Fatal("a client trusting another CA connected with verify-full")
	}
}
