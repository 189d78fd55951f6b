package lsm

import (
	"bytes"
	"container/heap"
	"sort"
)

// internalIterator walks internal keys in order. Next is only valid after a
// forward positioning (SeekGE, First); after SeekLT or Last the caller only
// reads the position. Key and Value are valid until the next move.
type internalIterator interface {
	SeekGE(ikey []byte)
	SeekLT(ikey []byte)
	First()
	Last()
	Next()
	Valid() bool
	Key() []byte
	Value() []byte
	Err() error
	Close() error
}

// mergingIter merges children into one ordered stream. Forward moves use a
// min-heap; backward positioning scans children for the maximum (the DB
// iterator re-seeks forward afterwards, so no backward heap is needed).
type mergingIter struct {
	children []internalIterator
	h        iterHeap
	cur      internalIterator // valid child at the position, or nil
	forward  bool
	err      error
}

func newMergingIter(children []internalIterator) *mergingIter {
	return &mergingIter{children: children}
}

type iterHeap []internalIterator

func (h iterHeap) Len() int           { return len(h) }
func (h iterHeap) Less(i, j int) bool { return compareInternal(h[i].Key(), h[j].Key()) < 0 }
func (h iterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)        { *h = append(*h, x.(internalIterator)) }
func (h *iterHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (m *mergingIter) initForward() {
	m.forward = true
	m.h = m.h[:0]
	for _, c := range m.children {
		if c.Valid() {
			m.h = append(m.h, c)
		} else if err := c.Err(); err != nil && m.err == nil {
			m.err = err
		}
	}
	heap.Init(&m.h)
	m.setCur()
}

func (m *mergingIter) setCur() {
	m.cur = nil
	if len(m.h) > 0 && m.err == nil {
		m.cur = m.h[0]
	}
}

func (m *mergingIter) initBackward() {
	m.forward = false
	m.cur = nil
	for _, c := range m.children {
		if c.Valid() {
			if m.cur == nil || compareInternal(c.Key(), m.cur.Key()) > 0 {
				m.cur = c
			}
		} else if err := c.Err(); err != nil && m.err == nil {
			m.err = err
		}
	}
	if m.err != nil {
		m.cur = nil
	}
}

func (m *mergingIter) SeekGE(key []byte) {
	m.err = nil
	for _, c := range m.children {
		c.SeekGE(key)
	}
	m.initForward()
}

func (m *mergingIter) First() {
	m.err = nil
	for _, c := range m.children {
		c.First()
	}
	m.initForward()
}

func (m *mergingIter) SeekLT(key []byte) {
	m.err = nil
	for _, c := range m.children {
		c.SeekLT(key)
	}
	m.initBackward()
}

func (m *mergingIter) Last() {
	m.err = nil
	for _, c := range m.children {
		c.Last()
	}
	m.initBackward()
}

func (m *mergingIter) Next() {
	if !m.forward {
		panic("lsm: mergingIter.Next after a backward positioning")
	}
	c := m.h[0]
	c.Next()
	if c.Valid() {
		if len(m.h) > 1 { // one source needs no reordering
			heap.Fix(&m.h, 0)
		}
	} else {
		if err := c.Err(); err != nil {
			m.err = err
		}
		heap.Pop(&m.h)
	}
	m.setCur()
}

func (m *mergingIter) Valid() bool   { return m.cur != nil }
func (m *mergingIter) Key() []byte   { return m.cur.Key() }
func (m *mergingIter) Value() []byte { return m.cur.Value() }
func (m *mergingIter) Err() error    { return m.err }

func (m *mergingIter) Close() error {
	var first error
	for _, c := range m.children {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// levelIter concatenates the tables of one sorted level (L1 and below),
// opening one table at a time through the table cache.
type levelIter struct {
	tc    *tableCache
	files []*fileMeta // sorted, point ranges disjoint
	fi    int
	h     *tableHandle
	it    *tableIter
	err   error
}

func newLevelIter(tc *tableCache, files []*fileMeta) *levelIter {
	return &levelIter{tc: tc, files: files, fi: -1}
}

func (l *levelIter) open(fi int) bool {
	if l.h != nil && l.fi == fi {
		return true
	}
	l.release()
	l.fi = fi
	if fi < 0 || fi >= len(l.files) {
		return false
	}
	h, err := l.tc.acquire(l.files[fi].fileNum)
	if err != nil {
		l.err = err
		return false
	}
	l.h, l.it = h, newTableIter(h.r)
	return true
}

func (l *levelIter) release() {
	if l.h != nil {
		l.h.release()
		l.h, l.it = nil, nil
	}
}

func (l *levelIter) SeekGE(key []byte) {
	l.err = nil
	uk := userKeyOf(key)
	fi := sort.Search(len(l.files), func(i int) bool { return bytes.Compare(l.files[i].largest, uk) >= 0 })
	if l.open(fi) {
		l.it.SeekGE(key)
		l.skipForward()
	}
}

func (l *levelIter) First() {
	l.err = nil
	if l.open(0) {
		l.it.First()
		l.skipForward()
	}
}

func (l *levelIter) Next() {
	l.it.Next()
	l.skipForward()
}

func (l *levelIter) skipForward() {
	for l.it != nil && !l.it.Valid() {
		if err := l.it.Err(); err != nil {
			l.err = err
			l.release()
			return
		}
		if !l.open(l.fi + 1) {
			return
		}
		l.it.First()
	}
}

func (l *levelIter) SeekLT(key []byte) {
	l.err = nil
	uk := userKeyOf(key)
	fi := sort.Search(len(l.files), func(i int) bool { return bytes.Compare(l.files[i].smallest, uk) > 0 }) - 1
	if l.open(fi) {
		l.it.SeekLT(key)
		l.skipBackward()
	}
}

func (l *levelIter) Last() {
	l.err = nil
	if l.open(len(l.files) - 1) {
		l.it.Last()
		l.skipBackward()
	}
}

func (l *levelIter) skipBackward() {
	for l.it != nil && !l.it.Valid() {
		if err := l.it.Err(); err != nil {
			l.err = err
			l.release()
			return
		}
		if !l.open(l.fi - 1) {
			return
		}
		l.it.Last()
	}
}

func (l *levelIter) Valid() bool   { return l.it != nil && l.it.Valid() && l.err == nil }
func (l *levelIter) Key() []byte   { return l.it.Key() }
func (l *levelIter) Value() []byte { return l.it.Value() }
func (l *levelIter) Err() error    { return l.err }

func (l *levelIter) Close() error {
	l.release()
	return nil
}
