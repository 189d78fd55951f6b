package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lineradb/lineradb/internal/config"
	"github.com/lineradb/lineradb/netio"
)

// Plain host:port peers are resolved to node ids with netio.Discover.
const (
	// DefaultDiscoveryTimeout bounds how long a founder (--bootstrap-cluster
	// on an empty data directory) waits for every plain host:port peer to
	// answer before start-up fails.
	DefaultDiscoveryTimeout = 2 * time.Minute
	// discoveryRetryMin and discoveryRetryMax bound the pause between
	// probes of an unreachable peer (doubling in between).
	discoveryRetryMin = 100 * time.Millisecond
	discoveryRetryMax = 3 * time.Second
	// discoveryLogInterval spaces the "still waiting" log lines.
	discoveryLogInterval = 10 * time.Second
)

// joinMode says how a node with a brand-new data directory gets its
// membership.
type joinMode int

const (
	// joinFound: bootstrap the founders' membership now.
	joinFound joinMode = iota
	// joinWait: stay empty until a leader adds this node (add-peer).
	joinWait
)

// founders decides the bootstrap membership of a brand-new data directory
// (Raft ignores it when the directory already holds state):
//
//   - no peers: a single-node cluster of this node, if --bootstrap-cluster
//     is given or no node id was configured (`make run`, the runbook's
//     single-node start); a node given an id and no peers is one the
//     runbook's "Adding a node" starts, so it waits to be added;
//   - --bootstrap-cluster with peers: this node and every peer, which
//     needs every peer's id (plain host:port peers are resolved first); if
//     one is still unknown, nobody is founded rather than a wrong set;
//   - peers without the flag: none; the node joins when the founder's
//     leader reaches it.
func founders(self uint64, peers []config.Peer, bootstrap, idGiven bool) ([]uint64, joinMode) {
	if len(peers) == 0 {
		if bootstrap || !idGiven {
			return []uint64{self}, joinFound
		}
		return nil, joinWait
	}
	if !bootstrap {
		return nil, joinWait
	}
	ids := []uint64{self}
	for _, p := range peers {
		if p.ID == 0 {
			return nil, joinWait
		}
		ids = append(ids, p.ID)
	}
	return ids, joinFound
}

// freshDataDir reports whether the node directory under dataDir is absent
// or empty: nothing was ever stored there, so founders matter.
func freshDataDir(dataDir string) (bool, error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, nodeDirName))
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(entries) == 0, nil
}

// resolver turns plain host:port peers into ids by probing them.
type resolver struct {
	self uint64
	// probe asks addr for its id (netio.Discover in production).
	probe func(ctx context.Context, addr string) (uint64, error)
	log   interface {
		Info(msg string, args ...any)
		Warn(msg string, args ...any)
	}
}

// resolveAll probes every peer without an id until each answers or ctx
// ends, and returns peers with the ids filled in. A peer that answers as
// this node, or with an id another entry already has, is an error: the
// peer list is wrong, and guessing would found the wrong cluster.
func (r *resolver) resolveAll(ctx context.Context, peers []config.Peer) ([]config.Peer, error) {
	out := slices.Clone(peers)
	retry := discoveryRetryMin
	lastLog := time.Now()
	for {
		var pending []string
		var lastErr error
		for i := range out {
			if out[i].ID != 0 {
				continue
			}
			id, err := r.probe(ctx, out[i].Addr)
			if err != nil {
				if errors.Is(err, netio.ErrProbeSelf) {
					return nil, fmt.Errorf("raft.peers entry %q is this node's own address", out[i].Addr)
				}
				pending = append(pending, out[i].Addr)
				lastErr = err
				continue
			}
			if err := checkResolved(r.self, out, i, id); err != nil {
				return nil, err
			}
			out[i].ID = id
			r.log.Info("resolved peer", "addr", out[i].Addr, "node_id", id)
		}
		if len(pending) == 0 {
			return out, nil
		}
		if time.Since(lastLog) >= discoveryLogInterval {
			r.log.Info("waiting for peers to answer", "unreachable", strings.Join(pending, ","), "last_err", lastErr)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("peers %s did not answer (last error: %v): %w", strings.Join(pending, ", "), lastErr, ctx.Err())
		case <-time.After(retry):
		}
		retry = min(2*retry, discoveryRetryMax)
	}
}

// checkResolved refuses an id that is this node's or another entry's.
func checkResolved(self uint64, peers []config.Peer, i int, id uint64) error {
	if id == self {
		return fmt.Errorf("raft.peers entry %q is node %d, this node", peers[i].Addr, id)
	}
	for j, p := range peers {
		if j != i && p.ID == id {
			return fmt.Errorf("raft.peers entries %q and %q are both node %d", p.Addr, peers[i].Addr, id)
		}
	}
	return nil
}

// discoverProbe is the production probe: one netio.Discover attempt.
func discoverProbe(self uint64, m *tlsMaterial) (func(ctx context.Context, addr string) (uint64, error), error) {
	_, client, err := m.nodeTLS()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, addr string) (uint64, error) {
		id, err := netio.Discover(ctx, addr, netio.DiscoverConfig{ID: netio.NodeID(self), TLS: client})
		return uint64(id), err
	}, nil
}
