package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strconv"
)

// Handshake, version 2. A dialer writes a hello first thing on a new
// connection; the listener answers with a reply naming itself, then only
// reads. Integers are big-endian.
//
// Hello (dialer → listener), 28 + n bytes:
//
//	offset  size  field
//	0       4     magic    "LNDB"
//	4       2     version  handshakeVersion (2)
//	6       8     from     the dialing node, never zero
//	14      8     to       the node the dialer means to reach; zero makes
//	                       the connection a discovery probe
//	22      2     n        length of addr, at most AdvertiseAddrBytesMax
//	24      n     addr     where the dialer accepts connections (host:port;
//	                       an unspecified host means "the address this
//	                       connection comes from"), or empty
//	24+n    4     crc32c   CRC-32C (Castagnoli) of bytes 0..24+n
//
// Reply (listener → dialer), 18 bytes:
//
//	0       4     magic    "LNDR"
//	4       2     version  handshakeVersion (2)
//	6       8     id       the listening node, never zero
//	14      4     crc32c   CRC-32C of bytes 0..14
//
// The magic, the version and the bound on n are checked on the first 24
// bytes, before anything else is read, so a stray client (an HTTP probe, a
// port scanner, a version-1 node) is turned away without being able to
// make the listener wait for or buffer more. The listener replies to every
// valid hello, even one addressed to another node, so the dialer learns
// whose address it reached; a dialer whose expected node and the replied
// id differ closes the connection, as does a listener addressed to
// another id. A probe (to = 0) gets its reply and is closed: it is how a
// node given only host:port learns the node id living there (Discover).
const (
	handshakeVersion = 2
	handshakeMagic   = "LNDB"
	replyMagic       = "LNDR"
	// helloFixedBytes is the part of a hello read before its address.
	helloFixedBytes = 24
	helloCRCBytes   = 4
	replyBytes      = 18

	// AdvertiseAddrBytesMax bounds the address a hello carries.
	AdvertiseAddrBytesMax = 255
	// helloBytesMax is the largest hello a listener reads.
	helloBytesMax = helloFixedBytes + AdvertiseAddrBytesMax + helloCRCBytes
)

// ErrBadHandshake reports a connection whose first bytes are not a valid
// handshake (hello or reply).
var ErrBadHandshake = errors.New("netio: bad handshake")

// ErrWrongNode reports a reply from a node other than the one the dialer
// expected at that address: its address book is stale.
var ErrWrongNode = errors.New("netio: address belongs to another node")

// hello is a decoded hello.
type hello struct {
	from, to NodeID
	// addr is the dialer's advertised listening address, possibly empty.
	addr string
}

func (h hello) probe() bool { return h.to == 0 }

// appendHello appends h's encoding. h must be valid (non-zero from, an
// address within AdvertiseAddrBytesMax): the transport only builds hellos
// from checked configuration.
func appendHello(dst []byte, h hello) []byte {
	if h.from == 0 || len(h.addr) > AdvertiseAddrBytesMax {
		panic("netio: encoding an invalid hello")
	}
	start := len(dst)
	dst = append(dst, handshakeMagic...)
	dst = binary.BigEndian.AppendUint16(dst, handshakeVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.from))
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.to))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(h.addr)))
	dst = append(dst, h.addr...)
	dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
	if len(dst)-start != helloFixedBytes+len(h.addr)+helloCRCBytes {
		panic("netio: encoded hello has the wrong size")
	}
	return dst
}

// checkHelloHead validates a hello's first helloFixedBytes bytes and
// returns how many more bytes the hello has.
func checkHelloHead(b []byte) (rest int, err error) {
	if len(b) != helloFixedBytes {
		return 0, fmt.Errorf("%w: %d header bytes, want %d", ErrBadHandshake, len(b), helloFixedBytes)
	}
	if string(b[0:4]) != handshakeMagic {
		return 0, fmt.Errorf("%w: magic %q", ErrBadHandshake, b[0:4])
	}
	if v := binary.BigEndian.Uint16(b[4:6]); v != handshakeVersion {
		return 0, fmt.Errorf("%w: version %d, want %d", ErrBadHandshake, v, handshakeVersion)
	}
	n := int(binary.BigEndian.Uint16(b[22:24]))
	if n > AdvertiseAddrBytesMax {
		return 0, fmt.Errorf("%w: address of %d bytes, at most %d", ErrBadHandshake, n, AdvertiseAddrBytesMax)
	}
	return n + helloCRCBytes, nil
}

// decodeHello validates a whole hello (exactly its size) and returns it.
func decodeHello(b []byte) (hello, error) {
	if len(b) < helloFixedBytes {
		return hello{}, fmt.Errorf("%w: %d bytes, want at least %d", ErrBadHandshake, len(b), helloFixedBytes)
	}
	rest, err := checkHelloHead(b[:helloFixedBytes])
	if err != nil {
		return hello{}, err
	}
	if len(b) != helloFixedBytes+rest {
		return hello{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadHandshake, len(b), helloFixedBytes+rest)
	}
	body, sum := b[:len(b)-helloCRCBytes], b[len(b)-helloCRCBytes:]
	if got, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(sum); got != want {
		return hello{}, fmt.Errorf("%w: checksum %08x, hello says %08x", ErrBadHandshake, got, want)
	}
	h := hello{
		from: NodeID(binary.BigEndian.Uint64(b[6:14])),
		to:   NodeID(binary.BigEndian.Uint64(b[14:22])),
		addr: string(body[helloFixedBytes:]),
	}
	if h.from == 0 {
		return hello{}, fmt.Errorf("%w: zero sender id", ErrBadHandshake)
	}
	if h.addr != "" {
		if err := checkAdvertiseAddr(h.addr); err != nil {
			return hello{}, fmt.Errorf("%w: %v", ErrBadHandshake, err)
		}
	}
	return h, nil
}

// readHello reads one hello from r, checking the fixed part before
// reading the rest, so at most helloBytesMax bytes are ever read.
func readHello(r io.Reader) (hello, error) {
	var buf [helloBytesMax]byte
	if _, err := io.ReadFull(r, buf[:helloFixedBytes]); err != nil {
		return hello{}, fmt.Errorf("%w: reading: %v", ErrBadHandshake, err)
	}
	rest, err := checkHelloHead(buf[:helloFixedBytes])
	if err != nil {
		return hello{}, err
	}
	if _, err := io.ReadFull(r, buf[helloFixedBytes:helloFixedBytes+rest]); err != nil {
		return hello{}, fmt.Errorf("%w: reading: %v", ErrBadHandshake, err)
	}
	return decodeHello(buf[:helloFixedBytes+rest])
}

// appendReply appends the reply a listener with id sends.
func appendReply(dst []byte, id NodeID) []byte {
	if id == 0 {
		panic("netio: encoding a reply from node 0")
	}
	start := len(dst)
	dst = append(dst, replyMagic...)
	dst = binary.BigEndian.AppendUint16(dst, handshakeVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(id))
	dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
	if len(dst)-start != replyBytes {
		panic("netio: encoded reply has the wrong size")
	}
	return dst
}

// decodeReply validates a reply (exactly replyBytes long) and returns the
// listener's id.
func decodeReply(b []byte) (NodeID, error) {
	if len(b) != replyBytes {
		return 0, fmt.Errorf("%w: reply of %d bytes, want %d", ErrBadHandshake, len(b), replyBytes)
	}
	if string(b[0:4]) != replyMagic {
		return 0, fmt.Errorf("%w: reply magic %q", ErrBadHandshake, b[0:4])
	}
	if got, want := crc32.Checksum(b[:14], castagnoli), binary.BigEndian.Uint32(b[14:]); got != want {
		return 0, fmt.Errorf("%w: reply checksum %08x, reply says %08x", ErrBadHandshake, got, want)
	}
	if v := binary.BigEndian.Uint16(b[4:6]); v != handshakeVersion {
		return 0, fmt.Errorf("%w: reply version %d, want %d", ErrBadHandshake, v, handshakeVersion)
	}
	id := NodeID(binary.BigEndian.Uint64(b[6:14]))
	if id == 0 {
		return 0, fmt.Errorf("%w: reply from node 0", ErrBadHandshake)
	}
	return id, nil
}

// readReply reads and validates a reply from r.
func readReply(r io.Reader) (NodeID, error) {
	var b [replyBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, fmt.Errorf("%w: reading reply: %v", ErrBadHandshake, err)
	}
	return decodeReply(b[:])
}

// checkAdvertiseAddr accepts host:port with a numeric port, the host
// possibly empty or unspecified ("", 0.0.0.0, ::).
func checkAdvertiseAddr(addr string) error {
	if len(addr) > AdvertiseAddrBytesMax {
		return fmt.Errorf("advertised address of %d bytes, at most %d", len(addr), AdvertiseAddrBytesMax)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("advertised address %q: %v", addr, err)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("advertised address %q: port must be 1-65535", addr)
	}
	for _, c := range []byte(host) {
		if c <= ' ' || c > '~' || c == '/' {
			return fmt.Errorf("advertised address %q: host has a forbidden character", addr)
		}
	}
	return nil
}

// resolveAdvertised turns the address a hello advertised into one this
// node can dial: an empty or unspecified host (a node listening on
// 0.0.0.0) is replaced by the IP the connection came from.
func resolveAdvertised(addr string, remote net.Addr) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return addr
	}
	tcp, ok := remote.(*net.TCPAddr)
	if !ok || tcp.IP == nil {
		return ""
	}
	return net.JoinHostPort(tcp.IP.String(), port)
}
