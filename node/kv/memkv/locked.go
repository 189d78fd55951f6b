package memkv

import (
	"sync"

	"github.com/lineradb/lineradb/node/kv"
)

// Locked makes a single-goroutine kv.Store safe for concurrent callers
// (e.g. a pgwire server's connection goroutines in tests): one mutex
// around every store and transaction call. It adds no isolation of its
// own; the wrapped store's semantics are unchanged.
type Locked struct {
	mu sync.Mutex
	s  kv.Store
}

// NewLocked wraps s.
func NewLocked(s kv.Store) *Locked { return &Locked{s: s} }

// Begin starts a transaction on the wrapped store.
func (l *Locked) Begin(opts kv.TxnOptions) (kv.Txn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	txn, err := l.s.Begin(opts)
	if err != nil {
		return nil, err
	}
	return &lockedTxn{l: l, t: txn}, nil
}

// Commit commits a transaction begun by Begin.
func (l *Locked) Commit(txn kv.Txn) (kv.CommitResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Commit(txn.(*lockedTxn).t)
}

// Abort aborts a transaction begun by Begin.
func (l *Locked) Abort(txn kv.Txn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Abort(txn.(*lockedTxn).t)
}

type lockedTxn struct {
	l *Locked
	t kv.Txn
}

func (x *lockedTxn) ReadVersion() uint64 { return x.t.ReadVersion() }

func (x *lockedTxn) Get(key []byte) ([]byte, bool, error) {
	x.l.mu.Lock()
	defer x.l.mu.Unlock()
	return x.t.Get(key)
}

func (x *lockedTxn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	x.l.mu.Lock()
	defer x.l.mu.Unlock()
	return x.t.Scan(start, end, limit, reverse)
}

func (x *lockedTxn) Put(key, value []byte) error {
	x.l.mu.Lock()
	defer x.l.mu.Unlock()
	return x.t.Put(key, value)
}

func (x *lockedTxn) Delete(key []byte) error {
	x.l.mu.Lock()
	defer x.l.mu.Unlock()
	return x.t.Delete(key)
}

func (x *lockedTxn) DeleteRange(start, end []byte) error {
	x.l.mu.Lock()
	defer x.l.mu.Unlock()
	return x.t.DeleteRange(start, end)
}

var _ kv.Store = (*Locked)(nil)
