package lsm

import (
	"fmt"
	"sort"
)

// checkInvariants asserts the DB-wide invariants after a state change. It
// walks every file, so it runs only when built with -tags invariants.
func (d *DB) checkInvariants() {
	if !invariantsOn {
		return
	}
	d.current.checkInvariants()
	if d.durableSeq > d.lastSeq {
		panic(fmt.Sprintf("lsm: durableSeq %d > lastSeq %d", d.durableSeq, d.lastSeq))
	}
	if len(d.imm) > d.opts.ImmutableMemtablesMax+1 {
		panic("lsm: immutable memtables beyond their bound")
	}
	if !sort.SliceIsSorted(d.snapshots, func(i, j int) bool { return d.snapshots[i] < d.snapshots[j] }) {
		panic("lsm: snapshot list not sorted")
	}
	seen := map[uint64]bool{}
	for _, f := range d.current.files() {
		if seen[f.fileNum] {
			panic(fmt.Sprintf("lsm: table %06d appears twice in the version", f.fileNum))
		}
		seen[f.fileNum] = true
		if f.fileNum >= d.nextFileNum {
			panic(fmt.Sprintf("lsm: table %06d not below nextFileNum %d", f.fileNum, d.nextFileNum))
		}
		if f.largestSeq > d.durableSeq {
			panic(fmt.Sprintf("lsm: table %06d holds seq %d above durableSeq %d", f.fileNum, f.largestSeq, d.durableSeq))
		}
	}
	if d.comp != nil {
		for _, in := range d.comp.inputs {
			if !seen[in.fileNum] {
				panic(fmt.Sprintf("lsm: compaction input %06d left the version", in.fileNum))
			}
		}
	}
}
