//detlint:exempt production node loop: a real ticker, goroutines and channels around the deterministic Node

package node

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node/kv"
)

// Defaults for RuntimeConfig fields left zero.
const (
	DefaultTickInterval  = 100 * time.Millisecond
	DefaultCommitTimeout = 10 * time.Second
	DefaultInboxMax      = 4096
)

// RuntimeConfig wires a Node to real time and a TCP transport.
type RuntimeConfig struct {
	// Node configures the replica; its Transport is set by the runtime.
	Node Config
	// ListenAddr is where peers connect ("127.0.0.1:0" picks a port).
	ListenAddr string
	// PeerAddrs are the other members' addresses (more with AddPeerAddr).
	PeerAddrs map[uint64]string
	// TickInterval is the real duration of one node tick. Default 100ms.
	TickInterval time.Duration
	// CommitTimeout bounds a blocking Begin or Commit; a Commit that runs
	// out reports kv.ErrAmbiguous. Default 10s.
	CommitTimeout time.Duration
	// InboxMax bounds the events waiting for the node loop. Inbound
	// messages beyond it are dropped (raft retries); client calls wait.
	InboxMax int
	// TCP passes transport options through to netio.NewTCP (TLS, peer
	// learning, logger, limits); its ID, ListenAddr, Peers and Handler are
	// overwritten by the runtime from the fields above.
	TCP netio.TCPConfig
}

// Runtime is the production node loop: ONE goroutine owns the Node and
// runs every event on it — ticks from a real ticker, messages posted by
// the transport's connection goroutines, client calls posted as closures.
// It implements kv.Store for gateways (the SQL layer, pgwire), blocking
// the caller until the loop answers.
type Runtime struct {
	n        *Node
	tr       *netio.TCPTransport
	cfg      RuntimeConfig
	inbox    chan func()
	stopping chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	closeErr error
}

var _ kv.Store = (*Runtime)(nil)

// StartRuntime opens the node, starts its transport and its loop.
func StartRuntime(cfg RuntimeConfig) (*Runtime, error) {
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = DefaultTickInterval
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = DefaultCommitTimeout
	}
	if cfg.InboxMax <= 0 {
		cfg.InboxMax = DefaultInboxMax
	}
	rt := &Runtime{cfg: cfg, inbox: make(chan func(), cfg.InboxMax), stopping: make(chan struct{}), done: make(chan struct{})}
	peers := map[netio.NodeID]string{}
	for id, addr := range cfg.PeerAddrs {
		peers[netio.NodeID(id)] = addr
	}
	tcp := cfg.TCP
	tcp.ID, tcp.ListenAddr, tcp.Peers, tcp.Handler = netio.NodeID(cfg.Node.ID), cfg.ListenAddr, peers, rt.deliver
	tr, err := netio.NewTCP(tcp)
	if err != nil {
		return nil, err
	}
	rt.tr = tr
	cfg.Node.Transport = tr
	n, err := Open(cfg.Node)
	if err != nil {
		tr.Close()
		return nil, err
	}
	rt.n = n
	go rt.loop()
	return rt, nil
}

// deliver runs on a connection goroutine: hand the message to the loop
// without blocking (a full inbox drops it; raft tolerates loss).
func (rt *Runtime) deliver(m netio.Message) {
	select {
	case rt.inbox <- func() { rt.n.Receive(m) }:
	default:
	}
}

func (rt *Runtime) loop() {
	defer close(rt.done)
	ticker := time.NewTicker(rt.cfg.TickInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			rt.n.Tick()
		case fn := <-rt.inbox:
			fn()
		case <-rt.stopping:
			rt.shutdown()
			return
		}
	}
}

// shutdown drains what is already posted, then closes the node (pending
// requests fail, the LSM is flushed) and the transport.
func (rt *Runtime) shutdown() {
	for {
		select {
		case fn := <-rt.inbox:
			fn()
			continue
		default:
		}
		break
	}
	rt.closeErr = errors.Join(rt.n.Close(), rt.tr.Close())
}

// Stop shuts the runtime down and waits for the loop to exit.
func (rt *Runtime) Stop() error {
	rt.stopOnce.Do(func() { close(rt.stopping) })
	<-rt.done
	return rt.closeErr
}

// Addr is the transport's listening address.
func (rt *Runtime) Addr() string { return rt.tr.Addr().String() }

// AddPeerAddr tells the transport where member id listens.
func (rt *Runtime) AddPeerAddr(id uint64, addr string) error {
	return rt.tr.AddPeer(netio.NodeID(id), addr)
}

// post runs fn on the loop, blocking while the inbox is full.
func (rt *Runtime) post(fn func()) error {
	select {
	case rt.inbox <- fn:
		return nil
	case <-rt.done:
		return fmt.Errorf("%w: node runtime stopped", kv.ErrUnavailable)
	case <-rt.stopping:
		return fmt.Errorf("%w: node runtime stopping", kv.ErrUnavailable)
	}
}

// call runs fn on the loop and waits for it to return.
func call[T any](rt *Runtime, fn func() T) (T, error) {
	ch := make(chan T, 1)
	var zero T
	if err := rt.post(func() { ch <- fn() }); err != nil {
		return zero, err
	}
	select {
	case v := <-ch:
		return v, nil
	case <-rt.done:
		return zero, fmt.Errorf("%w: node runtime stopped", kv.ErrUnavailable)
	}
}

// Status reports the node's status.
func (rt *Runtime) Status() (Status, error) { return call(rt, rt.n.Status) }

// Metrics reports the node's metrics.
func (rt *Runtime) Metrics() (Metrics, error) { return call(rt, rt.n.Metrics) }

// Admin runs an admin action (AddPeer, RemovePeer, TransferLeadership,
// TakeSnapshot...) on the loop.
func (rt *Runtime) Admin(fn func(n *Node) error) error {
	err, perr := call(rt, func() error { return fn(rt.n) })
	return errors.Join(err, perr)
}

type beginResult struct {
	txn *Txn
	err error
}

// Begin blocks until the transaction has a linearizable read version.
func (rt *Runtime) Begin(opts kv.TxnOptions) (kv.Txn, error) {
	ch := make(chan beginResult, 1)
	if err := rt.post(func() { rt.n.Begin(opts, func(t *Txn, err error) { ch <- beginResult{t, err} }) }); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		return &runtimeTxn{rt: rt, t: r.txn}, nil
	case <-time.After(rt.cfg.CommitTimeout):
		return nil, fmt.Errorf("%w: no read version within %v", kv.ErrUnavailable, rt.cfg.CommitTimeout)
	case <-rt.done:
		return nil, fmt.Errorf("%w: node runtime stopped", kv.ErrUnavailable)
	}
}

type commitResult struct {
	res kv.CommitResult
	err error
}

// Commit blocks for the outcome; past CommitTimeout it is ambiguous.
func (rt *Runtime) Commit(txn kv.Txn) (kv.CommitResult, error) {
	t, ok := txn.(*runtimeTxn)
	if !ok || t.rt != rt {
		return kv.CommitResult{}, errors.New("node: transaction from another store")
	}
	ch := make(chan commitResult, 1)
	if err := rt.post(func() { rt.n.Commit(t.t, func(r kv.CommitResult, err error) { ch <- commitResult{r, err} }) }); err != nil {
		return kv.CommitResult{}, err
	}
	select {
	case r := <-ch:
		return r.res, r.err
	case <-time.After(rt.cfg.CommitTimeout):
		return kv.CommitResult{}, fmt.Errorf("%w: no outcome within %v", kv.ErrAmbiguous, rt.cfg.CommitTimeout)
	case <-rt.done:
		return kv.CommitResult{}, fmt.Errorf("%w: node runtime stopped", kv.ErrAmbiguous)
	}
}

// Abort discards the transaction.
func (rt *Runtime) Abort(txn kv.Txn) {
	if t, ok := txn.(*runtimeTxn); ok && t.rt == rt {
		_ = rt.post(func() { rt.n.Abort(t.t) })
	}
}

// runtimeTxn runs each operation of a node Txn on the loop.
type runtimeTxn struct {
	rt *Runtime
	t  *Txn
}

type getResult struct {
	v   []byte
	ok  bool
	err error
}

type scanResult struct {
	kvs []kv.KeyValue
	err error
}

func (t *runtimeTxn) ReadVersion() uint64 { return t.t.ReadVersion() }

func (t *runtimeTxn) Get(key []byte) ([]byte, bool, error) {
	r, err := call(t.rt, func() getResult { v, ok, err := t.t.Get(key); return getResult{v, ok, err} })
	if err != nil {
		return nil, false, err
	}
	return r.v, r.ok, r.err
}

func (t *runtimeTxn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	r, err := call(t.rt, func() scanResult { kvs, err := t.t.Scan(start, end, limit, reverse); return scanResult{kvs, err} })
	if err != nil {
		return nil, err
	}
	return r.kvs, r.err
}

func (t *runtimeTxn) write(fn func() error) error {
	err, perr := call(t.rt, fn)
	return errors.Join(perr, err)
}

func (t *runtimeTxn) Put(key, value []byte) error {
	return t.write(func() error { return t.t.Put(key, value) })
}

func (t *runtimeTxn) Delete(key []byte) error {
	return t.write(func() error { return t.t.Delete(key) })
}

func (t *runtimeTxn) DeleteRange(start, end []byte) error {
	return t.write(func() error { return t.t.DeleteRange(start, end) })
}
