package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"github.com/lineradb/lineradb/internal/config"
	"github.com/lineradb/lineradb/netio"
)

// tlsMaterial is security.tls loaded from disk: the node's certificate
// (for clients and for other nodes) and the cluster CA.
type tlsMaterial struct {
	cert tls.Certificate
	ca   *x509.CertPool
}

// loadTLS reads security.tls; nil when TLS is off. Mutual TLS between
// nodes needs the CA that issued every node's certificate, so ca_file is
// required: without it a node could not tell a cluster member from any
// holder of a publicly trusted certificate.
func loadTLS(t config.TLSConfig) (*tlsMaterial, error) {
	if !t.Enabled {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("security.tls: %w", err)
	}
	if t.CAFile == "" {
		return nil, errors.New("security.tls.ca_file: required when security.tls.enabled is true: " +
			"nodes authenticate each other (mutual TLS) with certificates from this CA")
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("security.tls.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("security.tls.ca_file %s holds no PEM certificate", t.CAFile)
	}
	return &tlsMaterial{cert: cert, ca: pool}, nil
}

// clientTLS is the PostgreSQL listener's TLS: the node certificate, and
// client certificates verified against the CA when a client sends one.
func (m *tlsMaterial) clientTLS() *tls.Config {
	if m == nil {
		return nil
	}
	return &tls.Config{Certificates: []tls.Certificate{m.cert}, MinVersion: tls.VersionTLS12,
		ClientCAs: m.ca, ClientAuth: tls.VerifyClientCertIfGiven}
}

// nodeTLS is the transport's mutual TLS pair (nil, nil when TLS is off).
func (m *tlsMaterial) nodeTLS() (server, client *tls.Config, err error) {
	if m == nil {
		return nil, nil, nil
	}
	return netio.MutualTLS(m.cert, m.ca)
}

// PostgreSQL startup codes (the first 8 bytes of a startup packet are its
// length and one of these, or a protocol version).
const (
	pgSSLRequestCode    = 80877103
	pgCancelRequestCode = 80877102
	pgGSSENCRequestCode = 80877104
	// pgNegotiationPacketsMax bounds the GSSENCRequests a connection may
	// send before it must choose TLS or give up.
	pgNegotiationPacketsMax = 2
)

// tlsRequiredListener enforces TLS for clients (PostgreSQL's hostssl):
// every accepted connection is wrapped so that its first packet must be an
// SSLRequest (or a CancelRequest, which PostgreSQL accepts unencrypted);
// anything else gets FATAL 28000 and is closed before pgwire sees a byte.
type tlsRequiredListener struct{ net.Listener }

func (l tlsRequiredListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsRequiredConn{Conn: c}, nil
}

// tlsRequiredConn inspects the client's first startup packets on the first
// reads, on the connection's own goroutine (never in Accept), under the
// deadline pgwire sets.
type tlsRequiredConn struct {
	net.Conn
	mu      sync.Mutex
	decided bool
	err     error
	pending []byte
	packets int
}

func (c *tlsRequiredConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if !c.decided && len(c.pending) == 0 && c.err == nil {
		c.pending, c.err = c.inspect()
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		c.mu.Unlock()
		return n, nil
	}
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// errPlaintextClient ends a connection refused for not using TLS.
var errPlaintextClient = errors.New("server: client did not request TLS")

// inspect reads the next 8 bytes (every startup packet is at least that
// long) and decides: SSLRequest and CancelRequest pass, GSSENCRequest
// passes but the next packet is inspected too (pgwire answers it 'N'),
// anything else is refused.
func (c *tlsRequiredConn) inspect() ([]byte, error) {
	var head [8]byte
	if _, err := io.ReadFull(c.Conn, head[:]); err != nil {
		return nil, err
	}
	switch binary.BigEndian.Uint32(head[4:]) {
	case pgSSLRequestCode, pgCancelRequestCode:
		c.decided = true
		return head[:], nil
	case pgGSSENCRequestCode:
		c.packets++
		if c.packets <= pgNegotiationPacketsMax {
			return head[:], nil
		}
	}
	c.decided = true
	_, _ = c.Conn.Write(pgFatal("28000", "this server requires TLS (security.tls.enabled): "+
		"connect with sslmode=require, verify-ca or verify-full"))
	return nil, errPlaintextClient
}

// pgFatal encodes a PostgreSQL ErrorResponse with severity FATAL.
func pgFatal(code, msg string) []byte {
	var body []byte
	for _, f := range []struct {
		t byte
		v string
	}{{'S', "FATAL"}, {'V', "FATAL"}, {'C', code}, {'M', msg}} {
		body = append(body, f.t)
		body = append(body, f.v...)
		body = append(body, 0)
	}
	body = append(body, 0)
	out := []byte{'E'}
	out = binary.BigEndian.AppendUint32(out, uint32(4+len(body)))
	return append(out, body...)
}
