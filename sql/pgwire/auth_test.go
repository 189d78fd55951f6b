package pgwire

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestScramRFC7677Vector runs the server side of RFC 7677's example
// exchange (user "user", password "pencil") and checks every message.
func TestScramRFC7677Vector(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := newScramVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	s := &scramServer{v: v, serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"}
	first, err := s.first([]byte("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"; first != want {
		t.Fatalf("server-first %q, want %q", first, want)
	}
	final := "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	got, err := s.final([]byte(final))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="; got != want {
		t.Fatalf("server-final %q, want %q", got, want)
	}
	// A proof off by one bit is rejected as a bad proof.
	bad := strings.Replace(final, "p=dHzb", "p=dHzc", 1)
	if _, err := s.final([]byte(bad)); !errors.Is(err, errBadProof) {
		t.Fatalf("tampered proof: %v, want errBadProof", err)
	}
}

func TestScramRejectsMalformed(t *testing.T) {
	v, _ := newScramVerifier("pw", []byte("saltsaltsaltsalt"), 4096)
	for _, first := range []string{"", "n", "p=tls-server-end-point,,n=,r=abc", "n,a=admin,n=,r=abc",
		"n,,r=abc", "n,,n=,r=", "x,,n=,r=abc", strings.Repeat("a", 2000)} {
		s := &scramServer{v: v, serverNonce: "srv"}
		if _, err := s.first([]byte(first)); err == nil {
			t.Errorf("client-first %q accepted", first)
		}
	}
	s := &scramServer{v: v, serverNonce: "srv"}
	if _, err := s.first([]byte("n,,n=,r=cli")); err != nil {
		t.Fatal(err)
	}
	for _, final := range []string{"", "c=biws,r=clisrv", "c=eSws,r=clisrv,p=AAAA", "c=biws,r=other,p=AAAA",
		"c=biws,r=clisrv,p=!!!", "c=biws,r=clisrv,p=AAAA"} {
		if _, err := s.final([]byte(final)); err == nil || errors.Is(err, errBadProof) {
			t.Errorf("client-final %q: %v, want a malformed-message error", final, err)
		}
	}
}

func TestHashPasswordVerifier(t *testing.T) {
	h, err := HashPassword("s3cret", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "SCRAM-SHA-256$4096:") {
		t.Fatalf("verifier %q", h)
	}
	v, err := parseScramVerifier(h)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Check("s3cret") || v.Check("s3cret ") {
		t.Fatal("checkPassword does not tell the password apart")
	}
	for _, bad := range []string{"", "md5abc", "SCRAM-SHA-256$x:c2FsdA==$a:b", "SCRAM-SHA-256$4096:c2FsdA==$YQ==:YQ==",
		"SCRAM-SHA-256$0:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
		"SCRAM-SHA-256$4096:$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
		strings.Replace(h, "$4096:", "$99999999999:", 1)} {
		if _, err := parseScramVerifier(bad); err == nil {
			t.Errorf("verifier %q accepted", bad)
		}
	}
}

// userMap is a UserStore from a map.
type userMap map[string]string

func (m userMap) LookupUser(name string) (string, bool, error) {
	if name == "broken" {
		return "", false, errors.New("catalog unavailable")
	}
	pw, ok := m[name]
	return pw, ok, nil
}

func pgConnect(addr, user, password, extra string) (*pgconn.PgConn, error) {
	host, port, _ := strings.Cut(addr, ":")
	dsn := fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=db sslmode=disable %s", host, port, user, password, extra)
	return pgconn.Connect(context.Background(), dsn)
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestAuthMethodsWithPgconn(t *testing.T) {
	scram, err := HashPassword("scrampw", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	users := userMap{"sam": scram, "mia": MD5Password("mia", "md5pw"), "nopw": ""}
	cases := []struct {
		method   AuthMethod
		user, pw string
		code     string // "" = success
	}{
		{AuthSCRAM, "sam", "scrampw", ""},
		{AuthSCRAM, "sam", "wrong", "28P01"},
		{AuthSCRAM, "ghost", "x", "28P01"},
		{AuthSCRAM, "mia", "md5pw", "28P01"}, // no SCRAM verifier
		{AuthMD5, "mia", "md5pw", ""},
		{AuthMD5, "mia", "wrong", "28P01"},
		{AuthMD5, "sam", "scrampw", ""}, // md5 falls back to SCRAM for SCRAM verifiers
		{AuthMD5, "ghost", "x", "28P01"},
		{AuthPassword, "sam", "scrampw", ""},
		{AuthPassword, "mia", "md5pw", ""},
		{AuthPassword, "mia", "nope", "28P01"},
		{AuthPassword, "nopw", "", "28P01"},
		{AuthTrust, "mia", "", ""},
		{AuthTrust, "ghost", "", "28000"},
		{AuthTrust, "broken", "", "XX000"},
	}
	servers := map[AuthMethod]*testServer{}
	for _, tc := range cases {
		ts := servers[tc.method]
		if ts == nil {
			ts = startServer(t, ServerConfig{Auth: AuthConfig{Method: tc.method, Users: users}})
			servers[tc.method] = ts
		}
		conn, err := pgConnect(ts.addr, tc.user, tc.pw, "")
		if conn != nil {
			conn.Close(context.Background())
		}
		if got := pgCode(err); got != tc.code || (tc.code == "" && err != nil) {
			t.Errorf("method %d user %s pw %q: err %v (code %q), want code %q", tc.method, tc.user, tc.pw, err, got, tc.code)
		}
	}
}
