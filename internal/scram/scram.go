package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const (
	// Mechanism is the SASL mechanism name and the verifier's prefix.
	Mechanism = "SCRAM-SHA-256"
	// IterationsDefault is PostgreSQL's scram_iterations default.
	IterationsDefault = 4096
	// IterationsMax bounds a stored verifier's cost.
	IterationsMax = 10_000_000
	// SaltBytes is the salt length Hash draws.
	SaltBytes = 16
	// KeyBytes is the length of StoredKey and ServerKey.
	KeyBytes = sha256.Size
)

// Verifier is a parsed stored verifier.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
}

// ErrMalformed reports a stored verifier that does not parse.
var ErrMalformed = errors.New("scram: malformed SCRAM-SHA-256 verifier")

// Hash returns the stored form of password's verifier with a fresh salt
// read from rand (crypto/rand.Reader in production).
func Hash(password string, rand io.Reader) (string, error) {
	salt := make([]byte, SaltBytes)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("scram: reading salt: %w", err)
	}
	v, err := Derive(password, salt, IterationsDefault)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// Derive computes the verifier of password with salt and iterations.
func Derive(password string, salt []byte, iterations int) (*Verifier, error) {
	if iterations < 1 || iterations > IterationsMax || len(salt) == 0 {
		return nil, fmt.Errorf("scram: bad parameters (iterations %d, salt %d bytes)", iterations, len(salt))
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, KeyBytes)
	if err != nil {
		return nil, fmt.Errorf("scram: deriving key: %w", err)
	}
	clientKey := HMAC(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return &Verifier{Iterations: iterations, Salt: salt, StoredKey: stored[:],
		ServerKey: HMAC(salted, "Server Key")}, nil
}

// String is the stored form.
func (v *Verifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", Mechanism, v.Iterations, b64(v.Salt),
		b64(v.StoredKey), b64(v.ServerKey))
}

// IsVerifier reports whether s parses as a stored verifier (CREATE ROLE
// ... PASSWORD 'SCRAM-SHA-256$...' stores such a string as it is).
func IsVerifier(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Parse reads a stored verifier.
func Parse(s string) (*Verifier, error) {
	mech, rest, ok := strings.Cut(s, "$")
	if !ok || mech != Mechanism {
		return nil, ErrMalformed
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, ErrMalformed
	}
	iterText, saltText, ok1 := strings.Cut(iterSalt, ":")
	storedText, serverText, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return nil, ErrMalformed
	}
	iter, err := strconv.Atoi(iterText)
	if err != nil || iter < 1 || iter > IterationsMax {
		return nil, ErrMalformed
	}
	v := &Verifier{Iterations: iter}
	dec := base64.StdEncoding.DecodeString
	var e1, e2, e3 error
	v.Salt, e1 = dec(saltText)
	v.StoredKey, e2 = dec(storedText)
	v.ServerKey, e3 = dec(serverText)
	if e1 != nil || e2 != nil || e3 != nil || len(v.Salt) == 0 ||
		len(v.StoredKey) != KeyBytes || len(v.ServerKey) != KeyBytes {
		return nil, ErrMalformed
	}
	return v, nil
}

// Check verifies a cleartext password against the verifier.
func (v *Verifier) Check(password string) bool {
	w, err := Derive(password, v.Salt, v.Iterations)
	if err != nil {
		return false
	}
	return hmac.Equal(w.StoredKey, v.StoredKey) && hmac.Equal(w.ServerKey, v.ServerKey)
}

// HMAC is HMAC-SHA-256(key, msg).
func HMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
