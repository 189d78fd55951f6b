package raft

// Linearizable reads without log writes (thesis §6.4). The leader records
// its commit index as the read index, then proves it is still leader by a
// heartbeat round: a read registered in round s is answered once a quorum
// of voters echoed a round >= s (a heartbeat sent after registration). A
// new leader answers nothing until it committed an entry of its term,
// because before that its commit index may lag the true one. With
// LeaseReads the heartbeat round is replaced by a lease check.

// ReadState answers a read-index request: once the application has applied
// up to Index it may serve the read identified by Context.
type ReadState struct {
	Index   uint64
	Context []byte
}

type readRequest struct {
	from  uint64
	ctx   []byte
	index uint64
	seq   uint64
}

// readQueue holds reads waiting for confirmation (confirm) and reads
// waiting for the leader's first commit in its term (early). Their total
// length is bounded by max.
type readQueue struct {
	seq     uint64
	confirm []readRequest
	early   []readRequest
	max     int
}

func (q *readQueue) reset() {
	q.confirm, q.early = nil, nil
}

func (q *readQueue) full() bool { return len(q.confirm)+len(q.early) >= q.max }

// ReadIndex requests a linearizable read point for ctx. The answer arrives
// as a ReadState in a later Ready (it may never arrive if leadership
// changes: the caller retries on timeout).
func (r *Raft) ReadIndex(ctx []byte) error {
	if r.outstanding {
		return ErrReadyOutstanding
	}
	defer r.checkInvariants()
	switch {
	case r.role == RoleLeader:
		return r.handleReadIndex(r.id, ctx)
	case r.lead == None:
		return ErrNoLeader
	}
	r.send(Message{To: r.lead, Type: MsgReadIndex, Context: ctx})
	return nil
}

func (r *Raft) handleReadIndex(from uint64, ctx []byte) error {
	if r.reads.full() {
		r.counters.ReadsDropped++
		return ErrReadDropped
	}
	req := readRequest{from: from, ctx: ctx}
	if !r.committedInTerm() {
		r.reads.early = append(r.reads.early, req)
		return nil
	}
	r.serveRead(req)
	return nil
}

// committedInTerm reports whether the leader committed an entry of its own
// term, which makes its commit index at least the true commit index.
func (r *Raft) committedInTerm() bool {
	t, _ := r.log.term(r.log.committed)
	return t == r.term
}

// serveRead answers at once (single voter or valid lease) or starts a
// confirmation round.
func (r *Raft) serveRead(req readRequest) {
	req.index = r.log.committed
	if len(r.conf.voters) == 1 || (r.cfg.LeaseReads && r.leaseValid()) {
		r.answerRead(req)
		return
	}
	r.reads.seq++
	req.seq = r.reads.seq
	r.reads.confirm = append(r.reads.confirm, req)
	r.bcastHeartbeat()
}

func (r *Raft) answerRead(req readRequest) {
	r.counters.ReadsServed++
	if req.from == r.id {
		r.readStates = append(r.readStates, ReadState{Index: req.index, Context: req.ctx})
		return
	}
	r.send(Message{To: req.from, Type: MsgReadIndexResp, Index: req.index, Context: req.ctx})
}

// onLeaderCommit starts the reads that waited for a commit in our term.
func (r *Raft) onLeaderCommit() {
	if len(r.reads.early) == 0 || !r.committedInTerm() {
		return
	}
	early := r.reads.early
	r.reads.early = nil
	for _, req := range early {
		r.serveRead(req)
	}
}

// releaseReads answers every read whose round a quorum has echoed.
func (r *Raft) releaseReads() {
	if len(r.reads.confirm) == 0 {
		return
	}
	acked := r.quorumValue(func(pr *Progress) uint64 { return pr.readSeqAcked }, r.reads.seq)
	n := 0
	for n < len(r.reads.confirm) && r.reads.confirm[n].seq <= acked {
		r.answerRead(r.reads.confirm[n])
		n++
	}
	r.reads.confirm = r.reads.confirm[n:]
}

// leaseValid reports whether a quorum of voters acknowledged heartbeats
// sent recently enough that none of them can have voted for someone else
// yet, allowing for MaxClockDriftTicks of tick-rate difference.
func (r *Raft) leaseValid() bool {
	if r.leaseRevoked || r.leadTransferee != None {
		return false
	}
	sent := r.quorumValue(func(pr *Progress) uint64 { return pr.sentTickAcked }, r.ticks)
	leaseTicks := uint64(r.cfg.ElectionTicks - r.cfg.MaxClockDriftTicks)
	return sent > 0 && sent+leaseTicks > r.ticks
}

// quorumValue returns the largest v such that a quorum of voters has
// f(progress) >= v; our own value is self.
func (r *Raft) quorumValue(f func(*Progress) uint64, self uint64) uint64 {
	var buf [quorumVotersStackMax]uint64
	vals := buf[:0]
	for _, id := range r.conf.voters {
		switch pr := r.progress[id]; {
		case id == r.id:
			vals = append(vals, self)
		case pr != nil:
			vals = append(vals, f(pr))
		default:
			vals = append(vals, 0)
		}
	}
	return quorumOf(vals, r.quorum())
}
