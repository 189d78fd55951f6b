package diskio

// MemFS is the simulator's disk: an in-memory FS with the crash semantics of
// a POSIX file system at its weakest and seeded fault injection. It runs in
// the simulator's single goroutine and takes no locks; every random choice
// comes from its own *rand.Rand, so a seed replays bit-for-bit.
//
// # Fault model
//
// Durability. Each file (inode) holds its durable content (as of its last
// successful Sync) and the list of operations applied since (appends and
// truncations, each recorded as "cut to N bytes, then append D"). Reads see
// the current content: durable content plus every pending operation. Each
// directory holds its current entries and its durable entries (as of its last
// successful SyncDir). Create, Rename, Remove and MkdirAll change current
// entries only.
//
// Power loss (Crash). Directory entries revert to their durable ones,
// recursively from the root: a directory whose own name is not durable
// vanishes with everything under it, a file whose name is not durable
// vanishes even if its data was synced, an unsynced rename reverts and an
// unsynced remove comes back. For every file still reachable, the crash keeps
// a prefix of its pending operations: in CrashKeepRandomPrefix mode a prefix
// of uniformly random length, in CrashLoseUnsynced mode none. With
// probability TearProbability the last kept append is torn: the file ends at
// a sector boundary inside that append (or at its end), and the tail of the
// append's final sector, from a random byte on, holds garbage from the PRNG.
// Nothing before the last kept append is ever damaged. The kept state becomes
// the durable state, and every open File reports ErrClosed from then on.
// Directory entries are never torn or partly kept: each directory reverts as
// a whole, which is the worst case POSIX allows.
//
// Process crash (CrashProcess). Open Files become invalid; nothing else
// changes, as when the OS survives a killed process: unsynced data stays in
// the page cache and can still be lost by a later Crash.
//
// Injected faults (Arm). A rule names an operation kind, a fault, and either
// a probability per call or the Nth matching call; an optional path prefix
// narrows it. EIO may hit any operation: the operation does nothing and
// returns ErrIO. ENOSPC may hit Write, Create and MkdirAll: nothing is done
// and ErrNoSpace is returned; a capacity limit (CapacityBytesMax) makes
// writes past it fail the same way, leaving earlier data intact. A bit flip
// hits Read: one bit of the bytes returned is inverted, the stored data is
// not. A failed Sync makes nothing durable; under SyncRetryLies (the default)
// every later Sync of that file returns nil and still makes nothing durable
// until the next Crash, as Linux did before fsyncgate was understood, so a
// caller that retries a failed fsync loses data in the simulator too.
//
// Latency. MemFS never sleeps; a LatencyHook sees every operation and path
// so that the simulator can charge simulated time for it.

import (
	"math/rand/v2"
	"sort"
)

// CrashMode selects what a Crash keeps of the unsynced operations.
type CrashMode int

const (
	// CrashKeepRandomPrefix keeps a random prefix of each file's unsynced
	// operations, as a disk that wrote some of its queue before power went.
	CrashKeepRandomPrefix CrashMode = iota
	// CrashLoseUnsynced keeps none of them: the harshest legal crash.
	CrashLoseUnsynced
)

// SyncRetryPolicy says what a file's later Syncs do after one failed.
type SyncRetryPolicy int

const (
	// SyncRetryLies: later Syncs return nil but make nothing durable until
	// the next Crash (fsyncgate). The default, so retry bugs lose data.
	SyncRetryLies SyncRetryPolicy = iota
	// SyncRetryWorks: a later Sync may succeed and make everything durable.
	SyncRetryWorks
)

// MemFSConfig holds MemFS's knobs. The zero value is a valid configuration:
// random-prefix crashes, no tearing, lying retries, no capacity limit.
type MemFSConfig struct {
	// CrashMode selects how much of the unsynced data a Crash keeps.
	CrashMode CrashMode
	// TearProbability is the chance, in [0, 1], that a Crash tears the last
	// kept append of a file. Higher finds checksum bugs faster; zero keeps
	// crashes clean for tests that only care about ordering.
	TearProbability float64
	// SyncRetry selects what Syncs after a failed Sync do.
	SyncRetry SyncRetryPolicy
	// CapacityBytesMax bounds the total size of all files that have a name;
	// zero means unlimited. A write that would exceed it fails whole.
	CapacityBytesMax int64
}

func (c MemFSConfig) validate() error {
	if c.CrashMode != CrashKeepRandomPrefix && c.CrashMode != CrashLoseUnsynced {
		return opErr("configure", "", ErrInvalid)
	}
	if !(c.TearProbability >= 0 && c.TearProbability <= 1) {
		return opErr("configure", "", ErrInvalid)
	}
	if c.SyncRetry != SyncRetryLies && c.SyncRetry != SyncRetryWorks {
		return opErr("configure", "", ErrInvalid)
	}
	if c.CapacityBytesMax < 0 {
		return opErr("configure", "", ErrInvalid)
	}
	return nil
}

// pendingOpsMax bounds each file's list of unsynced operations. Past it the
// two oldest are merged into one, which only makes crashes coarser (fewer
// distinct prefixes), never wrong.
const pendingOpsMax = 1024

// pendingOp is one unsynced change to a file: cut it to cutBytes, then append
// data. An append has cutBytes equal to the size before it; a truncate has no
// data. The form is closed under composition, which merging relies on.
type pendingOp struct {
	cutBytes int64
	data     []byte
}

// inode is a file or a directory.
type inode struct {
	id    uint64
	isDir bool

	// Files. Invariant: current == apply(durable, pending). Bytes in
	// current[:len(current)] are never modified in place (Truncate
	// reallocates), so durable and pending data may alias current's array.
	durable []byte
	current []byte
	pending []pendingOp
	// nlink counts current names; an inode with none is not charged
	// against the capacity but stays usable through open Files.
	nlink int
	// syncLies is set by a failed Sync under SyncRetryLies.
	syncLies bool

	// Directories.
	children        map[string]*inode
	durableChildren map[string]*inode
}

// MemFS implements FS in memory; see the fault model above.
type MemFS struct {
	rng    *rand.Rand
	config MemFSConfig
	root   *inode
	// inodeIDNext numbers inodes in creation order, for deterministic
	// dumps and invariant checks.
	inodeIDNext uint64
	// generation increases at every crash; a File opened in an older
	// generation is closed.
	generation uint64
	// usedBytes is the total current size of files with nlink > 0.
	usedBytes int64

	faults faultState
	// Deliberately wrong disks the crash checker must reject: Crash keeps
	// current directory entries; Crash drops the second half of synced
	// data; a tear also damages the sector before the final one; a failed
	// Sync makes the data durable anyway.
	brokenKeepUnsyncedNames bool
	brokenLoseSyncedData    bool
	brokenTearWide          bool
	brokenFailedSyncDurable bool
}

var _ FS = (*MemFS)(nil)

// NewMemFS returns an empty MemFS whose random choices derive from seed.
func NewMemFS(seed uint64) *MemFS {
	return NewMemFSRand(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)))
}

// NewMemFSRand returns an empty MemFS drawing from rng, which it then owns;
// the simulator passes a stream derived from its seed.
func NewMemFSRand(rng *rand.Rand) *MemFS {
	if rng == nil {
		panic("diskio: NewMemFSRand: nil rng")
	}
	m := &MemFS{rng: rng}
	m.root = m.newDir()
	// The root exists before any crash; its entry is durable by fiat.
	return m
}

// Configure replaces the knobs. It may be called at any time; a new
// capacity does not affect data already written.
func (m *MemFS) Configure(c MemFSConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	m.config = c
	return nil
}

// Config returns the current knobs.
func (m *MemFS) Config() MemFSConfig { return m.config }

func (m *MemFS) newInodeID() uint64 {
	m.inodeIDNext++
	return m.inodeIDNext
}

func (m *MemFS) newDir() *inode {
	return &inode{
		id:              m.newInodeID(),
		isDir:           true,
		children:        map[string]*inode{},
		durableChildren: map[string]*inode{},
	}
}

func (m *MemFS) newFile() *inode {
	return &inode{id: m.newInodeID()}
}

// lookup walks the current entries to a cleaned path.
func (m *MemFS) lookup(op, p string) (*inode, error) {
	n := m.root
	for _, part := range splitPath(p) {
		if !n.isDir {
			return nil, opErr(op, p, ErrNotDir)
		}
		c, ok := n.children[part]
		if !ok {
			return nil, opErr(op, p, ErrNotExist)
		}
		n = c
	}
	return n, nil
}

// lookupParent returns the directory that holds (or would hold) p.
func (m *MemFS) lookupParent(op, p string) (dir *inode, base string, err error) {
	if p == rootPath {
		return nil, "", opErr(op, p, ErrInvalid)
	}
	dirPath, base := parentOf(p)
	dir, err = m.lookup(op, dirPath)
	if err != nil {
		return nil, "", opErr(op, p, unwrapSentinel(err))
	}
	if !dir.isDir {
		return nil, "", opErr(op, p, ErrNotDir)
	}
	return dir, base, nil
}

// unwrapSentinel returns the sentinel inside one of our *OpErrors.
func unwrapSentinel(err error) error {
	if oe, ok := err.(*OpError); ok {
		return oe.Err
	}
	return err
}

// link adds a current name for a file inode.
func (m *MemFS) link(dir *inode, base string, n *inode) {
	dir.children[base] = n
	if !n.isDir {
		n.nlink++
		if n.nlink == 1 {
			m.usedBytes += int64(len(n.current))
		}
	}
}

// unlink removes a current name.
func (m *MemFS) unlink(dir *inode, base string) {
	n := dir.children[base]
	delete(dir.children, base)
	if !n.isDir {
		n.nlink--
		assert(n.nlink >= 0, "nlink went negative")
		if n.nlink == 0 {
			m.usedBytes -= int64(len(n.current))
		}
	}
}

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	p, err := cleanPath("create", name)
	if err != nil {
		return nil, err
	}
	if err := m.before(OpCreate, p); err != nil {
		return nil, err
	}
	if p == rootPath {
		return nil, opErr("create", p, ErrIsDir)
	}
	dir, base, err := m.lookupParent("create", p)
	if err != nil {
		return nil, err
	}
	n, ok := dir.children[base]
	switch {
	case ok && n.isDir:
		return nil, opErr("create", p, ErrIsDir)
	case ok:
		m.truncate(n, 0)
	default:
		n = m.newFile()
		m.link(dir, base, n)
	}
	m.checkInvariants()
	return m.newHandle(n, p, true), nil
}

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) {
	return m.open(OpOpen, "open", name, false)
}

// OpenAppend implements FS.
func (m *MemFS) OpenAppend(name string) (File, error) {
	return m.open(OpOpenAppend, "openappend", name, true)
}

func (m *MemFS) open(op Op, opName, name string, writable bool) (File, error) {
	p, err := cleanPath(opName, name)
	if err != nil {
		return nil, err
	}
	if err := m.before(op, p); err != nil {
		return nil, err
	}
	n, err := m.lookup(opName, p)
	if err != nil {
		return nil, err
	}
	if n.isDir {
		return nil, opErr(opName, p, ErrIsDir)
	}
	return m.newHandle(n, p, writable), nil
}

// Rename implements FS. Only files are renamed: the storage engines never
// rename directories, and leaving them out keeps the crash model small.
func (m *MemFS) Rename(oldname, newname string) error {
	oldP, err := cleanPath("rename", oldname)
	if err != nil {
		return err
	}
	newP, err := cleanPath("rename", newname)
	if err != nil {
		return err
	}
	if err := m.before(OpRename, oldP); err != nil {
		return err
	}
	n, err := m.lookup("rename", oldP)
	if err != nil {
		return err
	}
	if n.isDir {
		return opErr("rename", oldP, ErrIsDir)
	}
	if t, err := m.lookup("rename", newP); err == nil && t.isDir {
		return opErr("rename", oldP, ErrIsDir)
	}
	newDir, newBase, err := m.lookupParent("rename", newP)
	if err != nil {
		return opErr("rename", oldP, unwrapSentinel(err))
	}
	if err := m.renameInto(oldP, n, newDir, newBase); err != nil {
		return err
	}
	m.checkInvariants()
	return nil
}

func (m *MemFS) renameInto(oldP string, n, newDir *inode, newBase string) error {
	if target, ok := newDir.children[newBase]; ok {
		if target.isDir {
			return opErr("rename", oldP, ErrIsDir)
		}
		if target == n {
			return nil // same file: POSIX says do nothing
		}
		m.unlink(newDir, newBase)
	}
	oldDir, oldBase, err := m.lookupParent("rename", oldP)
	assert(err == nil, "rename source vanished")
	// Link before unlink so the inode's size stays charged throughout.
	m.link(newDir, newBase, n)
	m.unlink(oldDir, oldBase)
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	p, err := cleanPath("remove", name)
	if err != nil {
		return err
	}
	if err := m.before(OpRemove, p); err != nil {
		return err
	}
	dir, base, err := m.lookupParent("remove", p)
	if err != nil {
		return err
	}
	n, ok := dir.children[base]
	if !ok {
		return opErr("remove", p, ErrNotExist)
	}
	if n.isDir && len(n.children) > 0 {
		return opErr("remove", p, ErrNotEmpty)
	}
	m.unlink(dir, base)
	m.checkInvariants()
	return nil
}

// List implements FS.
func (m *MemFS) List(dir string) ([]string, error) {
	p, err := cleanPath("list", dir)
	if err != nil {
		return nil, err
	}
	if err := m.before(OpList, p); err != nil {
		return nil, err
	}
	n, err := m.lookup("list", p)
	if err != nil {
		return nil, err
	}
	if !n.isDir {
		return nil, opErr("list", p, ErrNotDir)
	}
	return sortedNames(n.children), nil
}

func sortedNames(entries map[string]*inode) []string {
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(dir string) error {
	p, err := cleanPath("mkdirall", dir)
	if err != nil {
		return err
	}
	if err := m.before(OpMkdirAll, p); err != nil {
		return err
	}
	// Check the whole path before creating anything, so a failure leaves
	// no half-made chain behind.
	n := m.root
	parts := splitPath(p)
	for i, part := range parts {
		c, ok := n.children[part]
		if !ok {
			m.mkdirChain(n, parts[i:])
			break
		}
		if !c.isDir {
			return opErr("mkdirall", p, ErrNotDir)
		}
		n = c
	}
	m.checkInvariants()
	return nil
}

func (m *MemFS) mkdirChain(parent *inode, parts []string) {
	for _, part := range parts {
		d := m.newDir()
		m.link(parent, part, d)
		parent = d
	}
}

// SyncDir implements FS.
func (m *MemFS) SyncDir(dir string) error {
	p, err := cleanPath("syncdir", dir)
	if err != nil {
		return err
	}
	if err := m.before(OpSyncDir, p); err != nil {
		return err
	}
	n, err := m.lookup("syncdir", p)
	if err != nil {
		return err
	}
	if !n.isDir {
		return opErr("syncdir", p, ErrNotDir)
	}
	n.durableChildren = make(map[string]*inode, len(n.children))
	for name, c := range n.children {
		n.durableChildren[name] = c
	}
	return nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (int64, error) {
	p, err := cleanPath("stat", name)
	if err != nil {
		return 0, err
	}
	if err := m.before(OpStat, p); err != nil {
		return 0, err
	}
	n, err := m.lookup("stat", p)
	if err != nil {
		return 0, err
	}
	if n.isDir {
		return 0, opErr("stat", p, ErrIsDir)
	}
	return int64(len(n.current)), nil
}

// truncate records a cut of n's current content to size bytes.
func (m *MemFS) truncate(n *inode, size int64) {
	assert(size >= 0 && size <= int64(len(n.current)), "truncate out of range")
	if n.nlink > 0 {
		m.usedBytes -= int64(len(n.current)) - size
	}
	// Reallocate so that bytes other slices alias are never overwritten by
	// a later append.
	n.current = append([]byte(nil), n.current[:size]...)
	m.addPending(n, pendingOp{cutBytes: size})
}

// appendData records an append of p to n; p is copied.
func (m *MemFS) appendData(n *inode, p []byte) {
	start := len(n.current)
	n.current = append(n.current, p...)
	if n.nlink > 0 {
		m.usedBytes += int64(len(p))
	}
	// Alias current's bytes: they are immutable from here on.
	data := n.current[start:len(n.current):len(n.current)]
	m.addPending(n, pendingOp{cutBytes: int64(start), data: data})
}

func (m *MemFS) addPending(n *inode, op pendingOp) {
	n.pending = append(n.pending, op)
	if len(n.pending) > pendingOpsMax {
		merged := mergeOps(n.pending[0], n.pending[1], n.current, n.pending[2:])
		n.pending[1] = merged
		n.pending = n.pending[1:]
	}
	assert(len(n.pending) <= pendingOpsMax, "pending ops over bound")
}

// mergeOps composes a then b into one operation with the same effect;
// later are the operations after b and current the file's content after
// all of them. Truncation never extends, so a's cut point is within the
// content it starts from, and a cut by b below it reaches content a did not
// touch.
//
// The merged data is the file's bytes from a's cut to b's end. When no later
// operation cut below b's end those bytes still sit in current, which is
// immutable below its length, so the merge aliases them instead of copying:
// a long unsynced stream of appends (an LSM writing a table) then costs a
// scan of the pending list per append rather than a copy of everything
// written so far.
func mergeOps(a, b pendingOp, current []byte, later []pendingOp) pendingOp {
	if b.cutBytes < a.cutBytes {
		return b
	}
	end := b.cutBytes + int64(len(b.data))
	if minCutBytes(later, end) >= end {
		assert(int64(len(current)) >= end, "merge past the current end")
		return pendingOp{cutBytes: a.cutBytes, data: current[a.cutBytes:end:end]}
	}
	keep := b.cutBytes - a.cutBytes
	assert(keep <= int64(len(a.data)), "merge past the end of an append")
	data := make([]byte, 0, keep+int64(len(b.data)))
	data = append(data, a.data[:keep]...)
	data = append(data, b.data...)
	return pendingOp{cutBytes: a.cutBytes, data: data}
}

// minCutBytes returns the lowest cut point among ops, or upper if lower
// than all of them.
func minCutBytes(ops []pendingOp, upper int64) int64 {
	low := upper
	for _, op := range ops {
		low = min(low, op.cutBytes)
	}
	return low
}

// applyOps returns base with ops applied, in a fresh slice.
func applyOps(base []byte, ops []pendingOp) []byte {
	out := append([]byte(nil), base...)
	for _, op := range ops {
		assert(op.cutBytes <= int64(len(out)), "pending op cuts past the end")
		out = append(out[:op.cutBytes], op.data...)
	}
	return out
}

// assert panics on a violated internal invariant: MemFS's state is then
// wrong and every later answer would be too.
func assert(ok bool, what string) {
	if !ok {
		panic("diskio: MemFS invariant violated: " + what)
	}
}
