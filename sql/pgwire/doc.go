// Package pgwire owns LineraDB's PostgreSQL wire protocol (version 3.0):
// the per-connection protocol state machine (Conn), authentication
// (trust, cleartext, md5, SCRAM-SHA-256), text and binary value formats,
// the COPY data phase, and the socket server (Server) that runs a Conn per
// connection. It speaks to the SQL layer only through the Backend and
// Session interfaces (backend.go); sqlbackend.go adapts package sql.
//
// StoredUsers (users.go) is the UserStore of a server whose users are
// the roles package sql stores (CREATE USER ... PASSWORD), behind the
// configured bootstrap superuser; roles without LOGIN cannot log in.
//
// Message encoding is github.com/jackc/pgx/v5/pgproto3, with a maximum
// message body (ConnConfig.MessageBytesMax) and buffered sends flushed at
// ReadyForQuery, Flush, COPY turns and every flushRowsMax rows.
//
// # Protocol states
//
// A Conn moves through these states; each arrow is one client message.
//
//  1. Negotiating: startup packets read with exact reads (nothing past a
//     packet is buffered, so plaintext cannot ride into a TLS session).
//     SSLRequest → 'S' and TLS if a certificate is configured, else 'N';
//     GSSENCRequest → 'N'; CancelRequest → the server interrupts the named
//     connection's statement, this connection closes; StartupMessage (3.x;
//     a minor version above 0 or _pq_ options get NegotiateProtocolVersion)
//     → Admitting.
//  2. Admitting: ConnHooks.Admit enforces max_connections (53300).
//  3. Authenticating: the method's exchange; failure is FATAL 28P01 and
//     the connection closes. Success → AuthenticationOk.
//  4. Ready: Backend.NewSession, ParameterStatus ×13 (server_version
//     first), BackendKeyData, ReadyForQuery(I).
//  5. Idle/serving: Query runs every statement of its string (the rest is
//     skipped after an error), then ReadyForQuery with the session's
//     status byte I/T/E. Parse/Bind/Describe/Execute/Close/Flush work on
//     named and unnamed statements and portals; Sync ends the cycle with
//     ReadyForQuery. An error in an extended-protocol message sends
//     ErrorResponse and discards every message up to the next Sync.
//  6. Copy-in (inside a statement): CopyData*, then CopyDone or CopyFail;
//     Flush and Sync are ignored meanwhile. Copy messages arriving outside
//     COPY are ignored, as PostgreSQL does. Text and csv data are split
//     into lines (copy.go); FORMAT binary (pgx's CopyFrom) is PostgreSQL's
//     binary stream — signature, flags, tuples of length-prefixed fields
//     in the binary codecs' forms, trailer (copybinary.go) — and COPY TO
//     STDOUT (FORMAT binary) writes the same.
//  7. Closed: Terminate, EOF, a FATAL error, or a recovered panic.
//
// # Invariants
//
//   - Bad input never panics: a malformed or oversized message, an unknown
//     message type or a message out of place is a FATAL 08P01 and a closed
//     connection; bad values (invalid UTF-8 22021, bad binary 22P03,
//     parameter/format count mismatches 08P01, format codes 22023) are
//     ordinary errors. Other connections are unaffected.
//   - A panic in the session (or in pgwire) is recovered in Conn.Serve,
//     logged, reported as FATAL XX000, and closes only that connection.
//   - Per statement a session reports Columns? Row* then exactly one of
//     Complete, Error, EmptyQuery (writer.go checks it).
//   - Every queue or table a client can grow has a named bound:
//     prepared statements, portals, rows buffered by a suspended portal,
//     one COPY record, startup packets and parameters.
//   - Interrupt is the only state shared with other goroutines; it is
//     cleared before each statement, so a late cancel never hits the next.
//
// # Determinism
//
// Everything except server.go is free of sockets, goroutines and clocks:
// Conn runs over any io.ReadWriter, takes randomness from ConnConfig.Rand
// and learns about timeouts only through ConnHooks, so the simulator can
// drive it over a simulated connection. server.go (the socket loop,
// statement timers, draining) is exempt from the determinism lint.
//
// # Deviations from PostgreSQL
//
//   - Portals are materialised by the session; rows past Execute's limit
//     wait in the portal. Statements run in autocommit outside an explicit
//     transaction block even between Parse and Sync (PostgreSQL groups them
//     into one implicit transaction).
//   - Only UTF8 (and SQL_ASCII, passed through) client encodings.
package pgwire
