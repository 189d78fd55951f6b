package raftlog

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

// Defaults for Options fields left zero.
const (
	DefaultSegmentSizeBytesMax = 64 << 20
	DefaultWriteBufferBytesMax = 1 << 20
	DefaultReadRetriesMax      = 2
)

// Options configure a Log. The zero value is usable: each zero field takes
// its default.
type Options struct {
	// SegmentSizeBytesMax is the size at which the active segment is
	// sealed and a new one started (default 64 MiB). Smaller segments let
	// Compact free space sooner; larger ones mean fewer files and fewer
	// rollover fsyncs. A segment always takes at least one entry, so one
	// oversized entry makes an oversized segment.
	SegmentSizeBytesMax int64
	// WriteBufferBytesMax bounds the records buffered in memory before
	// they are written to the active segment (default 1 MiB). Sync writes
	// the buffer out whatever its size; the bound only caps memory between
	// Syncs.
	WriteBufferBytesMax int
	// ReadRetriesMax is how many times a record whose checksum does not
	// match is read again before the mismatch is believed (default 2). A
	// bit flipped in transit, not on the platter, goes away on a re-read;
	// believing it would truncate or reject a good log. Negative means no
	// re-reads: only for tests proving the re-reads matter.
	ReadRetriesMax int
	// UnsafeSkipFsync makes Sync skip the file fsync. It exists only so
	// tests can prove the crash test catches a log that acknowledges
	// entries before they are durable. Never set it in production.
	UnsafeSkipFsync bool
}

func (o Options) withDefaults() Options {
	if o.SegmentSizeBytesMax <= 0 {
		o.SegmentSizeBytesMax = DefaultSegmentSizeBytesMax
	}
	if o.WriteBufferBytesMax <= 0 {
		o.WriteBufferBytesMax = DefaultWriteBufferBytesMax
	}
	switch {
	case o.ReadRetriesMax == 0:
		o.ReadRetriesMax = DefaultReadRetriesMax
	case o.ReadRetriesMax < 0:
		o.ReadRetriesMax = 0
	}
	return o
}

// Recovered is what Open found on disk.
type Recovered struct {
	HardState raft.HardState
	Snapshot  raft.SnapshotMeta
	// The log holds FirstIndex..LastIndex; it is empty when
	// LastIndex+1 == FirstIndex.
	FirstIndex, LastIndex uint64
	// Entries are the entries FirstIndex..LastIndex, read back and checked,
	// for the consensus core's own recovery (raft.Recovered.Entries).
	Entries []raft.Entry
	// TornTail describes the unsynced tail Open cut away, or is nil.
	TornTail *Problem
}

// Stats are the log's gauges and counters, for metrics.
type Stats struct {
	SizeBytes    int64  // bytes in all segments, including buffered writes
	SegmentCount int    // segment files, including the active one
	FirstIndex   uint64 // first entry still in the log
	LastIndex    uint64 // last entry appended, synced or not
	Syncs        uint64 // Sync calls that made something durable
	Fsyncs       uint64 // file fsyncs, including rollovers and barriers
	BytesWritten uint64 // bytes written to segment files
}

// segment is one segment file. Every segment but the last is sealed: fully
// synced and never written again, except when a conflicting suffix is
// truncated into it.
type segment struct {
	first uint64 // index of the first entry, and the file's name
	name  string
	file  diskio.File
	// locs[i] is the entry with index first+i.
	locs []entryLoc
	// sizeBytes counts the bytes written to the file; the active
	// segment's buffered records (Log.pend) follow them.
	sizeBytes int64
}

// next is the index the segment's next entry must have.
func (s *segment) next() uint64 { return s.first + uint64(len(s.locs)) }

// Log is a durable Raft log in one directory. It is not safe for
// concurrent use: one goroutine (the node loop, or the simulator) owns it.
type Log struct {
	fs   diskio.FS
	dir  string
	opts Options

	// segs is sorted by first index; the last one is active. Invariant:
	// len(segs) >= 1 and segs[len-1].next() == lastIndex+1.
	segs []*segment
	// snap is the latest snapshot; entries up to snap.Index are gone or
	// about to go. Invariant: snap.Index <= lastIndex.
	snap raft.SnapshotMeta
	// hs is the latest hard state set, with the version its record
	// carries. Invariant: hs.Commit <= lastIndex.
	hs        raft.HardState
	hsVersion uint64
	lastIndex uint64

	// pend holds encoded records for the active segment not yet written.
	// Bounded by opts.WriteBufferBytesMax plus one record.
	pend      []byte
	scratch   []byte // reused record body buffer
	fileDirty bool   // the active segment has writes not yet fsynced
	dirDirty  bool   // the directory has names not yet synced
	// err, once set, is returned by every call: a poisonError or ErrClosed.
	err    error
	closed bool
	stats  Stats
}

// Open recovers the log in dir (creating an empty one if dir holds none)
// and returns it with what was found. Damage that a crash cannot explain
// makes it fail with an error wrapping ErrCorrupt that names the file and
// offset; a torn tail is cut away and reported in Recovered.TornTail.
func Open(fs diskio.FS, dir string, opts Options) (*Log, Recovered, error) {
	opts = opts.withDefaults()
	if err := ensureDir(fs, dir); err != nil {
		return nil, Recovered{}, err
	}
	a, err := analyze(fs, dir, opts.ReadRetriesMax)
	if err != nil {
		return nil, Recovered{}, err
	}
	if err := a.corruptError(dir); err != nil {
		return nil, Recovered{}, err
	}
	l := &Log{
		fs: fs, dir: dir, opts: opts,
		snap:      a.state.snapshot,
		hs:        a.hardState.hs,
		hsVersion: a.hardState.version,
		lastIndex: a.lastIndex,
	}
	if err := l.adopt(a); err != nil {
		l.closeFiles()
		return nil, Recovered{}, err
	}
	l.checkInvariants()
	entries, err := l.Entries(l.FirstIndex(), l.lastIndex+1, 0)
	if err != nil {
		l.closeFiles()
		return nil, Recovered{}, err
	}
	rec := Recovered{
		HardState:  l.hs,
		Snapshot:   l.snap,
		FirstIndex: l.FirstIndex(),
		LastIndex:  l.lastIndex,
		Entries:    entries,
		TornTail:   a.torn,
	}
	return l, rec, nil
}

func ensureDir(fs diskio.FS, dir string) error {
	_, err := fs.List(dir)
	if err == nil {
		return nil
	}
	if !errors.Is(err, diskio.ErrNotExist) {
		return fmt.Errorf("raftlog: list %s: %w", dir, err)
	}
	if err := fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("raftlog: create %s: %w", dir, err)
	}
	// Every directory MkdirAll may have created needs its name made
	// durable in its parent, up to the root.
	for d := path.Dir(path.Clean(dir)); ; d = path.Dir(d) {
		if err := fs.SyncDir(d); err != nil {
			return fmt.Errorf("raftlog: sync %s: %w", d, err)
		}
		if d == "." || d == "/" {
			return nil
		}
	}
}

// adopt opens the segments the analysis kept and finishes what a crash
// interrupted: it cuts the torn tail, completes a Compact, and removes a
// stale temporary state file.
func (l *Log) adopt(a *analysis) error {
	for i := range a.segs {
		s := &a.segs[i]
		f, err := l.fs.OpenAppend(joinPath(l.dir, s.name))
		if err != nil {
			return fmt.Errorf("raftlog: open %s: %w", s.name, err)
		}
		l.segs = append(l.segs, &segment{first: s.first, name: s.name, file: f, locs: s.locs, sizeBytes: s.goodBytes})
	}
	if a.torn != nil {
		if err := l.cutTornTail(a.torn.Offset); err != nil {
			return err
		}
	}
	wroteState := a.reset || a.staleSegs > 0
	if a.reset {
		if err := l.writeState(l.snap); err != nil {
			return err
		}
		if err := l.resetTo(l.snap.Index); err != nil {
			return err
		}
	} else if a.staleSegs > 0 {
		if err := l.writeState(l.snap); err != nil {
			return err
		}
		if err := l.removeStale(); err != nil {
			return err
		}
	}
	if a.tempFound && !wroteState {
		if err := l.fs.Remove(joinPath(l.dir, stateTempName)); err != nil {
			return fmt.Errorf("raftlog: remove %s: %w", stateTempName, err)
		}
		return l.syncDir()
	}
	return nil
}

func (l *Log) cutTornTail(off int64) error {
	s := l.segs[len(l.segs)-1]
	if err := s.file.Truncate(off); err != nil {
		return fmt.Errorf("raftlog: truncate torn tail of %s: %w", s.name, err)
	}
	if err := l.fsync(s); err != nil {
		return err
	}
	s.sizeBytes = off
	return nil
}

// Append adds entries to the log after the entry before entries[0].
// Entries the log already holds with the same term are skipped; from the
// first that conflicts, the stored suffix is truncated first (durably,
// before anything new is written). Truncating committed entries is refused. The entries
// are buffered: they are durable only once Sync returns nil. On an error a
// prefix of entries may have been appended; LastIndex says how far.
func (l *Log) Append(entries []raft.Entry) error {
	if l.err != nil {
		return l.err
	}
	if len(entries) == 0 {
		return nil
	}
	if err := l.checkAppend(entries); err != nil {
		return err
	}
	entries = l.skipMatching(entries)
	if len(entries) == 0 {
		return nil
	}
	if k := entries[0].Index; k <= l.lastIndex {
		if k <= l.hs.Commit {
			return fmt.Errorf("raftlog: append at %d would truncate committed entries (commit %d)", k, l.hs.Commit)
		}
		if err := l.truncateFrom(k); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := l.appendOne(e); err != nil {
			return err
		}
	}
	l.checkInvariants()
	return nil
}

// checkAppend rejects entries the log cannot take. These are the caller's
// mistakes, so they are errors, not panics: the log stays as it was.
func (l *Log) checkAppend(entries []raft.Entry) error {
	first := entries[0].Index
	if first <= l.snap.Index {
		return fmt.Errorf("%w: append at %d, snapshot at %d", ErrCompacted, first, l.snap.Index)
	}
	if first > l.lastIndex+1 {
		return fmt.Errorf("raftlog: append at %d would leave a gap after %d", first, l.lastIndex)
	}
	prevTerm, err := l.term(first - 1)
	if err != nil {
		return err
	}
	for i, e := range entries {
		if e.Index != first+uint64(i) {
			return fmt.Errorf("raftlog: entry %d at position %d of a batch starting at %d", e.Index, i, first)
		}
		if e.Term < prevTerm {
			return fmt.Errorf("raftlog: entry %d has term %d after term %d", e.Index, e.Term, prevTerm)
		}
		if e.Type > raft.EntryConfChange {
			return fmt.Errorf("raftlog: entry %d has unknown type %d", e.Index, e.Type)
		}
		if len(e.Data) > entryDataBytesMax {
			return fmt.Errorf("raftlog: entry %d has %d bytes of data, more than %d", e.Index, len(e.Data), entryDataBytesMax)
		}
		prevTerm = e.Term
	}
	return nil
}

// skipMatching drops the leading entries the log already holds: same
// index and term means same entry (Raft's Log Matching Property), so
// rewriting them would only cost a needless durable cut.
func (l *Log) skipMatching(entries []raft.Entry) []raft.Entry {
	for len(entries) > 0 && entries[0].Index <= l.lastIndex {
		s := l.locate(entries[0].Index)
		if s.locs[entries[0].Index-s.first].term != entries[0].Term {
			break
		}
		entries = entries[1:]
	}
	return entries
}

func (l *Log) appendOne(e raft.Entry) error {
	a := l.active()
	if a.next() != e.Index {
		panic(fmt.Sprintf("raftlog: appending %d to a segment expecting %d", e.Index, a.next()))
	}
	if len(a.locs) > 0 && a.sizeBytes+int64(len(l.pend)) >= l.opts.SegmentSizeBytesMax {
		if err := l.rollover(e.Index); err != nil {
			return err
		}
		a = l.active()
	}
	if err := l.makeRoom(); err != nil {
		return err
	}
	l.scratch = encodeEntry(l.scratch[:0], e)
	off := a.sizeBytes + int64(len(l.pend))
	l.pend = appendRecord(l.pend, l.scratch)
	a.locs = append(a.locs, entryLoc{offset: off, term: e.Term, recordBytes: uint32(recordHeaderBytes + len(l.scratch))})
	l.lastIndex = e.Index
	return nil
}

// makeRoom writes the buffer out when it has reached its bound, so pend
// never holds more than WriteBufferBytesMax plus one record.
func (l *Log) makeRoom() error {
	if len(l.pend) < l.opts.WriteBufferBytesMax {
		return nil
	}
	return l.flush()
}

// rollover seals the active segment and starts one whose first entry is
// first. Sealing syncs everything first, so a segment other than the last
// never has an unsynced (possibly torn) tail, and the new name never
// survives a crash that the old segment's name did not.
func (l *Log) rollover(first uint64) error {
	if err := l.syncAll(); err != nil {
		return err
	}
	name := segmentName(first)
	f, err := l.fs.Create(joinPath(l.dir, name))
	if err != nil {
		return l.failWrite("create "+name, err)
	}
	l.segs = append(l.segs, &segment{first: first, name: name, file: f})
	l.dirDirty = true
	return nil
}

// SetHardState records hs; it is durable once Sync returns nil. Call it
// after Append in a batch: hs.Commit may not exceed LastIndex.
func (l *Log) SetHardState(hs raft.HardState) error {
	if l.err != nil {
		return l.err
	}
	if hs == l.hs {
		return nil
	}
	if err := l.checkHardState(hs); err != nil {
		return err
	}
	if err := l.makeRoom(); err != nil {
		return err
	}
	l.hsVersion++
	l.scratch = encodeHardState(l.scratch[:0], hardStateRecord{version: l.hsVersion, hs: hs})
	l.pend = appendRecord(l.pend, l.scratch)
	l.hs = hs
	l.checkInvariants()
	return nil
}

func (l *Log) checkHardState(hs raft.HardState) error {
	switch {
	case hs.Term < l.hs.Term:
		return fmt.Errorf("raftlog: hard state term %d after term %d", hs.Term, l.hs.Term)
	case hs.Term == l.hs.Term && l.hs.Vote != raft.None && hs.Vote != l.hs.Vote:
		return fmt.Errorf("raftlog: vote changed from %d to %d in term %d", l.hs.Vote, hs.Vote, hs.Term)
	case hs.Commit < l.hs.Commit:
		return fmt.Errorf("raftlog: commit %d after commit %d", hs.Commit, l.hs.Commit)
	case hs.Commit > l.lastIndex:
		return fmt.Errorf("raftlog: commit %d beyond the last entry %d", hs.Commit, l.lastIndex)
	}
	return nil
}

// Sync makes everything appended and set since the last Sync durable, with
// one fsync of the active segment (and one of the directory if a segment
// was created). A failure poisons the log: the node must stop, because
// what reached the disk is unknown and retrying the fsync proves nothing.
func (l *Log) Sync() error {
	if l.err != nil {
		return l.err
	}
	if err := l.syncAll(); err != nil {
		return err
	}
	l.checkInvariants()
	return nil
}

func (l *Log) syncAll() error {
	if !l.fileDirty && !l.dirDirty && len(l.pend) == 0 {
		return nil
	}
	if err := l.flush(); err != nil {
		return err
	}
	if l.fileDirty {
		if err := l.fsync(l.active()); err != nil {
			return err
		}
		l.fileDirty = false
	}
	if l.dirDirty {
		if err := l.syncDir(); err != nil {
			return err
		}
	}
	l.stats.Syncs++
	return nil
}

// flush writes the buffered records to the active segment. Out of space,
// it cuts off any partial write and keeps the buffer, so the log stays
// usable and a later Sync can retry the write (not an fsync).
func (l *Log) flush() error {
	if len(l.pend) == 0 {
		return nil
	}
	a := l.active()
	n, err := a.file.Write(l.pend)
	if err != nil {
		if n > 0 && errors.Is(err, diskio.ErrNoSpace) {
			if terr := a.file.Truncate(a.sizeBytes); terr != nil {
				return l.poison(fmt.Errorf("raftlog: undo partial write to %s: %w", a.name, terr))
			}
			l.fileDirty = true
		}
		return l.failWrite("write "+a.name, err)
	}
	if n != len(l.pend) {
		return l.poison(fmt.Errorf("raftlog: short write to %s: %d of %d bytes", a.name, n, len(l.pend)))
	}
	a.sizeBytes += int64(n)
	l.stats.BytesWritten += uint64(n)
	l.pend = l.pend[:0]
	l.fileDirty = true
	return nil
}

func (l *Log) fsync(s *segment) error {
	if l.opts.UnsafeSkipFsync {
		return nil
	}
	if err := s.file.Sync(); err != nil {
		return l.poison(fmt.Errorf("raftlog: fsync %s: %w", s.name, err))
	}
	l.stats.Fsyncs++
	return nil
}

func (l *Log) syncDir() error {
	if err := l.fs.SyncDir(l.dir); err != nil {
		return l.poison(fmt.Errorf("raftlog: sync dir %s: %w", l.dir, err))
	}
	l.dirDirty = false
	return nil
}

// failWrite reports a failed write. Out of space leaves the durable state
// as it was (the caller undid any partial write), so the log stays usable;
// any other failure leaves it unknown and poisons the log.
func (l *Log) failWrite(op string, err error) error {
	if errors.Is(err, diskio.ErrNoSpace) {
		return fmt.Errorf("raftlog: %s: %w", op, err)
	}
	return l.poison(fmt.Errorf("raftlog: %s: %w", op, err))
}

func (l *Log) poison(cause error) error {
	if l.err == nil {
		l.err = &poisonError{cause: cause}
	}
	return l.err
}

func (l *Log) active() *segment { return l.segs[len(l.segs)-1] }

// FirstIndex is the index of the first entry in the log (the one after the
// snapshot), even when the log is empty.
func (l *Log) FirstIndex() uint64 { return l.snap.Index + 1 }

// LastIndex is the index of the last entry appended, synced or not; the
// snapshot's index when the log is empty.
func (l *Log) LastIndex() uint64 { return l.lastIndex }

// HardState is the last hard state set, synced or not.
func (l *Log) HardState() raft.HardState { return l.hs }

// Snapshot is the metadata of the latest snapshot passed to Compact.
func (l *Log) Snapshot() raft.SnapshotMeta { return l.snap }

// Term returns the term of entry i, which may be the snapshot's index.
func (l *Log) Term(i uint64) (uint64, error) {
	if l.err != nil {
		return 0, l.err
	}
	return l.term(i)
}

func (l *Log) term(i uint64) (uint64, error) {
	switch {
	case i == l.snap.Index:
		return l.snap.Term, nil
	case i < l.snap.Index:
		return 0, fmt.Errorf("%w: term of %d, snapshot at %d", ErrCompacted, i, l.snap.Index)
	case i > l.lastIndex:
		return 0, fmt.Errorf("%w: term of %d, last index %d", ErrUnavailable, i, l.lastIndex)
	}
	s := l.locate(i)
	return s.locs[i-s.first].term, nil
}

// locate returns the segment holding entry i, which must be in the log.
func (l *Log) locate(i uint64) *segment {
	j := sort.Search(len(l.segs), func(j int) bool { return l.segs[j].first > i }) - 1
	if j < 0 || i >= l.segs[j].next() {
		panic(fmt.Sprintf("raftlog: entry %d not in any segment", i))
	}
	return l.segs[j]
}

// Entries returns the entries lo..hi-1, stopping early once their encoded
// size passes maxBytes (but always returning at least one entry when
// lo < hi). maxBytes 0 means no limit.
func (l *Log) Entries(lo, hi, maxBytes uint64) ([]raft.Entry, error) {
	if l.err != nil {
		return nil, l.err
	}
	switch {
	case lo > hi:
		return nil, fmt.Errorf("raftlog: entries [%d, %d): inverted range", lo, hi)
	case lo < l.FirstIndex():
		return nil, fmt.Errorf("%w: entries from %d, first index %d", ErrCompacted, lo, l.FirstIndex())
	case hi > l.lastIndex+1:
		return nil, fmt.Errorf("%w: entries to %d, last index %d", ErrUnavailable, hi, l.lastIndex)
	}
	var out []raft.Entry
	var sizeBytes uint64
	for i := lo; i < hi; i++ {
		e, err := l.readEntry(i)
		if err != nil {
			return nil, err
		}
		sizeBytes += uint64(entryBodyBytesMin + len(e.Data))
		if maxBytes > 0 && len(out) > 0 && sizeBytes > maxBytes {
			break
		}
		out = append(out, e)
	}
	return out, nil
}

// readEntry reads entry i from the buffer or the file, checking that the
// record is the one the index says is there.
func (l *Log) readEntry(i uint64) (raft.Entry, error) {
	s := l.locate(i)
	loc := s.locs[i-s.first]
	var body []byte
	var err error
	if s == l.active() && loc.offset >= s.sizeBytes {
		start := loc.offset - s.sizeBytes
		body, _, err = parseRecord(l.pend[start : start+int64(loc.recordBytes)])
		if err != nil {
			panic(fmt.Sprintf("raftlog: buffered record of entry %d: %v", i, err))
		}
	} else {
		body, err = l.readRecord(s, loc)
		if err != nil {
			return raft.Entry{}, err
		}
	}
	e, err := decodeEntry(body)
	if err == nil && (e.Index != i || e.Term != loc.term) {
		err = fmt.Errorf("record holds entry %d term %d, want entry %d term %d", e.Index, e.Term, i, loc.term)
	}
	if err != nil {
		return raft.Entry{}, &CorruptError{File: joinPath(l.dir, s.name), Offset: loc.offset, Reason: err.Error()}
	}
	return e, nil
}

// readRecord reads a record whose size the index knows in one read,
// falling back to the careful re-reading path when that copy is bad.
func (l *Log) readRecord(s *segment, loc entryLoc) ([]byte, error) {
	buf := make([]byte, loc.recordBytes)
	if n, err := s.file.ReadAt(buf, loc.offset); n == len(buf) && (err == nil || errors.Is(err, io.EOF)) {
		if body, _, perr := parseRecord(buf); perr == nil {
			return body, nil
		}
	}
	r := reader{file: s.file, sizeBytes: s.sizeBytes, retriesMax: l.opts.ReadRetriesMax}
	body, _, err := r.recordAt(loc.offset)
	if err != nil {
		return nil, l.readError(s, loc.offset, err)
	}
	return body, nil
}

func (l *Log) readError(s *segment, off int64, err error) error {
	if errors.Is(err, errRecordShort) || errors.Is(err, errRecordLength) || errors.Is(err, errRecordChecksum) {
		return &CorruptError{File: joinPath(l.dir, s.name), Offset: off, Reason: err.Error()}
	}
	return err
}

// Size is the log's size in bytes, buffered writes included.
func (l *Log) Size() int64 {
	var n int64
	for _, s := range l.segs {
		n += s.sizeBytes
	}
	return n + int64(len(l.pend))
}

// Stats returns the log's gauges and counters.
func (l *Log) Stats() Stats {
	st := l.stats
	st.SizeBytes = l.Size()
	st.SegmentCount = len(l.segs)
	st.FirstIndex = l.FirstIndex()
	st.LastIndex = l.lastIndex
	return st
}

// Close releases the files. It does not sync: call Sync first to keep what
// was appended since the last one.
func (l *Log) Close() error {
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	err := l.closeFiles()
	if l.err == nil {
		l.err = ErrClosed
	}
	return err
}

func (l *Log) closeFiles() error {
	var first error
	for _, s := range l.segs {
		if err := s.file.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
