package server

import (
	"errors"
	"time"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// guardedStore wraps the node's kv.Store with the server's policies: writes
// are refused while the disk guard says the node is read-only, and every
// commit is timed and counted for /metrics.
type guardedStore struct {
	inner kv.Store
	disk  *diskGuard
	m     *metrics
}

var _ kv.Store = (*guardedStore)(nil)

// guardedTxn remembers whether the transaction wrote, so a read-only node
// can still commit reads.
type guardedTxn struct {
	kv.Txn
	wrote bool
}

func (t *guardedTxn) Put(key, value []byte) error {
	t.wrote = true
	return t.Txn.Put(key, value)
}

func (t *guardedTxn) Delete(key []byte) error {
	t.wrote = true
	return t.Txn.Delete(key)
}

func (t *guardedTxn) DeleteRange(start, end []byte) error {
	t.wrote = true
	return t.Txn.DeleteRange(start, end)
}

func (s *guardedStore) Begin(opts kv.TxnOptions) (kv.Txn, error) {
	txn, err := s.inner.Begin(opts)
	if err != nil {
		return nil, err
	}
	return &guardedTxn{Txn: txn}, nil
}

// errTxnForeign reports a transaction this store did not begin.
var errTxnForeign = errors.New("server: transaction from another store")

func (s *guardedStore) Commit(txn kv.Txn) (kv.CommitResult, error) {
	t, ok := txn.(*guardedTxn)
	if !ok {
		return kv.CommitResult{}, errTxnForeign
	}
	if t.wrote {
		if why := s.disk.readOnlyReason(); why != "" {
			s.inner.Abort(t.Txn)
			s.m.txnAborted.Inc()
			return kv.CommitResult{}, sqlerr.New(sqlerr.ReadOnlySQLTransaction,
				"node is read-only: %s; writes resume once disk space is freed", why)
		}
	}
	start := time.Now()
	res, err := s.inner.Commit(t.Txn)
	s.m.observeCommit(t.wrote, time.Since(start), err)
	return res, err
}

func (s *guardedStore) Abort(txn kv.Txn) {
	if t, ok := txn.(*guardedTxn); ok {
		s.inner.Abort(t.Txn)
	}
}
