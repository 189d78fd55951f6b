package sql

import (
	"fmt"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// CopyFormat is COPY's FORMAT option.
type CopyFormat uint8

// COPY formats.
const (
	CopyText CopyFormat = iota
	CopyCSV
	CopyBinary // PostgreSQL's binary COPY format (pgx's CopyFrom)
)

// CopySpec describes COPY's data: its columns (names and types, in
// order) and format options. Zero values mean the format's default:
// Delimiter '\t' (text) or ',' (csv), Null `\N` (text) or "" (csv),
// Quote and Escape '"'.
type CopySpec struct {
	Columns   []Column
	Format    CopyFormat
	Delimiter byte
	Null      *string
	Header    bool
	Quote     byte
	Escape    byte
}

// CopyIn is the session's side of COPY ... FROM STDIN, handed to the
// driver with ActionCopyIn. The driver reads the client's data, parses it
// per Spec into rows (one value per Spec.Columns entry, of its type;
// types.Null for NULL), calls Insert with batches of them, and finally
// ResumeCopyIn with the number of rows inserted and the first error (from
// the data, from Insert, or the client's CopyFail).
type CopyIn struct {
	Spec CopySpec
	// Insert inserts rows in the statement's transaction, filling the
	// other columns from their defaults and enforcing NOT NULL, CHECK,
	// UNIQUE and PRIMARY KEY. It returns an *Error; after an error the
	// driver must stop feeding rows.
	Insert func(rows []types.Row) error

	plan  *exec.CopyFrom
	count int64
}

// startCopyIn plans a COPY FROM in the open transaction and hands the
// data phase to the driver.
func (s *Session) startCopyIn(q queued) (Step, bool) {
	c := q.stmt.(*ast.Copy)
	plan, err := exec.PrepareCopyFrom(c, &exec.Env{Txn: s.kvTxn(), Loc: s.loc})
	if err != nil {
		return s.endStatement(errResult(err)), true
	}
	ci := &CopyIn{Spec: copySpec(c.Options, columns(plan.Columns)), plan: plan}
	ci.Insert = func(rows []types.Row) error {
		n, err := plan.Insert(s.ctx(nil), rows)
		ci.count += int64(n)
		if err != nil {
			return sqlerr.Wrap(err)
		}
		return nil
	}
	s.copyIn = ci
	s.pending = afterCopyIn
	return Step{Action: ActionCopyIn, CopyIn: ci}, true
}

// ResumeCopyIn ends COPY FROM's data phase: n rows were inserted, and err
// is the first error (nil if every row went in). The statement then
// completes as any other: committed in autocommit, or left in the block.
func (s *Session) ResumeCopyIn(n int64, err error) Step {
	if s.pending != afterCopyIn {
		panic("sql: ResumeCopyIn without a pending COPY")
	}
	s.pending = afterNone
	ci := s.copyIn
	s.copyIn = nil
	if err == nil && n != ci.count {
		err = sqlerr.New(sqlerr.InternalError, "COPY driver reported %d rows, the session inserted %d", n, ci.count)
	}
	r := Result{Tag: fmt.Sprintf("COPY %d", n)}
	if err != nil {
		r = errResult(err)
	}
	return s.endStatement(r)
}

// endStatement completes a statement that ran on the open transaction:
// commit or abort in autocommit, record the result in a block.
func (s *Session) endStatement(r Result) Step {
	if s.state == stateIdle {
		return s.endAutocommit(r)
	}
	if r.Err != nil {
		s.fail(r.Err)
		return s.finish()
	}
	s.add(r)
	return s.next()
}

// copyOut runs COPY ... TO STDOUT: its rows, with the spec the driver
// encodes them by.
func (s *Session) copyOut(c *ast.Copy) Result {
	plan, err := exec.PrepareCopyTo(c, &exec.Env{Txn: s.kvTxn(), Loc: s.loc})
	if err != nil {
		return errResult(err)
	}
	r := s.executePrepared(plan, nil)
	if r.Err == nil {
		spec := copySpec(c.Options, r.Columns)
		r.Copy = &spec
	}
	return r
}

func copySpec(o ast.CopyOptions, cols []Column) CopySpec {
	spec := CopySpec{Columns: cols, Header: o.Header, Null: o.Null}
	switch {
	case o.CSV:
		spec.Format = CopyCSV
	case o.Binary:
		spec.Format = CopyBinary
	}
	if o.Delimiter != "" {
		spec.Delimiter = o.Delimiter[0]
	}
	if o.Quote != "" {
		spec.Quote = o.Quote[0]
	}
	if o.Escape != "" {
		spec.Escape = o.Escape[0]
	}
	return spec
}
