package sqlerr

import (
	"errors"
	"fmt"

	"github.com/lineradb/lineradb/node/kv"
)

// SQLSTATE codes reported by the SQL layer (PostgreSQL Appendix A).
const (
	SuccessfulCompletion          = "00000"
	Warning                       = "01000"
	FeatureNotSupported           = "0A000"
	InvalidTransactionInitiation  = "0B000"
	CardinalityViolation          = "21000"
	DataException                 = "22000"
	StringDataRightTruncation     = "22001"
	NumericValueOutOfRange        = "22003"
	NullValueNotAllowed           = "22004"
	InvalidDatetimeFormat         = "22007"
	DatetimeFieldOverflow         = "22008"
	InvalidParameterValue         = "22023"
	SubstringError                = "22011"
	DivisionByZero                = "22012"
	InvalidTextRepresentation     = "22P02"
	InvalidEscapeSequence         = "22025"
	InvalidRowCountInLimit        = "2201W"
	InvalidRowCountInOffset       = "2201X"
	CharacterNotInRepertoire      = "22021"
	NotNullViolation              = "23502"
	UniqueViolation               = "23505"
	CheckViolation                = "23514"
	ActiveSQLTransaction          = "25001"
	NoActiveSQLTransaction        = "25P01"
	InFailedSQLTransaction        = "25P02"
	ReadOnlySQLTransaction        = "25006"
	InvalidSQLStatementName       = "26000"
	InvalidCursorName             = "34000"
	InvalidSavepointSpecification = "3B001"
	SerializationFailure          = "40001"
	StatementCompletionUnknown    = "40003"
	SyntaxError                   = "42601"
	InsufficientPrivilege         = "42501"
	GroupingError                 = "42803"
	UndefinedColumn               = "42703"
	UndefinedFunction             = "42883"
	UndefinedTable                = "42P01"
	UndefinedObject               = "42704"
	UndefinedParameter            = "42P02"
	DuplicateTable                = "42P07"
	DuplicateColumn               = "42701"
	DuplicateObject               = "42710"
	DuplicateAlias                = "42712"
	AmbiguousColumn               = "42702"
	DatatypeMismatch              = "42804"
	CannotCoerce                  = "42846"
	InvalidColumnReference        = "42P10"
	InvalidTableDefinition        = "42P16"
	InvalidParameterType          = "42P18"
	WrongObjectType               = "42809"
	InvalidName                   = "42602"
	InvalidColumnDefinition       = "42611"
	IndeterminateDatatype         = "42P18"
	BadCopyFileFormat             = "22P04"
	ProtocolViolation             = "08P01"
	OutOfMemory                   = "53200"
	ProgramLimitExceeded          = "54000"
	StatementTooComplex           = "54001"
	TooManyColumns                = "54011"
	CannotConnectNow              = "57P03"
	QueryCanceled                 = "57014"
	SnapshotTooOld                = "72000"
	InternalError                 = "XX000"
)

// Error is a user-facing SQL error, shaped like PostgreSQL's ErrorResponse.
type Error struct {
	Severity string // "ERROR" unless set
	Code     string // SQLSTATE
	Message  string
	Detail   string
	Hint     string
	// Position is the 1-based character offset into the query text the
	// error refers to; 0 when unknown.
	Position int
	cause    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the cause, so errors.Is(err, kv.ErrSerialization) works.
func (e *Error) Unwrap() error { return e.cause }

// New builds an error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns e with Detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// WithHint returns e with Hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// At returns e with Position set (if it had none); pos is 0-based, as
// the parser's locations are, or negative when unknown.
func (e *Error) At(pos int) *Error {
	if e.Position == 0 && pos >= 0 {
		e.Position = pos + 1
	}
	return e
}

// Unsupported reports a construct LineraDB does not implement (0A000).
func Unsupported(construct string) *Error {
	return New(FeatureNotSupported, "%s is not supported", construct)
}

// kvCodes maps the kv layer's errors to SQLSTATEs.
var kvCodes = []struct {
	err  error
	code string
	msg  string
}{
	{kv.ErrSerialization, SerializationFailure, "could not serialize access due to concurrent update"},
	{kv.ErrAmbiguous, StatementCompletionUnknown, "transaction outcome unknown: the commit may or may not have taken effect"},
	{kv.ErrTooOld, SnapshotTooOld, "snapshot too old"},
	{kv.ErrReadOnly, ReadOnlySQLTransaction, "cannot execute statement in a read-only transaction"},
	{kv.ErrUnavailable, CannotConnectNow, "the cluster is unavailable; retry"},
	{kv.ErrTooLarge, ProgramLimitExceeded, "transaction too large: too many writes in one transaction, or too many bytes; split it"},
	{kv.ErrTxnDone, InternalError, "transaction already finished"},
}

// Wrap converts any error into an *Error: an *Error passes through, the kv
// errors get their SQLSTATE, anything else is an internal error.
func Wrap(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e == nil {
			// A typed nil *Error in an error interface is a bug in the
			// caller; surface it rather than reporting success.
			return &Error{Severity: "ERROR", Code: InternalError, Message: "internal error: nil *sqlerr.Error reported as an error", cause: err}
		}
		return e
	}
	for _, m := range kvCodes {
		if errors.Is(err, m.err) {
			return &Error{Severity: "ERROR", Code: m.code, Message: m.msg, cause: err}
		}
	}
	return &Error{Severity: "ERROR", Code: InternalError, Message: err.Error(), cause: err}
}
