package node

import (
	"errors"
	"fmt"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/mvcc"
	"github.com/lineradb/lineradb/raft"
)

// snapshotSource serves the archive of the node's latest snapshot to
// raft, which streams it to followers behind the compacted log.
type snapshotSource struct{ n *Node }

func (s snapshotSource) ReadChunk(meta raft.SnapshotMeta, offset uint64, maxBytes int) ([]byte, bool, error) {
	n := s.n
	if n.stopped != nil || meta.Index != n.snap.Index || meta.Index == 0 {
		return nil, false, raft.ErrSnapshotUnavailable
	}
	f, err := n.cfg.FS.Open(n.path(archiveName(meta.Index)))
	if err != nil {
		return nil, false, raft.ErrSnapshotUnavailable
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil || offset > uint64(size) {
		return nil, false, raft.ErrSnapshotUnavailable
	}
	k := min(uint64(maxBytes), uint64(size)-offset)
	buf := make([]byte, k)
	if _, err := f.ReadAt(buf, int64(offset)); err != nil {
		return nil, false, raft.ErrSnapshotUnavailable
	}
	return buf, offset+k == uint64(size), nil
}

// stageChunks appends received snapshot chunks to the staging file and
// makes them durable; offset 0 restarts it.
func (n *Node) stageChunks(chunks []raft.SnapshotChunk) error {
	if len(chunks) == 0 {
		return nil
	}
	for _, c := range chunks {
		if c.Offset == 0 || n.staging == nil {
			if c.Offset != 0 {
				return fmt.Errorf("node: snapshot chunk at offset %d with nothing staged", c.Offset)
			}
			if n.staging != nil {
				n.staging.Close()
			}
			f, err := n.cfg.FS.Create(n.path(stagingName))
			if err != nil {
				return err
			}
			n.staging = f
		}
		if size, err := n.staging.Size(); err != nil || uint64(size) != c.Offset {
			return fmt.Errorf("node: snapshot chunk at offset %d, staged %d bytes (%v)", c.Offset, size, err)
		}
		if _, err := n.staging.Write(c.Data); err != nil {
			return err
		}
	}
	if err := n.staging.Sync(); err != nil {
		return err
	}
	return n.cfg.FS.SyncDir(n.cfg.Dir)
}

// installSnapshot replaces the state machine with the staged archive:
// unpack into a new LSM directory, open it, switch the pointer, keep the
// archive to serve others, drop the old LSM, then truncate the raft log.
// Each step is durable before the next, and Open finishes or discards an
// interrupted install.
func (n *Node) installSnapshot(meta raft.SnapshotMeta) error {
	if n.staging == nil {
		return fmt.Errorf("node: snapshot %d complete but nothing staged", meta.Index)
	}
	n.staging.Close()
	n.staging = nil
	if n.prepared != meta.Index {
		// Raft installs only what VerifySnapshot accepted, just before.
		return fmt.Errorf("node: snapshot %d complete but %d was verified", meta.Index, n.prepared)
	}
	n.prepared = 0
	fs, newDir := n.cfg.FS, n.path(lsmDirName(meta.Index))
	st, err := mvcc.Open(n.lsmFS(), newDir, n.storeOptions())
	if err != nil {
		return err
	}
	if st.Applied() != meta.Index {
		st.Close()
		return fmt.Errorf("%w: snapshot %d holds state at %d", ErrCorruptState, meta.Index, st.Applied())
	}
	n.detachTxns()
	if err := n.st.Close(); err != nil && !errors.Is(err, diskio.ErrIO) {
		// The old LSM is about to be deleted; only a failure that says
		// nothing about the new one is tolerated.
		st.Close()
		return err
	}
	oldPtr := n.ptr
	n.st, n.ptr = st, pointer{lsmIndex: meta.Index, meta: meta}
	if err := n.writePointer(n.ptr); err != nil {
		return err
	}
	if err := n.adoptArchive(n.path(stagingName), meta); err != nil {
		return err
	}
	if oldPtr.lsmIndex != meta.Index {
		if err := removeAll(fs, n.path(lsmDirName(oldPtr.lsmIndex))); err != nil {
			return err
		}
	}
	n.m.snapshotsInstalled++
	return n.log.Compact(meta)
}

// snapshotVerifier checks a received snapshot before raft installs it
// (raft.SnapshotVerifier): damaged bytes from a peer are rejected, and
// the leader sends the snapshot again; they never stop this node.
type snapshotVerifier struct{ n *Node }

// VerifySnapshot unpacks the snapshot (staged chunks, then pending ones)
// into the LSM directory it will be installed in, verifying the archive's
// checksums, every table's own block checksums, and that it opens as an
// LSM at meta.Index. installSnapshot then only switches to it. A failure
// of this node's own disk (EIO, ENOSPC) is not the sender's fault: it is
// recorded in n.fault and stops the node once Step returns.
func (v snapshotVerifier) VerifySnapshot(meta raft.SnapshotMeta, pending []raft.SnapshotChunk) error {
	n := v.n
	n.prepared = 0
	dir := n.path(lsmDirName(meta.Index))
	err := n.prepareSnapshot(meta, pending, dir)
	if err == nil {
		n.prepared = meta.Index
		return nil
	}
	if rmErr := removeAll(n.cfg.FS, dir); rmErr != nil && n.fault == nil {
		n.fault = rmErr
	}
	if isCorruption(err) {
		n.m.snapshotsRejected++
		return err
	}
	if n.fault == nil {
		n.fault = err
	}
	return err
}

func (n *Node) prepareSnapshot(meta raft.SnapshotMeta, pending []raft.SnapshotChunk, dir string) error {
	if meta.Index == n.ptr.lsmIndex {
		// Raft only sends snapshots past our commit, so past our LSM.
		return fmt.Errorf("node: snapshot %d would replace the live LSM", meta.Index)
	}
	view := &stagedView{}
	if n.staging != nil {
		size, err := n.staging.Size()
		if err != nil {
			return err
		}
		view.file, view.fileSize = n.staging, size
	}
	for _, c := range pending {
		if err := view.add(c.Offset, c.Data); err != nil {
			return err
		}
	}
	if err := removeAll(n.cfg.FS, dir); err != nil {
		return err
	}
	index, err := unpackArchiveFrom(n.cfg.FS, view, view.size(), dir)
	if err != nil {
		return err
	}
	if index != meta.Index {
		return fmt.Errorf("%w: archive of index %d for snapshot %d", ErrCorruptState, index, meta.Index)
	}
	if err := n.cfg.FS.SyncDir(n.cfg.Dir); err != nil {
		return err
	}
	return n.verifyLSMDir(dir, meta.Index)
}

// verifyLSMDir proves an unpacked checkpoint sound: every table's block
// checksums, keys and properties (lsm.VerifySSTables), and that it opens
// as an LSM whose state is at index. The archive's own checksums only
// cover the bytes as the sender read them; these cover what it wrote.
func (n *Node) verifyLSMDir(dir string, index uint64) error {
	rep, err := lsm.VerifySSTables(n.cfg.FS, dir)
	if err != nil {
		return err
	}
	for _, f := range rep.Files {
		if f.Err != nil {
			return fmt.Errorf("%w: table %s: %w", ErrCorruptState, f.Name, f.Err)
		}
	}
	st, err := mvcc.Open(n.cfg.FS, dir, n.storeOptions())
	if err != nil {
		return fmt.Errorf("%w: checkpoint does not open: %w", ErrCorruptState, err)
	}
	applied := st.Applied()
	if err := st.Close(); err != nil {
		return err
	}
	if applied != index {
		return fmt.Errorf("%w: checkpoint of snapshot %d holds state at %d", ErrCorruptState, index, applied)
	}
	return nil
}

// isCorruption reports whether err is damaged content (a checksum or
// format failure) rather than a failing disk operation.
func isCorruption(err error) bool {
	return errors.Is(err, ErrCorruptState) || errors.Is(err, lsm.ErrCorruption) || errors.Is(err, mvcc.ErrCorrupt)
}

// adoptArchive makes src the archive of snapshot meta and deletes the
// previous one.
func (n *Node) adoptArchive(src string, meta raft.SnapshotMeta) error {
	fs := n.cfg.FS
	if err := fs.Rename(src, n.path(archiveName(meta.Index))); err != nil {
		return err
	}
	if err := fs.SyncDir(n.cfg.Dir); err != nil {
		return err
	}
	old := n.snap
	n.snap = meta
	if old.Index != 0 && old.Index != meta.Index {
		if err := fs.Remove(n.path(archiveName(old.Index))); err != nil && !errors.Is(err, diskio.ErrNotExist) {
			return err
		}
	}
	return nil
}

// TakeSnapshot checkpoints the state machine at the applied index, packs
// the checkpoint into an archive, and truncates the raft log behind it.
// Tick does it every SnapshotInterval applied entries.
func (n *Node) TakeSnapshot() error {
	defer n.runCallbacks()
	if n.stopped != nil {
		return n.stopped
	}
	if err := n.takeSnapshot(); err != nil {
		n.stop(err)
		return err
	}
	return nil
}

func (n *Node) takeSnapshot() error {
	index := n.st.Applied()
	// Right after a restart the LSM can be ahead of what raft has
	// re-delivered; raft can only compact at an index it saw applied.
	if index <= n.snap.Index || index != n.rn.Status().Applied {
		return nil
	}
	tmp := n.path(archiveName(index) + ".tmp")
	if err := n.packSnapshot(index, tmp); err != nil {
		return err
	}
	meta, err := n.rn.Compact(index)
	if err != nil {
		return err
	}
	if err := n.adoptArchive(tmp, meta); err != nil {
		return err
	}
	n.m.snapshotsTaken++
	return n.log.Compact(meta)
}

// snapshotPackAttemptsMax bounds how often a snapshot is packed again
// after its verification found damage. A bit flip on read is transient,
// so one retry usually reads true bytes; damage every time means this
// node's disk cannot be trusted, and the node stops.
const snapshotPackAttemptsMax = 3

// packSnapshot writes the archive of the state at index to tmp and proves
// it sound before anyone is sent it: the bytes went through this node's
// disk twice (checkpoint copy, archive packing), and the archive's
// checksums cover whatever those reads returned — a flipped bit would
// verify and spread to every replica that installs it (sim seed 2043).
func (n *Node) packSnapshot(index uint64, tmp string) error {
	var err error
	for range snapshotPackAttemptsMax {
		if err = n.packSnapshotOnce(index, tmp); err == nil || !isCorruption(err) {
			return err
		}
		n.m.snapshotPackRetries++
	}
	return fmt.Errorf("node: snapshot %d damaged in all %d packings, this disk returns bad bytes: %w", index, snapshotPackAttemptsMax, err)
}

func (n *Node) packSnapshotOnce(index uint64, tmp string) error {
	fs, ckpt, check := n.cfg.FS, n.path(checkpointName), n.path(verifyDirName)
	for _, dir := range []string{ckpt, check} {
		if err := removeAll(fs, dir); err != nil {
			return err
		}
	}
	if err := n.st.Checkpoint(ckpt); err != nil {
		return err
	}
	if err := writeArchive(fs, ckpt, tmp, index); err != nil {
		return err
	}
	if err := removeAll(fs, ckpt); err != nil {
		return err
	}
	got, err := unpackArchive(fs, tmp, check)
	if err == nil && got != index {
		err = fmt.Errorf("%w: archive of %d reads back as %d", ErrCorruptState, index, got)
	}
	if err == nil {
		err = n.verifyLSMDir(check, index)
	}
	if rmErr := removeAll(fs, check); err == nil {
		err = rmErr
	}
	return err
}
