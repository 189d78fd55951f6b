package raftbench

import (
	"errors"
	"fmt"
	"io"
	"log"

	etcdraft "go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// etcdMember is one etcd RawNode with its MemoryStorage and state machine.
type etcdMember struct {
	id      uint64
	rn      *etcdraft.RawNode
	st      *etcdraft.MemoryStorage
	sm      stateMachine
	lead    uint64
	applied uint64
}

// etcdCluster is three etcd members on an in-memory network.
type etcdCluster struct {
	members [membersCount]*etcdMember
	net     network[*pb.Message]
}

// quietLogger drops etcd's election chatter so it neither pollutes the
// table nor costs time.
var quietLogger = &etcdraft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}

func newEtcdCluster(_ Options) (*etcdCluster, error) {
	c := &etcdCluster{}
	for i := range membersCount {
		id := uint64(i + 1)
		st := etcdraft.NewMemoryStorage()
		// Bootstrap the way etcd recommends: a storage whose snapshot
		// holds the initial membership (rather than RawNode.Bootstrap).
		snap := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{
			Index:     new(uint64(1)),
			Term:      new(uint64(1)),
			ConfState: &pb.ConfState{Voters: []uint64{1, 2, 3}},
		}}
		if err := st.ApplySnapshot(snap); err != nil {
			return nil, err
		}
		cfg := &etcdraft.Config{
			ID:              id,
			ElectionTick:    10,
			HeartbeatTick:   1,
			Storage:         st,
			Applied:         1,
			PreVote:         true,
			CheckQuorum:     true,
			MaxSizePerMsg:   1 << 20,
			MaxInflightMsgs: 256,
			Logger:          quietLogger,
		}
		rn, err := etcdraft.NewRawNode(cfg)
		if err != nil {
			return nil, err
		}
		c.members[i] = &etcdMember{id: id, rn: rn, st: st, applied: 1}
	}
	return c, nil
}

func (c *etcdCluster) campaign(i int) error { return c.members[i].rn.Campaign() }

func (c *etcdCluster) lead(i int) int { return int(c.members[i].lead) - 1 }

func (c *etcdCluster) propose(i int, data []byte) error { return c.members[i].rn.Propose(data) }

func (c *etcdCluster) handleReady(i int) (bool, error) {
	m := c.members[i]
	if !m.rn.HasReady() {
		return false, nil
	}
	rd := m.rn.Ready()
	if !etcdraft.IsEmptySnap(rd.Snapshot) {
		return true, errors.New("unexpected snapshot: the harness never lets a member fall behind compaction")
	}
	if rd.SoftState != nil {
		m.lead = rd.SoftState.Lead
	}
	if !etcdraft.IsEmptyHardState(rd.HardState) {
		if err := m.st.SetHardState(rd.HardState); err != nil {
			return true, err
		}
	}
	if err := m.st.Append(rd.Entries); err != nil {
		return true, err
	}
	for _, msg := range rd.Messages {
		if msg.GetTo() == m.id {
			return true, fmt.Errorf("message %s to self in Ready with synchronous storage", msg.GetType())
		}
		c.net.send(msg)
	}
	if err := m.apply(rd.CommittedEntries); err != nil {
		return true, err
	}
	m.rn.Advance(rd)
	return true, nil
}

// apply hands committed entries to the state machine; etcd's new leader
// appends an empty normal entry, which carries no payload.
func (m *etcdMember) apply(ents []*pb.Entry) error {
	for _, e := range ents {
		switch {
		case e.GetType() != pb.EntryNormal:
			return fmt.Errorf("unexpected %s entry at %d", e.GetType(), e.GetIndex())
		case len(e.GetData()) > 0:
			if err := m.sm.apply(e.GetData()); err != nil {
				return err
			}
		}
		m.applied = e.GetIndex()
	}
	return nil
}

func (c *etcdCluster) deliver() (int, error) {
	q := c.net.take()
	for _, msg := range q {
		if err := c.members[msg.GetTo()-1].rn.Step(msg); err != nil {
			return 0, err
		}
	}
	clear(q) // let delivered messages be collected
	return len(q), nil
}

func (c *etcdCluster) appliedIndex(i int) uint64 { return c.members[i].applied }

func (c *etcdCluster) compact(i int, index uint64) error {
	return c.members[i].st.Compact(index)
}

func (c *etcdCluster) machine(i int) *stateMachine { return &c.members[i].sm }

func (c *etcdCluster) messages() uint64 { return c.net.sent }

func (c *etcdCluster) setDropAll(drop bool) { c.net.dropAll = drop }
