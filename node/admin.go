package node

import (
	"github.com/lineradb/lineradb/raft"
)

// The runbook's admin actions. Each proposes through Raft (a follower
// forwards to the leader, which enforces one change at a time); a nil
// error means "accepted for now", and the change takes effect when its
// entry commits (watch Status().Voters).

// AddPeer adds id as a voter, or promotes it if it is a learner. The
// transport must already know id's address (the runtime's AddPeer does
// both).
func (n *Node) AddPeer(id uint64) error {
	return n.confChange(raft.ConfChange{Type: raft.ConfAddVoter, NodeID: id})
}

// AddLearner adds id as a non-voting member that receives the log; promote
// it with AddPeer once it has caught up.
func (n *Node) AddLearner(id uint64) error {
	return n.confChange(raft.ConfChange{Type: raft.ConfAddLearner, NodeID: id})
}

// RemovePeer removes a voter or learner.
func (n *Node) RemovePeer(id uint64) error {
	return n.confChange(raft.ConfChange{Type: raft.ConfRemoveNode, NodeID: id})
}

func (n *Node) confChange(cc raft.ConfChange) error {
	defer n.runCallbacks()
	if n.stopped != nil {
		return n.stopped
	}
	err := n.rn.ProposeConfChange(cc)
	n.process()
	return err
}

// TransferLeadership asks the leader to hand leadership to voter to.
func (n *Node) TransferLeadership(to uint64) error {
	defer n.runCallbacks()
	if n.stopped != nil {
		return n.stopped
	}
	err := n.rn.TransferLeadership(to)
	n.process()
	return err
}
