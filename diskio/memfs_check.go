package diskio

import "bytes"

// checkInvariants verifies the namespace bookkeeping after a namespace
// change when built with the invariants tag: a walk of the tree, but no
// walk of file contents, so it stays affordable in long simulations.
func (m *MemFS) checkInvariants() {
	if !invariantsEnabled {
		return
	}
	m.checkNamespace()
}

// checkFileInvariants verifies one file's operation list after a data
// change when built with the invariants tag, in O(pending ops).
func checkFileInvariants(n *inode) {
	if !invariantsEnabled {
		return
	}
	checkFileSizes(n)
}

// CheckInvariants verifies all of MemFS's state, contents included, and
// panics on a violation. Crash runs it under the invariants tag; tests may
// call it at any time.
func (m *MemFS) CheckInvariants() {
	m.checkNamespace()
	for _, n := range m.reachableFiles() {
		checkFileSizes(n)
		assert(bytes.Equal(applyOps(n.durable, n.pending), n.current),
			"current content is not durable content plus pending ops")
	}
}

func (m *MemFS) checkNamespace() {
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
	}
}

// checkFileSizes replays the pending operations on sizes alone.
func checkFileSizes(n *inode) {
	assert(!n.isDir, "file check reached a directory")
	assert(len(n.pending) <= pendingOpsMax, "pending ops over bound")
	size := int64(len(n.durable))
	for _, op := range n.pending {
		assert(op.cutBytes >= 0 && op.cutBytes <= size, "pending op cuts outside the file")
		size = op.cutBytes + int64(len(op.data))
	}
	assert(size == int64(len(n.current)), "current size is not durable size plus pending ops")
}
