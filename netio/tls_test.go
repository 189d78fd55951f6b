package netio

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
)

// testCA is a certificate authority made up for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a node certificate valid for both client and server
// authentication. Its name deliberately matches no address: node-to-node
// TLS checks the chain, not the host.
func (ca *testCA) issue(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// withTLS configures a transport for mutual TLS with cert, trusting ca.
func withTLS(t *testing.T, cert tls.Certificate, ca *testCA) func(*TCPConfig) {
	server, client, err := MutualTLS(cert, ca.pool)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *TCPConfig) { c.ServerTLS, c.ClientTLS = server, client }
}

// TestTCPMutualTLS runs three nodes over mutual TLS: every message arrives
// intact, and discovery works over TLS too.
func TestTCPMutualTLS(t *testing.T) {
	seed := testSeed(t)
	ca := newTestCA(t, "cluster CA")
	const n = 300
	cs := []*collector{{}, {}, {}}
	var trs []*TCPTransport
	for i, c := range cs {
		id := NodeID(i + 1)
		trs = append(trs, newTestTCP(t, id, c, withTLS(t, ca.issue(t, "node"), ca)))
	}
	connect(t, trs...)
	done := make(chan struct{})
	for _, tr := range trs {
		go func() { sendSeq(t, seed, tr, others(tr.ID()), n); done <- struct{}{} }()
	}
	for range trs {
		<-done
	}
	for i, c := range cs {
		id := NodeID(i + 1)
		checkSeq(t, seed, id, c.waitFor(t, 2*n), others(id), n)
	}
	_, client, _ := MutualTLS(ca.issue(t, "prober"), ca.pool)
	if id, err := Discover(context.Background(), trs[1].Addr().String(), DiscoverConfig{ID: 1, TLS: client}); err != nil || id != 2 {
		t.Fatalf("Discover over TLS = %d, %v; want 2", id, err)
	}
	for _, tr := range trs {
		if s := tr.Stats(); s.BadHandshakes != 0 || s.BadFrames != 0 {
			t.Fatalf("node %d: %+v", tr.ID(), s)
		}
	}
}

// TestTCPTLSRejectsForeignCA checks both directions: a dialer holding a
// certificate from another CA is refused by the listener, and a dialer
// refuses a listener whose certificate is from another CA.
func TestTCPTLSRejectsForeignCA(t *testing.T) {
	ca, other := newTestCA(t, "cluster CA"), newTestCA(t, "someone else's CA")
	cb := &collector{}
	b := newTestTCP(t, 2, cb, withTLS(t, ca.issue(t, "node2"), ca))

	// Node 3's certificate is from the other CA; it trusts both CAs, so
	// only b's check can stop it.
	both := x509.NewCertPool()
	both.AddCert(ca.cert)
	both.AddCert(other.cert)
	intruder := newTestTCP(t, 3, &collector{}, withTLS(t, other.issue(t, "node3"), &testCA{pool: both}))
	if err := intruder.AddPeer(2, b.Addr().String()); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_ = intruder.Send(Message{From: 3, To: 2, Type: 1})
	}
	waitUntil(t, "b refusing the foreign certificate", func() bool { return b.Stats().BadHandshakes >= 2 })

	// a is a proper node; it must refuse to talk to a listener with a
	// foreign certificate (node 4), and count the failed dials.
	a := newTestTCP(t, 1, &collector{}, withTLS(t, ca.issue(t, "node1"), ca))
	n4 := newTestTCP(t, 4, &collector{}, withTLS(t, other.issue(t, "node4"), &testCA{pool: both}))
	if err := a.AddPeer(4, n4.Addr().String()); err != nil {
		t.Fatal(err)
	}
	_ = a.Send(Message{From: 1, To: 4, Type: 1})
	waitUntil(t, "a refusing node 4's certificate", func() bool { return a.Stats().DialErrors >= 2 })
	if s := n4.Stats(); s.FramesReceived != 0 {
		t.Fatalf("node 4 received frames over a connection a should have refused: %+v", s)
	}
	_, foreignClient, _ := MutualTLS(other.issue(t, "prober"), both)
	if _, err := Discover(context.Background(), b.Addr().String(), DiscoverConfig{ID: 9, TLS: foreignClient}); err == nil {
		t.Fatal("a probe with a foreign certificate got an answer")
	}
	if n := cb.count(); n != 0 {
		t.Fatalf("b delivered %d messages from a foreign-CA node", n)
	}
	if s := b.Stats(); s.FramesReceived != 0 || s.ProbesAnswered != 0 {
		t.Fatalf("b served a foreign-CA node: %+v", s)
	}
}

// TestTCPTLSRejectsPlaintext sends a plaintext node, a raw plaintext
// hello and a TLS client without a certificate at a TLS listener: none
// gets through.
func TestTCPTLSRejectsPlaintext(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	cb := &collector{}
	b := newTestTCP(t, 2, cb, withTLS(t, ca.issue(t, "node2"), ca), func(c *TCPConfig) {
		c.HandshakeTimeout = 500 * time.Millisecond
	})
	plain := newTestTCP(t, 1, &collector{})
	if err := plain.AddPeer(2, b.Addr().String()); err != nil {
		t.Fatal(err)
	}
	_ = plain.Send(Message{From: 1, To: 2, Type: 1})
	waitUntil(t, "b refusing the plaintext node", func() bool { return b.Stats().BadHandshakes >= 1 })

	// A raw plaintext hello is not a TLS ClientHello: closed, no reply.
	expectClosedByPeer(t, b.Addr().String(), garbageCase{name: "plaintext hello",
		bytes: appendHello(nil, hello{from: 9, to: 2})})
	if _, err := Discover(context.Background(), b.Addr().String(), DiscoverConfig{ID: 9}); err == nil {
		t.Fatal("a plaintext probe got an answer from a TLS listener")
	}

	// TLS without a client certificate fails the mutual handshake.
	raw, err := net.Dial("tcp", b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn := tls.Client(raw, &tls.Config{RootCAs: ca.pool, InsecureSkipVerify: true})
	conn.SetDeadline(time.Now().Add(waitMax))
	_, werr := conn.Write(appendHello(nil, hello{from: 9, to: 2}))
	_, rerr := readReply(conn)
	conn.Close()
	if werr == nil && rerr == nil {
		t.Fatal("a TLS client without a certificate completed the hello")
	}
	if n := cb.count(); n != 0 || b.Stats().FramesReceived != 0 {
		t.Fatalf("b delivered %d plaintext messages", n)
	}
}

func TestTCPTLSConfigErrors(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	server, client, err := MutualTLS(ca.issue(t, "n"), ca.pool)
	if err != nil {
		t.Fatal(err)
	}
	h := func(Message) {}
	for name, cfg := range map[string]TCPConfig{
		"server only":     {ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", ServerTLS: server},
		"client only":     {ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", ClientTLS: client},
		"no certificate":  {ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", ServerTLS: &tls.Config{}, ClientTLS: client},
		"bad advertising": {ID: 1, Handler: h, ListenAddr: "127.0.0.1:0", AdvertiseAddr: "nowhere"},
	} {
		if tr, err := NewTCP(cfg); err == nil {
			tr.Close()
			t.Errorf("%s: NewTCP accepted the config", name)
		}
	}
	if _, _, err := MutualTLS(tls.Certificate{}, ca.pool); err == nil {
		t.Error("MutualTLS accepted an empty certificate")
	}
	if _, _, err := MutualTLS(ca.issue(t, "n"), nil); err == nil {
		t.Error("MutualTLS accepted a nil CA pool")
	}
}
