package pgwire

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lineradb/lineradb/internal/scram"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: no channel
// binding, the user name taken from the startup message (the client sends
// an empty n=), and verifiers stored as
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// (base64), so a hash made by PostgreSQL works here and vice versa.

// The verifier itself (derivation, stored form, parsing) lives in
// internal/scram, shared with package sql's CREATE ROLE ... PASSWORD.

const (
	scramMechanism  = scram.Mechanism
	scramNonceBytes = 18
	// scramMessageBytesMax bounds a client SCRAM message.
	scramMessageBytesMax = 1024
)

// scramVerifier is a parsed stored verifier.
type scramVerifier = scram.Verifier

// HashPassword returns the PostgreSQL-format SCRAM-SHA-256 verifier of
// password with a fresh salt from rand (crypto/rand.Reader in production).
func HashPassword(password string, rand io.Reader) (string, error) {
	return scram.Hash(password, rand)
}

func newScramVerifier(password string, salt []byte, iterations int) (*scramVerifier, error) {
	return scram.Derive(password, salt, iterations)
}

// parseScramVerifier parses a stored verifier; it is catalog data, so a
// malformed one is an error, never a panic.
func parseScramVerifier(s string) (*scramVerifier, error) { return scram.Parse(s) }

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
		base64.StdEncoding.EncodeToString(s.v.Salt), s.v.Iterations)
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
	if err != nil || len(proof) != scram.KeyBytes {
		return "", errScram
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + withoutProof
	clientSig := scram.HMAC(s.v.StoredKey, authMessage)
	clientKey := make([]byte, scram.KeyBytes)
	subtle.XORBytes(clientKey, proof, clientSig)
	stored := sha256.Sum256(clientKey)
	if !hmac.Equal(stored[:], s.v.StoredKey) {
		return "", errBadProof
	}
	serverSig := scram.HMAC(s.v.ServerKey, authMessage)
	return "v=" + base64.StdEncoding.EncodeToString(serverSig), nil
}

var errBadProof = errors.New("pgwire: SCRAM proof does not match")
