package diskio

// Crash simulates power loss; see the fault model in memfs.go. After it the
// FS holds what a restarted machine would find, every File opened before is
// closed, and the FS is ready for the restarted process.
func (m *MemFS) Crash() {
	m.generation++
	visited := map[uint64]bool{m.root.id: true}
	m.crashDir(m.root, visited)
	m.recount()
	if invariantsEnabled {
		m.CheckInvariants()
	}
}

// CrashProcess simulates the process dying while the machine survives: open
// Files become invalid and nothing else changes.
func (m *MemFS) CrashProcess() {
	m.generation++
}

// crashDir reverts d to its durable entries and crashes what they reach, in
// name order so that the PRNG draws are deterministic.
func (m *MemFS) crashDir(d *inode, visited map[uint64]bool) {
	if !m.brokenKeepUnsyncedNames {
		d.children = cloneEntries(d.durableChildren)
	}
	for _, name := range sortedNames(d.children) {
		c := d.children[name]
		if visited[c.id] {
			continue // a second name for the same file
		}
		visited[c.id] = true
		if c.isDir {
			m.crashDir(c, visited)
		} else {
			m.crashFile(c)
		}
	}
}

func cloneEntries(entries map[string]*inode) map[string]*inode {
	out := make(map[string]*inode, len(entries))
	for name, n := range entries {
		out[name] = n
	}
	return out
}

// crashFile chooses what of n's pending operations reached the disk.
func (m *MemFS) crashFile(n *inode) {
	keep := 0
	if m.config.CrashMode == CrashKeepRandomPrefix {
		keep = m.rng.IntN(len(n.pending) + 1)
	}
	tear := keep > 0 && len(n.pending[keep-1].data) > 0 &&
		m.config.TearProbability > 0 && m.rng.Float64() < m.config.TearProbability
	var content []byte
	if tear {
		before := applyOps(n.durable, n.pending[:keep-1])
		content = m.tornAppend(before, n.pending[keep-1])
	} else {
		content = applyOps(n.durable, n.pending[:keep])
	}
	if m.brokenLoseSyncedData {
		content = content[:min(len(content), len(n.durable)/2)]
	}
	n.durable = content
	n.current = content
	n.pending = nil
	n.syncLies = false
}

// tornAppend applies op to before, then tears it: the file ends at a sector
// boundary inside the appended range or at its end, and the final sector's
// part of the append holds garbage from a random byte on.
func (m *MemFS) tornAppend(before []byte, op pendingOp) []byte {
	start := op.cutBytes
	full := append(append([]byte(nil), before[:start]...), op.data...)
	ends := tearEnds(start, int64(len(full)))
	end := ends[m.rng.IntN(len(ends))]
	regionStart := tornRegionStart(start, end)
	if m.brokenTearWide {
		regionStart = max(0, regionStart-SectorSizeBytes)
	}
	garbageFrom := regionStart + m.rng.Int64N(end-regionStart)
	out := full[:end]
	for i := garbageFrom; i < end; i++ {
		out[i] = byte(m.rng.Uint32())
	}
	return out
}

// tearEndsMax bounds the candidate ends of a torn append; a longer append is
// sampled at its first sectors and its end.
const tearEndsMax = 4096

// tearEnds lists where a torn append starting at start and ending at end may
// leave the file: every sector boundary strictly inside, and end itself.
func tearEnds(start, end int64) []int64 {
	assert(start < end, "tear of an empty append")
	var ends []int64
	first := (start/SectorSizeBytes + 1) * SectorSizeBytes
	for b := first; b < end && len(ends) < tearEndsMax; b += SectorSizeBytes {
		ends = append(ends, b)
	}
	return append(ends, end)
}

// tornRegionStart is the first byte a tear ending at end may damage: the
// start of the final sector, but never before the append itself.
func tornRegionStart(start, end int64) int64 {
	sector := (end - 1) / SectorSizeBytes * SectorSizeBytes
	return max(start, sector)
}

// recount recomputes link counts and used bytes from the current tree; a
// crash can leave a file with two names (an unsynced rename between
// directories whose target directory was synced).
func (m *MemFS) recount() {
	for _, n := range m.reachableFiles() {
		n.nlink = 0
	}
	m.usedBytes = 0
	m.walkCurrent(m.root, func(n *inode) {
		n.nlink++
		if n.nlink == 1 {
			m.usedBytes += int64(len(n.current))
		}
	})
}

// walkCurrent calls fn once per current name of a file, in path order.
func (m *MemFS) walkCurrent(d *inode, fn func(*inode)) {
	for _, name := range sortedNames(d.children) {
		c := d.children[name]
		if c.isDir {
			m.walkCurrent(c, fn)
		} else {
			fn(c)
		}
	}
}

// reachableFiles lists each file reachable by a current name once.
func (m *MemFS) reachableFiles() []*inode {
	seen := map[uint64]bool{}
	var out []*inode
	m.walkCurrent(m.root, func(n *inode) {
		if !seen[n.id] {
			seen[n.id] = true
			out = append(out, n)
		}
	})
	return out
}
