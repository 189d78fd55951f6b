package mvcc

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
)

// Reader reads the user data at one version: the store's applied index
// when it was created. It pins an LSM snapshot, so compaction keeps every
// version it can see until Close; that is how old versions are GCed behind
// the oldest read version in use.
type Reader struct {
	s       *Store
	snap    *lsm.Snapshot
	version uint64
}

// NewReader pins a read view at Applied. Views are only created at the
// latest state: an older sequence number is not guaranteed intact once
// compaction has merged past it.
func (s *Store) NewReader() *Reader {
	s.readers++
	return &Reader{s: s, snap: s.db.NewSnapshot(), version: s.db.LastSeq()}
}

// OpenReaders is the number of readers not yet closed.
func (s *Store) OpenReaders() int { return s.readers }

// Version is the version the reader sees.
func (r *Reader) Version() uint64 { return r.version }

// Close releases the snapshot. Closing twice is a no-op.
func (r *Reader) Close() {
	if r.snap == nil {
		return
	}
	r.snap.Close()
	r.snap = nil
	r.s.readers--
}

// Closed reports whether Close was called.
func (r *Reader) Closed() bool { return r.snap == nil }

// Get returns key's value at the reader's version.
func (r *Reader) Get(key []byte) ([]byte, bool, error) {
	v, err := r.snap.Get(userKey(key))
	if errors.Is(err, lsm.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	st, err := decodeValue(v)
	if err != nil || st.tombstone {
		return nil, false, err
	}
	return st.value, true, nil
}

// cursor walks the live user keys of a range at the reader's version in
// one direction.
type cursor struct {
	it      *lsm.Iterator
	reverse bool
	valid   bool
	key     []byte
	value   []byte
	err     error
}

func (r *Reader) newCursor(start, end []byte, reverse bool) (*cursor, error) {
	lo, hi := userBounds(start, end)
	it, err := r.snap.NewIter(&lsm.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	c := &cursor{it: it, reverse: reverse}
	if reverse {
		c.settle(it.Last())
	} else {
		c.settle(it.First())
	}
	return c, nil
}

// settle skips tombstones from the iterator's position.
func (c *cursor) settle(ok bool) {
	for ; ok; ok = c.move() {
		st, err := decodeValue(c.it.Value())
		if err != nil {
			c.err, c.valid = err, false
			return
		}
		if !st.tombstone {
			c.valid, c.key, c.value = true, bytes.Clone(c.it.Key()[1:]), bytes.Clone(st.value)
			return
		}
	}
	c.valid = false
	if c.err == nil {
		c.err = c.it.Error()
	}
}

func (c *cursor) move() bool {
	if c.reverse {
		return c.it.Prev()
	}
	return c.it.Next()
}

func (c *cursor) next() { c.settle(c.move()) }

func (c *cursor) close() error {
	err := c.it.Close()
	if c.err != nil {
		return c.err
	}
	return err
}

// scanLimitless is the internal "no limit" used by Scan.
const scanLimitless = int(^uint(0) >> 1)

// Scan returns up to limit live entries in [start, end) at the reader's
// version (limit <= 0: no limit), descending if reverse.
func (r *Reader) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	var buf TxnBuffer
	return buf.scanMerged(r, start, end, limit, reverse)
}

// TxnBuffer is the gateway side of a transaction: a Reader at the read
// version, the buffered writes (read-your-writes), and the read set that
// Commit validates. It mirrors kv/memkv's Txn exactly, so the two can be
// compared operation by operation.
type TxnBuffer struct {
	Writes     []Write
	ReadKeys   [][]byte
	ReadRanges []Range
	// rangeDeletes counts the WriteDeleteRange entries in Writes.
	rangeDeletes int
}

// WritesMax bounds the writes one transaction may buffer: what one commit
// may carry (CommitWritesMax).
const WritesMax = CommitWritesMax

// ErrTooManyWrites is returned when a transaction passes WritesMax or
// CommitRangeDeletesMax. It wraps kv.ErrTooLarge (SQLSTATE 54000).
var ErrTooManyWrites = fmt.Errorf("%w: too many writes in one transaction", kv.ErrTooLarge)

// Add buffers a write.
func (t *TxnBuffer) Add(w Write) error {
	if len(t.Writes) >= WritesMax {
		return ErrTooManyWrites
	}
	if w.Kind == WriteDeleteRange {
		if t.rangeDeletes >= CommitRangeDeletesMax {
			return ErrTooManyWrites
		}
		t.rangeDeletes++
	}
	w.Key, w.End, w.Value = bytes.Clone(w.Key), bytes.Clone(w.End), bytes.Clone(w.Value)
	if w.Kind == WritePut && w.Value == nil {
		w.Value = []byte{}
	}
	t.Writes = append(t.Writes, w)
	return nil
}

// lookup returns key's value as the transaction's own writes leave it;
// decided is false when no buffered write touches key.
func (t *TxnBuffer) lookup(key []byte) (value []byte, found, decided bool) {
	for i := len(t.Writes) - 1; i >= 0; i-- {
		w := t.Writes[i]
		switch {
		case w.Kind == WriteDeleteRange && inRange(key, w.Key, w.End):
			return nil, false, true
		case w.Kind != WriteDeleteRange && bytes.Equal(w.Key, key):
			return w.Value, w.Kind == WritePut, true
		}
	}
	return nil, false, false
}

// Get reads key through the buffer and records it in the read set.
func (t *TxnBuffer) Get(r *Reader, key []byte) ([]byte, bool, error) {
	t.ReadKeys = append(t.ReadKeys, bytes.Clone(key))
	if v, ok, decided := t.lookup(key); decided {
		return bytes.Clone(v), ok, nil
	}
	return r.Get(key)
}

// Scan reads a range through the buffer and records what it observed.
func (t *TxnBuffer) Scan(r *Reader, start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	out, err := t.scanMerged(r, start, end, limit, reverse)
	if err != nil {
		return nil, err
	}
	rg := Range{Start: bytes.Clone(start), End: bytes.Clone(end)}
	if limit > 0 && len(out) == limit {
		last := out[len(out)-1].Key
		if reverse {
			rg.Start = bytes.Clone(last)
		} else {
			rg.End = append(bytes.Clone(last), 0)
		}
	}
	t.ReadRanges = append(t.ReadRanges, rg)
	return out, nil
}

// pointKeys returns the distinct keys of buffered puts and deletes in
// [start, end), in scan order.
func (t *TxnBuffer) pointKeys(start, end []byte, reverse bool) [][]byte {
	var keys [][]byte
	for _, w := range t.Writes {
		if w.Kind != WriteDeleteRange && inRange(w.Key, start, end) {
			keys = append(keys, w.Key)
		}
	}
	slices.SortFunc(keys, bytes.Compare)
	keys = slices.CompactFunc(keys, bytes.Equal)
	if reverse {
		slices.Reverse(keys)
	}
	return keys
}

// scanMerged merges the reader's live keys with the buffered point writes,
// resolving each candidate through the buffer, until limit entries.
func (t *TxnBuffer) scanMerged(r *Reader, start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if limit <= 0 {
		limit = scanLimitless
	}
	c, err := r.newCursor(start, end, reverse)
	if err != nil {
		return nil, err
	}
	points := t.pointKeys(start, end, reverse)
	var out []kv.KeyValue
	for len(out) < limit && (c.valid || len(points) > 0) {
		var key, base []byte
		baseFound := false
		switch cmp := compareCandidates(c, points, reverse); {
		case cmp < 0: // the snapshot's key comes first
			key, base, baseFound = c.key, c.value, true
			c.next()
		case cmp > 0:
			key, points = points[0], points[1:]
		default:
			key, base, baseFound = c.key, c.value, true
			points = points[1:]
			c.next()
		}
		v, ok, decided := t.lookup(key)
		if !decided {
			v, ok = base, baseFound
		}
		if ok {
			out = append(out, kv.KeyValue{Key: bytes.Clone(key), Value: bytes.Clone(v)})
		}
	}
	if err := c.close(); err != nil {
		return nil, err
	}
	return out, nil
}

// compareCandidates orders the cursor's key against the next buffered key
// in scan direction: negative if the cursor's comes first.
func compareCandidates(c *cursor, points [][]byte, reverse bool) int {
	switch {
	case !c.valid:
		return 1
	case len(points) == 0:
		return -1
	}
	cmp := bytes.Compare(c.key, points[0])
	if reverse {
		return -cmp
	}
	return cmp
}

// Commit returns the commit entry for the buffered transaction.
func (t *TxnBuffer) Commit(id ReqID, readVersion uint64, iso kv.Isolation) *Commit {
	return &Commit{ID: id, ReadVersion: readVersion, Isolation: iso, ReadKeys: t.ReadKeys, ReadRanges: t.ReadRanges, Writes: t.Writes}
}
