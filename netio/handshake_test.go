package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net"
	"strings"
	"testing"
)

func TestHelloRoundTrip(t *testing.T) {
	for _, h := range []hello{
		{from: 7, to: 9, addr: "10.0.0.7:9090"},
		{from: 7, to: 0},
		{from: 1, to: 2, addr: "[::]:9090"},
		{from: ^NodeID(0), to: ^NodeID(0), addr: strings.Repeat("a", AdvertiseAddrBytesMax-5) + ":9090"},
	} {
		b := appendHello(nil, h)
		if string(b[:4]) != "LNDB" || binary.BigEndian.Uint16(b[4:6]) != 2 || len(b) != helloFixedBytes+len(h.addr)+helloCRCBytes {
			t.Fatalf("hello %x does not match the documented layout", b)
		}
		got, err := decodeHello(b)
		if err != nil || got != h {
			t.Fatalf("decode(%+v) = %+v, %v", h, got, err)
		}
		got, err = readHello(bytes.NewReader(append(b, "trailing frame bytes"...)))
		if err != nil || got != h {
			t.Fatalf("readHello(%+v) = %+v, %v", h, got, err)
		}
	}
}

// TestHelloRejects flips every bit of a hello and feeds other broken
// hellos: each must be refused with ErrBadHandshake, never accepted and
// never a panic.
func TestHelloRejects(t *testing.T) {
	good := appendHello(nil, hello{from: 7, to: 9, addr: "127.0.0.1:9090"})
	for i := range len(good) * 8 {
		bad := bytes.Clone(good)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := readHello(bytes.NewReader(bad)); !errors.Is(err, ErrBadHandshake) {
			t.Fatalf("bit %d flipped: err=%v, want ErrBadHandshake", i, err)
		}
	}
	v1 := []byte("LNDB\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02)\xa0{L")
	cases := map[string][]byte{
		"version 1":         v1,
		"zero sender":       resum(withField(good, 6, 0)),
		"address too long":  binary.BigEndian.AppendUint16(bytes.Clone(good[:22]), AdvertiseAddrBytesMax+1),
		"truncated":         good[:len(good)-1],
		"empty":             nil,
		"http probe":        []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"address not addr":  resum(helloWithRawAddr("no port here")),
		"address port zero": resum(helloWithRawAddr("host:0")),
		"address control":   resum(helloWithRawAddr("ho\x00st:1")),
	}
	for name, b := range cases {
		if _, err := readHello(bytes.NewReader(b)); !errors.Is(err, ErrBadHandshake) {
			t.Errorf("%s: err=%v, want ErrBadHandshake", name, err)
		}
	}
}

// helloWithRawAddr encodes a hello around addr without appendHello's
// checks (the CRC is fixed up by resum).
func helloWithRawAddr(addr string) []byte {
	b := appendHello(nil, hello{from: 7, to: 9})
	b = b[:22]
	b = binary.BigEndian.AppendUint16(b, uint16(len(addr)))
	b = append(b, addr...)
	return append(b, 0, 0, 0, 0)
}

// withField overwrites the 8-byte field at off with v.
func withField(b []byte, off int, v uint64) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint64(b[off:], v)
	return b
}

// resum recomputes a hello's CRC so only the intended fault remains.
func resum(b []byte) []byte {
	n := len(b) - helloCRCBytes
	binary.BigEndian.PutUint32(b[n:], crc32.Checksum(b[:n], castagnoli))
	return b
}

func TestReply(t *testing.T) {
	r := appendReply(nil, 42)
	if string(r[:4]) != "LNDR" || len(r) != replyBytes {
		t.Fatalf("reply %x does not match the documented layout", r)
	}
	if id, err := readReply(bytes.NewReader(r)); err != nil || id != 42 {
		t.Fatalf("readReply = %d, %v", id, err)
	}
	for i := range len(r) * 8 {
		bad := bytes.Clone(r)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := decodeReply(bad); !errors.Is(err, ErrBadHandshake) {
			t.Fatalf("bit %d flipped: err=%v, want ErrBadHandshake", i, err)
		}
	}
	zero := bytes.Clone(r)
	binary.BigEndian.PutUint64(zero[6:], 0)
	binary.BigEndian.PutUint32(zero[14:], crc32.Checksum(zero[:14], castagnoli))
	if _, err := decodeReply(zero); !errors.Is(err, ErrBadHandshake) {
		t.Fatalf("reply from node 0 accepted: %v", err)
	}
	// A hello is not a reply, whatever its length.
	if _, err := decodeReply(appendHello(nil, hello{from: 1})[:replyBytes]); !errors.Is(err, ErrBadHandshake) {
		t.Fatalf("hello accepted as a reply: %v", err)
	}
	if _, err := readReply(bytes.NewReader(r[:5])); !errors.Is(err, ErrBadHandshake) {
		t.Fatalf("short reply accepted: %v", err)
	}
}

func TestResolveAdvertised(t *testing.T) {
	remote := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 40000}
	for _, c := range []struct{ addr, want string }{
		{"node1:9090", "node1:9090"},
		{"127.0.0.1:9090", "127.0.0.1:9090"},
		{"0.0.0.0:9090", "10.1.2.3:9090"},
		{"[::]:9090", "10.1.2.3:9090"},
		{":9090", "10.1.2.3:9090"},
		{"garbage", ""},
	} {
		if got := resolveAdvertised(c.addr, remote); got != c.want {
			t.Errorf("resolveAdvertised(%q) = %q, want %q", c.addr, got, c.want)
		}
	}
}

// FuzzHandshake feeds arbitrary bytes to the hello and reply decoders:
// they must never panic, and whatever decodes must re-encode to the same
// bytes.
//
//	go test ./netio -run '^$' -fuzz FuzzHandshake -fuzztime 30s
func FuzzHandshake(f *testing.F) {
	f.Add(appendHello(nil, hello{from: 1, to: 2, addr: "127.0.0.1:9090"}))
	f.Add(appendHello(nil, hello{from: 1}))
	f.Add(appendReply(nil, 3))
	f.Add([]byte("LNDB\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := readHello(bytes.NewReader(data)); err == nil {
			n := helloFixedBytes + len(h.addr) + helloCRCBytes
			if !bytes.Equal(appendHello(nil, h), data[:n]) {
				t.Fatalf("hello %+v does not re-encode to its bytes", h)
			}
		} else if !errors.Is(err, ErrBadHandshake) {
			t.Fatalf("hello error %v is not ErrBadHandshake", err)
		}
		if len(data) >= replyBytes {
			if id, err := decodeReply(data[:replyBytes]); err == nil && !bytes.Equal(appendReply(nil, id), data[:replyBytes]) {
				t.Fatalf("reply %d does not re-encode to its bytes", id)
			}
		}
	})
}
