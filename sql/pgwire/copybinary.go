package pgwire

import (
	"bytes"
	"encoding/binary"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// COPY's binary format (PostgreSQL's "COPY BINARY", what pgx's CopyFrom
// sends):
//
//	header   "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length, extension
//	tuple    int16 field count, then per field int32 length (-1 = NULL) and bytes
//	trailer  int16 -1
//
// Fields use the types' binary send/receive forms (binary.go). The
// decoder checks every count and length against the spec and the bounds
// below; bad data is 22P04 (or 22P03 for a bad value), never a panic.

var copyBinarySignature = []byte("PGCOPY\n\xff\r\n\x00")

const (
	copyBinaryHeaderBytes = 11 + 4 + 4
	// copyBinaryOIDsFlag is header flag bit 16: tuples carry OIDs (WITH
	// OIDS, which PostgreSQL 12 removed).
	copyBinaryOIDsFlag = 1 << 16
	// copyBinaryCriticalFlags are bits 17-31: a reader must refuse a file
	// that sets one it does not know.
	copyBinaryCriticalFlags = 0xFFFE0000
	// copyBinaryExtensionBytesMax bounds the header extension we skip.
	copyBinaryExtensionBytesMax = 1 << 20
)

// copySink consumes a COPY FROM data stream.
type copySink interface {
	feed(data []byte) error
	finish() error
}

// binaryCopyDecoder parses the binary format; rows go through the text
// decoder's batching (rows.batch, rows.flushBatch).
type binaryCopyDecoder struct {
	rows       *copyDecoder
	buf        []byte
	headerDone bool
	ended      bool // the trailer was seen
}

func errCopyBinary(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(codeBadCopyFileFormat, format, args...)
}

func (d *binaryCopyDecoder) feed(data []byte) error {
	if d.ended {
		if len(data) > 0 {
			return errCopyBinary("received copy data after EOF marker")
		}
		return nil
	}
	d.buf = append(d.buf, data...)
	for {
		n, err := d.next()
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		d.buf = d.buf[n:]
		if d.ended && len(d.buf) > 0 {
			return errCopyBinary("received copy data after EOF marker")
		}
	}
	if len(d.buf) > copyRecordBytesMax {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "COPY row exceeds %d bytes", copyRecordBytesMax)
	}
	return nil
}

// next consumes the header or one tuple from buf and returns the bytes
// it used; 0 means buf does not hold a whole one yet.
func (d *binaryCopyDecoder) next() (int, error) {
	if d.ended {
		return 0, nil
	}
	if !d.headerDone {
		return d.header()
	}
	if len(d.buf) < 2 {
		return 0, nil
	}
	count := int16(binary.BigEndian.Uint16(d.buf))
	if count == -1 {
		d.ended = true
		return 2, nil
	}
	if int(count) != len(d.rows.spec.Columns) {
		return 0, errCopyBinary("row field count is %d, expected %d", count, len(d.rows.spec.Columns))
	}
	row, n, err := d.tuple(d.buf[2:])
	if err != nil || n == 0 {
		return 0, err
	}
	d.rows.line++
	d.rows.batch = append(d.rows.batch, row)
	if len(d.rows.batch) >= copyBatchRowsMax {
		if err := d.rows.flushBatch(); err != nil {
			return 0, err
		}
	}
	return 2 + n, nil
}

func (d *binaryCopyDecoder) header() (int, error) {
	n := min(len(d.buf), len(copyBinarySignature))
	if !bytes.Equal(d.buf[:n], copyBinarySignature[:n]) {
		return 0, errCopyBinary("COPY file signature not recognized")
	}
	if len(d.buf) < copyBinaryHeaderBytes {
		return 0, nil
	}
	flags := binary.BigEndian.Uint32(d.buf[11:])
	if flags&copyBinaryOIDsFlag != 0 {
		return 0, sqlerr.Unsupported("COPY binary data with OIDs")
	}
	if flags&copyBinaryCriticalFlags != 0 {
		return 0, errCopyBinary("unrecognized critical flags in COPY file header")
	}
	ext := int64(binary.BigEndian.Uint32(d.buf[15:]))
	if ext > copyBinaryExtensionBytesMax {
		return 0, errCopyBinary("invalid COPY file header (extension of %d bytes)", ext)
	}
	if int64(len(d.buf)) < copyBinaryHeaderBytes+ext {
		return 0, nil
	}
	d.headerDone = true
	return copyBinaryHeaderBytes + int(ext), nil
}

// tuple decodes the fields of one tuple from b (after its count); n is
// the bytes used, 0 if b does not hold the whole tuple yet.
func (d *binaryCopyDecoder) tuple(b []byte) (types.Row, int, error) {
	cols := d.rows.spec.Columns
	row := make(types.Row, len(cols))
	off := 0
	for i, col := range cols {
		if len(b)-off < 4 {
			return nil, 0, nil
		}
		size := int32(binary.BigEndian.Uint32(b[off:]))
		off += 4
		if size == -1 {
			row[i] = types.Null
			continue
		}
		if size < 0 {
			return nil, 0, errCopyBinary("invalid field size %d", size)
		}
		if int64(size) > copyRecordBytesMax {
			return nil, 0, sqlerr.New(sqlerr.ProgramLimitExceeded, "COPY field exceeds %d bytes", copyRecordBytesMax)
		}
		if len(b)-off < int(size) {
			return nil, 0, nil
		}
		v, err := decodeBinary(col.Type, b[off:off+int(size)])
		if err != nil {
			return nil, 0, err.WithDetail("COPY row %d, column %s", d.rows.line+1, col.Name)
		}
		row[i] = v
		off += int(size)
	}
	return row, off, nil
}

// finish handles CopyDone: the data may end after the trailer or at a
// tuple boundary, as PostgreSQL accepts; anything else is truncated.
func (d *binaryCopyDecoder) finish() error {
	if !d.ended && (len(d.buf) > 0 || !d.headerDone) {
		return errCopyBinary("unexpected EOF in COPY data")
	}
	return d.rows.flushBatch()
}

// binaryCopyHeader is what COPY ... TO STDOUT (FORMAT binary) sends first.
func binaryCopyHeader() []byte {
	out := append([]byte{}, copyBinarySignature...)
	return append(out, 0, 0, 0, 0, 0, 0, 0, 0) // no flags, no extension
}

// binaryCopyTrailer ends COPY ... TO STDOUT (FORMAT binary).
func binaryCopyTrailer() []byte { return []byte{0xff, 0xff} }

// encodeBinaryTuple is one row in the binary format.
func encodeBinaryTuple(cols []Column, row types.Row) []byte {
	out := binary.BigEndian.AppendUint16(nil, uint16(len(row)))
	for i, d := range row {
		if types.IsNull(d) {
			out = binary.BigEndian.AppendUint32(out, 0xFFFFFFFF)
			continue
		}
		lenAt := len(out)
		out = append(out, 0, 0, 0, 0)
		out = appendBinary(out, cols[i].Type, d)
		binary.BigEndian.PutUint32(out[lenAt:], uint32(len(out)-lenAt-4))
	}
	return out
}

// copyFormats are CopyInResponse's and CopyOutResponse's format codes:
// all text (0), or all binary (1) for FORMAT binary.
func copyFormats(spec CopySpec) (uint8, []uint16) {
	formats := make([]uint16, len(spec.Columns))
	if spec.Format != CopyBinary {
		return 0, formats
	}
	for i := range formats {
		formats[i] = 1
	}
	return 1, formats
}

// checkBinaryColumns refuses binary COPY of a type without a binary form.
func checkBinaryColumns(spec CopySpec) *sqlerr.Error {
	if spec.Format != CopyBinary {
		return nil
	}
	for _, c := range spec.Columns {
		if !binarySupported(c.Type) {
			return sqlerr.Unsupported("binary COPY of type " + c.Type.String())
		}
	}
	return nil
}
