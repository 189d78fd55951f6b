package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// numLevels is the depth of the tree: L0 plus six sorted levels.
const numLevels = 7

// fileMeta describes one installed SSTable. Immutable once installed.
type fileMeta struct {
	fileNum   uint64
	sizeBytes uint64
	// smallest and largest bound every user key in the table (points and
	// range-deletion extents), inclusive.
	smallest, largest        []byte
	smallestSeq, largestSeq  uint64
	numEntries, numRangeDels uint64
	// runID groups the tables of one sorted run (size-tiered strategy):
	// the file number of the run's first table.
	runID uint64
}

func (f *fileMeta) overlaps(lo, hi []byte) bool {
	return bytes.Compare(f.largest, lo) >= 0 && bytes.Compare(f.smallest, hi) <= 0
}

// version is an immutable snapshot of the tree's files.
//
// Invariants: L0 is ordered by largestSeq descending (newest first); each
// level Ln, n >= 1, is ordered by smallest, its files' point keys are
// disjoint, and one file's largest is at most the next one's smallest.
type version struct {
	levels [numLevels][]*fileMeta
	refs   int
}

func (v *version) files() []*fileMeta {
	var out []*fileMeta
	for _, l := range v.levels {
		out = append(out, l...)
	}
	return out
}

func (v *version) levelSizeBytes(level int) uint64 {
	var n uint64
	for _, f := range v.levels[level] {
		n += f.sizeBytes
	}
	return n
}

// checkInvariants panics if the version's structure is violated: that would
// be an engine bug, never bad input (manifest input is validated earlier).
func (v *version) checkInvariants() {
	for i := 1; i < len(v.levels[0]); i++ {
		if v.levels[0][i-1].largestSeq < v.levels[0][i].largestSeq {
			panic("lsm: L0 not ordered newest first")
		}
	}
	for level := 1; level < numLevels; level++ {
		fs := v.levels[level]
		for i := 1; i < len(fs); i++ {
			// Equality is allowed: a range tombstone clipped at a split
			// point ends (exclusively) where the next table starts.
			if bytes.Compare(fs[i-1].largest, fs[i].smallest) > 0 {
				panic(fmt.Sprintf("lsm: L%d files %06d and %06d overlap", level, fs[i-1].fileNum, fs[i].fileNum))
			}
		}
	}
}

// versionEdit is one manifest record: a delta applied atomically.
type versionEdit struct {
	hasLogNum, hasNextFileNum, hasLastSeq, hasDurableSeq bool
	logNum, nextFileNum, lastSeq, durableSeq             uint64
	deleted                                              []deletedFile
	added                                                []addedFile
}

type deletedFile struct {
	level   int
	fileNum uint64
}

type addedFile struct {
	level int
	meta  *fileMeta
}

const (
	tagLogNum      = 1
	tagNextFileNum = 2
	tagLastSeq     = 3
	tagDurableSeq  = 4
	tagDeleted     = 5
	tagAdded       = 6
)

func (e *versionEdit) encode() []byte {
	var b []byte
	put := func(tag, v uint64) { b = binary.AppendUvarint(binary.AppendUvarint(b, tag), v) }
	if e.hasLogNum {
		put(tagLogNum, e.logNum)
	}
	if e.hasNextFileNum {
		put(tagNextFileNum, e.nextFileNum)
	}
	if e.hasLastSeq {
		put(tagLastSeq, e.lastSeq)
	}
	if e.hasDurableSeq {
		put(tagDurableSeq, e.durableSeq)
	}
	for _, d := range e.deleted {
		put(tagDeleted, uint64(d.level))
		b = binary.AppendUvarint(b, d.fileNum)
	}
	for _, a := range e.added {
		put(tagAdded, uint64(a.level))
		m := a.meta
		for _, v := range []uint64{m.fileNum, m.sizeBytes, m.smallestSeq, m.largestSeq, m.numEntries, m.numRangeDels, m.runID} {
			b = binary.AppendUvarint(b, v)
		}
		b = binary.AppendUvarint(b, uint64(len(m.smallest)))
		b = append(b, m.smallest...)
		b = binary.AppendUvarint(b, uint64(len(m.largest)))
		b = append(b, m.largest...)
	}
	return b
}

func decodeEdit(b []byte) (*versionEdit, error) {
	e := &versionEdit{}
	d := decoder{b: b}
	for len(d.b) > 0 && !d.failed {
		tag := d.uvarint()
		v := d.uvarint()
		switch tag {
		case tagLogNum:
			e.hasLogNum, e.logNum = true, v
		case tagNextFileNum:
			e.hasNextFileNum, e.nextFileNum = true, v
		case tagLastSeq:
			e.hasLastSeq, e.lastSeq = true, v
		case tagDurableSeq:
			e.hasDurableSeq, e.durableSeq = true, v
		case tagDeleted:
			e.deleted = append(e.deleted, deletedFile{int(v), d.uvarint()})
		case tagAdded:
			m := &fileMeta{}
			for _, p := range []*uint64{&m.fileNum, &m.sizeBytes, &m.smallestSeq, &m.largestSeq, &m.numEntries, &m.numRangeDels, &m.runID} {
				*p = d.uvarint()
			}
			m.smallest, m.largest = d.bytes(), d.bytes()
			e.added = append(e.added, addedFile{int(v), m})
		default:
			return nil, fmt.Errorf("unknown edit tag %d", tag)
		}
		if (tag == tagDeleted || tag == tagAdded) && v >= numLevels {
			return nil, fmt.Errorf("level %d out of range", v)
		}
	}
	if d.failed {
		return nil, fmt.Errorf("truncated edit")
	}
	return e, nil
}

// apply returns a new version: base with the edit's deletions and
// additions. It returns an error (not a panic) for edits that do not fit the
// base, because edits also come from a manifest on disk.
func (v *version) apply(e *versionEdit) (*version, error) {
	nv := &version{}
	gone := make(map[uint64]bool, len(e.deleted))
	for _, d := range e.deleted {
		gone[d.fileNum] = true
	}
	found := 0
	for level, fs := range v.levels {
		for _, f := range fs {
			if gone[f.fileNum] {
				found++
				continue
			}
			nv.levels[level] = append(nv.levels[level], f)
		}
	}
	if found != len(gone) {
		return nil, fmt.Errorf("edit deletes files not in the version")
	}
	for _, a := range e.added {
		if bytes.Compare(a.meta.smallest, a.meta.largest) > 0 {
			return nil, fmt.Errorf("file %06d has smallest > largest", a.meta.fileNum)
		}
		nv.levels[a.level] = append(nv.levels[a.level], a.meta)
	}
	nv.sortLevels()
	if err := nv.validate(); err != nil {
		return nil, err
	}
	return nv, nil
}

func (v *version) sortLevels() {
	l0 := v.levels[0]
	sort.SliceStable(l0, func(i, j int) bool {
		if l0[i].largestSeq != l0[j].largestSeq {
			return l0[i].largestSeq > l0[j].largestSeq
		}
		return l0[i].fileNum > l0[j].fileNum
	})
	for level := 1; level < numLevels; level++ {
		fs := v.levels[level]
		sort.Slice(fs, func(i, j int) bool { return bytes.Compare(fs[i].smallest, fs[j].smallest) < 0 })
	}
}

// validate is checkInvariants returning an error, for versions built from
// disk.
func (v *version) validate() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	v.checkInvariants()
	return nil
}
