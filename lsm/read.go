package lsm

import (
	"bytes"
	"sort"
)

// Snapshot is a point-in-time view: reads through it see exactly the
// writes with seq <= Seq(). Compactions keep the versions it can see until
// it is closed.
type Snapshot struct {
	db     *DB
	seq    uint64
	closed bool
}

// NewSnapshot pins the current state.
func (d *DB) NewSnapshot() *Snapshot { return d.NewSnapshotAt(d.lastSeq) }

// NewSnapshotAt pins the view at seq (<= LastSeq). Versions older than seq
// that compaction already merged away are not restored: seq should be at
// least the oldest open snapshot, or recent enough that nothing above it
// was compacted (under Raft: an applied index not yet superseded).
func (d *DB) NewSnapshotAt(seq uint64) *Snapshot {
	seq = min(seq, d.lastSeq)
	i := sort.Search(len(d.snapshots), func(i int) bool { return d.snapshots[i] > seq })
	d.snapshots = append(d.snapshots, 0)
	copy(d.snapshots[i+1:], d.snapshots[i:])
	d.snapshots[i] = seq
	return &Snapshot{db: d, seq: seq}
}

// Seq returns the snapshot's sequence number.
func (s *Snapshot) Seq() uint64 { return s.seq }

// Close releases the snapshot. Closing twice is a no-op.
func (s *Snapshot) Close() {
	if s.closed {
		return
	}
	s.closed = true
	d := s.db
	i := sort.Search(len(d.snapshots), func(i int) bool { return d.snapshots[i] >= s.seq })
	if i == len(d.snapshots) || d.snapshots[i] != s.seq {
		panic("lsm: closing an unregistered snapshot")
	}
	d.snapshots = append(d.snapshots[:i], d.snapshots[i+1:]...)
}

// Get reads key through the snapshot.
func (s *Snapshot) Get(key []byte) ([]byte, error) { return s.db.getAt(key, s.seq) }

// NewIter iterates through the snapshot.
func (s *Snapshot) NewIter(o *IterOptions) (*Iterator, error) { return s.db.newIter(o, s.seq) }

func (d *DB) uniqueSnapshots() []uint64 {
	var out []uint64
	for _, s := range d.snapshots {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// Get returns the newest value of key, or ErrNotFound. The result is a copy.
func (d *DB) Get(key []byte) ([]byte, error) { return d.getAt(key, d.lastSeq) }

// getAt finds the newest version of key with seq <= snapSeq across every
// memtable and table, and the newest range tombstone over key with seq <=
// snapSeq; the version is visible if it is a set newer than that
// tombstone. Sources holding nothing newer than the best version so far
// are skipped, which is what makes this cheap without relying on any level
// ordering.
func (d *DB) getAt(key []byte, snapSeq uint64) ([]byte, error) {
	if d.closed {
		return nil, ErrClosed
	}
	g := getState{key: key, snap: snapSeq}
	d.getKey = makeInternalKey(d.getKey, key, snapSeq, kindSeek)
	g.memtable(d.mem, d.getKey)
	for i := len(d.imm) - 1; i >= 0; i-- {
		g.memtable(d.imm[i], d.getKey)
	}
	for _, fs := range d.current.levels {
		for _, f := range fs {
			if g.settledBy(f) || !f.overlaps(key, key) {
				continue
			}
			if err := d.getFromTable(&g, f); err != nil {
				return nil, err
			}
		}
	}
	if !g.found || g.kind != KindSet || g.tombSeq > g.seq {
		return nil, ErrNotFound
	}
	return clone(g.value), nil
}

// memtables returns the mutable memtable and the immutable ones, newest
// first.
func (d *DB) memtables() []*memtable {
	ms := []*memtable{d.mem}
	for i := len(d.imm) - 1; i >= 0; i-- {
		ms = append(ms, d.imm[i])
	}
	return ms
}

type getState struct {
	key     []byte
	snap    uint64
	found   bool
	seq     uint64
	kind    Kind
	value   []byte
	tombSeq uint64
}

// settledBy reports that table f cannot change the answer: everything in it
// is no newer than the version found, or older than a tombstone covering
// the key (a version at the tombstone's own seq is not covered by it).
func (g *getState) settledBy(f *fileMeta) bool {
	return (g.found && f.largestSeq <= g.seq) || f.largestSeq < g.tombSeq
}

func (g *getState) offer(ikey, value []byte) {
	if !bytes.Equal(userKeyOf(ikey), g.key) {
		return
	}
	if seq := seqOf(ikey); seq <= g.snap && (!g.found || seq > g.seq) {
		g.found, g.seq, g.kind, g.value = true, seq, kindOf(ikey), value
	}
}

func (g *getState) offerTombstones(ts []rangeTombstone) {
	for _, t := range ts {
		if t.seq <= g.snap && t.seq > g.tombSeq && t.contains(g.key) {
			g.tombSeq = t.seq
		}
	}
}

func (g *getState) memtable(m *memtable, seekKey []byte) {
	g.offerTombstones(m.rangeDels)
	if n := m.get(g.key, seekKey); n != 0 {
		g.offer(m.key(n), m.value(n))
	}
}

func (d *DB) getFromTable(g *getState, f *fileMeta) error {
	h, err := d.tc.acquire(f.fileNum)
	if err != nil {
		return err
	}
	defer h.release()
	if f.numRangeDels > 0 {
		ts, err := h.r.rangeTombstones()
		if err != nil {
			return err
		}
		g.offerTombstones(ts)
	}
	if !h.r.mayContain(g.key) {
		d.m.BloomFilterNegatives++
		return nil
	}
	ok, err := h.r.seekGE(&d.getIter, d.getKey)
	if err != nil {
		return err
	}
	if ok {
		g.offer(d.getIter.key, d.getIter.val)
	}
	return nil
}
