package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// fuzzMaxFrameBytes keeps the fuzzer's frames small so it explores
// structure, not size.
const fuzzMaxFrameBytes = 4096

// FuzzDecodeFrame feeds arbitrary bytes to the decoders and checks that
// they never panic, that DecodeFrame and ReadFrame agree, that whatever
// decodes re-encodes to the same bytes, and that a Message built from the
// same bytes survives encode then decode unchanged.
//
//	go test ./netio -run '^$' -fuzz FuzzDecodeFrame -fuzztime 30s
func FuzzDecodeFrame(f *testing.F) {
	valid, _ := AppendFrame(nil, Message{From: 1, To: 2, Type: 3, Payload: []byte("seed")}, fuzzMaxFrameBytes)
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add([]byte{})
	f.Add(binary.BigEndian.AppendUint32(nil, ^uint32(0)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		checkRoundTrip(t, data)
	})
}

func checkDecode(t *testing.T, data []byte) {
	m, n, err := DecodeFrame(data, fuzzMaxFrameBytes)
	rm, rn, rerr := ReadFrame(bytes.NewReader(data), fuzzMaxFrameBytes)
	if err != nil {
		if !errors.As(err, new(*FrameError)) {
			t.Fatalf("DecodeFrame error %T is not a *FrameError: %v", err, err)
		}
		if rerr == nil {
			t.Fatalf("ReadFrame accepted what DecodeFrame rejected (%v)", err)
		}
		return
	}
	if rerr != nil || rn != n || !sameMessage(m, rm) {
		t.Fatalf("ReadFrame disagrees with DecodeFrame: n=%d/%d err=%v", rn, n, rerr)
	}
	again, err := AppendFrame(nil, m, fuzzMaxFrameBytes)
	if err != nil || !bytes.Equal(again, data[:n]) {
		t.Fatalf("decoded frame does not re-encode to its bytes: err=%v", err)
	}
}

func checkRoundTrip(t *testing.T, data []byte) {
	if len(data) < frameBodyMinBytes {
		return
	}
	m := Message{
		From:    NodeID(binary.LittleEndian.Uint64(data[0:8])),
		To:      NodeID(binary.LittleEndian.Uint64(data[8:16])),
		Type:    MessageType(binary.LittleEndian.Uint16(data[16:18])),
		Payload: data[frameBodyMinBytes:],
	}
	frame, err := AppendFrame(nil, m, fuzzMaxFrameBytes)
	if FrameBytes(m) > fuzzMaxFrameBytes {
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversized message: err=%v, want ErrTooLarge", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("AppendFrame: %v", err)
	}
	got, n, err := DecodeFrame(frame, fuzzMaxFrameBytes)
	if err != nil || n != len(frame) || !sameMessage(got, m) {
		t.Fatalf("decode(encode(m)) != m: n=%d err=%v", n, err)
	}
}
