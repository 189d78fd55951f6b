package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Frame layout. Every Message crosses a TCP connection as one frame; all
// integers are big-endian:
//
//	offset  size  field
//	0       4     bodyBytes  length of everything after this 8-byte header
//	4       4     crc32c     CRC-32C (Castagnoli) of the body
//	8       8     from       \
//	16      8     to          | body (bodyBytes = 18 + n)
//	24      2     type        |
//	26      n     payload    /
//
// The length comes first so a reader can reject an oversized frame from
// its first 4 bytes, before allocating or reading anything else. The CRC
// covers the whole body, so a flipped bit in an address or type is caught
// as surely as one in the payload. A frame's size is 8 + bodyBytes, and it
// is that size which is compared with a maximum.
const (
	frameHeaderBytes  = 8
	frameBodyMinBytes = 18

	// FrameOverheadBytes is the size of a frame with an empty payload.
	FrameOverheadBytes = frameHeaderBytes + frameBodyMinBytes

	// DefaultMaxFrameBytes is the default largest frame (header included)
	// a transport sends or accepts. Raft snapshots travel in chunks well
	// below it.
	DefaultMaxFrameBytes = 64 << 20

	// MaxFrameBytesLimit is the largest maximum a transport may be
	// configured with; it keeps frame sizes comfortably inside an int and a
	// u32 length on every platform.
	MaxFrameBytesLimit = 1 << 30

	// frameReadChunkBytes bounds how much ReadFrame allocates ahead of the
	// bytes that actually arrived, so a peer that announces a large frame
	// and then sends little costs little memory.
	frameReadChunkBytes = 64 << 10
)

// castagnoli is the CRC-32C table; the polynomial has hardware support on
// amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Reasons a frame is rejected. A *FrameError wraps exactly one of them, so
// callers test with errors.Is.
var (
	ErrFrameTruncated = errors.New("netio: truncated frame")
	ErrFrameTooLarge  = errors.New("netio: frame exceeds maximum size")
	ErrFrameChecksum  = errors.New("netio: frame checksum mismatch")
	ErrFrameMalformed = errors.New("netio: malformed frame")
)

// FrameError reports a frame that could not be decoded. The connection it
// came from can no longer be trusted to be in step and must be closed.
type FrameError struct {
	// Err is one of ErrFrameTruncated, ErrFrameTooLarge, ErrFrameChecksum,
	// ErrFrameMalformed.
	Err error
	// Detail says what exactly was wrong, for logs.
	Detail string
}

func (e *FrameError) Error() string { return e.Err.Error() + ": " + e.Detail }

// Unwrap lets errors.Is match the reason.
func (e *FrameError) Unwrap() error { return e.Err }

func frameErrorf(reason error, format string, args ...any) *FrameError {
	return &FrameError{Err: reason, Detail: fmt.Sprintf(format, args...)}
}

// FrameBytes returns the size of m's frame, header included.
func FrameBytes(m Message) int {
	return FrameOverheadBytes + len(m.Payload)
}

// AppendFrame appends m's frame to dst. It returns an error wrapping
// ErrTooLarge, and dst unchanged, if the frame would exceed maxFrameBytes.
func AppendFrame(dst []byte, m Message, maxFrameBytes int) ([]byte, error) {
	assertMaxFrameBytes(maxFrameBytes)
	size := FrameBytes(m)
	if len(m.Payload) > maxFrameBytes || size > maxFrameBytes {
		return dst, fmt.Errorf("%w: frame of %d bytes, maximum %d",
			ErrTooLarge, size, maxFrameBytes)
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(size-frameHeaderBytes))
	dst = binary.BigEndian.AppendUint32(dst, 0) // CRC, filled in below
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.From))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.To))
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Type))
	dst = append(dst, m.Payload...)
	body := dst[start+frameHeaderBytes:]
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(body, castagnoli))
	if len(dst)-start != size {
		panic("netio: encoded frame size differs from FrameBytes")
	}
	return dst, nil
}

// DecodeFrame decodes the frame at the front of buf and returns its message
// and the number of bytes it occupied. The payload aliases buf. An
// incomplete frame yields ErrFrameTruncated (read more and retry); any
// other *FrameError means the stream is corrupt.
func DecodeFrame(buf []byte, maxFrameBytes int) (Message, int, error) {
	assertMaxFrameBytes(maxFrameBytes)
	if len(buf) < frameHeaderBytes {
		return Message{}, 0, frameErrorf(ErrFrameTruncated,
			"%d of %d header bytes", len(buf), frameHeaderBytes)
	}
	bodyBytes, err := checkFrameHeader(buf[:frameHeaderBytes], maxFrameBytes)
	if err != nil {
		return Message{}, 0, err
	}
	size := frameHeaderBytes + bodyBytes
	if len(buf) < size {
		return Message{}, 0, frameErrorf(ErrFrameTruncated,
			"%d of %d frame bytes", len(buf), size)
	}
	crc := binary.BigEndian.Uint32(buf[4:frameHeaderBytes])
	m, err := decodeFrameBody(buf[frameHeaderBytes:size], crc)
	if err != nil {
		return Message{}, 0, err
	}
	return m, size, nil
}

// ReadFrame reads one frame from r and returns its message and the frame's
// size. The payload is freshly allocated and owned by the caller. It
// returns io.EOF, unwrapped, only when r ends cleanly between frames; a
// stream that ends inside a frame yields ErrFrameTruncated. Errors from r
// other than end-of-stream are returned wrapped, not as a *FrameError.
func ReadFrame(r io.Reader, maxFrameBytes int) (Message, int, error) {
	assertMaxFrameBytes(maxFrameBytes)
	var header [frameHeaderBytes]byte
	if n, err := io.ReadFull(r, header[:]); err != nil {
		return Message{}, 0, readError(err, n, frameHeaderBytes, true)
	}
	bodyBytes, err := checkFrameHeader(header[:], maxFrameBytes)
	if err != nil {
		return Message{}, 0, err
	}
	body, err := readBody(r, bodyBytes)
	if err != nil {
		return Message{}, 0, err
	}
	m, err := decodeFrameBody(body, binary.BigEndian.Uint32(header[4:]))
	if err != nil {
		return Message{}, 0, err
	}
	return m, frameHeaderBytes + bodyBytes, nil
}

// readBody reads exactly bodyBytes (already validated against the maximum)
// from r. It grows its buffer as bytes arrive, never past bodyBytes, rather
// than trusting the announced length with one big allocation up front.
func readBody(r io.Reader, bodyBytes int) ([]byte, error) {
	buf := make([]byte, 0, min(bodyBytes, frameReadChunkBytes))
	for len(buf) < bodyBytes {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*cap(buf), bodyBytes))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && len(buf) < bodyBytes {
			return nil, readError(err, len(buf), bodyBytes, false)
		}
	}
	return buf, nil
}

// readError classifies a failed read of want bytes after got arrived.
func readError(err error, got, want int, atFrameStart bool) error {
	if errors.Is(err, io.EOF) && got == 0 && atFrameStart {
		return io.EOF
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return frameErrorf(ErrFrameTruncated, "stream ended after %d of %d bytes", got, want)
	}
	return fmt.Errorf("netio: reading frame: %w", err)
}

// checkFrameHeader validates the announced body length and returns it.
func checkFrameHeader(header []byte, maxFrameBytes int) (int, error) {
	bodyBytes := binary.BigEndian.Uint32(header[:4])
	if bodyBytes < frameBodyMinBytes {
		return 0, frameErrorf(ErrFrameMalformed,
			"body of %d bytes, minimum %d", bodyBytes, frameBodyMinBytes)
	}
	// Compare in uint64: bodyBytes near 2^32 must not wrap.
	if uint64(bodyBytes)+frameHeaderBytes > uint64(maxFrameBytes) {
		return 0, frameErrorf(ErrFrameTooLarge,
			"frame of %d bytes, maximum %d", uint64(bodyBytes)+frameHeaderBytes, maxFrameBytes)
	}
	return int(bodyBytes), nil
}

// decodeFrameBody checks body against crc and splits it into a Message
// whose payload aliases body.
func decodeFrameBody(body []byte, crc uint32) (Message, error) {
	if len(body) < frameBodyMinBytes {
		panic("netio: frame body shorter than its validated minimum")
	}
	if got := crc32.Checksum(body, castagnoli); got != crc {
		return Message{}, frameErrorf(ErrFrameChecksum,
			"computed %08x, frame says %08x", got, crc)
	}
	m := Message{
		From:    NodeID(binary.BigEndian.Uint64(body[0:8])),
		To:      NodeID(binary.BigEndian.Uint64(body[8:16])),
		Type:    MessageType(binary.BigEndian.Uint16(body[16:18])),
		Payload: body[frameBodyMinBytes:],
	}
	return m, nil
}

// assertMaxFrameBytes panics on a maximum no valid configuration produces:
// it is a programming error, not bad input.
func assertMaxFrameBytes(maxFrameBytes int) {
	if maxFrameBytes < FrameOverheadBytes {
		panic(fmt.Sprintf("netio: maxFrameBytes %d below the %d-byte frame overhead",
			maxFrameBytes, FrameOverheadBytes))
	}
	if maxFrameBytes > MaxFrameBytesLimit {
		panic(fmt.Sprintf("netio: maxFrameBytes %d above limit %d",
			maxFrameBytes, MaxFrameBytesLimit))
	}
}
