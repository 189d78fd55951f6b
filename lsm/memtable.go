package lsm

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
)

// A memtable is a skiplist laid out in a byte arena: every node is
//
//	prefix[u64 BE] keyLen[u32] valueLen[u32] height[u32] next[u32 × height] key value
//
// where prefix is the user key's first 8 bytes (zero padded) and next
// holds arena offsets (0, the head's offset, means none). Nodes, keys and
// values share the arena, so an insert costs no Go allocation, the GC has
// no pointers to scan, and the memtable's size is counted in real bytes.
// Comparing prefixes as integers settles most comparisons of findGE
// without touching the keys.
//
// The arena is a list of fixed-size chunks (a power of two): offset o is
// byte o&mask of chunk o>>shift. A node never straddles two chunks; one
// bigger than a chunk gets a slice of its own at a chunk boundary, covering
// the slots it spans (the later ones stay nil). Chunks are allocated as the
// memtable fills, never copied, and go back to the DB's chunkPool when the
// memtable is flushed and no iterator reads it.
const (
	skiplistHeightMax = 20
	nodePrefixOff     = 0
	nodeKeyLenOff     = 8
	nodeValueLenOff   = 12
	nodeHeightOff     = 16
	nodeTowerOff      = 20
	// memtableNodeOverheadBytes is the cost of a range deletion beyond its
	// keys (they live outside the arena).
	memtableNodeOverheadBytes = 64
	// memtableArenaBytesMax is what uint32 offsets can address.
	memtableArenaBytesMax = 1<<32 - 1
	// memtableChunkBytesMin and Max bound an arena chunk: an eighth of the
	// memtable's budget, rounded up to a power of two.
	memtableChunkBytesMin = 1 << 10
	memtableChunkBytesMax = 1 << 20
	// memtableOpBytesMax bounds what one op adds beyond its key and value:
	// a node header, a full tower and the trailer.
	memtableOpBytesMax = nodeTowerOff + 4*skiplistHeightMax + trailerLenBytes
)

// memtable is a skiplist of internal keys plus the batch's range
// tombstones. It is written by one owner; iterators over it see inserts made
// after they were created (callers only rely on entries <= their snapshot).
type memtable struct {
	chunks [][]byte
	shift  int // chunk size = 1 << shift
	mask   int
	used   int // the next free arena offset
	pool   *chunkPool
	height int
	rng    *rand.Rand
	// sizeBytes is the arena's used length plus rangeDelBytes: real bytes.
	sizeBytes     int64
	count         int
	rangeDels     []rangeTombstone
	rangeDelBytes int64
	// largestSeq is the newest seq in the memtable; 0 when empty.
	largestSeq uint64
	// logNum is the WAL file holding this memtable's batches (0: no WAL).
	logNum uint64
	// refs counts open Iterators reading the memtable: its arena may be
	// reused after its flush only once none is left.
	refs    int
	flushed bool
}

// chunkPool keeps the chunks of flushed memtables for the next ones, so a
// steady write load stops allocating arenas. Bounded by chunksMax: about
// one memtable's worth.
type chunkPool struct {
	chunkBytes int
	chunks     [][]byte
	chunksMax  int
}

func newChunkPool(memtableBytes int64) *chunkPool {
	c := memtableChunkBytesMin
	for c < memtableChunkBytesMax && int64(c)*8 < memtableBytes {
		c *= 2
	}
	return &chunkPool{chunkBytes: c, chunksMax: int(memtableBytes/int64(c)) + 2}
}

func (p *chunkPool) get() []byte {
	if n := len(p.chunks); n > 0 {
		c := p.chunks[n-1]
		p.chunks[n-1] = nil
		p.chunks = p.chunks[:n-1]
		return c
	}
	return make([]byte, p.chunkBytes)
}

func (p *chunkPool) put(c []byte) {
	if len(c) == p.chunkBytes && len(p.chunks) < p.chunksMax {
		p.chunks = append(p.chunks, c)
	}
}

// newMemtable seeds the tower-height PRNG with a constant: heights only
// shape performance, and a fixed seed keeps runs reproducible.
func newMemtable(logNum uint64, pool *chunkPool) *memtable {
	m := &memtable{
		pool:   pool,
		height: 1,
		rng:    rand.New(rand.NewPCG(0x6c736d, logNum)),
		logNum: logNum,
	}
	for 1<<m.shift < pool.chunkBytes {
		m.shift++
	}
	m.mask = 1<<m.shift - 1
	m.allocNode(skiplistHeightMax, 0) // the head, at offset 0
	m.sizeBytes = int64(m.used)
	return m
}

// release hands the chunks back to the pool; m must not be read again.
func (m *memtable) release() {
	for _, c := range m.chunks {
		if c != nil {
			m.pool.put(c)
		}
	}
	m.chunks = nil
}

func (m *memtable) randomHeight() int {
	h := 1
	for h < skiplistHeightMax && m.rng.Uint32()%4 == 0 {
		h++
	}
	return h
}

// allocNode places a node with a zeroed tower and room for size key and
// value bytes, and returns its offset.
func (m *memtable) allocNode(height, size int) int {
	need := nodeTowerOff + 4*height + size
	chunkBytes := m.mask + 1
	if m.used&m.mask == 0 || m.used&m.mask+need > chunkBytes {
		m.used = (m.used + m.mask) &^ m.mask // the next chunk boundary
		if m.used+need > memtableArenaBytesMax {
			panic("lsm: memtable arena beyond memtableArenaBytesMax")
		}
		if need <= chunkBytes {
			m.chunks = append(m.chunks, m.pool.get())
		} else {
			m.chunks = append(m.chunks, make([]byte, need))
			for range (need + m.mask) >> m.shift {
				m.chunks = append(m.chunks, nil)
			}
			m.chunks = m.chunks[:len(m.chunks)-1]
		}
	}
	n := m.used
	m.used += need
	if need > chunkBytes {
		m.used = (m.used + m.mask) &^ m.mask // the slots it spans are taken
	}
	b := m.at(n)
	clear(b[:nodeTowerOff+4*height])
	binary.LittleEndian.PutUint32(b[nodeHeightOff:], uint32(height))
	return n
}

// at returns the arena from offset n to the end of its chunk.
func (m *memtable) at(n int) []byte { return m.chunks[n>>m.shift][n&m.mask:] }

func (m *memtable) next(n, level int) int {
	return int(binary.LittleEndian.Uint32(m.at(n)[nodeTowerOff+4*level:]))
}

func (m *memtable) setNext(n, level, to int) {
	binary.LittleEndian.PutUint32(m.at(n)[nodeTowerOff+4*level:], uint32(to))
}

// key returns node n's internal key, aliasing the arena.
func (m *memtable) key(n int) []byte {
	b := m.at(n)
	s := nodeTowerOff + 4*int(binary.LittleEndian.Uint32(b[nodeHeightOff:]))
	e := s + int(binary.LittleEndian.Uint32(b[nodeKeyLenOff:]))
	return b[s:e:e]
}

// value returns node n's value, aliasing the arena.
func (m *memtable) value(n int) []byte {
	b := m.at(n)
	s := nodeTowerOff + 4*int(binary.LittleEndian.Uint32(b[nodeHeightOff:])) + int(binary.LittleEndian.Uint32(b[nodeKeyLenOff:]))
	e := s + int(binary.LittleEndian.Uint32(b[nodeValueLenOff:]))
	return b[s:e:e]
}

// keyPrefix is the first 8 bytes of a user key, zero padded, as a
// big-endian integer: unequal prefixes order keys as bytes.Compare would;
// equal ones say nothing (a short key is padded with zeros).
func keyPrefix(uk []byte) uint64 {
	if len(uk) >= 8 {
		return binary.BigEndian.Uint64(uk)
	}
	var b [8]byte
	copy(b[:], uk)
	return binary.BigEndian.Uint64(b[:])
}

// less reports whether node n's key is < ikey, whose user key prefix is kp.
func (m *memtable) less(n int, ikey []byte, kp uint64) bool {
	if p := binary.LittleEndian.Uint64(m.at(n)[nodePrefixOff:]); p != kp {
		return p < kp
	}
	return compareInternal(m.key(n), ikey) < 0
}

// findGE fills prev (if not nil) with the rightmost node before key at each
// level and returns the first node >= key, or 0.
func (m *memtable) findGE(key []byte, prev *[skiplistHeightMax]int) int {
	kp := keyPrefix(userKeyOf(key))
	x := 0
	for level := m.height - 1; level >= 0; level-- {
		for n := m.next(x, level); n != 0 && m.less(n, key, kp); n = m.next(x, level) {
			x = n
		}
		if prev != nil {
			prev[level] = x
		}
	}
	return m.next(x, 0)
}

// findLT returns the last node < key, or 0.
func (m *memtable) findLT(key []byte) int {
	kp := keyPrefix(userKeyOf(key))
	x := 0
	for level := m.height - 1; level >= 0; level-- {
		for n := m.next(x, level); n != 0 && m.less(n, key, kp); n = m.next(x, level) {
			x = n
		}
	}
	return x
}

// last returns the last node, or 0.
func (m *memtable) last() int {
	x := 0
	for level := m.height - 1; level >= 0; level-- {
		for n := m.next(x, level); n != 0; n = m.next(x, level) {
			x = n
		}
	}
	return x
}

// add inserts a point entry. Keys are unique: a batch carries at most one
// op per user key and every batch has its own seq.
func (m *memtable) add(userKey []byte, seq uint64, kind Kind, value []byte) {
	h := m.randomHeight()
	klen := len(userKey) + trailerLenBytes
	n := m.allocNode(h, klen+len(value))
	b := m.at(n)
	binary.LittleEndian.PutUint64(b[nodePrefixOff:], keyPrefix(userKey))
	binary.LittleEndian.PutUint32(b[nodeKeyLenOff:], uint32(klen))
	binary.LittleEndian.PutUint32(b[nodeValueLenOff:], uint32(len(value)))
	s := nodeTowerOff + 4*h
	copy(b[s:], userKey)
	binary.LittleEndian.PutUint64(b[s+len(userKey):], seq<<8|uint64(kind))
	copy(b[s+klen:], value)
	key := m.key(n)

	var prev [skiplistHeightMax]int
	if x := m.findGE(key, &prev); x != 0 && compareInternal(m.key(x), key) == 0 {
		panic("lsm: duplicate internal key in memtable: " + formatKey(key))
	}
	for ; m.height < h; m.height++ {
		prev[m.height] = 0
	}
	for level := range h {
		m.setNext(n, level, m.next(prev[level], level))
		m.setNext(prev[level], level, n)
	}
	m.sizeBytes = int64(m.used) + m.rangeDelBytes
	m.note(seq)
}

func (m *memtable) addRangeDel(start, end []byte, seq uint64) {
	m.rangeDels = append(m.rangeDels, rangeTombstone{
		start: append([]byte(nil), start...), end: append([]byte(nil), end...), seq: seq})
	m.rangeDelBytes += int64(len(start) + len(end) + memtableNodeOverheadBytes)
	m.sizeBytes = int64(m.used) + m.rangeDelBytes
	m.note(seq)
}

func (m *memtable) note(seq uint64) {
	if seq < m.largestSeq {
		panic("lsm: memtable seq went backwards")
	}
	m.largestSeq = seq
	m.count++
}

func (m *memtable) empty() bool { return m.count == 0 }

// get returns the newest point entry for userKey at or below seekKey,
// which is (userKey, snapshot seq, kindSeek); 0 if none.
func (m *memtable) get(userKey, seekKey []byte) int {
	n := m.findGE(seekKey, nil)
	if n == 0 || !bytes.Equal(userKeyOf(m.key(n)), userKey) {
		return 0
	}
	return n
}

// memIter iterates over a memtable's point entries.
type memIter struct {
	m *memtable
	n int // node offset; 0 when not positioned
}

func (it *memIter) SeekGE(key []byte) { it.n = it.m.findGE(key, nil) }
func (it *memIter) SeekLT(key []byte) { it.n = it.m.findLT(key) }
func (it *memIter) First()            { it.n = it.m.next(0, 0) }
func (it *memIter) Last()             { it.n = it.m.last() }
func (it *memIter) Next()             { it.n = it.m.next(it.n, 0) }
func (it *memIter) Valid() bool       { return it.n != 0 }
func (it *memIter) Key() []byte       { return it.m.key(it.n) }
func (it *memIter) Value() []byte     { return it.m.value(it.n) }
func (it *memIter) Err() error        { return nil }
func (it *memIter) Close() error      { return nil }
