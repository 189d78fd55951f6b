package sim

// FNV-1a 64-bit parameters. The trace hash must be stable across Go versions
// and platforms so a recorded hash stays meaningful; hash/maphash is seeded
// per process and would not be.
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
