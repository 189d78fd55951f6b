package pgwire

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// errStatementCut tells a session to stop: the statement already failed,
// or the connection is gone.
var errStatementCut = errors.New("pgwire: statement cut off")

// writer is the ResultWriter pgwire hands a session. In simple mode it
// sends a RowDescription per statement and text rows; in portal mode
// (Execute) the columns and formats come from the portal, and rows past
// the Execute's row limit are kept in the portal for the next Execute.
//
// Invariant: per statement, Columns? Row* then one terminal call
// (Complete, Error, EmptyQuery); a session breaking this panics, which
// Serve turns into XX000 and a closed connection.
type writer struct {
	c *Conn
	// portal is nil in simple mode.
	portal *portal
	// cols and formats describe the current statement's rows.
	cols    []Column
	formats []int16
	// inStatement: Columns or a Row was reported and no terminal call yet.
	inStatement bool
	// reported counts terminal calls; failed is set by Error.
	reported int
	failed   bool
	// copyOut is non-nil between CopyOut and Complete.
	copyOut *copyEncoder
	// rows counts the current statement's rows sent.
	rows int64
}

func newSimpleWriter(c *Conn) *writer { return &writer{c: c} }

func newPortalWriter(c *Conn, p *portal) *writer {
	return &writer{c: c, portal: p, cols: p.cols, formats: p.formats}
}

// check returns errStatementCut when the statement may not go on.
func (w *writer) check() error {
	if w.failed || w.c.connErr != nil {
		return errStatementCut
	}
	if w.portal != nil && w.reported > 0 {
		panic("pgwire: session reported more than one statement to Execute")
	}
	return nil
}

func (w *writer) Columns(cols []Column) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.inStatement {
		panic("pgwire: session sent Columns twice for one statement")
	}
	w.inStatement = true
	if w.portal != nil {
		return nil // described already, by Describe
	}
	w.cols = cols
	w.formats = make([]int16, len(cols))
	w.c.be.Send(rowDescription(cols, w.formats))
	return nil
}

func (w *writer) Row(row types.Row) error {
	if err := w.check(); err != nil {
		return err
	}
	if len(row) != len(w.cols) {
		panic(fmt.Sprintf("pgwire: session sent a row of %d values for %d columns", len(row), len(w.cols)))
	}
	w.inStatement = true
	if w.copyOut != nil {
		return w.c.sendCopyData(w.copyOut.encode(row))
	}
	if w.portal != nil && w.portal.full() {
		if err := w.portal.buffer(row); err != nil {
			w.Error(err)
			return errStatementCut
		}
		return nil
	}
	w.rows++
	if w.portal != nil {
		w.portal.sent++
	}
	return w.c.sendRow(w.cols, w.formats, row)
}

func (w *writer) Complete(tag string) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.copyOut != nil {
		if w.copyOut.spec.Format == CopyBinary {
			if err := w.c.sendCopyData(binaryCopyTrailer()); err != nil {
				return err
			}
		}
		w.c.be.Send(&pgproto3.CopyDone{})
		w.copyOut = nil
	}
	w.endStatement()
	if w.portal != nil && w.portal.suspendAfter(tag) {
		w.c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	w.c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

func (w *writer) Error(e *sqlerr.Error) {
	if w.check() != nil {
		return
	}
	if e == nil {
		panic("pgwire: session reported a nil error")
	}
	w.endStatement()
	w.failed = true
	w.c.sendError(e)
}

func (w *writer) EmptyQuery() error {
	if err := w.check(); err != nil {
		return err
	}
	if w.inStatement {
		panic("pgwire: EmptyQuery inside a statement")
	}
	w.endStatement()
	w.c.be.Send(&pgproto3.EmptyQueryResponse{})
	return nil
}

func (w *writer) endStatement() {
	w.inStatement = false
	w.copyOut = nil
	w.reported++
	w.rows = 0
	if w.portal == nil {
		w.cols, w.formats = nil, nil
	}
}

func (w *writer) Notice(n *sqlerr.Error) error {
	if w.c.connErr != nil {
		return errStatementCut
	}
	w.c.be.Send(noticeResponse(n))
	return nil
}

func (w *writer) ParameterStatus(name, value string) error {
	if w.c.connErr != nil {
		return errStatementCut
	}
	if name == "application_name" {
		w.c.info.ApplicationName = value
	}
	w.c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: value})
	return nil
}

// CopyOut starts COPY TO STDOUT; later Rows go out as CopyData.
func (w *writer) CopyOut(spec CopySpec) error {
	if err := w.check(); err != nil {
		return err
	}
	enc, err := newCopyEncoder(spec, w.c.sess.Location())
	if err != nil {
		return err
	}
	if e := checkBinaryColumns(spec); e != nil {
		w.Error(e)
		return errStatementCut
	}
	w.inStatement = true
	w.cols = spec.Columns
	w.copyOut = enc
	overall, formats := copyFormats(spec)
	w.c.be.Send(&pgproto3.CopyOutResponse{OverallFormat: overall, ColumnFormatCodes: formats})
	if spec.Format == CopyBinary {
		return w.c.sendCopyData(binaryCopyHeader())
	}
	if spec.Header {
		return w.c.sendCopyData(enc.header())
	}
	return nil
}

// CopyIn runs COPY FROM STDIN's data phase (copy.go).
func (w *writer) CopyIn(spec CopySpec, insert func(rows []types.Row) error) (int64, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	w.inStatement = true
	return w.c.copyIn(spec, insert)
}

// rowDescription builds the message for cols with the given formats.
func rowDescription(cols []Column, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		fields[i] = pgproto3.FieldDescription{
			Name: []byte(col.Name), TableOID: col.TableOID, TableAttributeNumber: col.AttrNum,
			DataTypeOID: uint32(col.Type.OID), DataTypeSize: col.Type.Size(),
			TypeModifier: col.Type.Typmod, Format: formats[i],
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// sendRow encodes and sends one DataRow, flushing now and then so a long
// result does not pile up in the send buffer.
func (c *Conn) sendRow(cols []Column, formats []int16, row types.Row) error {
	vals := make([][]byte, len(row))
	loc := c.sess.Location()
	for i, d := range row {
		vals[i] = encodeValue(cols[i].Type, d, formats[i], loc)
	}
	c.be.Send(&pgproto3.DataRow{Values: vals})
	return c.countRow()
}

func (c *Conn) sendCopyData(b []byte) error {
	c.be.Send(&pgproto3.CopyData{Data: b})
	return c.countRow()
}

func (c *Conn) countRow() error {
	c.rowsUnflushed++
	if c.rowsUnflushed < flushRowsMax {
		return nil
	}
	if err := c.flush(); err != nil {
		c.connErr = err
		return errStatementCut
	}
	return nil
}

// selectTag reports whether a command tag counts rows fetched ("SELECT n"),
// which a resumed portal reports per Execute, as PostgreSQL does.
func selectTag(tag string) bool {
	return tag == "SELECT" || strings.HasPrefix(tag, "SELECT ")
}
