package lsm

import "encoding/binary"

// Bloom filter block layout: bits[ceil(n*bitsPerKey/8) bytes] probes[1 byte].
// Keys are user keys; probes use double hashing of one 64-bit hash, so a
// filter built here answers identically wherever it is read.

const (
	bloomProbesMax = 30
	// bloomBytesMax bounds a filter so a huge key count cannot blow memory.
	bloomBytesMax = 64 << 20
)

// bloomHash is FNV-1a, 64 bits: stable across runs and platforms, which a
// persisted filter requires.
func bloomHash(key []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// buildBloom builds a filter over the given key hashes.
func buildBloom(hashes []uint64, bitsPerKey int) []byte {
	probes := max(1, min(bloomProbesMax, bitsPerKey*69/100))
	nBits := max(64, len(hashes)*bitsPerKey)
	nBytes := min(bloomBytesMax, (nBits+7)/8)
	nBits = nBytes * 8
	filter := make([]byte, nBytes+1)
	for _, h := range hashes {
		delta := h>>33 | h<<31
		for range probes {
			bit := h % uint64(nBits)
			filter[bit/8] |= 1 << (bit % 8)
			h += delta
		}
	}
	filter[nBytes] = byte(probes)
	return filter
}

// bloomMayContain reports whether the key may be in the set. A malformed
// filter answers true: a filter can only ever save work, never hide data.
func bloomMayContain(filter []byte, h uint64) bool {
	if len(filter) < 2 {
		return true
	}
	probes := int(filter[len(filter)-1])
	if probes < 1 || probes > bloomProbesMax {
		return true
	}
	nBits := uint64(len(filter)-1) * 8
	delta := h>>33 | h<<31
	for range probes {
		bit := h % nBits
		if filter[bit/8]&(1<<(bit%8)) == 0 {
			return false
		}
		h += delta
	}
	return true
}

var _ = binary.LittleEndian
