package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Handshake layout. A dialer writes it once, first thing on a new
// connection; the listener answers nothing and reads frames after it.
// Integers are big-endian:
//
//	offset  size  field
//	0       4     magic    "LNDB"
//	4       2     version  handshakeVersion
//	6       8     from     the dialing node, never zero
//	14      8     to       the node the dialer means to reach, never zero
//	22      4     crc32c   CRC-32C (Castagnoli) of bytes 0..21
//
// The magic and CRC turn away a stray client (an HTTP probe, a port
// scanner, random bytes) after 26 bytes instead of letting its bytes be
// read as a frame length. The to field catches a dialer whose address
// book is stale: the address now belongs to another node.
const (
	handshakeBytes   = 26
	handshakeVersion = 1
	handshakeMagic   = "LNDB"
)

// ErrBadHandshake reports a connection whose first bytes are not a valid
// handshake.
var ErrBadHandshake = errors.New("netio: bad handshake")

// appendHandshake appends the handshake a node from sends to node to.
func appendHandshake(dst []byte, from, to NodeID) []byte {
	start := len(dst)
	dst = append(dst, handshakeMagic...)
	dst = binary.BigEndian.AppendUint16(dst, handshakeVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(from))
	dst = binary.BigEndian.AppendUint64(dst, uint64(to))
	dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
	if len(dst)-start != handshakeBytes {
		panic("netio: encoded handshake has the wrong size")
	}
	return dst
}

// decodeHandshake validates b (exactly handshakeBytes long) and returns the
// sender and the intended receiver.
func decodeHandshake(b []byte) (from, to NodeID, err error) {
	if len(b) != handshakeBytes {
		return 0, 0, fmt.Errorf("%w: %d bytes, want %d", ErrBadHandshake, len(b), handshakeBytes)
	}
	if string(b[0:4]) != handshakeMagic {
		return 0, 0, fmt.Errorf("%w: magic %q", ErrBadHandshake, b[0:4])
	}
	if got, want := crc32.Checksum(b[:22], castagnoli), binary.BigEndian.Uint32(b[22:]); got != want {
		return 0, 0, fmt.Errorf("%w: checksum %08x, handshake says %08x", ErrBadHandshake, got, want)
	}
	if v := binary.BigEndian.Uint16(b[4:6]); v != handshakeVersion {
		return 0, 0, fmt.Errorf("%w: version %d, want %d", ErrBadHandshake, v, handshakeVersion)
	}
	from = NodeID(binary.BigEndian.Uint64(b[6:14]))
	to = NodeID(binary.BigEndian.Uint64(b[14:22]))
	if from == 0 || to == 0 {
		return 0, 0, fmt.Errorf("%w: zero node id (from %d, to %d)", ErrBadHandshake, from, to)
	}
	return from, to, nil
}
