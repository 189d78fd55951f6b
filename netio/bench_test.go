package netio

import (
	"bytes"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
)

// Benchmarks only; no test asserts on time.
//
//	go test ./netio -run '^$' -bench . -benchmem

func BenchmarkAppendFrame(b *testing.B) {
	m := Message{From: 1, To: 2, Type: 3, Payload: make([]byte, 256)}
	buf := make([]byte, 0, FrameBytes(m))
	b.SetBytes(int64(FrameBytes(m)))
	for b.Loop() {
		buf, _ = AppendFrame(buf[:0], m, DefaultMaxFrameBytes)
	}
}

func BenchmarkReadFrame(b *testing.B) {
	frame, _ := AppendFrame(nil, Message{From: 1, To: 2, Type: 3, Payload: make([]byte, 256)}, DefaultMaxFrameBytes)
	r := bytes.NewReader(frame)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		r.Reset(frame)
		if _, _, err := ReadFrame(r, DefaultMaxFrameBytes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTCPLoopback measures one-way throughput of 256-byte messages
// between two transports on loopback.
func BenchmarkTCPLoopback(b *testing.B) {
	c := &collector{}
	mk := func(id NodeID, h Handler) *TCPTransport {
		tr, err := NewTCP(TCPConfig{ID: id, ListenAddr: "127.0.0.1:0", Handler: h})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { tr.Close() })
		return tr
	}
	var got atomic.Int64
	done := make(chan struct{})
	want := int64(b.N)
	recv := mk(2, func(Message) {
		if got.Add(1) == want {
			close(done)
		}
	})
	send := mk(1, c.handle)
	if err := send.AddPeer(2, recv.Addr().String()); err != nil {
		b.Fatal(err)
	}
	m := Message{From: 1, To: 2, Type: 1, Payload: make([]byte, 256)}
	b.SetBytes(int64(FrameBytes(m)))
	b.ResetTimer()
	for range b.N {
		for err := send.Send(m); err != nil; err = send.Send(m) {
			if !errors.Is(err, ErrQueueFull) {
				b.Fatal(err)
			}
			runtime.Gosched()
		}
	}
	<-done
}
