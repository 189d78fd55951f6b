//go:build invariants

package netio

import (
	"bytes"
	"fmt"
)

// checkEncodedFrame decodes frame again and panics unless it yields m: an
// encoder bug would otherwise surface only as a CRC error on another node.
func checkEncodedFrame(frame []byte, m Message, maxFrameBytes int) {
	got, n, err := DecodeFrame(frame, maxFrameBytes)
	if err != nil {
		panic(fmt.Sprintf("netio: freshly encoded frame does not decode: %v", err))
	}
	if n != len(frame) {
		panic(fmt.Sprintf("netio: frame decodes to %d of its %d bytes", n, len(frame)))
	}
	if got.From != m.From || got.To != m.To || got.Type != m.Type || !bytes.Equal(got.Payload, m.Payload) {
		panic("netio: frame decodes to a different message")
	}
}
