package lsm

import (
	"bytes"
	"errors"
)

// IterOptions bound an iterator to [LowerBound, UpperBound).
type IterOptions struct {
	LowerBound []byte // inclusive; nil: unbounded
	UpperBound []byte // exclusive; nil: unbounded
}

// Iterator walks the user keys visible at its snapshot, in either
// direction. Key and Value are valid until the next move. It pins the
// tables it reads: Close it.
//
// Forward moves step the merged internal stream, skipping versions newer
// than the snapshot, older versions of a key already decided, point
// deletions and versions covered by range tombstones. Backward moves
// re-seek: SeekLT just before all versions of the current key finds the
// previous user key, then a forward seek to (that key, snapshot) finds its
// visible version. That keeps one merge direction and one visibility rule.
type Iterator struct {
	db      *DB
	v       *version
	seq     uint64
	lower   []byte
	upper   []byte
	iter    *mergingIter
	handles []*tableHandle
	mems    []*memtable // referenced until Close: they may be flushed meanwhile
	tombs   *tombstoneSet
	key     []byte
	value   []byte
	valid   bool
	err     error
	buf     []byte
	closed  bool
	// keyBuf holds the key of a forward position, skipBuf the user key
	// being skipped: reused, so stepping forward allocates nothing.
	keyBuf, skipBuf []byte
}

// NewIter iterates over the current state.
func (d *DB) NewIter(o *IterOptions) (*Iterator, error) { return d.newIter(o, d.lastSeq) }

func (d *DB) newIter(o *IterOptions, seq uint64) (*Iterator, error) {
	if d.closed {
		return nil, ErrClosed
	}
	if o == nil {
		o = &IterOptions{}
	}
	it := &Iterator{db: d, v: d.current, seq: seq, lower: clone(o.LowerBound), upper: clone(o.UpperBound)}
	it.v.refs++
	var children []internalIterator
	var tombs []rangeTombstone
	for _, m := range d.memtables() {
		m.refs++
		it.mems = append(it.mems, m)
		children = append(children, &memIter{m: m})
		tombs = append(tombs, m.rangeDels...)
	}
	for level, fs := range it.v.levels {
		fs = it.overlapping(fs)
		if err := it.collectTombstones(fs, &tombs); err != nil {
			it.Close()
			return nil, err
		}
		if level > 0 && len(fs) > 0 {
			children = append(children, newLevelIter(d.tc, fs))
			continue
		}
		for _, f := range fs {
			h, err := d.tc.acquire(f.fileNum)
			if err != nil {
				it.Close()
				return nil, err
			}
			it.handles = append(it.handles, h)
			children = append(children, newTableIter(h.r))
		}
	}
	it.tombs = fragmentTombstones(tombs)
	it.iter = newMergingIter(children)
	return it, nil
}

// overlapping filters files to those that may hold keys within the bounds.
func (it *Iterator) overlapping(fs []*fileMeta) []*fileMeta {
	var out []*fileMeta
	for _, f := range fs {
		if it.lower != nil && bytes.Compare(f.largest, it.lower) < 0 {
			continue
		}
		if it.upper != nil && bytes.Compare(f.smallest, it.upper) >= 0 {
			continue
		}
		out = append(out, f)
	}
	return out
}

func (it *Iterator) collectTombstones(fs []*fileMeta, dst *[]rangeTombstone) error {
	for _, f := range fs {
		if f.numRangeDels == 0 {
			continue
		}
		h, err := it.db.tc.acquire(f.fileNum)
		if err != nil {
			return err
		}
		ts, err := h.r.rangeTombstones()
		h.release()
		if err != nil {
			return err
		}
		*dst = append(*dst, ts...)
	}
	return nil
}

func (it *Iterator) seekKey(uk []byte, seq uint64) []byte {
	it.buf = makeInternalKey(it.buf, uk, seq, kindSeek)
	return it.buf
}

// SeekGE moves to the first visible key >= key.
func (it *Iterator) SeekGE(key []byte) bool {
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	it.iter.SeekGE(it.seekKey(key, it.seq))
	return it.findNext(nil)
}

// First moves to the first visible key.
func (it *Iterator) First() bool {
	if it.lower != nil {
		return it.SeekGE(it.lower)
	}
	it.iter.First()
	return it.findNext(nil)
}

// Next moves to the next visible key.
func (it *Iterator) Next() bool {
	if !it.valid {
		return false
	}
	it.iter.Next()
	return it.findNext(it.key)
}

// findNext stops at the first internal entry that is the newest visible
// version of a user key other than skip, and is a live set.
func (it *Iterator) findNext(skip []byte) bool {
	it.valid = false
	hasSkip := skip != nil
	if hasSkip {
		it.skipBuf = append(it.skipBuf[:0], skip...) // skip may be it.key
	}
	for ; it.iter.Valid(); it.iter.Next() {
		ik := it.iter.Key()
		uk, seq := userKeyOf(ik), seqOf(ik)
		if seq > it.seq || (hasSkip && bytes.Equal(uk, it.skipBuf)) {
			continue
		}
		if it.upper != nil && bytes.Compare(uk, it.upper) >= 0 {
			return false
		}
		it.skipBuf, hasSkip = append(it.skipBuf[:0], uk...), true
		if kindOf(ik) == KindSet && !it.tombs.coveredAt(uk, seq, it.seq) {
			it.keyBuf = append(it.keyBuf[:0], uk...)
			it.key, it.value, it.valid = it.keyBuf, it.iter.Value(), true
			return true
		}
	}
	it.err = it.iter.Err()
	return false
}

// SeekLT moves to the last visible key < key.
func (it *Iterator) SeekLT(key []byte) bool {
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	return it.findPrev(key)
}

// Last moves to the last visible key.
func (it *Iterator) Last() bool {
	if it.upper != nil {
		return it.findPrev(it.upper)
	}
	it.iter.Last()
	if !it.iter.Valid() {
		it.valid, it.err = false, it.iter.Err()
		return false
	}
	uk := clone(userKeyOf(it.iter.Key()))
	if it.lower != nil && bytes.Compare(uk, it.lower) < 0 {
		return false
	}
	if it.visibleAt(uk) {
		return true
	}
	return it.findPrev(uk)
}

// Prev moves to the previous visible key.
func (it *Iterator) Prev() bool {
	if !it.valid {
		return false
	}
	return it.findPrev(it.key)
}

// findPrev finds the last visible user key < before.
func (it *Iterator) findPrev(before []byte) bool {
	it.valid = false
	cur := clone(before)
	for {
		it.iter.SeekLT(it.seekKey(cur, SeqMax))
		if !it.iter.Valid() {
			it.err = it.iter.Err()
			return false
		}
		uk := clone(userKeyOf(it.iter.Key()))
		if it.lower != nil && bytes.Compare(uk, it.lower) < 0 {
			return false
		}
		if it.visibleAt(uk) {
			return true
		}
		if it.err != nil {
			return false
		}
		cur = uk
	}
}

// visibleAt positions on the visible version of uk, if it has one.
func (it *Iterator) visibleAt(uk []byte) bool {
	if it.upper != nil && bytes.Compare(uk, it.upper) >= 0 {
		return false
	}
	it.iter.SeekGE(it.seekKey(uk, it.seq))
	if !it.iter.Valid() {
		it.err = it.iter.Err()
		return false
	}
	ik := it.iter.Key()
	if !bytes.Equal(userKeyOf(ik), uk) || kindOf(ik) != KindSet || it.tombs.coveredAt(uk, seqOf(ik), it.seq) {
		return false
	}
	it.key, it.value, it.valid = uk, it.iter.Value(), true
	return true
}

func (it *Iterator) Valid() bool   { return it.valid }
func (it *Iterator) Key() []byte   { return it.key }
func (it *Iterator) Value() []byte { return it.value }

// Error returns the first I/O or corruption error met; a false from a move
// with a nil Error means the end of the range.
func (it *Iterator) Error() error { return it.err }

// Close releases the iterator's tables and version.
func (it *Iterator) Close() error {
	if it.closed {
		return nil
	}
	it.closed = true
	var err error
	if it.iter != nil {
		err = it.iter.Close()
	}
	for _, h := range it.handles {
		h.release()
	}
	it.handles = nil
	for _, m := range it.mems {
		if m.refs--; m.refs < 0 {
			panic("lsm: memtable unreferenced too often")
		}
		if m.flushed {
			it.db.retireMemtable(m)
		}
	}
	it.mems = nil
	it.db.unrefVersion(it.v)
	return errors.Join(err, it.err)
}
