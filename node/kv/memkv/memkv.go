// Package memkv is an in-memory, single-process implementation of kv.Store
// with the same optimistic MVCC semantics as the replicated store: reads at a
// read version, buffered writes, validation of the read set at commit,
// versions assigned one per committed transaction.
//
// It is the reference model: the SQL layer's tests run on it, and the
// replicated store's tests compare against it. It favours obviousness over
// speed (sorted slices, linear merges).
package memkv

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"github.com/lineradb/lineradb/node/kv"
)

// version is one committed write of a key. A nil value with deleted set is
// a tombstone.
type version struct {
	at      uint64
	value   []byte
	deleted bool
}

// Store is an in-memory MVCC store. It is not safe for concurrent use.
type Store struct {
	keys     [][]byte             // sorted, every key ever written
	history  map[string][]version // ascending by version
	current  uint64               // last committed version
	horizon  uint64               // oldest readable version (GC)
	openTxns int
}

// New returns an empty store at version 0.
func New() *Store { return &Store{history: map[string][]version{}} }

// CurrentVersion is the last committed version.
func (s *Store) CurrentVersion() uint64 { return s.current }

// GC forgets history older than keepFrom: reads at earlier versions then
// fail with kv.ErrTooOld.
func (s *Store) GC(keepFrom uint64) {
	if keepFrom > s.current {
		keepFrom = s.current
	}
	s.horizon = max(s.horizon, keepFrom)
}

// Begin starts a transaction reading at the current version.
func (s *Store) Begin(opts kv.TxnOptions) (kv.Txn, error) {
	s.openTxns++
	return &Txn{store: s, opts: opts, readVersion: s.current}, nil
}

// Abort discards a transaction's writes.
func (s *Store) Abort(t kv.Txn) {
	txn := t.(*Txn)
	if !txn.done {
		txn.done = true
		s.openTxns--
	}
}

// Commit validates the transaction and, if it passes, applies its writes at
// the next version.
func (s *Store) Commit(t kv.Txn) (kv.CommitResult, error) {
	txn, ok := t.(*Txn)
	if !ok || txn.store != s {
		return kv.CommitResult{}, fmt.Errorf("memkv: transaction from another store")
	}
	if txn.done {
		return kv.CommitResult{}, kv.ErrTxnDone
	}
	txn.done = true
	s.openTxns--
	if len(txn.writes) == 0 {
		return kv.CommitResult{}, nil
	}
	if s.conflicts(txn) {
		return kv.CommitResult{}, kv.ErrSerialization
	}
	s.current++
	for _, w := range txn.writes {
		s.apply(w, s.current)
	}
	return kv.CommitResult{Version: s.current}, nil
}

// conflicts reports whether anything the transaction must validate was
// written after its read version.
func (s *Store) conflicts(txn *Txn) bool {
	newer := func(key []byte) bool {
		h := s.history[string(key)]
		return len(h) > 0 && h[len(h)-1].at > txn.readVersion
	}
	newerInRange := func(start, end []byte) bool {
		for _, k := range s.keysIn(start, end) {
			if newer(k) {
				return true
			}
		}
		return false
	}
	if txn.opts.Isolation == kv.Serializable {
		for _, k := range txn.readKeys {
			if newer(k) {
				return true
			}
		}
		for _, r := range txn.readRanges {
			if newerInRange(r.start, r.end) {
				return true
			}
		}
		return false
	}
	for _, w := range txn.writes {
		if !w.isRange && newer(w.key) {
			return true
		}
		if w.isRange && newerInRange(w.key, w.end) {
			return true
		}
	}
	return false
}

func (s *Store) apply(w write, at uint64) {
	if w.isRange {
		for _, k := range s.keysIn(w.key, w.end) {
			if v, ok := s.valueAt(k, at); ok && v != nil {
				s.appendVersion(k, version{at: at, deleted: true})
			}
		}
		return
	}
	s.appendVersion(w.key, version{at: at, value: w.value, deleted: w.deleted})
}

func (s *Store) appendVersion(key []byte, v version) {
	k := string(key)
	if _, seen := s.history[k]; !seen {
		i := sort.Search(len(s.keys), func(i int) bool { return bytes.Compare(s.keys[i], key) >= 0 })
		s.keys = slices.Insert(s.keys, i, bytes.Clone(key))
	}
	h := s.history[k]
	if n := len(h); n > 0 && h[n-1].at == v.at {
		h[n-1] = v // a later write in the same transaction wins
	} else {
		h = append(h, v)
	}
	s.history[k] = h
}

// valueAt returns key's value at version at; ok is false if it does not
// exist there.
func (s *Store) valueAt(key []byte, at uint64) ([]byte, bool) {
	h := s.history[string(key)]
	i := sort.Search(len(h), func(i int) bool { return h[i].at > at }) - 1
	if i < 0 || h[i].deleted {
		return nil, false
	}
	return h[i].value, true
}

// keysIn returns every key ever written with start <= key < end (nil end:
// unbounded).
func (s *Store) keysIn(start, end []byte) [][]byte {
	lo := sort.Search(len(s.keys), func(i int) bool { return bytes.Compare(s.keys[i], start) >= 0 })
	hi := len(s.keys)
	if end != nil {
		hi = sort.Search(len(s.keys), func(i int) bool { return bytes.Compare(s.keys[i], end) >= 0 })
	}
	if hi < lo {
		return nil
	}
	return s.keys[lo:hi]
}

var _ kv.Store = (*Store)(nil)
