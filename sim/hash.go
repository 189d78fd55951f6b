package sim

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// FNV-1a 64-bit parameters. Random streams are seeded from an FNV hash of
// (seed, name), so it must stay exactly as it is: another function would
// give every seed another run. Hashes must be stable across Go versions and
// platforms; hash/maphash is seeded per process and would not be. The trace
// hash uses the faster traceHasher below.
const (
	fnvOffset64 uint64 = 14695981039346656037
	fnvPrime64  uint64 = 1099511628211
)

// hasher is an incremental FNV-1a 64 hash. The zero value is not ready; use
// newHasher.
type hasher struct{ sum uint64 }

func newHasher() hasher { return hasher{sum: fnvOffset64} }

func (h *hasher) writeByte(b byte) {
	h.sum ^= uint64(b)
	h.sum *= fnvPrime64
}

// writeU64 mixes v little-endian, byte by byte, without allocating.
func (h *hasher) writeU64(v uint64) {
	for i := 0; i < 8; i++ {
		h.writeByte(byte(v >> (8 * i)))
	}
}

// writeBytes mixes the length first so that ("ab","c") and ("a","bc") differ.
func (h *hasher) writeBytes(b []byte) {
	h.writeU64(uint64(len(b)))
	for _, c := range b {
		h.writeByte(c)
	}
}

func (h *hasher) writeString(s string) {
	h.writeU64(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h.writeByte(s[i])
	}
}

// hashBytes is the FNV-1a 64 of b alone, used to summarise payloads.
func hashBytes(b []byte) uint64 {
	h := newHasher()
	h.writeBytes(b)
	return h.sum
}

// splitmix64 finalises a hash into well-spread PRNG seed words; FNV's low
// bits are weak on short inputs.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// The trace hash sees every event, so it is built for speed: a word at a
// time, xxHash64's round and final mix (the constants are xxHash64's
// primes), written out here so it is the same on every platform and Go
// version. It summarises a run for determinism checks only; it needs no
// cryptographic strength, only to change whenever the run does.
const (
	tracePrime1 uint64 = 0x9e3779b185ebca87
	tracePrime2 uint64 = 0xc2b2ae3d27d4eb4f
	tracePrime3 uint64 = 0x165667b19e3779f9
)

// traceHasher is the kernel's running trace hash. Use newTraceHasher.
type traceHasher struct{ acc uint64 }

func newTraceHasher(seed uint64) traceHasher {
	h := traceHasher{acc: tracePrime3}
	h.writeU64(seed)
	return h
}

// writeU64 mixes one word: order-sensitive, every bit of v reaches acc.
func (h *traceHasher) writeU64(v uint64) {
	h.acc = bits.RotateLeft64(h.acc^(v*tracePrime2), 31)*tracePrime1 + tracePrime3
}

// writeString mixes the length, then the bytes eight at a time.
func (h *traceHasher) writeString(s string) {
	h.writeU64(uint64(len(s)))
	for len(s) >= 8 {
		h.writeU64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
		s = s[8:]
	}
	var w uint64
	for i := len(s) - 1; i >= 0; i-- {
		w = w<<8 | uint64(s[i])
	}
	if len(s) > 0 {
		h.writeU64(w)
	}
}

// writeBytes mixes the length, then the bytes eight at a time.
func (h *traceHasher) writeBytes(b []byte) {
	h.writeU64(uint64(len(b)))
	for len(b) >= 8 {
		h.writeU64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var w uint64
	for i := len(b) - 1; i >= 0; i-- {
		w = w<<8 | uint64(b[i])
	}
	if len(b) > 0 {
		h.writeU64(w)
	}
}

// final avalanches the accumulator (xxHash64's last step).
func (h traceHasher) final() uint64 {
	x := h.acc
	x ^= x >> 33
	x *= tracePrime2
	x ^= x >> 29
	x *= tracePrime3
	return x ^ x>>32
}

// payloadDigest summarises a delivered payload for the trace: its length
// and CRC-32C, which the hardware computes at many bytes per cycle where
// FNV takes several cycles per byte.
func payloadDigest(b []byte) uint64 {
	return uint64(len(b))<<32 | uint64(crc32.Checksum(b, castagnoli))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
