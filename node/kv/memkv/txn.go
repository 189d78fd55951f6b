package memkv

import (
	"bytes"
	"slices"

	"github.com/lineradb/lineradb/node/kv"
)

// write is one buffered mutation: a put, a delete (deleted set), or, with
// isRange, a deletion of [key, end) (nil end: unbounded).
type write struct {
	key, end []byte
	value    []byte
	deleted  bool
	isRange  bool
}

type keyRange struct{ start, end []byte }

// Txn is a memkv transaction.
type Txn struct {
	store       *Store
	opts        kv.TxnOptions
	readVersion uint64
	writes      []write // in program order; later writes win
	readKeys    [][]byte
	readRanges  []keyRange
	done        bool
}

// ReadVersion is the version the transaction reads at.
func (t *Txn) ReadVersion() uint64 { return t.readVersion }

func (t *Txn) check(writing bool) error {
	switch {
	case t.done:
		return kv.ErrTxnDone
	case t.readVersion < t.store.horizon:
		return kv.ErrTooOld
	case writing && t.opts.ReadOnly:
		return kv.ErrReadOnly
	}
	return nil
}

// Get returns the value of key as the transaction sees it.
func (t *Txn) Get(key []byte) ([]byte, bool, error) {
	if err := t.check(false); err != nil {
		return nil, false, err
	}
	t.readKeys = append(t.readKeys, bytes.Clone(key))
	v, ok := t.lookup(key)
	return bytes.Clone(v), ok, nil
}

// lookup applies the transaction's own writes, newest first, over the
// snapshot at the read version.
func (t *Txn) lookup(key []byte) ([]byte, bool) {
	for i := len(t.writes) - 1; i >= 0; i-- {
		w := t.writes[i]
		if w.isRange {
			if inRange(key, w.key, w.end) {
				return nil, false
			}
			continue
		}
		if bytes.Equal(w.key, key) {
			return w.value, !w.deleted
		}
	}
	return t.store.valueAt(key, t.readVersion)
}

// Scan returns the entries in [start, end) as the transaction sees them.
func (t *Txn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	candidates := map[string]bool{}
	for _, k := range t.store.keysIn(start, end) {
		candidates[string(k)] = true
	}
	for _, w := range t.writes {
		if !w.isRange && inRange(w.key, start, end) {
			candidates[string(w.key)] = true
		}
	}
	keys := make([]string, 0, len(candidates))
	//detlint:ordered collected keys are sorted below
	for k := range candidates {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	var out []kv.KeyValue
	for _, k := range keys {
		if limit > 0 && len(out) == limit {
			break
		}
		if v, ok := t.lookup([]byte(k)); ok {
			out = append(out, kv.KeyValue{Key: []byte(k), Value: bytes.Clone(v)})
		}
	}
	t.recordScan(start, end, limit, reverse, out)
	return out, nil
}

// recordScan adds what a scan observed to the read set: the whole range,
// or, if the limit cut it short, up to and including the last key returned.
func (t *Txn) recordScan(start, end []byte, limit int, reverse bool, out []kv.KeyValue) {
	r := keyRange{start: bytes.Clone(start), end: bytes.Clone(end)}
	if limit > 0 && len(out) == limit {
		last := out[len(out)-1].Key
		if reverse {
			r.start = bytes.Clone(last)
		} else {
			r.end = append(bytes.Clone(last), 0)
		}
	}
	t.readRanges = append(t.readRanges, r)
}

func inRange(key, start, end []byte) bool {
	return bytes.Compare(key, start) >= 0 && (end == nil || bytes.Compare(key, end) < 0)
}

// Put buffers a write.
func (t *Txn) Put(key, value []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	t.writes = append(t.writes, write{key: bytes.Clone(key), value: bytes.Clone(value)})
	return nil
}

// Delete buffers a deletion.
func (t *Txn) Delete(key []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	t.writes = append(t.writes, write{key: bytes.Clone(key), deleted: true})
	return nil
}

// DeleteRange buffers the deletion of every key in [start, end).
func (t *Txn) DeleteRange(start, end []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	t.writes = append(t.writes, write{key: bytes.Clone(start), end: bytes.Clone(end), deleted: true, isRange: true})
	return nil
}
