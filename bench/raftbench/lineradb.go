package raftbench

import (
	"errors"
	"math/rand/v2"

	"github.com/lineradb/lineradb/raft"
)

// lineraMember is one LineraDB Raft member with its storage and state
// machine.
type lineraMember struct {
	r       *raft.Raft
	st      lineraStorage
	sm      stateMachine
	lead    uint64
	applied uint64
}

// lineraStorage is the in-memory stand-in for raft/raftlog: it keeps what
// a durable log would, without copying payloads.
type lineraStorage struct {
	hs raft.HardState
	// firstIndex is the index of ents[0] when ents is non-empty.
	firstIndex uint64
	ents       []raft.Entry
}

// append stores ents, first discarding stored entries at index >=
// ents[0].Index (doc.go's contract, step 3).
func (s *lineraStorage) append(ents []raft.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	if len(s.ents) == 0 {
		s.firstIndex = ents[0].Index
	}
	first := ents[0].Index
	if first < s.firstIndex || first > s.firstIndex+uint64(len(s.ents)) {
		return errors.New("entries do not follow the stored log")
	}
	s.ents = append(s.ents[:first-s.firstIndex], ents...)
	return nil
}

// compact drops entries at index <= i, reusing the buffer.
func (s *lineraStorage) compact(i uint64) {
	if len(s.ents) == 0 || i < s.firstIndex {
		return
	}
	k := min(int(i-s.firstIndex+1), len(s.ents))
	s.ents = s.ents[:copy(s.ents, s.ents[k:])]
	s.firstIndex = i + 1
}

// lineraCluster is three LineraDB members on an in-memory network.
type lineraCluster struct {
	members [membersCount]*lineraMember
	net     network[raft.Message]
}

func newLineraCluster(opts Options) (*lineraCluster, error) {
	c := &lineraCluster{}
	peers := []uint64{1, 2, 3}
	for i := range membersCount {
		cfg := raft.Config{
			ID:               uint64(i + 1),
			Peers:            peers,
			ElectionTicks:    10,
			HeartbeatTicks:   1,
			PreVote:          true,
			CheckQuorum:      true,
			MaxMsgBytes:      1 << 20,
			MaxInflightMsgs:  256,
			MaxEntriesPerMsg: opts.MaxEntriesPerMsg,
			Rand:             rand.New(rand.NewPCG(opts.Seed, uint64(i+1))),
		}
		r, err := raft.New(cfg, raft.Recovered{})
		if err != nil {
			return nil, err
		}
		c.members[i] = &lineraMember{r: r}
	}
	return c, nil
}

func (c *lineraCluster) campaign(i int) error { return c.members[i].r.Campaign() }

func (c *lineraCluster) lead(i int) int { return int(c.members[i].lead) - 1 }

func (c *lineraCluster) propose(i int, data []byte) error { return c.members[i].r.Propose(data) }

func (c *lineraCluster) handleReady(i int) (bool, error) {
	m := c.members[i]
	if !m.r.HasReady() {
		return false, nil
	}
	rd := m.r.Ready()
	if rd.Snapshot != nil || len(rd.SnapshotChunks) > 0 {
		return true, errors.New("unexpected snapshot: the harness never lets a member fall behind compaction")
	}
	if rd.SoftState != nil {
		m.lead = rd.SoftState.Lead
	}
	if err := m.st.append(rd.Entries); err != nil {
		return true, err
	}
	if !rd.HardState.IsEmpty() {
		m.st.hs = rd.HardState
	}
	for _, msg := range rd.Messages {
		c.net.send(msg)
	}
	for _, e := range rd.CommittedEntries {
		if e.Type == raft.EntryNormal {
			if err := m.sm.apply(e.Data); err != nil {
				return true, err
			}
		}
		m.applied = e.Index
	}
	m.r.Advance(rd)
	return true, nil
}

func (c *lineraCluster) deliver() (int, error) {
	q := c.net.take()
	for _, msg := range q {
		if err := c.members[msg.To-1].r.Step(msg); err != nil {
			return 0, err
		}
	}
	clear(q) // let delivered messages be collected
	return len(q), nil
}

func (c *lineraCluster) appliedIndex(i int) uint64 { return c.members[i].applied }

func (c *lineraCluster) compact(i int, index uint64) error {
	m := c.members[i]
	if _, err := m.r.Compact(index); err != nil {
		return err
	}
	m.st.compact(index)
	return nil
}

func (c *lineraCluster) machine(i int) *stateMachine { return &c.members[i].sm }

func (c *lineraCluster) messages() uint64 { return c.net.sent }

func (c *lineraCluster) setDropAll(drop bool) { c.net.dropAll = drop }
