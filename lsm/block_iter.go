package lsm

import "encoding/binary"

// rawBlock is a data block as stored (trailer verified and removed), with
// its restart array located and checked once, when the block is loaded.
// Readers search it in place: nothing is expanded, so the block cache
// holds raw bytes and a lookup allocates nothing.
type rawBlock struct {
	data []byte
	// restartsOff is where the restart array starts: the end of the
	// entries.
	restartsOff int
	numRestarts int
}

// blockOverheadBytes is what the cache charges for a block beyond its
// bytes: the rawBlock, its list element and map entry.
const blockOverheadBytes = 128

func (b *rawBlock) sizeBytes() int { return len(b.data) + blockOverheadBytes }

// parseRawBlock checks the block's restart array (see parse).
func parseRawBlock(data []byte) (*rawBlock, error) {
	b := &rawBlock{}
	if err := b.parse(data); err != nil {
		return nil, err
	}
	return b, nil
}

// parse checks the block's restart array: a count that fits, offsets
// ascending inside the entry region, the first one at 0. After it every
// restart offset may be used without further checks; entries are still
// bounds-checked as they are decoded. It never panics.
func (b *rawBlock) parse(data []byte) error {
	if len(data) < 4 {
		return errBlockFormat
	}
	n := binary.LittleEndian.Uint32(data[len(data)-4:])
	if uint64(n)*4+4 > uint64(len(data)) {
		return errBlockFormat
	}
	*b = rawBlock{data: data, numRestarts: int(n), restartsOff: len(data) - 4 - 4*int(n)}
	if b.numRestarts == 0 && b.restartsOff != 0 {
		return errBlockFormat // entries without a restart cannot be decoded
	}
	prev := -1
	for i := range b.numRestarts {
		r := b.restart(i)
		if r <= prev || r >= b.restartsOff || (i == 0 && r != 0) {
			return errBlockFormat
		}
		prev = r
	}
	return nil
}

func (b *rawBlock) restart(i int) int {
	return int(binary.LittleEndian.Uint32(b.data[b.restartsOff+4*i:]))
}

// blockIter walks one rawBlock forward, decoding each entry in place: the
// key is rebuilt in a buffer the iterator reuses, the value aliases the
// block. Key and Value are valid until the next move.
//
// Every length read from the block is checked before it is used, so a
// malformed block (one whose checksum matched but whose contents are
// wrong) yields errBlockFormat, never a panic. Keys are checked to be
// internal keys of a point kind (data blocks hold nothing else).
type blockIter struct {
	b       *rawBlock
	off     int // the current entry's offset
	nextOff int // the next entry's offset; b.restartsOff after the last
	key     []byte
	val     []byte
	valid   bool
	err     error
}

func (it *blockIter) init(b *rawBlock) {
	it.b, it.valid, it.err = b, false, nil
	it.key = it.key[:0]
}

// uvarintAt reads a uvarint at p, with the one-byte case inline.
func uvarintAt(data []byte, p int) (uint64, int) {
	if p < len(data) && data[p] < 0x80 {
		return uint64(data[p]), p + 1
	}
	if p >= len(data) {
		return 0, -1
	}
	v, n := binary.Uvarint(data[p:])
	if n <= 0 {
		return 0, -1
	}
	return v, p + n
}

// entryHeader parses the entry at off: shared and unshared key lengths,
// value length, and where the key suffix starts. ok is false if any of it
// runs past the entry region.
func (it *blockIter) entryHeader(off int) (shared, unshared, valLen, p int, ok bool) {
	region := it.b.data[:it.b.restartsOff]
	s, p := uvarintAt(region, off)
	if p < 0 {
		return 0, 0, 0, 0, false
	}
	u, p := uvarintAt(region, p)
	if p < 0 {
		return 0, 0, 0, 0, false
	}
	v, p := uvarintAt(region, p)
	if p < 0 {
		return 0, 0, 0, 0, false
	}
	rest := uint64(len(region) - p)
	if u > rest || v > rest-u {
		return 0, 0, 0, 0, false
	}
	return int(min(s, uint64(len(region)))), int(u), int(v), p, true
}

// decodeAt decodes the entry at off, whose predecessor's key is in it.key
// (or any key, for a restart entry, which shares nothing).
func (it *blockIter) decodeAt(off int) bool {
	shared, unshared, valLen, p, ok := it.entryHeader(off)
	if !ok || shared > len(it.key) || shared+unshared < trailerLenBytes {
		return it.fail()
	}
	it.key = append(it.key[:shared], it.b.data[p:p+unshared]...)
	if Kind(it.key[len(it.key)-trailerLenBytes]) > KindSet {
		return it.fail()
	}
	p += unshared
	it.val = it.b.data[p : p+valLen : p+valLen]
	it.off, it.nextOff, it.valid = off, p+valLen, true
	return true
}

func (it *blockIter) fail() bool {
	it.valid = false
	it.err = errBlockFormat
	return false
}

// restartKey returns the whole key stored at restart i, in place.
func (it *blockIter) restartKey(i int) ([]byte, bool) {
	shared, unshared, _, p, ok := it.entryHeader(it.b.restart(i))
	if !ok || shared != 0 || unshared < trailerLenBytes {
		return nil, false
	}
	return it.b.data[p : p+unshared], true
}

// searchRestarts returns the number of restarts whose key is < target.
func (it *blockIter) searchRestarts(target []byte) (int, bool) {
	lo, hi := 0, it.b.numRestarts
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		k, ok := it.restartKey(mid)
		if !ok {
			return 0, it.fail()
		}
		if compareInternal(k, target) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, true
}

// first positions at the first entry.
func (it *blockIter) first() bool {
	it.valid = false
	if it.b.restartsOff == 0 {
		return false
	}
	return it.decodeAt(0)
}

// next moves to the following entry; false past the last one.
func (it *blockIter) next() bool {
	if !it.valid {
		return false
	}
	if it.nextOff >= it.b.restartsOff {
		it.valid = false
		return false
	}
	return it.decodeAt(it.nextOff)
}

// seekGE positions at the first entry >= target: a binary search over the
// restart keys, then at most one restart interval decoded forward.
func (it *blockIter) seekGE(target []byte) bool {
	it.valid = false
	n, ok := it.searchRestarts(target)
	if !ok {
		return false
	}
	if n > 0 {
		n--
	}
	if it.b.numRestarts == 0 || !it.decodeAt(it.b.restart(n)) {
		return false
	}
	for compareInternal(it.key, target) < 0 {
		if !it.next() {
			return false
		}
	}
	return true
}

// seekLT positions at the last entry < target. It counts the entries below
// target in the restart interval, then decodes up to that one again: keys
// are delta-encoded forward, so the one before cannot be recovered.
func (it *blockIter) seekLT(target []byte) bool {
	it.valid = false
	n, ok := it.searchRestarts(target)
	if !ok || n == 0 {
		return false
	}
	start := it.b.restart(n - 1)
	below := 0
	for ok := it.decodeAt(start); ok && compareInternal(it.key, target) < 0; ok = it.next() {
		below++
	}
	if it.err != nil || below == 0 {
		return false
	}
	it.decodeAt(start)
	for range below - 1 {
		it.next()
	}
	return it.valid
}

// last positions at the last entry.
func (it *blockIter) last() bool {
	it.valid = false
	if it.b.numRestarts == 0 || !it.decodeAt(it.b.restart(it.b.numRestarts-1)) {
		return false
	}
	for it.nextOff < it.b.restartsOff {
		if !it.decodeAt(it.nextOff) {
			return false
		}
	}
	return true
}
