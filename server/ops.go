package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/raft"
	"github.com/lineradb/lineradb/sql/pgwire"
)

// confChangeWait bounds how long add-peer and remove-peer wait for their
// entry to apply before answering 202 Accepted instead of 200.
const confChangeWait = 5 * time.Second

// peerAddrPrefix is the replicated peer address table: key prefix + decimal
// node id → "host:port". add-peer writes it before changing the
// membership, and every node reads it each peerSyncInterval, so members
// learn the addresses of nodes added through another member.
const peerAddrPrefix = "\xff/sys/peer-addr/"

// addrBook is this node's view of its peers' Raft addresses.
type addrBook struct {
	self  uint64
	mu    sync.Mutex
	addrs map[uint64]string
}

func newAddrBook(self uint64) *addrBook { return &addrBook{self: self, addrs: map[uint64]string{}} }

func (b *addrBook) set(id uint64, addr string) (changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id == b.self || b.addrs[id] == addr {
		return false
	}
	b.addrs[id] = addr
	return true
}

// setIfUnknown records addr for id only if id has no address yet: a
// configured or replicated address outranks one learned from a connection.
func (b *addrBook) setIfUnknown(id uint64, addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id == b.self || b.addrs[id] != "" {
		return false
	}
	b.addrs[id] = addr
	return true
}

func (b *addrBook) get(id uint64) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addrs[id]
}

// lagTracker turns the leader's per-follower entry lag into milliseconds:
// how long since each follower last matched the leader's last index.
type lagTracker struct {
	mu         sync.Mutex
	caughtUpAt map[uint64]time.Time
	lagMs      map[uint64]float64
}

func (l *lagTracker) observe(st node.Status, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st.Role != raft.RoleLeader {
		l.caughtUpAt, l.lagMs = nil, nil
		return
	}
	if l.caughtUpAt == nil {
		l.caughtUpAt, l.lagMs = map[uint64]time.Time{}, map[uint64]float64{}
	}
	seen := map[uint64]bool{}
	for _, p := range st.Peers {
		if p.ID == st.ID {
			continue
		}
		seen[p.ID] = true
		if _, ok := l.caughtUpAt[p.ID]; !ok || p.Lag == 0 {
			l.caughtUpAt[p.ID] = now
		}
		l.lagMs[p.ID] = float64(now.Sub(l.caughtUpAt[p.ID]).Milliseconds())
	}
	for id := range l.lagMs {
		if !seen[id] {
			delete(l.lagMs, id)
			delete(l.caughtUpAt, id)
		}
	}
}

func (l *lagTracker) snapshot() map[uint64]float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[uint64]float64, len(l.lagMs))
	for k, v := range l.lagMs {
		out[k] = v
	}
	return out
}

func (s *Server) sampleLag() {
	if st, err := s.rt.Status(); err == nil {
		s.lag.observe(st, time.Now())
	}
}

// syncPeers reads the replicated address table and tells the transport
// about new or moved peers.
func (s *Server) syncPeers() {
	txn, err := s.rt.Begin(kv.TxnOptions{ReadOnly: true})
	if err != nil {
		return
	}
	defer s.rt.Abort(txn)
	prefix := []byte(peerAddrPrefix)
	end := append(slices.Clone(prefix), 0xff)
	entries, err := txn.Scan(prefix, end, 0, false)
	if err != nil {
		return
	}
	for _, e := range entries {
		id, err := strconv.ParseUint(string(e.Key[len(prefix):]), 10, 64)
		if err != nil || id == 0 {
			continue
		}
		if addr := string(e.Value); s.peers.set(id, addr) {
			if err := s.rt.AddPeerAddr(id, addr); err != nil {
				s.log.Warn("peer address", "id", id, "addr", addr, "err", err)
			} else {
				s.log.Info("learned peer address", "id", id, "addr", addr)
			}
		}
	}
}

// writePeerAddr records (or with addr "" deletes) id's address in the
// replicated table.
func (s *Server) writePeerAddr(id uint64, addr string) error {
	txn, err := s.rt.Begin(kv.TxnOptions{})
	if err != nil {
		return err
	}
	key := []byte(peerAddrPrefix + strconv.FormatUint(id, 10))
	if addr == "" {
		err = txn.Delete(key)
	} else {
		err = txn.Put(key, []byte(addr))
	}
	if err != nil {
		s.rt.Abort(txn)
		return err
	}
	_, err = s.rt.Commit(txn)
	return err
}

// serverOps implements Ops over the running server.
type serverOps struct{ s *Server }

func (o *serverOps) Status() (StatusReply, error) {
	s := o.s
	st, err := s.rt.Status()
	if err != nil {
		return StatusReply{}, apiErrorf(http.StatusServiceUnavailable, "node unavailable: %v", err)
	}
	return buildStatus(st, s.peers, s.disk.readOnlyReason() != ""), nil
}

// buildStatus shapes node.Status as the runbook's /status.
func buildStatus(st node.Status, book *addrBook, readOnly bool) StatusReply {
	r := StatusReply{NodeID: st.ID, Role: st.Role.String(), Term: st.Term, Leader: st.Lead, CommitIndex: st.Commit,
		LastApplied: st.Applied, Voters: nonNil(st.Voters), Learners: nonNil(st.Learners), ReadOnly: readOnly, Peers: []PeerReply{}}
	if st.Stopped != nil {
		r.Stopped = st.Stopped.Error()
		r.Role = "stopped"
	}
	r.Healthy = st.Stopped == nil && st.Lead != 0
	if st.Role == raft.RoleLeader {
		for _, p := range st.Peers {
			if p.ID == st.ID {
				continue
			}
			status := "healthy"
			if !p.Active {
				status = "unreachable"
			}
			r.Peers = append(r.Peers, PeerReply{ID: p.ID, Addr: book.get(p.ID), Status: status, Lag: p.Lag, Learner: p.IsLearner})
		}
		return r
	}
	for _, id := range st.Voters {
		if id != st.ID {
			r.Peers = append(r.Peers, PeerReply{ID: id, Addr: book.get(id), Status: "unknown"})
		}
	}
	for _, id := range st.Learners {
		if id != st.ID {
			r.Peers = append(r.Peers, PeerReply{ID: id, Addr: book.get(id), Status: "unknown", Learner: true})
		}
	}
	sort.Slice(r.Peers, func(i, j int) bool { return r.Peers[i].ID < r.Peers[j].ID })
	return r
}

func nonNil(ids []uint64) []uint64 {
	if ids == nil {
		return []uint64{}
	}
	return ids
}

func (o *serverOps) Ready() (bool, string) {
	st, err := o.s.rt.Status()
	switch {
	case err != nil:
		return false, err.Error()
	case st.Stopped != nil:
		return false, "node stopped: " + st.Stopped.Error()
	case st.Lead == 0:
		return false, "no known leader"
	case st.Applied < st.Commit:
		return false, fmt.Sprintf("applying: applied %d < commit %d", st.Applied, st.Commit)
	}
	return true, ""
}

// leaderStatus returns the status if this node leads, else a 409 naming
// the leader (or 503 without one).
func (s *Server) leaderStatus() (node.Status, error) {
	st, err := s.rt.Status()
	if err != nil {
		return st, apiErrorf(http.StatusServiceUnavailable, "node unavailable: %v", err)
	}
	if st.Role == raft.RoleLeader {
		return st, nil
	}
	if st.Lead == 0 {
		return st, apiErrorf(http.StatusServiceUnavailable, "no leader right now; retry")
	}
	return st, apiErrorf(http.StatusConflict, "node %d is not the leader; send this to the leader, node %d (raft addr %s)",
		st.ID, st.Lead, s.peers.get(st.Lead))
}

func isMember(st node.Status, id uint64) bool {
	return slices.Contains(st.Voters, id) || slices.Contains(st.Learners, id)
}

// confError maps a rejected membership change to an HTTP status.
func confError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrConfChangePending), errors.Is(err, raft.ErrConfChangeTooEarly), errors.Is(err, raft.ErrProposalDropped):
		return apiErrorf(http.StatusConflict, "%v; retry shortly", err)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrNoLeader):
		return apiErrorf(http.StatusConflict, "%v", err)
	case errors.Is(err, raft.ErrInvalidConfChange):
		return apiErrorf(http.StatusBadRequest, "%v", err)
	}
	return err
}

func (o *serverOps) AddPeer(id uint64, addr string) error {
	s := o.s
	st, err := s.leaderStatus()
	if err != nil {
		return err
	}
	if slices.Contains(st.Voters, id) {
		return apiErrorf(http.StatusConflict, "node %d is already a voting member", id)
	}
	if err := s.writePeerAddr(id, addr); err != nil {
		return fmt.Errorf("recording peer address: %w", err)
	}
	s.peers.set(id, addr)
	if err := s.rt.AddPeerAddr(id, addr); err != nil {
		return err
	}
	if err := confError(s.rt.Admin(func(n *node.Node) error { return n.AddPeer(id) })); err != nil {
		return err
	}
	s.log.Info("add-peer proposed", "node_id", id, "addr", addr)
	return s.waitMembership(id, true)
}

func (o *serverOps) RemovePeer(id uint64) error {
	s := o.s
	st, err := s.leaderStatus()
	if err != nil {
		return err
	}
	if !isMember(st, id) {
		return apiErrorf(http.StatusNotFound, "node %d is not a member (voters %v, learners %v)", id, st.Voters, st.Learners)
	}
	if err := confError(s.rt.Admin(func(n *node.Node) error { return n.RemovePeer(id) })); err != nil {
		return err
	}
	s.log.Info("remove-peer proposed", "node_id", id)
	if err := s.waitMembership(id, false); err != nil {
		return err
	}
	if id != s.cfg.Server.NodeID {
		_ = s.writePeerAddr(id, "")
	}
	return nil
}

// waitMembership waits for the change to apply; past confChangeWait it
// answers 202: the change was accepted and will apply when it commits.
func (s *Server) waitMembership(id uint64, member bool) error {
	deadline := time.Now().Add(confChangeWait)
	for time.Now().Before(deadline) {
		if st, err := s.rt.Status(); err == nil && isMember(st, id) == member {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return apiErrorf(http.StatusAccepted, "membership change for node %d accepted but not applied yet; watch /status", id)
}

func (o *serverOps) StepDown() (uint64, error) { return o.s.stepDown() }

// stepDown transfers leadership to the voter with the highest match index.
func (s *Server) stepDown() (uint64, error) {
	st, err := s.leaderStatus()
	if err != nil {
		return 0, err
	}
	var best node.PeerStatus
	for _, p := range st.Peers {
		if p.ID == st.ID || p.IsLearner || !p.Active {
			continue
		}
		if best.ID == 0 || p.Match > best.Match {
			best = p
		}
	}
	if best.ID == 0 {
		return 0, apiErrorf(http.StatusConflict, "no other active voter to hand leadership to")
	}
	if err := s.rt.Admin(func(n *node.Node) error { return n.TransferLeadership(best.ID) }); err != nil {
		return 0, confError(err)
	}
	s.log.Info("leadership transfer started", "to", best.ID)
	return best.ID, nil
}

func (o *serverOps) Snapshot() (uint64, error) {
	var applied uint64
	err := o.s.rt.Admin(func(n *node.Node) error {
		if err := n.TakeSnapshot(); err != nil {
			return err
		}
		applied = n.Status().Applied
		return nil
	})
	return applied, err
}

func (o *serverOps) Backup(targetDir string) (BackupInfo, error) {
	s := o.s
	root := targetDir
	if root == "" {
		root = s.defaultBackupRoot()
	}
	if strings.ContainsRune(root, 0) {
		return BackupInfo{}, apiErrorf(http.StatusBadRequest, "bad target_dir")
	}
	info, err := WriteBackup(s.rt, root, s.cfg.Server.NodeID, time.Now())
	if err != nil {
		return info, fmt.Errorf("backup to %s: %w", root, err)
	}
	s.backupMu.Lock()
	if !slices.Contains(s.backupRoots, root) {
		s.backupRoots = append(s.backupRoots, root)
	}
	s.backupMu.Unlock()
	s.log.Info("backup written", "path", info.Path, "keys", info.Keys, "bytes", info.Bytes, "read_version", info.ReadVersion)
	return info, nil
}

func (o *serverOps) Backups() ([]BackupInfo, error) {
	s := o.s
	s.backupMu.Lock()
	roots := append([]string{s.defaultBackupRoot()}, s.backupRoots...)
	s.backupMu.Unlock()
	var all []BackupInfo
	seen := map[string]bool{}
	for _, root := range roots {
		if seen[root] {
			continue
		}
		seen[root] = true
		list, err := ListBackups(root)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
	}
	if all == nil {
		all = []BackupInfo{}
	}
	return all, nil
}

func (o *serverOps) SlowQueries() []SlowQuery { return o.s.ql.recent() }

func (o *serverOps) ActiveQueries() []pgwire.ConnInfo {
	if o.s.pg == nil {
		return []pgwire.ConnInfo{}
	}
	return o.s.pg.Snapshot()
}
