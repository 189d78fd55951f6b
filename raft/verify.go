package raft

import (
	"fmt"
	"maps"
	"slices"
)

// verify checks the core's invariants; tests call it directly and the
// invariants build tag calls it after every input.
func (r *Raft) verify() error {
	if err := r.log.check(); err != nil {
		return fmt.Errorf("raft %d: log: %w", r.id, err)
	}
	if r.log.lastTerm() > r.term {
		return fmt.Errorf("raft %d: last log term %d > term %d", r.id, r.log.lastTerm(), r.term)
	}
	if want := (membership{voters: r.conf.voters, learners: r.conf.learners}).withAll(); !slices.Equal(r.conf.all, want.all) {
		return fmt.Errorf("raft %d: cached members %v, voters %v learners %v", r.id, r.conf.all, r.conf.voters, r.conf.learners)
	}
	if r.confEntryIndex > r.log.committed {
		return fmt.Errorf("raft %d: conf change %d in force beyond commit %d", r.id, r.confEntryIndex, r.log.committed)
	}
	if r.conf.index != r.log.committed {
		return fmt.Errorf("raft %d: conf at %d but commit %d", r.id, r.conf.index, r.log.committed)
	}
	if r.role == RoleLeader {
		if r.lead != r.id || r.vote != r.id {
			return fmt.Errorf("raft %d: leader with lead %d vote %d", r.id, r.lead, r.vote)
		}
		ids := slices.Sorted(maps.Keys(r.progress)) // deterministic error text
		for _, id := range ids {
			pr := r.progress[id]
			if pr.Match >= pr.Next {
				return fmt.Errorf("raft %d: peer %d match %d >= next %d", r.id, id, pr.Match, pr.Next)
			}
			if pr.Match > r.log.lastIndex() {
				return fmt.Errorf("raft %d: peer %d match %d > last %d", r.id, id, pr.Match, r.log.lastIndex())
			}
		}
	}
	return nil
}
