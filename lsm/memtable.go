package lsm

import (
	"bytes"
	"math/rand/v2"
)

const (
	skiplistHeightMax = 20
	// memtableNodeOverheadBytes approximates a node's cost beyond its key
	// and value, so the byte budget tracks real memory.
	memtableNodeOverheadBytes = 64
)

// memtable is a skiplist of internal keys plus the batch's range
// tombstones. It is written by one owner; iterators over it see inserts made
// after they were created (callers only rely on entries <= their snapshot).
type memtable struct {
	head      *skipNode
	height    int
	rng       *rand.Rand
	sizeBytes int64
	count     int
	rangeDels []rangeTombstone
	// largestSeq is the newest seq in the memtable; 0 when empty.
	largestSeq uint64
	// logNum is the WAL file holding this memtable's batches (0: no WAL).
	logNum uint64
}

type skipNode struct {
	key   []byte // internal key
	value []byte
	next  []*skipNode
}

// newMemtable seeds the tower-height PRNG with a constant: heights only
// shape performance, and a fixed seed keeps runs reproducible.
func newMemtable(logNum uint64) *memtable {
	return &memtable{
		head:   &skipNode{next: make([]*skipNode, skiplistHeightMax)},
		height: 1,
		rng:    rand.New(rand.NewPCG(0x6c736d, logNum)),
		logNum: logNum,
	}
}

func (m *memtable) randomHeight() int {
	h := 1
	for h < skiplistHeightMax && m.rng.Uint32()%4 == 0 {
		h++
	}
	return h
}

// findGE fills prev with the rightmost node before key at each level and
// returns the first node >= key.
func (m *memtable) findGE(key []byte, prev []*skipNode) *skipNode {
	x := m.head
	for level := m.height - 1; level >= 0; level-- {
		for n := x.next[level]; n != nil && compareInternal(n.key, key) < 0; n = x.next[level] {
			x = n
		}
		if prev != nil {
			prev[level] = x
		}
	}
	return x.next[0]
}

// findLT returns the last node < key, or nil.
func (m *memtable) findLT(key []byte) *skipNode {
	x := m.head
	for level := m.height - 1; level >= 0; level-- {
		for n := x.next[level]; n != nil && compareInternal(n.key, key) < 0; n = x.next[level] {
			x = n
		}
	}
	if x == m.head {
		return nil
	}
	return x
}

func (m *memtable) last() *skipNode {
	x := m.head
	for level := m.height - 1; level >= 0; level-- {
		for x.next[level] != nil {
			x = x.next[level]
		}
	}
	if x == m.head {
		return nil
	}
	return x
}

// add inserts a point entry. Keys are unique: a batch carries at most one
// op per user key and every batch has its own seq.
func (m *memtable) add(userKey []byte, seq uint64, kind Kind, value []byte) {
	key := makeInternalKey(nil, userKey, seq, kind)
	var prev [skiplistHeightMax]*skipNode
	if n := m.findGE(key, prev[:]); n != nil && compareInternal(n.key, key) == 0 {
		panic("lsm: duplicate internal key in memtable: " + formatKey(key))
	}
	h := m.randomHeight()
	for ; m.height < h; m.height++ {
		prev[m.height] = m.head
	}
	n := &skipNode{key: key, value: append([]byte(nil), value...), next: make([]*skipNode, h)}
	for level := range h {
		n.next[level] = prev[level].next[level]
		prev[level].next[level] = n
	}
	m.note(seq, int64(len(key)+len(value)+memtableNodeOverheadBytes))
}

func (m *memtable) addRangeDel(start, end []byte, seq uint64) {
	m.rangeDels = append(m.rangeDels, rangeTombstone{
		start: append([]byte(nil), start...), end: append([]byte(nil), end...), seq: seq})
	m.note(seq, int64(len(start)+len(end)+memtableNodeOverheadBytes))
}

func (m *memtable) note(seq uint64, sizeBytes int64) {
	if seq < m.largestSeq {
		panic("lsm: memtable seq went backwards")
	}
	m.largestSeq = seq
	m.sizeBytes += sizeBytes
	m.count++
}

func (m *memtable) empty() bool { return m.count == 0 }

// get returns the newest point entry for userKey at or below seekKey,
// which is (userKey, snapshot seq, kindSeek).
func (m *memtable) get(userKey, seekKey []byte) (n *skipNode) {
	n = m.findGE(seekKey, nil)
	if n == nil || !bytes.Equal(userKeyOf(n.key), userKey) {
		return nil
	}
	return n
}

// memIter iterates over a memtable's point entries.
type memIter struct {
	m *memtable
	n *skipNode
}

func (it *memIter) SeekGE(key []byte) { it.n = it.m.findGE(key, nil) }
func (it *memIter) SeekLT(key []byte) { it.n = it.m.findLT(key) }
func (it *memIter) First()            { it.n = it.m.head.next[0] }
func (it *memIter) Last()             { it.n = it.m.last() }
func (it *memIter) Next()             { it.n = it.n.next[0] }
func (it *memIter) Valid() bool       { return it.n != nil }
func (it *memIter) Key() []byte       { return it.n.key }
func (it *memIter) Value() []byte     { return it.n.value }
func (it *memIter) Err() error        { return nil }
func (it *memIter) Close() error      { return nil }
