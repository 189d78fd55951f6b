package pgwire

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: no channel
// binding, the user name taken from the startup message (the client sends
// an empty n=), and verifiers stored as
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// (base64), so a hash made by PostgreSQL works here and vice versa.

const (
	scramMechanism = "SCRAM-SHA-256"
	// scramIterationsDefault is PostgreSQL's scram_iterations default.
	scramIterationsDefault = 4096
	// scramIterationsMax bounds a stored verifier's cost, so a corrupt
	// catalog row cannot stall a login for minutes.
	scramIterationsMax = 10_000_000
	scramSaltBytes     = 16
	scramNonceBytes    = 18
	scramKeyBytes      = sha256.Size
	// scramMessageBytesMax bounds a client SCRAM message.
	scramMessageBytesMax = 1024
)

// scramVerifier is a parsed stored verifier.
type scramVerifier struct {
	iterations int
	salt       []byte
	storedKey  []byte
	serverKey  []byte
}

// HashPassword returns the PostgreSQL-format SCRAM-SHA-256 verifier of
// password with a fresh salt from rand (crypto/rand.Reader in production).
func HashPassword(password string, rand io.Reader) (string, error) {
	salt := make([]byte, scramSaltBytes)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("pgwire: reading salt: %w", err)
	}
	v, err := newScramVerifier(password, salt, scramIterationsDefault)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

func newScramVerifier(password string, salt []byte, iterations int) (*scramVerifier, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, scramKeyBytes)
	if err != nil {
		return nil, fmt.Errorf("pgwire: deriving SCRAM key: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return &scramVerifier{iterations: iterations, salt: salt, storedKey: stored[:],
		serverKey: hmacSHA256(salted, "Server Key")}, nil
}

func (v *scramVerifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", scramMechanism, v.iterations, b64(v.salt),
		b64(v.storedKey), b64(v.serverKey))
}

var errBadVerifier = errors.New("pgwire: malformed SCRAM-SHA-256 verifier")

// parseScramVerifier parses a stored verifier; it is catalog data, so a
// malformed one is an error, never a panic.
func parseScramVerifier(s string) (*scramVerifier, error) {
	mech, rest, ok := strings.Cut(s, "$")
	if !ok || mech != scramMechanism {
		return nil, errBadVerifier
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, errBadVerifier
	}
	iterText, saltText, ok1 := strings.Cut(iterSalt, ":")
	storedText, serverText, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return nil, errBadVerifier
	}
	iter, err := strconv.Atoi(iterText)
	if err != nil || iter < 1 || iter > scramIterationsMax {
		return nil, errBadVerifier
	}
	v := &scramVerifier{iterations: iter}
	dec := base64.StdEncoding.DecodeString
	var e1, e2, e3 error
	v.salt, e1 = dec(saltText)
	v.storedKey, e2 = dec(storedText)
	v.serverKey, e3 = dec(serverText)
	if e1 != nil || e2 != nil || e3 != nil || len(v.salt) == 0 ||
		len(v.storedKey) != scramKeyBytes || len(v.serverKey) != scramKeyBytes {
		return nil, errBadVerifier
	}
	return v, nil
}

// checkPassword verifies a cleartext password against the verifier.
func (v *scramVerifier) checkPassword(password string) bool {
	w, err := newScramVerifier(password, v.salt, v.iterations)
	if err != nil {
		return false
	}
	return hmac.Equal(w.storedKey, v.storedKey) && hmac.Equal(w.serverKey, v.serverKey)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// scramServer is one SCRAM exchange, server side.
type scramServer struct {
	v               *scramVerifier
	serverNonce     string
	gs2Header       string
	clientFirstBare string
	serverFirst     string
	nonce           string
}

var errScram = errors.New("pgwire: malformed SCRAM message")

// first consumes client-first-message and returns server-first-message.
func (s *scramServer) first(msg []byte) (string, error) {
	if len(msg) > scramMessageBytesMax {
		return "", errScram
	}
	m := string(msg)
	// gs2-header: cbind-flag "," [authzid] ","
	flag, rest, ok := strings.Cut(m, ",")
	if !ok || (flag != "n" && flag != "y") {
		return "", errScram // 'p=' asks for channel binding, which was not offered
	}
	authz, bare, ok := strings.Cut(rest, ",")
	if !ok || authz != "" {
		return "", errScram
	}
	s.gs2Header = flag + "," + authz + ","
	s.clientFirstBare = bare
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return "", errScram
	}
	clientNonce := attrs[1][2:]
	if clientNonce == "" || strings.ContainsAny(clientNonce, ", ") {
		return "", errScram
	}
	s.nonce = clientNonce + s.serverNonce
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce,
		base64.StdEncoding.EncodeToString(s.v.salt), s.v.iterations)
	return s.serverFirst, nil
}

// final consumes client-final-message; it returns server-final-message
// when the proof is right, errBadProof when it is wrong.
func (s *scramServer) final(msg []byte) (string, error) {
	if len(msg) > scramMessageBytesMax {
		return "", errScram
	}
	m := string(msg)
	i := strings.LastIndex(m, ",p=")
	if i < 0 {
		return "", errScram
	}
	withoutProof, proofText := m[:i], m[i+3:]
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 || attrs[0] != "c="+base64.StdEncoding.EncodeToString([]byte(s.gs2Header)) ||
		attrs[1] != "r="+s.nonce {
		return "", errScram
	}
	proof, err := base64.StdEncoding.DecodeString(proofText)
	if err != nil || len(proof) != scramKeyBytes {
		return "", errScram
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + withoutProof
	clientSig := hmacSHA256(s.v.storedKey, authMessage)
	clientKey := make([]byte, scramKeyBytes)
	subtle.XORBytes(clientKey, proof, clientSig)
	stored := sha256.Sum256(clientKey)
	if !hmac.Equal(stored[:], s.v.storedKey) {
		return "", errBadProof
	}
	serverSig := hmacSHA256(s.v.serverKey, authMessage)
	return "v=" + base64.StdEncoding.EncodeToString(serverSig), nil
}

var errBadProof = errors.New("pgwire: SCRAM proof does not match")
