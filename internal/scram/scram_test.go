package scram

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
)

// pgVerifier is what PostgreSQL 15.18 stored for password "secret"
// (CREATE ROLE r PASSWORD 'secret'; SELECT rolpassword FROM pg_authid).
const pgVerifier = "SCRAM-SHA-256$4096:qu2EaheY1hcB0THO8wPA3g==$e9QFgp2QthrD0ExB5N4WlQW1zHyXkugvUqvu07/GOdo=:9Ds4cdkNdnKg90+o1XQOb5TjOhSuuHSEaMrTTn5o2JU="

// TestPostgresVerifier: a verifier PostgreSQL made checks here, and ours
// with the same salt is byte-for-byte PostgreSQL's.
func TestPostgresVerifier(t *testing.T) {
	v, err := Parse(pgVerifier)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Check("secret") || v.Check("Secret") {
		t.Fatal("PostgreSQL's verifier does not check as PostgreSQL does")
	}
	w, err := Derive("secret", v.Salt, v.Iterations)
	if err != nil {
		t.Fatal(err)
	}
	if w.String() != pgVerifier {
		t.Fatalf("derived %q, PostgreSQL stored %q", w.String(), pgVerifier)
	}
}

func TestHashRoundTrip(t *testing.T) {
	h, err := Hash("correct horse", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Parse(h)
	if err != nil {
		t.Fatalf("Parse(%q): %v", h, err)
	}
	if v.String() != h || v.Iterations != IterationsDefault || len(v.Salt) != SaltBytes {
		t.Fatalf("round trip: %q -> %+v", h, v)
	}
	if !v.Check("correct horse") {
		t.Fatal("the right password was rejected")
	}
	if v.Check("correct horsE") || v.Check("") {
		t.Fatal("a wrong password was accepted")
	}
}

// TestDeriveDeterministic: the salt is the only randomness.
func TestDeriveDeterministic(t *testing.T) {
	v, _ := Derive("pencil", []byte("QSXCR+Q6sek8bf92"), 4096)
	w, _ := Derive("pencil", []byte("QSXCR+Q6sek8bf92"), 4096)
	if !bytes.Equal(v.StoredKey, w.StoredKey) || v.String() != w.String() {
		t.Fatal("derivation is not deterministic")
	}
	if !strings.HasPrefix(v.String(), "SCRAM-SHA-256$4096:UVNYQ1IrUTZzZWs4YmY5Mg==$") {
		t.Fatalf("stored form %q", v.String())
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	good, _ := Hash("x", bytes.NewReader(make([]byte, SaltBytes)))
	if !IsVerifier(good) {
		t.Fatalf("%q not recognised", good)
	}
	bad := []string{
		"", "secret", "md5abcdef", pgVerifier[:40], "SCRAM-SHA-256$", "SCRAM-SHA-256$4096$a:b",
		strings.Replace(good, "$4096:", "$0:", 1),
		strings.Replace(good, "$4096:", "$99999999999:", 1),
		strings.Replace(good, "$4096:", "$x:", 1),
		good[:len(good)-4],
		strings.Replace(good, "SCRAM-SHA-256", "SCRAM-SHA-1", 1),
	}
	for _, s := range bad {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted a malformed verifier", s)
		}
	}
	if _, err := Derive("x", nil, 4096); err == nil {
		t.Error("Derive accepted an empty salt")
	}
}
