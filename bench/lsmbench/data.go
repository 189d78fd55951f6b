package lsmbench

import "encoding/binary"

// The record shape of every workload, as in ANCHORS.md: 16-byte random
// keys and 100-byte values.
const (
	KeySizeBytes   = 16
	ValueSizeBytes = 100
	// RecordSizeBytes is what one write counts as user bytes: the
	// denominator of write amplification for both engines.
	RecordSizeBytes = KeySizeBytes + ValueSizeBytes
)

// Record i of a data set is a pure function of (seed, i), so a reader
// process regenerates any key and its expected value without the writer's
// state, and a wrong value is detected. Keys are uniformly random (no
// order between i and the key), values random bytes (incompressible, so
// Pebble's default Snappy compression saves nothing and both engines
// store the same bytes).

// splitmix64 is a fast bijective mixer: distinct inputs give distinct
// outputs, so keys derived from distinct (seed, i) words never collide in
// their first 8 bytes for one seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// AppendKey appends record i's key to dst.
func AppendKey(dst []byte, seed uint64, i int64) []byte {
	h := splitmix64(seed*0x100000001b3 ^ uint64(i))
	dst = binary.BigEndian.AppendUint64(dst, h)
	return binary.BigEndian.AppendUint64(dst, splitmix64(h))
}

// AppendValue appends record i's value to dst.
func AppendValue(dst []byte, seed uint64, i int64) []byte {
	x := splitmix64(seed ^ 0x5bd1e995 ^ uint64(i)<<1)
	var w [8]byte
	for n := 0; n < ValueSizeBytes; n += 8 {
		x = splitmix64(x)
		binary.LittleEndian.PutUint64(w[:], x)
		dst = append(dst, w[:min(8, ValueSizeBytes-n)]...)
	}
	return dst
}
