package lsm

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"sort"
)

// Block layout (data, index and range-deletion blocks share it):
//
//	entry*  restart[uint32 LE]*  numRestarts[uint32 LE]
//	entry = shared[uvarint] unshared[uvarint] valueLen[uvarint] keySuffix value
//
// Every restartIntervalKeys-th entry stores its whole key (shared = 0) and
// its offset goes in the restart array. On disk each block is followed by a
// 4-byte CRC32C (Castagnoli) of its bytes; a block handle's length excludes it.

const (
	restartIntervalKeys  = 16
	blockTrailerLenBytes = 4
	// blockEntriesMax bounds what a decoder accepts, so a corrupt count
	// cannot make it allocate without limit.
	blockEntriesMax = 1 << 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// errBlockFormat is wrapped by every structural decoding error of a block.
var errBlockFormat = errors.New("malformed block")

// blockBuilder accumulates sorted entries into one block.
type blockBuilder struct {
	buf      []byte
	restarts []uint32
	lastKey  []byte
	count    int
}

func (b *blockBuilder) add(key, value []byte) {
	shared := 0
	if b.count%restartIntervalKeys == 0 {
		b.restarts = append(b.restarts, uint32(len(b.buf)))
	} else {
		shared = sharedPrefixLen(b.lastKey, key)
	}
	b.buf = binary.AppendUvarint(b.buf, uint64(shared))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(key)-shared))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(value)))
	b.buf = append(b.buf, key[shared:]...)
	b.buf = append(b.buf, value...)
	b.lastKey = append(b.lastKey[:0], key...)
	b.count++
}

func (b *blockBuilder) empty() bool { return b.count == 0 }

// estimatedSizeBytes is the size finish would return.
func (b *blockBuilder) estimatedSizeBytes() int { return len(b.buf) + 4*len(b.restarts) + 4 }

// finish returns the block bytes; the builder is reset for reuse after the
// caller has consumed them.
func (b *blockBuilder) finish() []byte {
	for _, r := range b.restarts {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, r)
	}
	b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(b.restarts)))
	return b.buf
}

func (b *blockBuilder) reset() {
	b.buf = b.buf[:0]
	b.restarts = b.restarts[:0]
	b.lastKey = b.lastKey[:0]
	b.count = 0
}

func sharedPrefixLen(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// decodedBlock is a block expanded into its entries. Blocks are decoded
// whole, once, and cached decoded: iteration is then a binary search over
// slices, in both directions, with no per-step parsing.
type decodedBlock struct {
	keys [][]byte
	vals [][]byte
	// sizeBytes is what the block costs in the block cache.
	sizeBytes int
}

// decodeBlock parses block contents (trailer already verified and removed).
// It never panics on malformed input.
func decodeBlock(data []byte) (*decodedBlock, error) {
	if len(data) < 4 {
		return nil, errBlockFormat
	}
	numRestarts := binary.LittleEndian.Uint32(data[len(data)-4:])
	restartsLen := 4 * uint64(numRestarts)
	if restartsLen+4 > uint64(len(data)) {
		return nil, errBlockFormat
	}
	end := len(data) - 4 - int(restartsLen)
	// Copy the entry region once: decoded keys and values alias this copy,
	// not the caller's read buffer.
	body := append([]byte(nil), data[:end]...)
	d := &decodedBlock{sizeBytes: 2*len(body) + 64}
	var prev []byte
	for off := 0; off < len(body); {
		key, val, next, err := decodeEntry(body, off, prev)
		if err != nil {
			return nil, err
		}
		if len(d.keys) >= blockEntriesMax {
			return nil, errBlockFormat
		}
		d.keys = append(d.keys, key)
		d.vals = append(d.vals, val)
		prev = key
		off = next
	}
	d.sizeBytes += 48 * len(d.keys)
	return d, nil
}

func decodeEntry(body []byte, off int, prev []byte) (key, val []byte, next int, err error) {
	var hdr [3]uint64
	for i := range hdr {
		v, n := binary.Uvarint(body[off:])
		if n <= 0 {
			return nil, nil, 0, errBlockFormat
		}
		hdr[i] = v
		off += n
	}
	shared, unshared, valLen := hdr[0], hdr[1], hdr[2]
	if shared > uint64(len(prev)) || unshared > uint64(len(body)-off) ||
		valLen > uint64(len(body)-off)-unshared {
		return nil, nil, 0, errBlockFormat
	}
	key = make([]byte, 0, shared+unshared)
	key = append(key, prev[:shared]...)
	key = append(key, body[off:off+int(unshared)]...)
	off += int(unshared)
	val = body[off : off+int(valLen) : off+int(valLen)]
	return key, val, off + int(valLen), nil
}

// seekGE returns the index of the first key >= target under cmp.
func (d *decodedBlock) seekGE(target []byte, cmp func(a, b []byte) int) int {
	return sort.Search(len(d.keys), func(i int) bool { return cmp(d.keys[i], target) >= 0 })
}

// blockHandle locates a block in a file: offset and length, the length
// excluding the CRC trailer.
type blockHandle struct {
	offset, length uint64
}

func (h blockHandle) append(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, h.offset)
	return binary.AppendUvarint(dst, h.length)
}

func decodeHandle(b []byte) (blockHandle, int, bool) {
	off, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return blockHandle{}, 0, false
	}
	length, n2 := binary.Uvarint(b[n1:])
	if n2 <= 0 {
		return blockHandle{}, 0, false
	}
	return blockHandle{off, length}, n1 + n2, true
}
