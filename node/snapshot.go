package node

import (
	"errors"
	"fmt"

	"github.com/lineradb/lineradb/diskio"
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
	fs, newDir := n.cfg.FS, n.path(lsmDirName(meta.Index))
	if err := removeAll(fs, newDir); err != nil {
		return err
	}
	index, err := unpackArchive(fs, n.path(stagingName), newDir)
	if err != nil {
		return err
	}
	if index != meta.Index {
		return fmt.Errorf("%w: archive of index %d for snapshot %d", ErrCorruptState, index, meta.Index)
	}
	if err := fs.SyncDir(n.cfg.Dir); err != nil {
		return err
	}
	st, err := mvcc.Open(fs, newDir, n.storeOptions())
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
	fs, ckpt := n.cfg.FS, n.path(checkpointName)
	if err := removeAll(fs, ckpt); err != nil {
		return err
	}
	if err := n.st.Checkpoint(ckpt); err != nil {
		return err
	}
	tmp := n.path(archiveName(index) + ".tmp")
	if err := writeArchive(fs, ckpt, tmp, index); err != nil {
		return err
	}
	if err := removeAll(fs, ckpt); err != nil {
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
