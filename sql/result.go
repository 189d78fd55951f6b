package sql

import (
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Error is the SQL layer's user-facing error (SQLSTATE, message, detail,
// hint, position).
type Error = sqlerr.Error

// Column describes a result column as RowDescription needs it.
type Column struct {
	Name     string
	TypeOID  uint32
	Typmod   int32
	TypeSize int16
	T        types.T
}

// Notice is a NOTICE or WARNING sent before a statement's result.
type Notice struct {
	Severity string
	Code     string
	Message  string
}

// Result is the outcome of one statement.
type Result struct {
	Tag     string
	Columns []Column
	Rows    []types.Row
	Notices []Notice
	Err     *Error
	// Copy is set for COPY ... TO STDOUT: the driver sends CopyOutResponse
	// per this spec, the Rows as CopyData, then CopyDone and Tag.
	Copy *CopySpec
	loc  *time.Location
}

// Text renders row i, column j in PostgreSQL's text format; ok is false
// for NULL.
func (r *Result) Text(i, j int) (string, bool) {
	d := r.Rows[i][j]
	if types.IsNull(d) {
		return "", false
	}
	return types.Format(r.Columns[j].T, d, r.loc), true
}

func errResult(err error) Result { return Result{Err: sqlerr.Wrap(err)} }
