package kvbuf

import (
	"bytes"
	"slices"

	"github.com/lineradb/lineradb/node/kv"
)

type span struct{ start, end []byte }

type entry struct {
	value   []byte
	deleted bool
}

// layer is one savepoint's writes.
type layer struct {
	points map[string]entry
	ranges []span
}

func newLayer() *layer { return &layer{points: map[string]entry{}} }

// Buffer is a kv.Txn whose writes stay in memory until Flush.
type Buffer struct {
	txn      kv.Txn
	readOnly bool
	layers   []*layer
	flushed  bool
}

// New wraps txn.
func New(txn kv.Txn, readOnly bool) *Buffer {
	return &Buffer{txn: txn, readOnly: readOnly, layers: []*layer{newLayer()}}
}

// Txn is the wrapped transaction.
func (b *Buffer) Txn() kv.Txn { return b.txn }

// Depth is the number of layers (1 + open savepoints).
func (b *Buffer) Depth() int { return len(b.layers) }

// Savepoint opens a layer and returns the depth to roll back to.
func (b *Buffer) Savepoint() int {
	b.layers = append(b.layers, newLayer())
	return len(b.layers) - 1
}

// Rollback discards every layer at or above depth, then reopens one.
func (b *Buffer) Rollback(depth int) {
	if depth < 1 || depth > len(b.layers) {
		panic("kvbuf: rollback to a savepoint that does not exist")
	}
	b.layers = append(b.layers[:depth], newLayer())
}

// Release merges every layer at or above depth into the one below.
func (b *Buffer) Release(depth int) {
	if depth < 1 || depth > len(b.layers) {
		panic("kvbuf: release of a savepoint that does not exist")
	}
	for len(b.layers) > depth {
		top := b.layers[len(b.layers)-1]
		b.layers = b.layers[:len(b.layers)-1]
		b.layers[len(b.layers)-1].absorb(top)
	}
}

// absorb applies a newer layer's writes on top of l.
func (l *layer) absorb(top *layer) {
	for _, r := range top.ranges {
		l.deleteRange(r.start, r.end)
	}
	//detlint:ordered copying into a map; order does not matter
	for k, e := range top.points {
		l.points[k] = e
	}
}

func (l *layer) deleteRange(start, end []byte) {
	//detlint:ordered deleting from a map; order does not matter
	for k := range l.points {
		if inSpan([]byte(k), start, end) {
			delete(l.points, k)
		}
	}
	l.ranges = append(l.ranges, span{bytes.Clone(start), bytes.Clone(end)})
}

func inSpan(k, start, end []byte) bool {
	return bytes.Compare(k, start) >= 0 && (end == nil || bytes.Compare(k, end) < 0)
}

// ReadVersion is the wrapped transaction's read version.
func (b *Buffer) ReadVersion() uint64 { return b.txn.ReadVersion() }

// lookup resolves key in the layers: (entry, true) if a layer decides it.
func (b *Buffer) lookup(key []byte) (entry, bool) {
	for i := len(b.layers) - 1; i >= 0; i-- {
		l := b.layers[i]
		if e, ok := l.points[string(key)]; ok {
			return e, true
		}
		for _, r := range l.ranges {
			if inSpan(key, r.start, r.end) {
				return entry{deleted: true}, true
			}
		}
	}
	return entry{}, false
}

// Get reads key through the layers.
func (b *Buffer) Get(key []byte) ([]byte, bool, error) {
	if e, ok := b.lookup(key); ok {
		return bytes.Clone(e.value), !e.deleted, nil
	}
	return b.txn.Get(key)
}

func (b *Buffer) empty() bool {
	for _, l := range b.layers {
		if len(l.points) > 0 || len(l.ranges) > 0 {
			return false
		}
	}
	return true
}

// Scan merges the layers over the snapshot's scan.
func (b *Buffer) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if b.empty() {
		return b.txn.Scan(start, end, limit, reverse)
	}
	base, err := b.txn.Scan(start, end, 0, reverse)
	if err != nil {
		return nil, err
	}
	merged := map[string][]byte{}
	for _, kvp := range base {
		if _, decided := b.lookup(kvp.Key); !decided {
			merged[string(kvp.Key)] = kvp.Value
		}
	}
	for _, l := range b.layers {
		//detlint:ordered collecting into a map; sorted below
		for k := range l.points {
			if inSpan([]byte(k), start, end) {
				if e, _ := b.lookup([]byte(k)); !e.deleted {
					merged[k] = e.value
				}
			}
		}
	}
	keys := slices.Sorted(mapKeys(merged))
	if reverse {
		slices.Reverse(keys)
	}
	out := make([]kv.KeyValue, 0, len(keys))
	for _, k := range keys {
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, kv.KeyValue{Key: []byte(k), Value: bytes.Clone(merged[k])})
	}
	return out, nil
}

func mapKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		//detlint:ordered the caller sorts (slices.Sorted)
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (b *Buffer) top() *layer { return b.layers[len(b.layers)-1] }

// Put buffers a write.
func (b *Buffer) Put(key, value []byte) error {
	if b.readOnly {
		return kv.ErrReadOnly
	}
	b.top().points[string(key)] = entry{value: bytes.Clone(value)}
	return nil
}

// Delete buffers a deletion.
func (b *Buffer) Delete(key []byte) error {
	if b.readOnly {
		return kv.ErrReadOnly
	}
	b.top().points[string(key)] = entry{deleted: true}
	return nil
}

// DeleteRange buffers the deletion of [start, end).
func (b *Buffer) DeleteRange(start, end []byte) error {
	if b.readOnly {
		return kv.ErrReadOnly
	}
	b.top().deleteRange(start, end)
	return nil
}

// Flush writes everything buffered into the transaction, oldest layer
// first, ranges before points within a layer, points in key order.
func (b *Buffer) Flush() error {
	if b.flushed {
		panic("kvbuf: flushed twice")
	}
	b.flushed = true
	for _, l := range b.layers {
		for _, r := range l.ranges {
			if err := b.txn.DeleteRange(r.start, r.end); err != nil {
				return err
			}
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			//detlint:ordered sorted by slices.Sorted
			for k := range l.points {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			e := l.points[k]
			var err error
			if e.deleted {
				err = b.txn.Delete([]byte(k))
			} else {
				err = b.txn.Put([]byte(k), e.value)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

var _ kv.Txn = (*Buffer)(nil)
