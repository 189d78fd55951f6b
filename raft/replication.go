package raft

import "slices"

// Log replication (Raft §5.3): the leader appends, sends MsgApp with flow
// control, follows acknowledgements, and commits by counting only entries
// of its own term (§5.4.2, Figure 8).
//
// Batching: proposals, acknowledgements and commit advances do not send
// MsgApps themselves; they mark the follower (queueAppend) and the MsgApps
// are built once, when the owner asks for the Ready (flushAppends). Nothing
// is lost by waiting, since messages only ever leave through the Ready,
// and every proposal, ack and commit since the last Ready shares one
// MsgApp per follower (more only when MaxEntriesPerMsg or MaxMsgBytes
// split it) instead of one each.

// appendProposals is the leader's entry point for new entries.
func (r *Raft) appendProposals(ents []Entry) error {
	if r.leadTransferee != None || r.removingSelf() {
		r.counters.ProposalsDropped++
		return ErrProposalDropped
	}
	for i := range ents {
		if ents[i].Type == EntryConfChange {
			if err := r.checkConfChange(ents[i]); err != nil {
				r.counters.ProposalsDropped++
				return err
			}
			r.pendingConfIndex = r.log.lastIndex() + 1 + uint64(i)
		}
	}
	r.appendEntries(ents)
	r.bcastAppend()
	return nil
}

// appendEntries stamps term and index on ents and adds them to the log.
func (r *Raft) appendEntries(ents []Entry) {
	last := r.log.lastIndex()
	for i := range ents {
		ents[i].Term = r.term
		ents[i].Index = last + 1 + uint64(i)
	}
	r.log.append(ents...)
	r.counters.EntriesAppended += uint64(len(ents))
	// Our own progress advances only when the entries are durable (Advance).
	r.maybeCommit()
}

// bcastAppend queues new entries, or at least the commit index, for every
// follower; flushAppends sends them as flow control allows.
func (r *Raft) bcastAppend() {
	for _, id := range r.conf.members() {
		if id != r.id {
			r.queueAppend(id, true)
		}
	}
}

// queueAppend marks id for MsgApps at the next flushAppends. force asks for
// a message even without new entries (a commit refresh or a probe).
func (r *Raft) queueAppend(id uint64, force bool) {
	pr := r.progress[id]
	if pr == nil || id == r.id {
		return
	}
	pr.appendQueued = true
	pr.appendForced = pr.appendForced || force
	r.appendsQueued = true
}

// flushAppends sends the MsgApps queued since the last flush, in member
// order: per follower as many as its window allows (all queued entries
// in one message when they fit), or one empty MsgApp if forced.
func (r *Raft) flushAppends() {
	if !r.appendsQueued {
		return
	}
	r.appendsQueued = false
	for _, id := range r.conf.members() {
		pr := r.progress[id]
		if pr == nil || !pr.appendQueued {
			continue
		}
		force := pr.appendForced
		pr.appendQueued, pr.appendForced = false, false
		if !r.sendAppendsWhileOpen(id) && force {
			r.sendAppend(id, true)
		}
	}
}

// sendAppend sends one MsgApp (or starts a snapshot) to id. It returns
// true if a message went out. sendIfEmpty forces a message carrying only
// the commit index / a probe.
func (r *Raft) sendAppend(id uint64, sendIfEmpty bool) bool {
	pr := r.progress[id]
	if pr == nil || pr.isPaused() {
		return false
	}
	prevIndex := pr.Next - 1
	prevTerm, ok := r.log.term(prevIndex)
	if !ok {
		return r.startSnapshot(id, pr)
	}
	ents := r.log.slice(pr.Next, r.log.lastIndex()+1, r.cfg.MaxEntriesPerMsg, r.cfg.MaxMsgBytes)
	if len(ents) == 0 && !sendIfEmpty {
		return false
	}
	var sizeBytes uint64
	for _, e := range ents {
		sizeBytes += uint64(len(e.Data))
	}
	r.send(Message{To: id, Type: MsgApp, Index: prevIndex, LogTerm: prevTerm, Entries: ents, Commit: r.log.committed})
	pr.sentEntries(len(ents), prevIndex+uint64(len(ents)), sizeBytes)
	return true
}

// sendAppendsWhileOpen pipelines MsgApps to id until the window closes or
// nothing is left to send.
func (r *Raft) sendAppendsWhileOpen(id uint64) bool {
	sent := false
	for r.sendAppend(id, false) {
		sent = true
		if pr := r.progress[id]; pr == nil || pr.State != StateReplicate {
			break
		}
	}
	return sent
}

func (r *Raft) bcastHeartbeat() {
	for _, id := range r.conf.members() {
		if id == r.id {
			continue
		}
		pr := r.progress[id]
		// Never tell a follower to commit past what we know it holds.
		commit := min(pr.Match, r.log.committed)
		r.send(Message{To: id, Type: MsgHeartbeat, Commit: commit, ReadSeq: r.reads.seq, SentTick: r.ticks})
	}
}

func (r *Raft) stepLeader(m Message) {
	switch m.Type {
	case MsgProp:
		if err := r.appendProposals(m.Entries); err != nil {
			return // dropped; the forwarder's client times out and retries
		}
	case MsgReadIndex:
		r.handleReadIndex(m.From, m.Context)
	case MsgAppResp:
		r.handleAppendResponse(m)
	case MsgHeartbeatResp:
		r.handleHeartbeatResponse(m)
	case MsgSnapResp:
		r.handleSnapshotResponse(m)
	case MsgTransferLeader:
		r.handleTransferRequest(m)
	}
	// MsgApp/MsgHeartbeat/MsgSnap at our own term cannot come from another
	// leader (election safety); votes were handled by the caller.
}

// handleAppend is the follower side of MsgApp.
func (r *Raft) handleAppend(m Message) {
	if m.Index < r.log.committed {
		// Everything up to committed matches the leader already.
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
		return
	}
	if !r.log.matchTerm(m.Index, m.LogTerm) {
		hintIndex, hintTerm := r.log.conflictHint(m.Index)
		r.counters.AppendsRejected++
		r.send(Message{To: m.From, Type: MsgAppResp, Reject: true, Index: m.Index, RejectHint: hintIndex, LogTerm: hintTerm})
		return
	}
	lastNew := r.log.maybeAppend(m.Index, m.Entries)
	r.setCommit(min(m.Commit, lastNew))
	r.send(Message{To: m.From, Type: MsgAppResp, Index: lastNew})
}

func (r *Raft) handleHeartbeat(m Message) {
	if m.Commit <= r.log.lastIndex() {
		r.setCommit(m.Commit)
	}
	r.send(Message{To: m.From, Type: MsgHeartbeatResp, ReadSeq: m.ReadSeq, SentTick: m.SentTick})
}

func (r *Raft) handleAppendResponse(m Message) {
	pr := r.progress[m.From]
	if pr == nil || m.Index > r.log.lastIndex() {
		return // not a member (anymore), or acknowledging what we never sent
	}
	pr.RecentActive = true
	if m.Reject {
		r.handleAppendReject(m, pr)
		return
	}
	wasPaused := pr.isPaused()
	if !pr.maybeUpdate(m.Index) {
		return
	}
	switch {
	case pr.State == StateProbe:
		pr.becomeReplicate()
	case pr.State == StateSnapshot && pr.Match >= pr.snap.meta.Index:
		pr.becomeProbe()
		pr.becomeReplicate()
	case pr.State == StateReplicate:
		pr.ins.freeLE(m.Index)
	}
	r.maybeCommit() // queues the new commit index for every follower itself
	// Send what the window now allows; a follower that was paused missed
	// commit updates, so it gets a refresh even if nothing is new.
	r.queueAppend(m.From, wasPaused)
	if r.role == RoleLeader && m.From == r.leadTransferee && pr.Match == r.log.lastIndex() {
		r.sendTimeoutNow(m.From)
	}
}

// handleAppendReject moves Next back using the follower's conflict hint:
// if we hold entries of the follower's conflicting term, resume after our
// last one; otherwise skip to the follower's first index of that term.
func (r *Raft) handleAppendReject(m Message, pr *Progress) {
	next := m.RejectHint
	if m.LogTerm > 0 {
		if i := r.log.lastIndexOfTerm(m.LogTerm, m.Index); i > 0 {
			next = i + 1
		}
	}
	if next == 0 {
		next = 1
	}
	if !pr.maybeDecrTo(m.Index, next) {
		return
	}
	if pr.State == StateReplicate {
		pr.becomeProbe()
	}
	r.queueAppend(m.From, true)
}

func (r *Raft) handleHeartbeatResponse(m Message) {
	pr := r.progress[m.From]
	if pr == nil {
		return
	}
	pr.RecentActive = true
	pr.probeSent = false
	// Echoes beyond what we sent are bogus; never let them confirm reads.
	if m.ReadSeq <= r.reads.seq {
		pr.readSeqAcked = max(pr.readSeqAcked, m.ReadSeq)
	}
	if m.SentTick <= r.ticks {
		pr.sentTickAcked = max(pr.sentTickAcked, m.SentTick)
	}
	switch pr.State {
	case StateReplicate:
		if pr.ins.full() {
			pr.ins.freeFirst()
		}
	case StateSnapshot:
		r.resendSnapshot(m.From, pr)
	}
	if pr.Match < r.log.lastIndex() {
		r.queueAppend(m.From, true)
	}
	r.releaseReads()
}

// maybeCommit advances the commit index to the largest index a quorum of
// voters holds durably, if that entry is from the current term.
func (r *Raft) maybeCommit() bool {
	if r.role != RoleLeader {
		return false
	}
	q := r.quorumMatch()
	if q <= r.log.committed {
		return false
	}
	if t, _ := r.log.term(q); t != r.term && !r.cfg.Testing.SkipFigure8Rule {
		return false // Figure 8: never commit an old-term entry by counting
	}
	r.setCommit(q)
	return true
}

// quorumMatch returns the largest index held by a majority of voters.
// It runs on every acknowledgement, so it sorts on the stack.
func (r *Raft) quorumMatch() uint64 {
	var buf [quorumVotersStackMax]uint64
	matches := buf[:0]
	for _, id := range r.conf.voters {
		if pr := r.progress[id]; pr != nil {
			matches = append(matches, pr.Match)
		} else {
			matches = append(matches, 0)
		}
	}
	return quorumOf(matches, r.quorum())
}

// quorumVotersStackMax is the group size up to which quorum computations
// need no heap allocation (larger groups still work, and allocate).
const quorumVotersStackMax = 9

// quorumOf returns the largest value that at least quorum of vals reach
// (0 for no values). It sorts vals in place.
func quorumOf(vals []uint64, quorum int) uint64 {
	if len(vals) == 0 {
		return 0
	}
	assert(quorum >= 1 && quorum <= len(vals), "quorum outside the voter count")
	slices.Sort(vals)
	return vals[len(vals)-quorum]
}

// setCommit raises the commit index and activates configuration changes
// that became committed (membership takes effect at commit, see doc.go).
func (r *Raft) setCommit(i uint64) {
	if !r.log.commitTo(i) {
		return
	}
	wasLeader := r.role == RoleLeader
	if wasLeader {
		// Tell followers first: if the commit removes us, they must still
		// learn it (leaderOnConfChange flushes before stepping down).
		r.bcastAppend()
	}
	r.applyConfChangesTo(i)
	if r.role == RoleLeader {
		r.onLeaderCommit()
		// A changed (smaller) quorum may commit more right away.
		r.maybeCommit()
	}
}
