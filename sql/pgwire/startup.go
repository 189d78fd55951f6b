package pgwire

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// Startup packet codes (the first 4 bytes after the length).
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
	protocolMajor     = 3
	protocolMinor     = 0
)

const (
	// startupPacketBytesMax is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
	startupPacketBytesMax = 10_000
	// startupPacketsMax bounds the packets before the startup message
	// (SSLRequest, GSSENCRequest): a client cannot loop forever.
	startupPacketsMax = 4
	// startupParamsMax bounds the key/value pairs of a startup message.
	startupParamsMax = 64
)

// readStartupPacket reads one length-prefixed startup packet with exact
// reads, so nothing beyond it is buffered: after an SSLRequest the next
// bytes belong to the TLS handshake, and plaintext sent ahead of it must
// not be mistaken for part of the encrypted session.
func readStartupPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, errClose
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:]))) - 4
	if n < 4 || n > startupPacketBytesMax {
		return nil, fatalf(codeProtocolViolation, "invalid length of startup packet")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, errClose
	}
	return body, nil
}

// startup runs the connection from its first byte to ReadyForQuery:
// encryption negotiation, the startup message, admission, authentication,
// the session, and the ParameterStatus set.
func (c *Conn) startup() error {
	params, minor, err := c.negotiate()
	if err != nil {
		return err
	}
	c.be = pgproto3.NewBackend(c.rw, c.rw)
	c.be.SetMaxBodyLen(c.cfg.MessageBytesMax)
	info, err := c.startupInfo(params)
	if err != nil {
		return err
	}
	if minor > protocolMinor || len(unrecognizedOptions(params)) > 0 {
		c.be.Send(&pgproto3.NegotiateProtocolVersion{
			NewestMinorProtocol: protocolMinor, UnrecognizedOptions: unrecognizedOptions(params)})
	}
	if c.cfg.Hooks != nil {
		if e := c.cfg.Hooks.Admit(info); e != nil {
			return &fatal{e}
		}
	}
	if err := c.authenticate(info.User); err != nil {
		return err
	}
	return c.openSession(info)
}

// negotiate reads startup packets until the startup message, answering
// SSLRequest and GSSENCRequest, and serving a CancelRequest.
func (c *Conn) negotiate() (params map[string]string, minor uint32, err error) {
	tlsDone := false
	for range startupPacketsMax {
		body, err := readStartupPacket(c.rw)
		if err != nil {
			return nil, 0, err
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case sslRequestCode:
			if err := c.answerSSL(tlsDone); err != nil {
				return nil, 0, err
			}
			tlsDone = c.cfg.StartTLS != nil
		case gssEncRequestCode:
			if _, err := c.rw.Write([]byte{'N'}); err != nil {
				return nil, 0, errClose
			}
		case cancelRequestCode:
			c.serveCancel(body)
			return nil, 0, errClose
		default:
			return parseStartupMessage(body)
		}
	}
	return nil, 0, fatalf(codeProtocolViolation, "too many startup packets")
}

// answerSSL answers an SSLRequest: 'S' and the TLS handshake when a
// certificate is configured, 'N' otherwise. A second SSLRequest inside TLS
// is a protocol violation.
func (c *Conn) answerSSL(tlsDone bool) error {
	if tlsDone {
		return fatalf(codeProtocolViolation, "SSLRequest received on an encrypted connection")
	}
	if c.cfg.StartTLS == nil {
		if _, err := c.rw.Write([]byte{'N'}); err != nil {
			return errClose
		}
		return nil
	}
	if _, err := c.rw.Write([]byte{'S'}); err != nil {
		return errClose
	}
	rw, err := c.cfg.StartTLS()
	if err != nil {
		return errClose
	}
	c.rw = rw
	return nil
}

func (c *Conn) serveCancel(body []byte) {
	var m pgproto3.CancelRequest
	if err := m.Decode(body); err != nil || c.cfg.Hooks == nil {
		return
	}
	c.cfg.Hooks.Cancel(m.ProcessID, m.SecretKey)
}

// parseStartupMessage decodes a StartupMessage body: the protocol version,
// then NUL-terminated key/value pairs, then a final NUL.
func parseStartupMessage(body []byte) (map[string]string, uint32, error) {
	version := binary.BigEndian.Uint32(body)
	major, minor := version>>16, version&0xffff
	if major != protocolMajor {
		return nil, 0, fatalf(sqlerr.FeatureNotSupported,
			"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor)
	}
	rest := body[4:]
	params := map[string]string{}
	for len(rest) > 1 {
		if len(params) >= startupParamsMax {
			return nil, 0, fatalf(codeProtocolViolation, "too many startup parameters")
		}
		k, tail, ok := bytes.Cut(rest, []byte{0})
		if !ok {
			break
		}
		v, tail2, ok := bytes.Cut(tail, []byte{0})
		if !ok {
			return nil, 0, fatalf(codeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		if !utf8.Valid(k) || !utf8.Valid(v) {
			return nil, 0, fatalf(sqlerr.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\" in startup packet")
		}
		params[string(k)] = string(v)
		rest = tail2
	}
	if len(rest) != 1 || rest[0] != 0 {
		return nil, 0, fatalf(codeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
	}
	return params, minor, nil
}

// unrecognizedOptions lists the _pq_.* protocol options the client asked
// for; LineraDB supports none, and says so in NegotiateProtocolVersion.
func unrecognizedOptions(params map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if strings.HasPrefix(k, "_pq_.") {
			out = append(out, k)
		}
	}
	return out
}

// startupInfo validates the startup parameters.
func (c *Conn) startupInfo(params map[string]string) (StartupInfo, error) {
	user := params["user"]
	if user == "" {
		return StartupInfo{}, fatalf(codeInvalidAuthorization, "no PostgreSQL user name specified in startup packet")
	}
	db := params["database"]
	if db == "" {
		db = user
	}
	if enc, ok := params["client_encoding"]; ok && !clientEncodingOK(enc) {
		return StartupInfo{}, fatalf(sqlerr.InvalidParameterValue,
			"invalid value for parameter \"client_encoding\": \"%s\"", enc)
	}
	c.info = StartupInfo{
		User: user, Database: db, ApplicationName: params["application_name"],
		Params: params, RemoteAddr: c.cfg.RemoteAddr, Interrupt: &c.intr,
	}
	return c.info, nil
}

// clientEncodingOK accepts UTF8 and its spellings, and SQL_ASCII (what
// libpq's "auto" picks in a C locale); LineraDB converts no encodings.
func clientEncodingOK(enc string) bool {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(enc), "-", "")) {
	case "UTF8", "UNICODE", "SQL_ASCII", "SQLASCII":
		return true
	}
	return false
}

// openSession creates the session and sends the ParameterStatus set,
// BackendKeyData and the first ReadyForQuery.
func (c *Conn) openSession(info StartupInfo) error {
	s, err := c.cfg.Backend.NewSession(info)
	if err != nil {
		return &fatal{fatalSQLError(err)}
	}
	c.sess = s
	if c.cfg.Hooks != nil {
		c.cfg.Hooks.Authenticated(info)
	}
	for _, p := range c.parameterStatuses(info) {
		c.be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
	}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.cfg.ProcessID, SecretKey: c.cfg.SecretKey[:]})
	return c.readyForQuery()
}

func fatalSQLError(err error) *sqlerr.Error {
	e := *sqlerr.Wrap(err)
	e.Severity = "FATAL"
	return &e
}

// parameterStatuses is the set PostgreSQL 15 reports at startup, with
// server_version first (pgx and psql read it to pick features).
func (c *Conn) parameterStatuses(info StartupInfo) [][2]string {
	tz := c.cfg.TimeZone
	if loc := c.sess.Location(); loc != nil {
		tz = loc.String()
	}
	clientEnc := "UTF8"
	if enc := info.Params["client_encoding"]; strings.Contains(strings.ToUpper(enc), "ASCII") {
		clientEnc = "SQL_ASCII"
	}
	return [][2]string{
		{"server_version", c.cfg.ServerVersion},
		{"server_encoding", "UTF8"},
		{"client_encoding", clientEnc},
		{"DateStyle", "ISO, MDY"},
		{"IntervalStyle", "postgres"},
		{"TimeZone", tz},
		{"integer_datetimes", "on"},
		{"standard_conforming_strings", "on"},
		{"application_name", info.ApplicationName},
		{"is_superuser", "on"},
		{"session_authorization", info.User},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
	}
}
