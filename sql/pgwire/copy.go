package pgwire

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// COPY's data phase. The SQL layer parses the COPY statement and says what
// the data looks like (CopySpec); pgwire moves the bytes and converts text
// and csv lines to and from rows.

const (
	// copyBatchRowsMax bounds the rows handed to the session's insert
	// callback at once.
	copyBatchRowsMax = 1000
	// copyRecordBytesMax bounds one COPY line (a csv record may span
	// lines inside quotes); a client streaming an endless record gets 54000.
	copyRecordBytesMax = 64 << 20
	// codeBadCopyFileFormat is bad_copy_file_format.
	codeBadCopyFileFormat = "22P04"
)

// normalized fills in a spec's defaults and checks its options.
func (s CopySpec) normalized() (CopySpec, *sqlerr.Error) {
	if s.Delimiter == 0 {
		s.Delimiter = '\t'
		if s.Format == CopyCSV {
			s.Delimiter = ','
		}
	}
	if s.Null == nil {
		null := `\N`
		if s.Format == CopyCSV {
			null = ""
		}
		s.Null = &null
	}
	if s.Quote == 0 {
		s.Quote = '"'
	}
	if s.Escape == 0 {
		s.Escape = s.Quote
	}
	switch {
	case s.Delimiter == '\n' || s.Delimiter == '\r':
		return s, sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	case s.Format == CopyText && s.Delimiter == '\\':
		return s, sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter cannot be \"\\\"")
	case s.Format == CopyCSV && s.Delimiter == s.Quote:
		return s, sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter and quote must be different")
	case s.Delimiter >= 0x80 || s.Quote >= 0x80 || s.Escape >= 0x80:
		return s, sqlerr.New(sqlerr.FeatureNotSupported, "COPY delimiter, quote and escape must be single-byte ASCII characters")
	case strings.ContainsAny(*s.Null, "\r\n"):
		return s, sqlerr.New(sqlerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	return s, nil
}

// copyIn runs COPY FROM STDIN: CopyInResponse, then CopyData until
// CopyDone (success) or CopyFail. Flush and Sync are ignored meanwhile, as
// the protocol says; any other message is a protocol violation.
func (c *Conn) copyIn(spec CopySpec, insert func([]types.Row) error) (int64, error) {
	spec, e := spec.normalized()
	if e != nil {
		return 0, e
	}
	if e := checkBinaryColumns(spec); e != nil {
		return 0, e
	}
	overall, formats := copyFormats(spec)
	c.be.Send(&pgproto3.CopyInResponse{OverallFormat: overall, ColumnFormatCodes: formats})
	if err := c.flush(); err != nil {
		return 0, errStatementCut
	}
	d := &copyDecoder{spec: spec, loc: c.sess.Location(), insert: insert}
	var sink copySink = d
	if spec.Format == CopyBinary {
		sink = &binaryCopyDecoder{rows: d}
	}
	for {
		if err := c.intr.Err(); err != nil {
			return d.count, err
		}
		msg, err := c.be.Receive()
		if err != nil {
			c.connErr = receiveError(err)
			return d.count, errStatementCut
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := sink.feed(m.Data); err != nil {
				return d.count, err
			}
		case *pgproto3.CopyDone:
			return d.count, sink.finish()
		case *pgproto3.CopyFail:
			return d.count, sqlerr.New(sqlerr.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
		case *pgproto3.Terminate:
			c.connErr = errClose
			return d.count, errStatementCut
		default:
			return d.count, sqlerr.New(codeProtocolViolation, "unexpected message type %T during COPY from stdin", msg)
		}
	}
}

// copyDecoder turns COPY text or csv data into rows.
type copyDecoder struct {
	spec   CopySpec
	loc    *time.Location
	insert func([]types.Row) error
	// buf holds data not yet ending a record; scan is how far it was
	// scanned, inQuote the csv quote state at scan.
	buf     []byte
	scan    int
	inQuote bool
	line    int64
	count   int64
	ended   bool // the \. end marker was seen
	batch   []types.Row
}

func (d *copyDecoder) feed(data []byte) error {
	d.buf = append(d.buf, data...)
	for !d.ended {
		end, ok := d.recordEnd()
		if !ok {
			break
		}
		rec := d.buf[:end]
		d.buf, d.scan, d.inQuote = d.buf[end+1:], 0, false
		if err := d.record(rec); err != nil {
			return err
		}
	}
	if len(d.buf) > copyRecordBytesMax {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "COPY line exceeds %d bytes", copyRecordBytesMax)
	}
	return nil
}

// recordEnd finds the newline ending the next record in buf: any newline
// in text format, one outside quotes in csv. It resumes where the last
// call stopped, so a long record is scanned once.
func (d *copyDecoder) recordEnd() (int, bool) {
	if d.spec.Format == CopyText {
		if i := bytes.IndexByte(d.buf[d.scan:], '\n'); i >= 0 {
			return d.scan + i, true
		}
		d.scan = len(d.buf)
		return 0, false
	}
	q, esc := d.spec.Quote, d.spec.Escape
	for i := d.scan; i < len(d.buf); i++ {
		b := d.buf[i]
		if d.inQuote && esc != q && b == esc {
			if i+1 == len(d.buf) {
				d.scan = i // the escaped byte has not arrived yet
				return 0, false
			}
			i++
			continue
		}
		// With esc == q, a doubled quote toggles twice: still inside.
		if b == q {
			d.inQuote = !d.inQuote
			continue
		}
		if !d.inQuote && b == '\n' {
			d.scan = i
			return i, true
		}
	}
	d.scan = len(d.buf)
	return 0, false
}

// finish handles CopyDone: a last record without a newline still counts.
func (d *copyDecoder) finish() error {
	if !d.ended && len(d.buf) > 0 {
		if d.inQuote {
			return sqlerr.New(codeBadCopyFileFormat, "unterminated CSV quoted field")
		}
		if err := d.record(d.buf); err != nil {
			return err
		}
	}
	return d.flushBatch()
}

// record converts one line into a row.
func (d *copyDecoder) record(rec []byte) error {
	d.line++
	rec = bytes.TrimSuffix(rec, []byte{'\r'})
	if string(rec) == `\.` {
		d.ended = true
		return nil
	}
	if d.spec.Header && d.line == 1 {
		return nil
	}
	if !utf8.Valid(rec) {
		return errInvalidUTF8(rec)
	}
	var fields []copyField
	var err *sqlerr.Error
	if d.spec.Format == CopyCSV {
		fields, err = splitCSV(rec, d.spec)
	} else {
		fields, err = splitText(rec, d.spec)
	}
	if err != nil {
		return err
	}
	row, err := d.toRow(fields)
	if err != nil {
		return err
	}
	d.batch = append(d.batch, row)
	if len(d.batch) >= copyBatchRowsMax {
		return d.flushBatch()
	}
	return nil
}

func (d *copyDecoder) flushBatch() error {
	if len(d.batch) == 0 {
		return nil
	}
	if err := d.insert(d.batch); err != nil {
		return err
	}
	d.count += int64(len(d.batch))
	d.batch = nil
	return nil
}

// copyField is one field of a COPY line; null marks the NULL marker.
type copyField struct {
	text string
	null bool
}

func (d *copyDecoder) toRow(fields []copyField) (types.Row, *sqlerr.Error) {
	cols := d.spec.Columns
	if len(fields) < len(cols) {
		return nil, sqlerr.New(codeBadCopyFileFormat, "missing data for column \"%s\"", cols[len(fields)].Name).
			WithDetail("line %d", d.line)
	}
	if len(fields) > len(cols) {
		return nil, sqlerr.New(codeBadCopyFileFormat, "extra data after last expected column").
			WithDetail("line %d", d.line)
	}
	row := make(types.Row, len(cols))
	for i, f := range fields {
		if f.null {
			row[i] = types.Null
			continue
		}
		v, err := decodeParam(cols[i].Type, formatText, []byte(f.text), d.loc)
		if err != nil {
			return nil, err.WithDetail("COPY line %d, column %s: \"%s\"", d.line, cols[i].Name, f.text)
		}
		row[i] = v
	}
	return row, nil
}

// splitText splits a text-format line into delimiter-separated fields; a
// delimiter after a backslash is data. The NULL marker is matched before
// unescaping, as PostgreSQL does.
func splitText(rec []byte, spec CopySpec) ([]copyField, *sqlerr.Error) {
	var fields []copyField
	start := 0
	for i := 0; ; i++ {
		if i < len(rec) && rec[i] == '\\' {
			i++ // the escaped byte is data, even a delimiter
			continue
		}
		if i < len(rec) && rec[i] != spec.Delimiter {
			continue
		}
		raw := rec[start:min(i, len(rec))]
		if string(raw) == *spec.Null {
			fields = append(fields, copyField{null: true})
		} else {
			fields = append(fields, copyField{text: unescapeText(raw)})
		}
		if i >= len(rec) {
			break
		}
		start = i + 1
	}
	return fields, nil
}

// unescapeText undoes COPY text escapes: \b \f \n \r \t \v, octal \ddd,
// hex \xhh, and \c for any other c.
func unescapeText(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var out []byte
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 == len(raw) {
			out = append(out, raw[i])
			continue
		}
		i++
		switch c := raw[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			v, n := hexDigits(raw[i+1:])
			if n == 0 {
				out = append(out, 'x')
				continue
			}
			out = append(out, v)
			i += n
		default:
			if c >= '0' && c <= '7' {
				v, n := octalDigits(raw[i:])
				out = append(out, v)
				i += n - 1
				continue
			}
			out = append(out, c)
		}
	}
	return string(out)
}

func hexDigits(b []byte) (byte, int) {
	v, n := 0, 0
	for n < 2 && n < len(b) {
		c := b[n]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return byte(v), n
		}
		v = v*16 + d
		n++
	}
	return byte(v), n
}

func octalDigits(b []byte) (byte, int) {
	v, n := 0, 0
	for n < 3 && n < len(b) && b[n] >= '0' && b[n] <= '7' {
		v = v*8 + int(b[n]-'0')
		n++
	}
	return byte(v), n
}

// splitCSV splits one csv record. An unquoted field equal to the NULL
// string is NULL; a quoted one never is.
func splitCSV(rec []byte, spec CopySpec) ([]copyField, *sqlerr.Error) {
	var fields []copyField
	var cur []byte
	quoted, inQuote := false, false
	q, esc := spec.Quote, spec.Escape
	for i := 0; i < len(rec); i++ {
		b := rec[i]
		switch {
		case inQuote && b == esc && i+1 < len(rec) && (rec[i+1] == q || rec[i+1] == esc) && (esc != q || rec[i+1] == q):
			cur = append(cur, rec[i+1])
			i++
		case inQuote && b == q:
			inQuote = false
		case inQuote:
			cur = append(cur, b)
		case b == q:
			inQuote, quoted = true, true
		case b == spec.Delimiter:
			fields = append(fields, csvField(cur, quoted, spec))
			cur, quoted = nil, false
		default:
			cur = append(cur, b)
		}
	}
	if inQuote {
		return nil, sqlerr.New(codeBadCopyFileFormat, "unterminated CSV quoted field")
	}
	return append(fields, csvField(cur, quoted, spec)), nil
}

func csvField(cur []byte, quoted bool, spec CopySpec) copyField {
	if !quoted && string(cur) == *spec.Null {
		return copyField{null: true}
	}
	return copyField{text: string(cur)}
}

// copyEncoder turns rows into COPY TO STDOUT lines.
type copyEncoder struct {
	spec CopySpec
	loc  *time.Location
}

func newCopyEncoder(spec CopySpec, loc *time.Location) (*copyEncoder, error) {
	spec, e := spec.normalized()
	if e != nil {
		return nil, e
	}
	return &copyEncoder{spec: spec, loc: loc}, nil
}

func (e *copyEncoder) header() []byte {
	var out []byte
	for i, col := range e.spec.Columns {
		if i > 0 {
			out = append(out, e.spec.Delimiter)
		}
		if e.spec.Format == CopyCSV {
			out = e.appendCSV(out, col.Name)
		} else {
			out = e.appendText(out, col.Name)
		}
	}
	return append(out, '\n')
}

func (e *copyEncoder) encode(row types.Row) []byte {
	if e.spec.Format == CopyBinary {
		return encodeBinaryTuple(e.spec.Columns, row)
	}
	var out []byte
	for i, d := range row {
		if i > 0 {
			out = append(out, e.spec.Delimiter)
		}
		if types.IsNull(d) {
			out = append(out, *e.spec.Null...)
			continue
		}
		s := types.Format(e.spec.Columns[i].Type, d, e.loc)
		if e.spec.Format == CopyCSV {
			out = e.appendCSV(out, s)
		} else {
			out = e.appendText(out, s)
		}
	}
	return append(out, '\n')
}

// appendText escapes backslash, the control characters and the delimiter.
func (e *copyEncoder) appendText(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			out = append(out, '\\', '\\')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '\v':
			out = append(out, '\\', 'v')
		default:
			if c == e.spec.Delimiter {
				out = append(out, '\\')
			}
			out = append(out, c)
		}
	}
	return out
}

// appendCSV quotes a value when it holds the delimiter, the quote, a line
// break, equals the NULL string, or is the end marker.
func (e *copyEncoder) appendCSV(out []byte, s string) []byte {
	sp := e.spec
	needs := s == *sp.Null || s == `\.` ||
		strings.IndexByte(s, sp.Delimiter) >= 0 || strings.IndexByte(s, sp.Quote) >= 0 ||
		strings.ContainsAny(s, "\r\n") || (sp.Escape != sp.Quote && strings.IndexByte(s, sp.Escape) >= 0)
	if !needs {
		return append(out, s...)
	}
	out = append(out, sp.Quote)
	for i := 0; i < len(s); i++ {
		if s[i] == sp.Quote || (sp.Escape != sp.Quote && s[i] == sp.Escape) {
			out = append(out, sp.Escape)
		}
		out = append(out, s[i])
	}
	return append(out, sp.Quote)
}
