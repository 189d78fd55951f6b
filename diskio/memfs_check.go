package diskio

import "bytes"

// checkInvariants verifies MemFS's whole state when built with the
// invariants tag; it costs a walk of every file.
func (m *MemFS) checkInvariants() {
	if !invariantsEnabled {
		return
	}
	m.CheckInvariants()
}

// CheckInvariants verifies MemFS's state and panics on a violation. It is
// exported so that tests without the invariants tag can call it too.
func (m *MemFS) CheckInvariants() {
	links := map[uint64]int{}
	var used int64
	m.walkCurrent(m.root, func(n *inode) {
		links[n.id]++
		if links[n.id] == 1 {
			used += int64(len(n.current))
		}
	})
	assert(used == m.usedBytes, "usedBytes differs from the sum of file sizes")
	for _, n := range m.reachableFiles() {
		assert(links[n.id] == n.nlink, "nlink differs from the count of names")
		checkFile(n)
	}
}

func checkFile(n *inode) {
	assert(!n.isDir, "file walk reached a directory")
	assert(len(n.pending) <= pendingOpsMax, "pending ops over bound")
	assert(bytes.Equal(applyOps(n.durable, n.pending), n.current),
		"current content is not durable content plus pending ops")
}
