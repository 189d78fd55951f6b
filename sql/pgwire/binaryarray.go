package pgwire

import (
	"encoding/binary"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Arrays in PostgreSQL's binary format (array_send/array_recv): ndim,
// has-null flag, element type OID, then per dimension its length and
// lower bound, then each element as a 4-byte length (-1 for NULL) and
// its binary form. LineraDB's arrays are one-dimensional with lower
// bound 1; an empty array has ndim 0.

// appendBinaryArray appends a's binary form for array type t.
func appendBinaryArray(buf []byte, t types.T, a *types.DArray) []byte {
	elem := t.Elem()
	ndim, hasNull := uint32(0), uint32(0)
	if len(a.Elems) > 0 {
		ndim = 1
	}
	for _, d := range a.Elems {
		if types.IsNull(d) {
			hasNull = 1
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, ndim)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, uint32(elem.OID))
	if ndim == 0 {
		return buf
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a.Elems)))
	buf = binary.BigEndian.AppendUint32(buf, 1)
	for _, d := range a.Elems {
		if types.IsNull(d) {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF)
			continue
		}
		at := len(buf)
		buf = appendBinary(append(buf, 0, 0, 0, 0), elem, d)
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf
}

// decodeBinaryArray parses a client's binary array of type t; every
// count and length is checked against the bytes present.
func decodeBinaryArray(t types.T, b []byte) (types.Datum, *sqlerr.Error) {
	if len(b) < 12 {
		return nil, errBinary(t, "array header is too short")
	}
	ndim := binary.BigEndian.Uint32(b)
	elemOID := types.OID(binary.BigEndian.Uint32(b[8:]))
	elem := t.Elem()
	if elemOID != elem.OID {
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "binary data has array element type %d instead of expected %d", elemOID, elem.OID)
	}
	b = b[12:]
	switch {
	case ndim == 0:
		if len(b) != 0 {
			return nil, errBinary(t, "trailing bytes after an empty array")
		}
		return &types.DArray{}, nil
	case ndim > 1:
		return nil, sqlerr.Unsupported("multidimensional arrays")
	case len(b) < 8:
		return nil, errBinary(t, "array dimension is too short")
	}
	n, lower := binary.BigEndian.Uint32(b), int32(binary.BigEndian.Uint32(b[4:]))
	if lower != 1 {
		return nil, sqlerr.Unsupported("arrays with a lower bound other than 1")
	}
	if n > types.ArrayElemsMax || uint64(n)*4 > uint64(len(b)-8) {
		return nil, errBinary(t, "array length exceeds the data")
	}
	return decodeBinaryElems(t, elem, b[8:], int(n))
}

func decodeBinaryElems(t, elem types.T, b []byte, n int) (types.Datum, *sqlerr.Error) {
	out := &types.DArray{Elems: make([]types.Datum, n)}
	for i := range out.Elems {
		if len(b) < 4 {
			return nil, errBinary(t, "array element is too short")
		}
		size := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if size == -1 {
			out.Elems[i] = types.Null
			continue
		}
		if size < 0 || int(size) > len(b) {
			return nil, errBinary(t, "array element length exceeds the data")
		}
		d, err := decodeBinary(elem, b[:size])
		if err != nil {
			return nil, err
		}
		out.Elems[i], b = d, b[size:]
	}
	if len(b) != 0 {
		return nil, errBinary(t, "trailing bytes after the array")
	}
	return out, nil
}
