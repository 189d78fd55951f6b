package keys

import (
	"encoding/binary"
	"fmt"

	"github.com/lineradb/lineradb/sql/types"
)

// tagArray leads an array in a row value (arrays are never keys): the
// element count as a uvarint, then each element as a row value.
const tagArray = 0x60

// appendRowValue appends one non-key datum: numeric keeps its display
// scale, arrays nest row values, the rest use the key encoding.
func appendRowValue(buf []byte, d types.Datum) []byte {
	switch v := d.(type) {
	case *types.DNumeric:
		return appendBytes(append(buf, tagNumText), v.String())
	case *types.DArray:
		buf = binary.AppendUvarint(append(buf, tagArray), uint64(len(v.Elems)))
		for _, e := range v.Elems {
			buf = appendRowValue(buf, e)
		}
		return buf
	}
	return EncodeKey(buf, d, false)
}

// decodeArray reads an array's elements after its tag. t may be a
// non-array type when the column is unknown (being skipped).
func decodeArray(buf []byte, t types.T) (types.Datum, []byte, error) {
	n, w := binary.Uvarint(buf)
	if w <= 0 || n > types.ArrayElemsMax || n > uint64(len(buf)-w) {
		return nil, nil, fmt.Errorf("%w: bad array length", ErrCorrupt)
	}
	buf = buf[w:]
	elem := t.Elem()
	out := &types.DArray{Elems: make([]types.Datum, n)}
	for i := range out.Elems {
		if len(buf) == 0 {
			return nil, nil, ErrCorrupt
		}
		if buf[0] == tagArray {
			return nil, nil, fmt.Errorf("%w: nested array", ErrCorrupt)
		}
		d, rest, err := decodeAsc(buf, elem)
		if err != nil {
			return nil, nil, err
		}
		out.Elems[i], buf = d, rest
	}
	return out, buf, nil
}
