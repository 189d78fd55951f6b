package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

const testMaxFrameBytes = 1 << 16

func testMessages() []Message {
	big := bytes.Repeat([]byte{0xA5}, testMaxFrameBytes-FrameOverheadBytes)
	return []Message{
		{From: 1, To: 2, Type: 0, Payload: nil},
		{From: 2, To: 1, Type: 7, Payload: []byte("hello")},
		{From: ^NodeID(0), To: 1 << 40, Type: ^MessageType(0), Payload: []byte{0}},
		{From: 3, To: 4, Type: 9, Payload: big},
	}
}

func sameMessage(a, b Message) bool {
	return a.From == b.From && a.To == b.To && a.Type == b.Type && bytes.Equal(a.Payload, b.Payload)
}

func mustFrame(t testing.TB, m Message) []byte {
	t.Helper()
	frame, err := AppendFrame(nil, m, testMaxFrameBytes)
	if err != nil {
		t.Fatalf("AppendFrame(%+v): %v", m, err)
	}
	return frame
}

func TestFrameRoundTrip(t *testing.T) {
	for _, m := range testMessages() {
		frame := mustFrame(t, m)
		if len(frame) != FrameBytes(m) {
			t.Fatalf("frame is %d bytes, FrameBytes says %d", len(frame), FrameBytes(m))
		}
		got, n, err := DecodeFrame(frame, testMaxFrameBytes)
		if err != nil || n != len(frame) || !sameMessage(got, m) {
			t.Fatalf("DecodeFrame: got %v n=%d err=%v", got.Type, n, err)
		}
		got, n, err = ReadFrame(bytes.NewReader(frame), testMaxFrameBytes)
		if err != nil || n != len(frame) || !sameMessage(got, m) {
			t.Fatalf("ReadFrame: n=%d err=%v", n, err)
		}
	}
}

// TestFrameLayout pins the documented wire format byte by byte.
func TestFrameLayout(t *testing.T) {
	frame := mustFrame(t, Message{From: 0x0102, To: 0x0304, Type: 0x0506, Payload: []byte{0xEE}})
	want := []byte{
		0, 0, 0, 19, // body bytes
		0, 0, 0, 0, // crc placeholder, checked below
		0, 0, 0, 0, 0, 0, 0x01, 0x02,
		0, 0, 0, 0, 0, 0, 0x03, 0x04,
		0x05, 0x06,
		0xEE,
	}
	copy(want[4:8], frame[4:8])
	if !bytes.Equal(frame, want) {
		t.Fatalf("frame\n got %x\nwant %x", frame, want)
	}
	// CRC-32C of the body, computed independently of the package's table.
	if got := binary.BigEndian.Uint32(frame[4:8]); got != crc32cBitwise(frame[8:]) {
		t.Fatalf("crc %08x, want %08x", got, crc32cBitwise(frame[8:]))
	}
}

// crc32cBitwise is the textbook reflected CRC-32C, used to check the table.
func crc32cBitwise(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ 0x82F63B78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func TestFrameStream(t *testing.T) {
	var stream []byte
	msgs := testMessages()
	for _, m := range msgs {
		stream = append(stream, mustFrame(t, m)...)
	}
	// One byte per Read exercises every partial-read path.
	r := iotest.OneByteReader(bytes.NewReader(stream))
	for i, m := range msgs {
		got, _, err := ReadFrame(r, testMaxFrameBytes)
		if err != nil || !sameMessage(got, m) {
			t.Fatalf("frame %d: err=%v", i, err)
		}
	}
	if _, _, err := ReadFrame(r, testMaxFrameBytes); err != io.EOF {
		t.Fatalf("after the last frame: err=%v, want io.EOF", err)
	}
	// DecodeFrame walks the same stream from a buffer.
	for i, m := range msgs {
		got, n, err := DecodeFrame(stream, testMaxFrameBytes)
		if err != nil || !sameMessage(got, m) {
			t.Fatalf("decode frame %d: err=%v", i, err)
		}
		stream = stream[n:]
	}
}

func TestFrameTruncated(t *testing.T) {
	frame := mustFrame(t, Message{From: 1, To: 2, Type: 3, Payload: []byte("payload")})
	for cut := 0; cut < len(frame); cut++ {
		_, _, err := DecodeFrame(frame[:cut], testMaxFrameBytes)
		if !errors.Is(err, ErrFrameTruncated) {
			t.Fatalf("DecodeFrame of %d/%d bytes: err=%v, want ErrFrameTruncated", cut, len(frame), err)
		}
		var fe *FrameError
		if !errors.As(err, &fe) {
			t.Fatalf("DecodeFrame error %T is not a *FrameError", err)
		}
		_, _, err = ReadFrame(bytes.NewReader(frame[:cut]), testMaxFrameBytes)
		want := ErrFrameTruncated
		if cut == 0 {
			want = io.EOF // a clean end between frames
		}
		if !errors.Is(err, want) {
			t.Fatalf("ReadFrame of %d/%d bytes: err=%v, want %v", cut, len(frame), err, want)
		}
	}
}

func TestFrameEveryBitFlipRejected(t *testing.T) {
	frame := mustFrame(t, Message{From: 1, To: 2, Type: 3, Payload: []byte("some payload")})
	for i := range len(frame) * 8 {
		bad := bytes.Clone(frame)
		bad[i/8] ^= 1 << (i % 8)
		_, _, err := DecodeFrame(bad, testMaxFrameBytes)
		var fe *FrameError
		if !errors.As(err, &fe) {
			t.Fatalf("bit %d flipped: err=%v, want a *FrameError", i, err)
		}
		if i >= 32 && !errors.Is(err, ErrFrameChecksum) {
			// Past the length field every flip must be caught by the CRC.
			t.Fatalf("bit %d flipped: err=%v, want ErrFrameChecksum", i, err)
		}
	}
}

func TestFrameHeaderErrors(t *testing.T) {
	header := func(bodyBytes uint32) []byte {
		return binary.BigEndian.AppendUint32(nil, bodyBytes)
	}
	cases := []struct {
		name string
		buf  []byte
		want error
	}{
		{"empty body", append(header(0), make([]byte, 4)...), ErrFrameMalformed},
		{"body shorter than ids", append(header(17), make([]byte, 4+17)...), ErrFrameMalformed},
		{"one byte over max", append(header(testMaxFrameBytes-7), make([]byte, 4)...), ErrFrameTooLarge},
		{"max u32 length", append(header(^uint32(0)), make([]byte, 4)...), ErrFrameTooLarge},
		{"bad crc", append(header(18), make([]byte, 4+18)...), ErrFrameChecksum},
	}
	for _, c := range cases {
		if _, _, err := DecodeFrame(c.buf, testMaxFrameBytes); !errors.Is(err, c.want) {
			t.Errorf("%s: DecodeFrame err=%v, want %v", c.name, err, c.want)
		}
		if _, _, err := ReadFrame(bytes.NewReader(c.buf), testMaxFrameBytes); !errors.Is(err, c.want) {
			t.Errorf("%s: ReadFrame err=%v, want %v", c.name, err, c.want)
		}
	}
}

func TestAppendFrameTooLarge(t *testing.T) {
	m := Message{From: 1, To: 2, Payload: make([]byte, testMaxFrameBytes-FrameOverheadBytes+1)}
	dst := []byte("keep")
	out, err := AppendFrame(dst, m, testMaxFrameBytes)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err=%v, want ErrTooLarge", err)
	}
	if string(out) != "keep" {
		t.Fatalf("dst changed to %q on error", out)
	}
	// Exactly at the maximum is fine.
	m.Payload = m.Payload[1:]
	if _, err := AppendFrame(nil, m, testMaxFrameBytes); err != nil {
		t.Fatalf("frame of exactly the maximum: %v", err)
	}
}

// TestReadFrameDoesNotTrustLength announces a frame just under a large
// maximum, then sends 1 KiB and ends: ReadFrame must fail without having
// allocated anything like the announced size.
func TestReadFrameDoesNotTrustLength(t *testing.T) {
	const maxBytes = DefaultMaxFrameBytes
	buf := binary.BigEndian.AppendUint32(nil, maxBytes-frameHeaderBytes)
	buf = append(buf, make([]byte, 4+1024)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := ReadFrame(bytes.NewReader(buf), maxBytes)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrFrameTruncated) {
		t.Fatalf("err=%v, want ErrFrameTruncated", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("ReadFrame allocated %d bytes for a 1 KiB truncated frame", grew)
	}
}

func TestReadFrameIOError(t *testing.T) {
	frame := mustFrame(t, Message{From: 1, To: 2, Payload: []byte("xyz")})
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(frame[:12]), iotest.ErrReader(boom))
	_, _, err := ReadFrame(r, testMaxFrameBytes)
	if !errors.Is(err, boom) {
		t.Fatalf("err=%v, want it to wrap the reader's error", err)
	}
	if errors.As(err, new(*FrameError)) {
		t.Fatalf("an I/O error was reported as a bad frame: %v", err)
	}
}

func TestFrameMaxPanicsOnNonsense(t *testing.T) {
	for _, maxBytes := range []int{0, FrameOverheadBytes - 1, MaxFrameBytesLimit + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("maxFrameBytes %d: no panic", maxBytes)
				}
			}()
			_, _, _ = DecodeFrame(nil, maxBytes)
		}()
	}
}
