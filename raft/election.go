package raft

// Elections (Raft §5.2), pre-vote (thesis §9.6), check-quorum (§6.2) and
// leadership transfer (§3.10).

// tickElection runs on followers and candidates: campaign when the
// randomized timeout passes without hearing from a leader.
func (r *Raft) tickElection() {
	r.electionElapsed++
	if r.electionElapsed < r.randomizedElectionTicks {
		return
	}
	r.electionElapsed = 0
	if r.promotable() {
		r.campaign(false)
		return
	}
	// A member that may not campaign still stops believing in a leader it
	// has not heard from, or its lease check would refuse (pre-)votes
	// forever and could block every election.
	r.lead = None
}

// tickLeader sends heartbeats, runs check-quorum and aborts stuck
// transfers.
func (r *Raft) tickLeader() {
	r.heartbeatElapsed++
	r.electionElapsed++
	if r.electionElapsed >= r.cfg.ElectionTicks {
		r.electionElapsed = 0
		if r.cfg.CheckQuorum && !r.checkQuorumActive() {
			r.counters.CheckQuorumStepDowns++
			r.becomeFollower(r.term, None)
			return
		}
	}
	if r.leadTransferee != None {
		r.transferElapsed++
		if r.transferElapsed >= r.cfg.ElectionTicks {
			r.counters.TransfersAborted++
			r.leadTransferee, r.transferElapsed = None, 0
		}
	}
	if r.heartbeatElapsed >= r.cfg.HeartbeatTicks {
		r.heartbeatElapsed = 0
		r.bcastHeartbeat()
	}
}

// checkQuorumActive reports whether a majority of voters (counting us)
// answered since the last check, and clears the flags for the next period.
func (r *Raft) checkQuorumActive() bool {
	active := 0
	for _, id := range r.conf.voters {
		if id == r.id {
			active++
			continue
		}
		if pr := r.progress[id]; pr != nil && pr.RecentActive {
			active++
		}
	}
	for _, id := range r.conf.members() {
		if pr := r.progress[id]; pr != nil {
			pr.RecentActive = false
		}
	}
	return active >= r.quorum()
}

// Campaign starts an election now (pre-vote first if configured), as if
// the election timeout had elapsed.
func (r *Raft) Campaign() error {
	if r.outstanding {
		return ErrReadyOutstanding
	}
	if r.role != RoleLeader && r.promotable() {
		r.campaign(false)
	}
	r.checkInvariants()
	return nil
}

// campaign starts a pre-vote round (if enabled and not a transfer) or a
// real election.
func (r *Raft) campaign(transfer bool) {
	if r.cfg.PreVote && !transfer {
		r.becomePreCandidate()
		r.requestVotes(MsgPreVote, r.term+1, false)
		return
	}
	r.becomeCandidate()
	r.requestVotes(MsgVote, r.term, transfer)
}

func (r *Raft) becomePreCandidate() {
	assert(r.role != RoleLeader, "leader cannot pre-campaign")
	// Keep term and vote: a pre-vote must not disturb anything.
	r.role = RolePreCandidate
	r.lead = None
	r.votes = map[uint64]bool{}
	r.electionElapsed = 0
	r.counters.PreVotesStarted++
}

func (r *Raft) becomeCandidate() {
	assert(r.role != RoleLeader, "leader cannot campaign")
	r.resetTerm(r.term + 1)
	r.role = RoleCandidate
	r.vote = r.id
	r.votes = map[uint64]bool{}
	r.counters.ElectionsStarted++
}

func (r *Raft) requestVotes(t MessageType, term uint64, transfer bool) {
	r.votes[r.id] = true
	if r.tally() {
		return
	}
	var ctx []byte
	if transfer {
		ctx = []byte(campaignTransfer)
	}
	for _, id := range r.conf.voters {
		if id == r.id {
			continue
		}
		r.send(Message{To: id, Type: t, Term: term, Index: r.log.lastIndex(), LogTerm: r.log.lastTerm(), Context: ctx})
	}
}

// tally acts on the votes so far; it returns true if the round is decided.
func (r *Raft) tally() bool {
	granted, rejected := 0, 0
	for _, id := range r.conf.voters {
		if v, ok := r.votes[id]; ok {
			if v {
				granted++
			} else {
				rejected++
			}
		}
	}
	switch {
	case granted >= r.quorum():
		if r.role == RolePreCandidate {
			// The real election; no pre-vote again, and no lease bypass.
			r.becomeCandidate()
			r.requestVotes(MsgVote, r.term, false)
		} else {
			r.becomeLeader()
		}
		return true
	case rejected >= r.quorum():
		r.becomeFollower(r.term, None)
		return true
	}
	return false
}

func (r *Raft) stepCandidate(m Message) {
	switch m.Type {
	case MsgVoteResp, MsgPreVoteResp:
		want := MsgVoteResp
		if r.role == RolePreCandidate {
			want = MsgPreVoteResp
		}
		if m.Type != want {
			return
		}
		if _, seen := r.votes[m.From]; !seen {
			r.votes[m.From] = !m.Reject
		}
		r.tally()
	case MsgApp, MsgHeartbeat, MsgSnap:
		// A leader exists in our term (or, for a pre-candidate, a term we
		// did not bump): follow it.
		r.becomeFollower(m.Term, m.From)
		r.stepFollower(m)
	case MsgProp:
		r.counters.ProposalsDropped++
	case MsgTimeoutNow:
		r.handleTimeoutNow(m)
	case MsgTransferLeader:
		r.dropTransferRequest()
	}
}

// handleVoteRequest answers MsgVote and MsgPreVote in any role.
func (r *Raft) handleVoteRequest(m Message) {
	resp := MsgVoteResp
	if m.Type == MsgPreVote {
		resp = MsgPreVoteResp
	}
	canVote := r.vote == m.From ||
		(r.vote == None && r.lead == None) ||
		(m.Type == MsgPreVote && m.Term > r.term)
	if canVote && r.log.isUpToDate(m.Index, m.LogTerm) {
		// The response carries the request's term so a pre-candidate can
		// tell it from a stale answer.
		r.send(Message{To: m.From, Type: resp, Term: m.Term})
		if m.Type == MsgVote {
			r.electionElapsed = 0
			r.vote = m.From
		}
		return
	}
	r.send(Message{To: m.From, Type: resp, Term: r.term, Reject: true})
}

func (r *Raft) becomeLeader() {
	assert(r.role == RoleCandidate, "only a candidate becomes leader")
	r.resetTerm(r.term)
	r.role = RoleLeader
	r.lead = r.id
	r.counters.ElectionsWon++
	r.resetProgress()
	r.pendingConfIndex = r.lastConfIndex()
	// The no-op lets the new leader commit earlier terms' entries (§5.4.2)
	// and opens read-index (§6.4).
	r.appendEntries([]Entry{{Type: EntryNoop}})
	r.bcastAppend()
}

// resetProgress starts tracking every member, optimistically probing at our
// last index.
func (r *Raft) resetProgress() {
	r.progress = map[uint64]*Progress{}
	for _, id := range r.conf.members() {
		r.addProgress(id)
	}
}

func (r *Raft) addProgress(id uint64) {
	pr := &Progress{Next: r.log.lastIndex() + 1, IsLearner: r.conf.isLearner(id), RecentActive: true}
	pr.ins = newInflights(r.cfg.MaxInflightMsgs, r.cfg.MaxInflightBytes)
	if id == r.id {
		pr.Match = r.log.stable
		pr.State = StateReplicate
	}
	r.progress[id] = pr
}

// TransferLeadership hands leadership to voter to. On the leader it
// catches the target up, then sends MsgTimeoutNow; proposals are dropped
// until the transfer ends, and it is aborted after an election timeout.
// On any other member it forwards the request to the leader it knows
// (MsgTransferLeader), so an operator can ask any node; a nil error then
// means "sent", not "started" — the request may be lost, and the caller
// watches Status().Lead to see it take effect. With no known leader it
// returns ErrNoLeader.
func (r *Raft) TransferLeadership(to uint64) error {
	if r.outstanding {
		return ErrReadyOutstanding
	}
	defer r.checkInvariants()
	if r.role == RoleLeader {
		return r.startTransfer(to)
	}
	return r.forwardTransfer(to)
}

// startTransfer begins a transfer on the leader, for a local call or a
// forwarded request alike. Asking again for the transfer already under way
// is a no-op: it must not extend the deadline, or retries (and duplicated
// forwards) could keep the leader refusing proposals indefinitely.
func (r *Raft) startTransfer(to uint64) error {
	assert(r.role == RoleLeader, "only a leader transfers leadership")
	switch {
	case to == r.id:
		return nil
	case !r.conf.isVoter(to):
		return ErrInvalidConfChange
	case to == r.leadTransferee:
		return nil
	}
	r.counters.TransfersStarted++
	r.leadTransferee, r.transferElapsed = to, 0
	// Reset the check-quorum clock so the transfer gets a full timeout.
	r.electionElapsed = 0
	if r.progress[to].Match == r.log.lastIndex() {
		r.sendTimeoutNow(to)
		return nil
	}
	r.queueAppend(to, true)
	return nil
}

// forwardTransfer sends a transfer request to the leader we know. It
// rejects what it can judge locally (a target that is not a voter in our
// committed configuration) so an operator's typo fails at once; the leader
// checks again under its own configuration.
func (r *Raft) forwardTransfer(to uint64) error {
	switch {
	case r.lead == None:
		return ErrNoLeader
	case !r.conf.isVoter(to):
		return ErrInvalidConfChange
	case to == r.lead:
		return nil // it already leads
	}
	r.counters.TransfersForwarded++
	r.send(Message{To: r.lead, Type: MsgTransferLeader, Index: to})
	return nil
}

// handleTransferRequest starts a transfer a follower forwarded. The step
// rules already dropped requests from other terms, so the sender asked
// this leader in this term.
func (r *Raft) handleTransferRequest(m Message) {
	if err := r.startTransfer(m.Index); err != nil {
		r.dropTransferRequest()
	}
}

// dropTransferRequest discards a forwarded transfer request this member
// cannot act on: it is not the leader of the sender's term (leadership
// moved on, so the request is moot) or the target is not a voter. It is
// not relayed: the sender learns the new leader and the operator retries.
func (r *Raft) dropTransferRequest() {
	r.counters.TransfersDropped++
}

func (r *Raft) sendTimeoutNow(to uint64) {
	r.leaseRevoked = true
	r.send(Message{To: to, Type: MsgTimeoutNow})
}

func (r *Raft) handleTimeoutNow(m Message) {
	if !r.promotable() {
		return
	}
	r.campaign(true)
}
