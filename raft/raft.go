package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Role is a member's current role.
type Role uint8

const (
	RoleFollower Role = iota
	RolePreCandidate
	RoleCandidate
	RoleLeader
)

func (r Role) String() string {
	switch r {
	case RoleFollower:
		return "follower"
	case RolePreCandidate:
		return "pre-candidate"
	case RoleCandidate:
		return "candidate"
	case RoleLeader:
		return "leader"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Errors returned to callers. Proposals that return nil may still be lost
// (a leader can fail before committing); only CommittedEntries confirm.
var (
	ErrProposalDropped    = errors.New("raft: proposal dropped (leadership transfer or own removal in progress)")
	ErrNoLeader           = errors.New("raft: no known leader")
	ErrNotLeader          = errors.New("raft: not the leader")
	ErrReadDropped        = errors.New("raft: read-index request dropped (queue full)")
	ErrConfChangePending  = errors.New("raft: a configuration change is still uncommitted")
	ErrConfChangeTooEarly = errors.New("raft: leader has not committed an entry of its term yet")
	ErrInvalidConfChange  = errors.New("raft: invalid configuration change")
	ErrReadyOutstanding   = errors.New("raft: call Advance before feeding more input")
	ErrCompacted          = errors.New("raft: index already compacted")
	ErrUnavailable        = errors.New("raft: index not applied yet")
	ErrBadMessage         = errors.New("raft: malformed message")
	ErrCorruptState       = errors.New("raft: recovered state is inconsistent")
)

// Recovered is the durable state a restarting member hands to New. All of
// it comes from raft/raftlog and the state machine; a brand-new member
// passes the zero value.
type Recovered struct {
	HardState HardState
	Snapshot  SnapshotMeta
	// Entries follow Snapshot.Index contiguously.
	Entries []Entry
	// Applied is the state machine's durable applied index (>=
	// Snapshot.Index); committed entries after it are delivered again.
	Applied uint64
}

func (rc Recovered) isEmpty() bool {
	return rc.HardState.IsEmpty() && rc.Snapshot.Index == 0 && len(rc.Entries) == 0
}

// Raft is one member's consensus state machine. It is not safe for
// concurrent use: one goroutine (the node loop or the simulator) owns it.
type Raft struct {
	id   uint64
	cfg  Config
	rand *rand.Rand

	term uint64
	vote uint64
	lead uint64
	role Role

	log  memLog
	conf membership
	// snap is the newest snapshot this member holds (compaction or install).
	snap SnapshotMeta
	// pendingConfIndex is the index of the leader's last proposed conf change.
	pendingConfIndex uint64
	// confEntryIndex is the index of the newest conf change entry that took
	// effect (0 if none has since New). Invariant: confEntryIndex <=
	// committed. A Ready whose commit covers it for the first time must be
	// synced (see mustSync).
	confEntryIndex uint64

	progress map[uint64]*Progress
	// appendsQueued says some Progress has appendQueued set (leader only).
	appendsQueued bool
	votes         map[uint64]bool

	// electionElapsed counts ticks since the last reset (leader contact for
	// followers, campaign start for candidates, check-quorum for leaders).
	electionElapsed         int
	heartbeatElapsed        int
	randomizedElectionTicks int
	// ticks is a monotonic tick counter used by leases.
	ticks uint64

	leadTransferee  uint64
	transferElapsed int
	// leaseRevoked disables lease reads for the rest of the term once a
	// MsgTimeoutNow has been sent: the target may win without waiting.
	leaseRevoked bool

	reads    readQueue
	snapRecv *snapRecv

	// Ready output accumulated since the last Advance. msgs is a scratch
	// outbox the core keeps: Ready hands out an exact-size copy, so the
	// outbox never regrows by doubling and the owner's slice is its own.
	msgs        []Message
	readStates  []ReadState
	chunks      []SnapshotChunk
	installed   *SnapshotMeta
	confChanged bool
	prevHard    HardState
	prevSoft    SoftState
	outstanding bool

	counters Counters
}

// New builds a member from its config and recovered durable state.
func New(cfg Config, rc Recovered) (*Raft, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &Raft{id: cfg.ID, cfg: cfg, rand: cfg.Rand}
	r.reads.max = cfg.MaxPendingReads
	if rc.isEmpty() && (len(cfg.Peers) > 0 || len(cfg.Learners) > 0) {
		r.bootstrap(cfg.Peers, cfg.Learners)
	} else if err := r.recover(rc); err != nil {
		return nil, err
	}
	// What is durable is what we recovered; anything newer (bootstrap,
	// commit raised to the snapshot) goes out in the first Ready.
	r.prevHard = rc.HardState
	r.becomeFollower(r.term, None)
	r.prevSoft = r.softState()
	r.checkInvariants()
	return r, nil
}

// bootstrap writes the founding membership as committed entries at term 1.
// Every founder produces byte-identical entries, so they agree on them.
func (r *Raft) bootstrap(voters, learners []uint64) {
	var ents []Entry
	add := func(t ConfChangeType, ids []uint64) {
		sorted := slices.Clone(ids)
		slices.Sort(sorted)
		for _, id := range sorted {
			cc := ConfChange{Type: t, NodeID: id}
			ents = append(ents, Entry{Term: 1, Index: uint64(len(ents) + 1), Type: EntryConfChange, Data: cc.Encode()})
		}
	}
	add(ConfAddVoter, voters)
	add(ConfAddLearner, learners)
	r.term = 1
	r.log.append(ents...)
	r.setCommit(r.log.lastIndex())
}

func (r *Raft) recover(rc Recovered) error {
	meta := rc.Snapshot
	prev, prevTerm := meta.Index, meta.Term
	for _, e := range rc.Entries {
		if e.Index != prev+1 || e.Term < prevTerm {
			return fmt.Errorf("%w: entry %d/%d after %d/%d", ErrCorruptState, e.Term, e.Index, prevTerm, prev)
		}
		prev, prevTerm = e.Index, e.Term
	}
	hs := rc.HardState
	if hs.Commit > prev {
		return fmt.Errorf("%w: commit %d beyond last index %d", ErrCorruptState, hs.Commit, prev)
	}
	if prevTerm > hs.Term {
		return fmt.Errorf("%w: log term %d beyond hard state term %d", ErrCorruptState, prevTerm, hs.Term)
	}
	applied := max(rc.Applied, meta.Index)
	if applied > max(hs.Commit, meta.Index) {
		return fmt.Errorf("%w: applied %d beyond commit %d", ErrCorruptState, applied, hs.Commit)
	}
	r.term, r.vote = hs.Term, hs.Vote
	r.snap = cloneMeta(meta)
	r.conf = newMembership(meta.Conf)
	r.log.restore(meta)
	r.log.entries = slices.Clone(rc.Entries)
	r.log.stable = prev
	r.log.applied, r.log.handed = applied, applied
	r.conf.index = meta.Index
	r.setCommit(max(hs.Commit, meta.Index))
	return nil
}

// hardState is the durable part of the state.
func (r *Raft) hardState() HardState {
	return HardState{Term: r.term, Vote: r.vote, Commit: r.log.committed}
}

// quorum is the number of voters that make a majority (0 if none).
func (r *Raft) quorum() int { return len(r.conf.voters)/2 + 1 }

// promotable reports whether this member may campaign.
func (r *Raft) promotable() bool {
	return r.conf.isVoter(r.id)
}

func (r *Raft) resetTerm(term uint64) {
	if r.term != term {
		r.term, r.vote = term, None
	}
	r.lead = None
	r.electionElapsed, r.heartbeatElapsed = 0, 0
	r.randomizedElectionTicks = r.cfg.ElectionTicks + r.rand.IntN(r.cfg.ElectionTicks)
	r.votes = nil
	r.leadTransferee, r.transferElapsed = None, 0
	r.leaseRevoked = false
	r.progress, r.appendsQueued = nil, false
	r.reads.reset()
}

func (r *Raft) becomeFollower(term, lead uint64) {
	r.resetTerm(term)
	r.role = RoleFollower
	r.lead = lead
}

// send queues m for the Ready, stamping sender and term.
func (r *Raft) send(m Message) {
	m.From = r.id
	if m.Term == 0 && m.Type != MsgProp && m.Type != MsgReadIndex {
		m.Term = r.term
	}
	assert(m.To != None && m.To != r.id, "message to self or to nobody")
	r.counters.MessagesSent[m.Type]++
	r.msgs = append(r.msgs, m)
}

// Tick advances logical time by one tick.
func (r *Raft) Tick() {
	assert(!r.outstanding, "Tick between Ready and Advance")
	r.ticks++
	if r.role == RoleLeader {
		r.tickLeader()
	} else {
		r.tickElection()
	}
	r.checkInvariants()
}

// Step feeds one message received from a peer. Malformed or misaddressed
// messages return ErrBadMessage; stale ones are absorbed silently.
func (r *Raft) Step(m Message) error {
	if r.outstanding {
		return ErrReadyOutstanding
	}
	if err := r.validate(m); err != nil {
		return err
	}
	r.counters.MessagesReceived[m.Type]++
	r.step(m)
	r.checkInvariants()
	return nil
}

func (r *Raft) validate(m Message) error {
	switch {
	case !m.Type.valid():
		return fmt.Errorf("%w: type %d", ErrBadMessage, m.Type)
	case m.To != r.id:
		return fmt.Errorf("%w: addressed to %d, I am %d", ErrBadMessage, m.To, r.id)
	case m.From == None || m.From == r.id:
		return fmt.Errorf("%w: from %d", ErrBadMessage, m.From)
	case (m.Type == MsgProp || m.Type == MsgReadIndex) != (m.Term == 0):
		return fmt.Errorf("%w: %s with term %d", ErrBadMessage, m.Type, m.Term)
	case len(m.Entries) > r.cfg.MaxProposalEntries && m.Type == MsgProp:
		return fmt.Errorf("%w: %d proposed entries", ErrBadMessage, len(m.Entries))
	case m.Type == MsgTransferLeader && m.Index == None:
		return fmt.Errorf("%w: %s without a target", ErrBadMessage, m.Type)
	}
	if m.Type == MsgSnap && (m.Snapshot.Index == 0 || m.Snapshot.Term > m.Term || len(m.Snapshot.Conf.Voters) == 0) {
		return fmt.Errorf("%w: snapshot %d/%d with %d voters at term %d", ErrBadMessage,
			m.Snapshot.Term, m.Snapshot.Index, len(m.Snapshot.Conf.Voters), m.Term)
	}
	if m.Type == MsgApp {
		return validateEntries(m)
	}
	return nil
}

// validateEntries checks a MsgApp's entries follow (Index, LogTerm) with
// consecutive indexes and non-decreasing terms no newer than the message.
func validateEntries(m Message) error {
	prevTerm := m.LogTerm
	for i, e := range m.Entries {
		if e.Index != m.Index+1+uint64(i) {
			return fmt.Errorf("%w: entry %d has index %d", ErrBadMessage, i, e.Index)
		}
		if e.Term < prevTerm || e.Term > m.Term {
			return fmt.Errorf("%w: entry term %d outside [%d, %d]", ErrBadMessage, e.Term, prevTerm, m.Term)
		}
		prevTerm = e.Term
	}
	return nil
}

// step applies the term rules (Raft §5.1) and dispatches by role.
func (r *Raft) step(m Message) {
	switch {
	case m.Term == 0:
		// Local-origin forwards (MsgProp, MsgReadIndex) carry no term.
	case m.Term > r.term:
		if !r.stepHigherTerm(m) {
			return
		}
	case m.Term < r.term:
		r.stepLowerTerm(m)
		return
	}
	switch m.Type {
	case MsgVote, MsgPreVote:
		r.handleVoteRequest(m)
		return
	}
	switch r.role {
	case RoleLeader:
		r.stepLeader(m)
	case RoleCandidate, RolePreCandidate:
		r.stepCandidate(m)
	default:
		r.stepFollower(m)
	}
}

// stepHigherTerm handles a message from a newer term; it returns false if
// the message must be ignored.
func (r *Raft) stepHigherTerm(m Message) bool {
	if m.Type == MsgVote || m.Type == MsgPreVote {
		force := string(m.Context) == campaignTransfer
		if !force && r.inLease(m.Type) {
			r.counters.VotesIgnoredInLease++
			return false
		}
	}
	switch {
	case m.Type == MsgPreVote:
		// A pre-vote changes nobody's term.
	case m.Type == MsgPreVoteResp && !m.Reject:
		// Granted pre-votes carry the future term; ours moves on campaign.
	case m.Type == MsgApp || m.Type == MsgHeartbeat || m.Type == MsgSnap:
		r.becomeFollower(m.Term, m.From)
	default:
		r.becomeFollower(m.Term, None)
	}
	return true
}

// stepLowerTerm answers stale messages that need an answer: a stale leader
// must learn the new term (or it would never step down when pre-vote and
// check-quorum keep everyone else from bumping terms), and a pre-candidate
// must learn it lost.
func (r *Raft) stepLowerTerm(m Message) {
	r.counters.StaleMessages++
	switch m.Type {
	case MsgApp, MsgHeartbeat, MsgSnap:
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
	case MsgPreVote:
		r.send(Message{To: m.From, Type: MsgPreVoteResp, Reject: true})
	case MsgVote:
		// Tell a stale candidate our term (Raft §5.1): otherwise a
		// candidate whose configuration reaches no member with a newer
		// term can keep campaigning below everyone else forever.
		r.send(Message{To: m.From, Type: MsgVoteResp, Reject: true})
	}
}

// inLease reports whether this member heard from a live leader within the
// election timeout, in which case it refuses to help depose it (thesis
// §4.2.3). Pre-votes are always subject to it; votes only with
// CheckQuorum, where it is what makes leader leases sound.
func (r *Raft) inLease(t MessageType) bool {
	if t == MsgVote && !r.cfg.CheckQuorum {
		return false
	}
	return r.lead != None && r.electionElapsed < r.cfg.ElectionTicks
}

func (r *Raft) stepFollower(m Message) {
	switch m.Type {
	case MsgApp:
		r.electionElapsed, r.lead = 0, m.From
		r.handleAppend(m)
	case MsgHeartbeat:
		r.electionElapsed, r.lead = 0, m.From
		r.handleHeartbeat(m)
	case MsgSnap:
		r.electionElapsed, r.lead = 0, m.From
		r.handleSnapshotChunk(m)
	case MsgProp:
		r.forwardProposal(m)
	case MsgReadIndex:
		// A peer took us for the leader. Do not relay: send stamps our id
		// as the sender, so the answer would come back to us and we would
		// deliver it as our own read (a stale read if contexts collide).
		// The requester times out and retries with the leader it learns.
		r.counters.ReadsDropped++
	case MsgReadIndexResp:
		r.readStates = append(r.readStates, ReadState{Index: m.Index, Context: m.Context})
	case MsgTimeoutNow:
		r.handleTimeoutNow(m)
	case MsgTransferLeader:
		r.dropTransferRequest()
	}
}

// Propose appends data as a normal entry (on the leader) or forwards it to
// the leader. A nil error means "accepted for now", not "committed".
func (r *Raft) Propose(data []byte) error {
	return r.propose(Entry{Type: EntryNormal, Data: data})
}

func (r *Raft) propose(e Entry) error {
	if r.outstanding {
		return ErrReadyOutstanding
	}
	defer r.checkInvariants()
	switch {
	case r.role == RoleLeader:
		return r.appendProposals([]Entry{e})
	case r.lead == None:
		r.counters.ProposalsDropped++
		return ErrNoLeader
	}
	r.send(Message{To: r.lead, Type: MsgProp, Entries: []Entry{e}})
	return nil
}

// forwardProposal passes a forwarded proposal on to the leader we know.
func (r *Raft) forwardProposal(m Message) {
	if r.lead == None || r.lead == m.From {
		r.counters.ProposalsDropped++
		return
	}
	r.send(Message{To: r.lead, Type: MsgProp, Entries: m.Entries})
}
