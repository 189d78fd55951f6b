package raftlog

import (
	"fmt"

	"github.com/lineradb/lineradb/raft"
)

// Compact records meta as the latest snapshot, durably, then deletes the
// segments that lie wholly at or below meta.Index.
//
// If the log holds meta.Index with meta.Term, the entries after it stay.
// Otherwise (the snapshot is ahead of the log, or disagrees with it) every
// entry goes and the log continues empty after meta.Index: the snapshot
// supersedes it, as in the Raft paper's InstallSnapshot (§7).
//
// Steps, each durable before the next, so a crash between any two leaves a
// log that Open recovers to the same result:
//
//  1. Sync everything pending.
//  2. Write the state file (snapshot and current hard state) via a
//     temporary file, fsync, rename, directory sync.
//  3. Delete whole segments (oldest first when keeping the suffix; newest
//     first when discarding everything, so survivors are always a prefix).
func (l *Log) Compact(meta raft.SnapshotMeta) error {
	if l.err != nil {
		return l.err
	}
	if meta.Index < l.snap.Index {
		return fmt.Errorf("%w: snapshot at %d older than the current one at %d", ErrCompacted, meta.Index, l.snap.Index)
	}
	if meta.Index == l.snap.Index {
		return nil
	}
	keep := false
	if meta.Index <= l.lastIndex {
		t, err := l.term(meta.Index)
		if err != nil {
			return err
		}
		keep = t == meta.Term
	}
	if !keep && l.hs.Commit > meta.Index {
		return fmt.Errorf("raftlog: snapshot at %d term %d conflicts with the log committed to %d",
			meta.Index, meta.Term, l.hs.Commit)
	}
	if err := l.syncAll(); err != nil {
		return err
	}
	if err := l.writeState(meta); err != nil {
		return err
	}
	l.snap = meta
	var err error
	if keep {
		err = l.removeStale()
	} else {
		err = l.resetTo(meta.Index)
	}
	if err != nil {
		return err
	}
	l.checkInvariants()
	return nil
}

// removeStale deletes the sealed segments whose entries all lie at or
// below the snapshot. The state file must already hold the current hard
// state, since these segments may hold its newest record.
func (l *Log) removeStale() error {
	n := 0
	for n < len(l.segs)-1 && l.segs[n].next()-1 <= l.snap.Index {
		n++
	}
	if n == 0 {
		return nil
	}
	for _, s := range l.segs[:n] {
		if err := l.removeSegment(s); err != nil {
			return err
		}
	}
	l.segs = append(l.segs[:0], l.segs[n:]...)
	return l.syncDir()
}

// resetTo deletes every segment, newest first with a directory sync after
// each, then starts an empty segment after index. The newest-first order
// keeps the surviving segments a prefix of the log whatever the crash, and
// Open finishes the job from any such prefix. The state file must already
// hold the snapshot and the current hard state.
func (l *Log) resetTo(index uint64) error {
	for len(l.segs) > 0 {
		s := l.segs[len(l.segs)-1]
		if err := l.removeSegment(s); err != nil {
			return err
		}
		l.segs = l.segs[:len(l.segs)-1]
		if err := l.syncDir(); err != nil {
			return err
		}
	}
	name := segmentName(index + 1)
	f, err := l.fs.Create(joinPath(l.dir, name))
	if err != nil {
		return l.poison(fmt.Errorf("raftlog: create %s: %w", name, err))
	}
	l.segs = append(l.segs, &segment{first: index + 1, name: name, file: f})
	if len(l.pend) != 0 || l.fileDirty {
		panic("raftlog: reset with unsynced writes")
	}
	l.lastIndex = index
	return l.syncDir()
}

func (l *Log) removeSegment(s *segment) error {
	if err := s.file.Close(); err != nil {
		return l.poison(fmt.Errorf("raftlog: close %s: %w", s.name, err))
	}
	if err := l.fs.Remove(joinPath(l.dir, s.name)); err != nil {
		return l.poison(fmt.Errorf("raftlog: remove %s: %w", s.name, err))
	}
	return nil
}

// truncateFrom durably removes entries k..lastIndex, for an Append that
// conflicts with them. The cut also drops any hard state records written
// after entry k, so the current hard state goes to the state file first;
// then later segments go newest first, then the segment holding k is cut
// and fsynced. Only then may new entries be written: otherwise a crash
// could keep the new entries but lose the cut, or the reverse.
func (l *Log) truncateFrom(k uint64) error {
	if err := l.syncAll(); err != nil {
		return err
	}
	if err := l.writeState(l.snap); err != nil {
		return err
	}
	s := l.locate(k)
	for l.active() != s {
		if err := l.removeSegment(l.active()); err != nil {
			return err
		}
		l.segs = l.segs[:len(l.segs)-1]
		if err := l.syncDir(); err != nil {
			return err
		}
	}
	off := s.locs[k-s.first].offset
	if err := s.file.Truncate(off); err != nil {
		return l.poison(fmt.Errorf("raftlog: truncate %s at %d: %w", s.name, off, err))
	}
	if err := l.fsync(s); err != nil {
		return err
	}
	s.sizeBytes = off
	s.locs = s.locs[:k-s.first]
	l.lastIndex = k - 1
	return nil
}

// writeState replaces the state file with snap and the current hard state:
// written to a temporary file, fsynced, renamed over the old one, and the
// directory synced, so the file is always either wholly old or wholly new.
func (l *Log) writeState(snap raft.SnapshotMeta) error {
	buf := encodeState(durableState{
		hardState: hardStateRecord{version: l.hsVersion, hs: l.hs},
		snapshot:  snap,
	})
	tmp := joinPath(l.dir, stateTempName)
	f, err := l.fs.Create(tmp)
	if err != nil {
		return l.failWrite("create "+stateTempName, err)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return l.failWrite("write "+stateTempName, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return l.poison(fmt.Errorf("raftlog: fsync %s: %w", stateTempName, err))
	}
	l.stats.Fsyncs++
	if err := f.Close(); err != nil {
		return l.poison(fmt.Errorf("raftlog: close %s: %w", stateTempName, err))
	}
	if err := l.fs.Rename(tmp, joinPath(l.dir, stateFileName)); err != nil {
		return l.poison(fmt.Errorf("raftlog: rename %s: %w", stateTempName, err))
	}
	return l.syncDir()
}
