package pgwire

import (
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Backend creates one Session per authenticated connection. The server
// calls it from the connection's goroutine; an implementation shared by
// connections must be safe for concurrent use.
type Backend interface {
	NewSession(info StartupInfo) (Session, error)
}

// StartupInfo is what the client said at startup, after authentication.
type StartupInfo struct {
	User            string
	Database        string
	ApplicationName string
	// Params are every startup parameter the client sent (user, database,
	// options, client_encoding, DateStyle, ...), for the session to apply.
	Params map[string]string
	// RemoteAddr is the client's address as text ("" when unknown).
	RemoteAddr string
	// Interrupt is set by pgwire when the running statement must stop
	// (cancel request, statement timeout); the session polls it.
	Interrupt *Interrupt
}

// Session is one connection's SQL session as pgwire sees it. pgwire calls
// every method from the connection's goroutine, one at a time; only the
// Interrupt it was given is touched from elsewhere.
//
// Statement failures are reported to the ResultWriter (w.Error), never as
// Go errors; a panic escaping a method is recovered by pgwire, turned into
// XX000 and closes the connection.
type Session interface {
	// Query runs the statements of a simple-protocol query string in order,
	// reporting each to w. After a statement fails it runs none of the rest
	// (PostgreSQL's semantics); an empty string reports w.EmptyQuery.
	Query(query string, w ResultWriter)
	// Prepare parses query as a single statement. paramOIDs are the types
	// the client specified (0 = infer). The result's ParamTypes has one
	// entry per placeholder, inferred where unspecified.
	Prepare(query string, paramOIDs []types.OID) (Prepared, *sqlerr.Error)
	// Execute runs a prepared statement with its bound parameter values
	// (already decoded to the parameter types), reporting to w. Execute
	// reports no Columns (the client learnt them from Describe) but does
	// report Rows, Complete or Error.
	Execute(p Prepared, params []types.Datum, w ResultWriter)
	// TxnStatus is the ReadyForQuery status: 'I' idle, 'T' in a
	// transaction block, 'E' in a failed transaction block.
	TxnStatus() byte
	// StatementTimeout is the session's statement_timeout (0 = none).
	StatementTimeout() time.Duration
	// Location is the session's TimeZone, used to print timestamptz.
	Location() *time.Location
	// Close ends the session (the connection is going away); an open
	// transaction is rolled back.
	Close()
}

// Prepared is a parsed statement handle owned by the Session.
type Prepared interface {
	// ParamTypes has one entry per placeholder $1..$n.
	ParamTypes() []types.T
	// Columns describes the rows the statement returns; nil if none.
	Columns() []Column
}

// Column describes one result column (a RowDescription field).
type Column struct {
	Name string
	Type types.T
	// TableOID and AttrNum identify the source table column, 0 if none.
	TableOID uint32
	AttrNum  uint16
}

// ResultWriter receives a statement's outcome. Each statement reports, in
// order: optionally Columns, then Rows, then exactly one of Complete, Error
// or EmptyQuery; Notice and ParameterStatus may come at any point. A
// non-nil error from a ResultWriter method means the connection is gone or
// the statement was cut off: the session must stop and return.
type ResultWriter interface {
	Columns(cols []Column) error
	Row(row types.Row) error
	Complete(tag string) error
	Error(e *sqlerr.Error)
	EmptyQuery() error
	Notice(n *sqlerr.Error) error
	// ParameterStatus reports a changed GUC_REPORT setting (after SET
	// application_name, TimeZone, ...).
	ParameterStatus(name, value string) error
	// CopyIn runs COPY ... FROM STDIN: pgwire sends CopyInResponse, reads
	// the client's CopyData, parses it per spec into rows of the spec's
	// column types, and hands them to insert in batches of at most
	// copyBatchRowsMax rows. It returns the number of rows inserted, or the
	// first error (from the data, from insert, or the client's CopyFail).
	// The session then reports Complete("COPY n") or Error.
	CopyIn(spec CopySpec, insert func(rows []types.Row) error) (int64, error)
	// CopyOut starts COPY ... TO STDOUT: pgwire sends CopyOutResponse, and
	// the statement's following Rows are encoded per spec as CopyData;
	// Complete sends CopyDone before CommandComplete.
	CopyOut(spec CopySpec) error
}

// CopyFormat is COPY's FORMAT option.
type CopyFormat uint8

// COPY formats.
const (
	CopyText CopyFormat = iota
	CopyCSV
	CopyBinary // PostgreSQL's binary COPY format: a header, length-prefixed fields, a trailer
)

// CopySpec is a parsed COPY statement's data description.
type CopySpec struct {
	Columns []Column
	Format  CopyFormat
	// Delimiter is one byte; defaults '\t' (text) or ',' (csv) when 0.
	Delimiter byte
	// Null is the NULL marker; defaults `\N` (text) or "" (csv) when nil.
	Null *string
	// Header: csv only, a header line is skipped (in) or written (out).
	Header bool
	// Quote and Escape: csv only; default '"' when 0.
	Quote  byte
	Escape byte
}
