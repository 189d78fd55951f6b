package diskio

import "io"

// memFile is an open MemFS file. It refers to the inode, not the name, so it
// keeps working after the name is renamed or removed, as on POSIX; a crash
// (a new generation) closes it.
type memFile struct {
	fs         *MemFS
	ino        *inode
	name       string
	writable   bool
	generation uint64
	closed     bool
}

var _ File = (*memFile)(nil)

func (m *MemFS) newHandle(n *inode, p string, writable bool) *memFile {
	return &memFile{fs: m, ino: n, name: p, writable: writable, generation: m.generation}
}

func (f *memFile) Name() string { return f.name }

// live reports ErrClosed for a closed file or one opened before a crash.
func (f *memFile) live(op string) error {
	if f.closed || f.generation != f.fs.generation {
		return opErr(op, f.name, ErrClosed)
	}
	return nil
}

func (f *memFile) writeCheck(op string) error {
	if err := f.live(op); err != nil {
		return err
	}
	if !f.writable {
		return opErr(op, f.name, ErrReadOnly)
	}
	return nil
}

// ReadAt implements io.ReaderAt with os.File's semantics: a short read
// returns io.EOF.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.live("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, opErr("read", f.name, ErrInvalid)
	}
	fault, err := f.fs.beforeFault(OpRead, f.name)
	if err != nil {
		return 0, err
	}
	cur := f.ino.current
	if len(p) == 0 {
		return 0, nil
	}
	if off >= int64(len(cur)) {
		return 0, io.EOF
	}
	n := copy(p, cur[off:])
	if fault == FaultBitFlip {
		f.fs.flipBit(p[:n], f.name)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write appends p. It fails whole: on error nothing was appended.
func (f *memFile) Write(p []byte) (int, error) {
	if err := f.writeCheck("write"); err != nil {
		return 0, err
	}
	if err := f.fs.before(OpWrite, f.name); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.fs.overCapacity(f.ino, int64(len(p))) {
		f.fs.faults.capacityRefusals++
		return 0, opErr("write", f.name, ErrNoSpace)
	}
	f.fs.appendData(f.ino, p)
	checkFileInvariants(f.ino)
	return len(p), nil
}

func (m *MemFS) overCapacity(n *inode, growBytes int64) bool {
	if m.config.CapacityBytesMax == 0 || n.nlink == 0 {
		return false
	}
	return m.usedBytes+growBytes > m.config.CapacityBytesMax
}

// Sync makes the file's current content durable, unless a fault says no.
func (f *memFile) Sync() error {
	if err := f.live("sync"); err != nil {
		return err
	}
	if err := f.fs.before(OpSync, f.name); err != nil {
		if f.fs.config.SyncRetry == SyncRetryLies {
			f.ino.syncLies = true
		}
		if f.fs.brokenFailedSyncDurable {
			f.ino.durable, f.ino.pending = f.ino.current, nil
		}
		return err
	}
	if f.ino.syncLies {
		f.fs.faults.syncLies++
		return nil
	}
	f.ino.durable = f.ino.current
	f.ino.pending = nil
	checkFileInvariants(f.ino)
	return nil
}

// Truncate cuts the file to size bytes; it never extends.
func (f *memFile) Truncate(size int64) error {
	if err := f.writeCheck("truncate"); err != nil {
		return err
	}
	if err := f.fs.before(OpTruncate, f.name); err != nil {
		return err
	}
	if size < 0 || size > int64(len(f.ino.current)) {
		return opErr("truncate", f.name, ErrInvalid)
	}
	f.fs.truncate(f.ino, size)
	checkFileInvariants(f.ino)
	return nil
}

// Size returns the current size; it is never faulted.
func (f *memFile) Size() (int64, error) {
	if err := f.live("size"); err != nil {
		return 0, err
	}
	return int64(len(f.ino.current)), nil
}

// Close releases the handle; it is never faulted.
func (f *memFile) Close() error {
	if err := f.live("close"); err != nil {
		return err
	}
	f.closed = true
	return nil
}
