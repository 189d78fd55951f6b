package pgwire

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/internal/scram"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// AuthMethod is how clients prove who they are (pg_hba.conf's methods).
type AuthMethod uint8

// Authentication methods.
const (
	// AuthTrust lets any existing user in without a password.
	AuthTrust AuthMethod = iota
	// AuthPassword asks for the password in cleartext (use with TLS).
	AuthPassword
	// AuthMD5 uses the md5 challenge when the stored password is an md5
	// hash, and SCRAM when it is a SCRAM verifier (as PostgreSQL does).
	AuthMD5
	// AuthSCRAM requires SCRAM-SHA-256.
	AuthSCRAM
)

// ParseAuthMethod reads a method name as pg_hba.conf spells it.
func ParseAuthMethod(s string) (AuthMethod, error) {
	switch strings.ToLower(s) {
	case "trust":
		return AuthTrust, nil
	case "password":
		return AuthPassword, nil
	case "md5":
		return AuthMD5, nil
	case "scram-sha-256", "scram":
		return AuthSCRAM, nil
	}
	return 0, errors.New("pgwire: unknown authentication method " + s)
}

// UserStore looks up users; the server backs it with the users stored in
// the database. It may be called concurrently.
type UserStore interface {
	// LookupUser returns the user's stored password: a SCRAM-SHA-256
	// verifier, "md5" + hex(md5(password + user)), or "" for none. ok is
	// false when the user does not exist.
	LookupUser(name string) (password string, ok bool, err error)
}

// AuthConfig configures authentication.
type AuthConfig struct {
	Method AuthMethod
	// Users may be nil only with AuthTrust, which then admits any user.
	Users UserStore
}

// MD5Password is PostgreSQL's stored md5 form: "md5" + hex(md5(password+user)).
func MD5Password(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

func (c *Conn) authFailed(user string) error {
	return fatalf(codeInvalidPassword, "password authentication failed for user \"%s\"", user)
}

// authenticate runs the configured method for user and sends
// AuthenticationOk on success.
func (c *Conn) authenticate(user string) error {
	stored, exists, err := c.lookupUser(user)
	if err != nil {
		return err
	}
	switch {
	case c.cfg.Auth.Method == AuthTrust:
		if !exists {
			return fatalf(codeInvalidAuthorization, "role \"%s\" does not exist", user)
		}
	case c.cfg.Auth.Method == AuthPassword:
		err = c.authCleartext(user, stored, exists)
	case c.cfg.Auth.Method == AuthMD5 && !strings.HasPrefix(stored, scramMechanism+"$"):
		err = c.authMD5(user, stored, exists)
	default:
		err = c.authSCRAM(user, stored, exists)
	}
	if err != nil {
		return err
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	return nil
}

func (c *Conn) lookupUser(user string) (string, bool, error) {
	if c.cfg.Auth.Users == nil {
		if c.cfg.Auth.Method != AuthTrust {
			return "", false, fatalf(sqlerr.InternalError, "no user store configured for password authentication")
		}
		return "", true, nil
	}
	stored, ok, err := c.cfg.Auth.Users.LookupUser(user)
	if err != nil {
		return "", false, &fatal{fatalSQLError(err)}
	}
	return stored, ok, nil
}

// receiveAuth sends an authentication request and reads the reply.
func (c *Conn) receiveAuth(req pgproto3.BackendMessage, authType uint32) (pgproto3.FrontendMessage, error) {
	c.be.Send(req)
	if err := c.be.Flush(); err != nil {
		return nil, errClose
	}
	if err := c.be.SetAuthType(authType); err != nil {
		return nil, err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return nil, receiveError(err)
	}
	return msg, nil
}

func (c *Conn) authCleartext(user, stored string, exists bool) error {
	msg, err := c.receiveAuth(&pgproto3.AuthenticationCleartextPassword{}, pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return fatalf(codeProtocolViolation, "expected password response, got %T", msg)
	}
	if !exists || pw.Password == "" || !checkCleartext(user, pw.Password, stored) {
		return c.authFailed(user)
	}
	return nil
}

// checkCleartext compares a cleartext password with either stored form.
func checkCleartext(user, password, stored string) bool {
	if strings.HasPrefix(stored, scramMechanism+"$") {
		v, err := parseScramVerifier(stored)
		return err == nil && v.Check(password)
	}
	if strings.HasPrefix(stored, "md5") && len(stored) == 35 {
		return subtle.ConstantTimeCompare([]byte(MD5Password(user, password)), []byte(stored)) == 1
	}
	return false
}

func (c *Conn) authMD5(user, stored string, exists bool) error {
	var salt [4]byte
	if _, err := io.ReadFull(c.cfg.Rand, salt[:]); err != nil {
		return &fatal{fatalSQLError(err)}
	}
	msg, err := c.receiveAuth(&pgproto3.AuthenticationMD5Password{Salt: salt}, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return err
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return fatalf(codeProtocolViolation, "expected password response, got %T", msg)
	}
	if !exists || !strings.HasPrefix(stored, "md5") || len(stored) != 35 {
		return c.authFailed(user)
	}
	sum := md5.Sum([]byte(stored[3:] + string(salt[:])))
	want := "md5" + hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(pw.Password)) != 1 {
		return c.authFailed(user)
	}
	return nil
}

// authSCRAM runs the SCRAM-SHA-256 exchange. For a user that does not
// exist (or has no SCRAM verifier) it runs the exchange against a made-up
// verifier and fails at the end, so the reply does not reveal which users
// exist.
func (c *Conn) authSCRAM(user, stored string, exists bool) error {
	v, err := parseScramVerifier(stored)
	if !exists || err != nil {
		v, err = c.mockVerifier()
		exists = false
		if err != nil {
			return &fatal{fatalSQLError(err)}
		}
	}
	nonce := make([]byte, scramNonceBytes)
	if _, err := io.ReadFull(c.cfg.Rand, nonce); err != nil {
		return &fatal{fatalSQLError(err)}
	}
	s := &scramServer{v: v, serverNonce: base64.StdEncoding.EncodeToString(nonce)}
	msg, err := c.receiveAuth(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}}, pgproto3.AuthTypeSASL)
	if err != nil {
		return err
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok || init.AuthMechanism != scramMechanism {
		return fatalf(codeProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	serverFirst, err := s.first(init.Data)
	if err != nil {
		return fatalf(codeProtocolViolation, "malformed SCRAM message")
	}
	msg, err = c.receiveAuth(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}, pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return fatalf(codeProtocolViolation, "expected SASL response, got %T", msg)
	}
	serverFinal, err := s.final(resp.Data)
	if errors.Is(err, errBadProof) || (err == nil && !exists) {
		return c.authFailed(user)
	}
	if err != nil {
		return fatalf(codeProtocolViolation, "malformed SCRAM message")
	}
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	return nil
}

// mockVerifier is a throwaway verifier with a random salt and keys.
func (c *Conn) mockVerifier() (*scramVerifier, error) {
	buf := make([]byte, scram.SaltBytes+2*scram.KeyBytes)
	if _, err := io.ReadFull(c.cfg.Rand, buf); err != nil {
		return nil, err
	}
	return &scramVerifier{Iterations: scram.IterationsDefault, Salt: buf[:scram.SaltBytes],
		StoredKey: buf[scram.SaltBytes : scram.SaltBytes+scram.KeyBytes],
		ServerKey: buf[scram.SaltBytes+scram.KeyBytes:]}, nil
}
