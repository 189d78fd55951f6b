package keys

import (
	"encoding/binary"
	"fmt"

	"github.com/lineradb/lineradb/sql/types"
)

// Key-space prefixes.
var (
	MetaPrefix  = []byte("/meta/")
	TablePrefix = []byte("/t/")
	IndexPrefix = []byte("/i/")
)

// RowPrefix is the prefix of every row of a table.
func RowPrefix(tableID uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{}, TablePrefix...), tableID)
}

// IndexKeyPrefix is the prefix of every entry of a secondary index.
func IndexKeyPrefix(tableID, indexID uint32) []byte {
	b := binary.BigEndian.AppendUint32(append([]byte{}, IndexPrefix...), tableID)
	return binary.BigEndian.AppendUint32(b, indexID)
}

// IndexTablePrefix covers every secondary index entry of a table.
func IndexTablePrefix(tableID uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{}, IndexPrefix...), tableID)
}

// PrefixEnd returns the smallest key greater than every key with prefix p.
func PrefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // no upper bound
}

// EncodeRow encodes a row value: (column ID, datum) pairs for the
// non-NULL columns. Column IDs, not positions, so columns can be added and
// dropped without rewriting rows.
func EncodeRow(colIDs []uint32, row types.Row) []byte {
	var buf []byte
	for i, d := range row {
		if types.IsNull(d) {
			continue
		}
		buf = binary.AppendUvarint(buf, uint64(colIDs[i]))
		// Values keep numeric's display scale (1.50), keys do not.
		buf = appendRowValue(buf, d)
	}
	return buf
}

// DecodeRow decodes a row value into the given columns; columns absent
// from the value are NULL, and values of unknown (dropped) columns are
// skipped.
func DecodeRow(buf []byte, colIDs []uint32, colTypes []types.T) (types.Row, error) {
	row := make(types.Row, len(colIDs))
	for i := range row {
		row[i] = types.Null
	}
	for len(buf) > 0 {
		id, n := binary.Uvarint(buf)
		if n <= 0 {
			return nil, fmt.Errorf("%w: bad column id", ErrCorrupt)
		}
		buf = buf[n:]
		pos := -1
		for i, c := range colIDs {
			if uint64(c) == id {
				pos = i
				break
			}
		}
		t := types.Text
		if pos >= 0 {
			t = colTypes[pos]
		}
		d, rest, err := DecodeKey(buf, t, false)
		if err != nil {
			return nil, err
		}
		if pos >= 0 {
			row[pos] = d
		}
		buf = rest
	}
	return row, nil
}
