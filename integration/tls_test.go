package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lineradb/lineradb/netio"
)

// testPKI is a CA written to disk, issuing node certificates for
// 127.0.0.1 and localhost.
type testPKI struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
	serial int64
}

func newTestPKI(t *testing.T, dir string) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "LineraDB test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &testPKI{dir: dir, ca: ca, caKey: key, caFile: filepath.Join(dir, "ca.crt"), serial: 1}
	writePEMFile(t, p.caFile, "CERTIFICATE", der)
	return p
}

// issue writes name.crt and name.key, valid for server and client use.
func (p *testPKI) issue(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{"localhost", name}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	writePEMFile(t, certFile, "CERTIFICATE", der)
	writePEMFile(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEMFile(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSCluster runs three nodes with security.tls configured: node
// traffic is mutual TLS (the founder even discovers its plain host:port
// peers over it), clients connect with sslmode=verify-full, and a
// plaintext client or a plaintext node is refused.
func TestTLSCluster(t *testing.T) {
	c := &cluster{t: t, root: t.TempDir()}
	pki := newTestPKI(t, t.TempDir())
	for i := range 3 {
		p := newProc(t, c.root, uint64(i+1))
		p.plainPeers = true
		cert, key := pki.issue(t, fmt.Sprintf("node%d", i+1))
		p.env = []string{"LINERADB_SECURITY_TLS_ENABLED=true", "LINERADB_SECURITY_TLS_CERT_FILE=" + cert,
			"LINERADB_SECURITY_TLS_KEY_FILE=" + key, "LINERADB_SECURITY_TLS_CA_FILE=" + pki.caFile}
		p.sslRootCert = pki.caFile
		c.nodes = append(c.nodes, p)
	}
	for _, p := range c.nodes {
		for _, q := range c.nodes {
			if q != p {
				p.peers = append(p.peers, q)
			}
		}
	}
	c.nodes[0].bootstrap = true
	t.Cleanup(func() { c.cleanup(t) })
	for _, p := range c.nodes {
		p.start(t)
	}
	c.waitLeader(nil, 30*time.Second)

	// Writes through one node reach the others only over mutual TLS.
	execRetry(t, c.nodes[0], "CREATE TABLE kv (k INT PRIMARY KEY, v INT)", 30*time.Second)
	all := map[int64]int64{}
	for i, p := range c.nodes {
		k := int64(i + 1)
		execRetry(t, p, fmt.Sprintf("INSERT INTO kv VALUES (%d, %d)", k, k*10), 20*time.Second)
		all[k] = k * 10
	}
	for _, p := range c.nodes {
		checkRows(t, fmt.Sprintf("node %d over TLS", p.id), readRows(t, p), all)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n2 := c.nodes[1]
	conn, err := pgx.Connect(ctx, n2.dsn())
	if err != nil {
		t.Fatalf("verify-full: %v", err)
	}
	if !conn.PgConn().Conn().(*tls.Conn).ConnectionState().HandshakeComplete {
		t.Fatal("the verify-full connection is not TLS")
	}
	conn.Close(ctx)
	plainDSN := fmt.Sprintf("postgres://admin@127.0.0.1:%d/lineradb?sslmode=disable&connect_timeout=3", n2.pgPort)
	_, err = pgx.Connect(ctx, plainDSN)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" {
		t.Fatalf("plaintext client: %v, want SQLSTATE 28000", err)
	}

	// The Raft port speaks only mutual TLS: a plaintext probe gets nothing,
	// a probe with a certificate from the cluster CA gets the node's id.
	if _, err := netio.Discover(ctx, n2.raftAddr(), netio.DiscoverConfig{ID: 99}); err == nil {
		t.Fatal("a plaintext probe got an answer from the Raft port")
	}
	cert, key := pki.issue(t, "prober")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(pki.ca)
	_, client, err := netio.MutualTLS(pair, pool)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := netio.Discover(ctx, n2.raftAddr(), netio.DiscoverConfig{ID: 99, TLS: client}); err != nil || id != 2 {
		t.Fatalf("probe over mutual TLS: %d, %v; want node 2", id, err)
	}
}
