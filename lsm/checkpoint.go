package lsm

import (
	"fmt"

	"github.com/lineradb/lineradb/diskio"
)

// checkpointCopyBytesMax bounds the buffer used to copy one table.
const checkpointCopyBytesMax = 1 << 20

// Checkpoint writes a consistent, openable copy of the DB into destDir (on
// the same FS), for Raft snapshots and backups: it flushes so every applied
// write is in a table, copies the live tables (there are no hard links in
// diskio), and writes a manifest naming exactly them. Everything is synced
// before Checkpoint returns. destDir must not hold a DB already.
func (d *DB) Checkpoint(destDir string) error {
	if err := d.Flush(); err != nil {
		return err
	}
	if err := mkdirDurable(d.fs, destDir); err != nil {
		return err
	}
	if names, err := d.fs.List(destDir); err != nil {
		return fmt.Errorf("lsm: list %s: %w", destDir, err)
	} else if containsName(names, currentFileName) {
		return fmt.Errorf("%w: checkpoint directory %s already holds a DB", ErrInvalidArgument, destDir)
	}
	for _, f := range d.current.files() {
		if err := copyFile(d.fs, tableFileName(d.dir, f.fileNum), tableFileName(destDir, f.fileNum)); err != nil {
			return err
		}
	}
	if err := d.fs.SyncDir(destDir); err != nil {
		return fmt.Errorf("lsm: sync dir %s: %w", destDir, err)
	}
	snap := d.snapshotEdit()
	snap.logNum = 0
	num := d.nextFileNum
	snap.nextFileNum = num + 1
	cp := &DB{fs: d.fs, dir: destDir, opts: d.opts}
	err := cp.writeNewManifest(num, snap)
	if cp.manifest != nil {
		cp.manifest.Close()
	}
	return err
}

func copyFile(fs diskio.FS, src, dst string) error {
	in, err := fs.Open(src)
	if err != nil {
		return fmt.Errorf("lsm: open %s: %w", src, err)
	}
	defer in.Close()
	size, err := in.Size()
	if err != nil {
		return fmt.Errorf("lsm: size of %s: %w", src, err)
	}
	out, err := fs.Create(dst)
	if err != nil {
		return fmt.Errorf("lsm: create %s: %w", dst, err)
	}
	defer out.Close()
	buf := make([]byte, min(size, checkpointCopyBytesMax))
	for off := int64(0); off < size; {
		n := min(int64(len(buf)), size-off)
		if _, err := in.ReadAt(buf[:n], off); err != nil {
			return fmt.Errorf("lsm: read %s: %w", src, err)
		}
		if _, err := out.Write(buf[:n]); err != nil {
			return fmt.Errorf("lsm: write %s: %w", dst, err)
		}
		off += n
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("lsm: sync %s: %w", dst, err)
	}
	return nil
}
