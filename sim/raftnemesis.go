package sim

import (
	"math/rand/v2"
	"time"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/raft"
)

// The Raft-aware nemesis: faults that need to know who leads or what the
// membership is, which the generic Nemesis cannot know. Per seed each kind
// is on or off (swarm); while on, episodes start at exponential intervals
// during the workload phase:
//
//   - isolate_leader: cut the current leader off both ways for an episode;
//   - crash_leader: crash the current leader (losing unsynced writes) and
//     restart it after an episode, within the seed's DownMax;
//   - transfer: ask the leader to hand leadership to a random voter;
//   - membership: one step of an operator's plan — provision a spare and
//     add it as a learner (then promote it once caught up) or directly as
//     a voter; remove a voter (a disk-stopped one first) while voters
//     outnumber the founders, so a majority can always come back after
//     heal; decommission nodes the committed configuration dropped;
//   - disk: one founder's MemFS gets EIO on sync and write and bit flips
//     on read for the whole phase. The node must stop rather than serve
//     (a poisoned log, a corrupt one); the rest must carry on. Only with
//     three or more founders, so a majority survives it.
//
// Heal disarms the disk faults and reopens the isolated leader's paths
// (the generic nemesis heals the network as a whole at the same moment).

type raftNemesis struct {
	c      *raftCluster
	rng    *rand.Rand
	cfg    raftFaultConfig
	kinds  []func()
	end    time.Duration
	undo   []EventID
	victim *raftNode
}

func newRaftNemesis(c *raftCluster) *raftNemesis {
	r := &raftNemesis{c: c, rng: c.k.Rand("raft.nemesis"), cfg: c.cfg.faults}
	if r.cfg.isolateLeader {
		r.kinds = append(r.kinds, r.isolateLeader)
	}
	if r.cfg.transfer {
		r.kinds = append(r.kinds, r.transfer)
	}
	if r.cfg.crashLeader {
		r.kinds = append(r.kinds, r.crashLeader)
	}
	if r.cfg.membership {
		r.kinds = append(r.kinds, r.membership)
	}
	return r
}

func (r *raftNemesis) start(phase time.Duration) {
	r.end = r.c.k.Now() + phase
	if r.cfg.disk && r.c.cfg.nodes >= 3 {
		r.armDisk()
	}
	if len(r.kinds) > 0 {
		r.c.k.Schedule(r.interval(), "raft.nemesis", r.fault)
	}
	r.c.k.Schedule(phase, "raft.nemesis.heal", r.heal)
}

func (r *raftNemesis) interval() time.Duration {
	return time.Duration(float64(r.cfg.intervalMean) * r.rng.ExpFloat64())
}

func (r *raftNemesis) fault() {
	if r.c.k.Now() >= r.end {
		return
	}
	r.kinds[r.rng.IntN(len(r.kinds))]()
	r.c.k.Schedule(r.interval(), "raft.nemesis", r.fault)
}

func (r *raftNemesis) heal() {
	for _, id := range r.undo {
		r.c.k.Cancel(id)
	}
	r.undo = nil
	if r.victim != nil {
		r.victim.fs.DisarmAll()
	}
}

func (r *raftNemesis) armDisk() {
	v := r.c.node(uint64(1 + r.rng.IntN(r.c.cfg.nodes)))
	rules := []diskio.FaultRule{
		{Op: diskio.OpSync, Fault: diskio.FaultEIO, Probability: r.cfg.syncEIOProb},
		{Op: diskio.OpWrite, Fault: diskio.FaultEIO, Probability: r.cfg.writeEIOProb},
		{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: r.cfg.readFlipProb},
	}
	for _, rule := range rules {
		if rule.Probability <= 0 {
			continue
		}
		if err := v.fs.Arm(rule); err != nil {
			panic(err) // probabilities drawn in range
		}
	}
	v.diskFaulty = true
	r.victim = v
	r.c.count("raft.fault.disk")
}

func (r *raftNemesis) isolateLeader() {
	l := r.c.leader()
	if l == nil {
		return
	}
	var paths []path
	for _, n := range r.c.nodes {
		if n.id != l.id {
			a, b := netio.NodeID(l.id), netio.NodeID(n.id)
			paths = append(paths, path{a, b}, path{b, a})
		}
	}
	for _, p := range paths {
		r.c.net.BlockPath(p.from, p.to)
	}
	r.c.count("raft.fault.isolate_leader")
	d := time.Duration(1 + r.rng.Int64N(int64(r.cfg.episodeMax)))
	d = min(d, r.end-r.c.k.Now())
	r.undo = append(r.undo, r.c.k.Schedule(d, "raft.nemesis.undo", func() {
		for _, p := range paths {
			r.c.net.UnblockPath(p.from, p.to)
		}
	}))
}

func (r *raftNemesis) crashLeader() {
	l := r.c.leader()
	if l == nil {
		return
	}
	down := 0
	for _, n := range r.c.nodes {
		if r.c.net.NodeState(netio.NodeID(n.id)) != NodeUp {
			down++
		}
	}
	if down >= r.c.cfg.nemesis.DownMax {
		return
	}
	id := netio.NodeID(l.id)
	r.c.net.SetNodeState(id, NodeCrashed)
	r.c.Crash(id)
	r.c.count("raft.fault.crash_leader")
	d := time.Duration(1 + r.rng.Int64N(int64(r.cfg.episodeMax)))
	d = min(d, r.end-r.c.k.Now())
	r.undo = append(r.undo, r.c.k.Schedule(d, "raft.nemesis.undo", func() {
		if r.c.net.NodeState(id) == NodeCrashed {
			r.c.net.SetNodeState(id, NodeUp)
			r.c.Restart(id)
		}
	}))
}

func (r *raftNemesis) transfer() {
	l := r.c.leader()
	if l == nil {
		return
	}
	voters := l.rn.Status().Conf.Voters
	var cands []uint64
	for _, v := range voters {
		if v != l.id {
			cands = append(cands, v)
		}
	}
	if len(cands) == 0 {
		return
	}
	to := cands[r.rng.IntN(len(cands))]
	if err := l.rn.TransferLeadership(to); err != nil {
		return
	}
	r.c.transferTarget, r.c.transferAt = to, r.c.k.Now()
	r.c.count("raft.fault.transfer")
	l.process()
}

// membership performs one step of the operator's plan.
func (r *raftNemesis) membership() {
	c := r.c
	c.decommissionRemoved()
	l := c.leader()
	if l == nil {
		return
	}
	st := l.rn.Status()
	if cc, ok := r.nextChange(st); ok {
		if err := l.rn.ProposeConfChange(cc); err == nil {
			c.count("raft.conf_proposed")
			l.process()
		}
	}
}

// nextChange picks the operator's next step from the leader's committed
// configuration.
func (r *raftNemesis) nextChange(st raft.Status) (raft.ConfChange, bool) {
	c := r.c
	for _, id := range st.Conf.Learners {
		if caughtUp(st, id) {
			return raft.ConfChange{Type: raft.ConfAddVoter, NodeID: id}, true
		}
		return raft.ConfChange{}, false // let it catch up first
	}
	// A provisioned spare the group never listed: its add was lost.
	for _, n := range c.nodes[c.cfg.nodes:] {
		if n.status != nodeOff && n.status != nodeRemoved && !n.everMember {
			return raft.ConfChange{Type: raft.ConfAddLearner, NodeID: n.id}, true
		}
	}
	if len(st.Conf.Voters) > c.cfg.nodes {
		return raft.ConfChange{Type: raft.ConfRemoveNode, NodeID: r.removalVictim(st.Conf.Voters)}, true
	}
	spare := r.freeSpare()
	if spare == nil {
		return raft.ConfChange{}, false
	}
	spare.boot()
	if spare.status != nodeRunning {
		return raft.ConfChange{}, false
	}
	c.count("raft.spares_provisioned")
	if r.rng.IntN(2) == 0 {
		return raft.ConfChange{Type: raft.ConfAddLearner, NodeID: spare.id}, true
	}
	return raft.ConfChange{Type: raft.ConfAddVoter, NodeID: spare.id}, true
}

func caughtUp(st raft.Status, id uint64) bool {
	for _, p := range st.Progress {
		if p.ID == id {
			return p.Match >= st.Commit
		}
	}
	return false
}

// removalVictim prefers a voter that stopped on its disk: replacing a
// failed node is why operators remove voters.
func (r *raftNemesis) removalVictim(voters []uint64) uint64 {
	for _, v := range voters {
		if r.c.node(v).status == nodeStopped {
			return v
		}
	}
	return voters[r.rng.IntN(len(voters))]
}

// freeSpare returns a never-used spare the network considers up.
func (r *raftNemesis) freeSpare() *raftNode {
	for _, n := range r.c.nodes[r.c.cfg.nodes:] {
		if n.status == nodeOff && r.c.net.NodeState(netio.NodeID(n.id)) == NodeUp {
			return n
		}
	}
	return nil
}
