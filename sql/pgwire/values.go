package pgwire

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Format codes of Bind and RowDescription.
const (
	formatText   int16 = 0
	formatBinary int16 = 1
)

// encodeValue renders d for the wire; nil means NULL.
func encodeValue(t types.T, d types.Datum, format int16, loc *time.Location) []byte {
	if types.IsNull(d) {
		return nil
	}
	if format == formatBinary {
		return appendBinary(make([]byte, 0, 16), t, d)
	}
	return []byte(types.Format(t, d, loc))
}

// decodeParam parses a bound parameter value; nil is NULL. Unknown-typed
// parameters (the session could not infer one) arrive as text.
func decodeParam(t types.T, format int16, b []byte, loc *time.Location) (types.Datum, *sqlerr.Error) {
	if b == nil {
		return types.Null, nil
	}
	if format == formatBinary {
		return decodeBinary(t, b)
	}
	if !utf8.Valid(b) {
		return nil, errInvalidUTF8(b)
	}
	if t.Family() == types.FamUnknown {
		return types.DString(b), nil
	}
	d, err := types.Parse(t, string(b), loc)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	return d, nil
}

// errInvalidUTF8 is PostgreSQL's 22021 for bytes that are not UTF-8,
// naming the first bad sequence.
func errInvalidUTF8(b []byte) *sqlerr.Error {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	parts := make([]string, 0, 2)
	for _, c := range b[i:min(i+2, len(b))] {
		parts = append(parts, "0x"+hex.EncodeToString([]byte{c}))
	}
	return sqlerr.New(sqlerr.CharacterNotInRepertoire,
		"invalid byte sequence for encoding \"UTF8\": %s", strings.Join(parts, " "))
}

func itoa(n int) string { return strconv.Itoa(n) }

// binarySupported reports whether t has a binary codec here.
func binarySupported(t types.T) bool {
	switch t.Family() {
	case types.FamBool, types.FamInt, types.FamFloat, types.FamNumeric, types.FamString,
		types.FamBytes, types.FamDate, types.FamTimestamp, types.FamTimestampTZ,
		types.FamInterval, types.FamUUID:
		return true
	case types.FamArray:
		return binarySupported(t.Elem())
	}
	return false
}
