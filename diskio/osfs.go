package diskio

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// OSFS is the production FS: the operating system's files under a root
// directory. It adds no buffering and no durability of its own; callers get
// exactly the POSIX contract stated in the package comment.
//
// OSFS checks the same argument rules as MemFS before calling the operating
// system (truncate beyond the end, write to a read-only file, rename of a
// directory, open of a directory), so that the two fail alike; the
// conformance test holds them to it.
type OSFS struct {
	root string
}

// NewOSFS returns an FS rooted at root. The root must exist; it is not
// created.
func NewOSFS(root string) FS {
	return &OSFS{root: root}
}

const (
	filePerm = 0o644
	dirPerm  = 0o755
)

// resolve cleans name and returns it with its absolute OS path.
func (o *OSFS) resolve(op, name string) (clean, full string, err error) {
	clean, err = cleanPath(op, name)
	if err != nil {
		return "", "", err
	}
	return clean, filepath.Join(o.root, filepath.FromSlash(clean)), nil
}

// osErr maps an operating-system error onto the package's sentinels,
// keeping the errno as the cause.
func osErr(op, path string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		if errors.Is(err, os.ErrClosed) {
			return &OpError{Op: op, Path: path, Err: ErrClosed}
		}
		return &OpError{Op: op, Path: path, Err: err}
	}
	sentinel := errnoSentinel(errno)
	if sentinel == nil {
		return &OpError{Op: op, Path: path, Err: errno}
	}
	return &OpError{Op: op, Path: path, Err: sentinel, Cause: errno}
}

func errnoSentinel(errno syscall.Errno) error {
	switch errno {
	case syscall.ENOENT:
		return ErrNotExist
	case syscall.EEXIST:
		return ErrExist
	case syscall.EIO:
		return ErrIO
	case syscall.ENOSPC, syscall.EDQUOT:
		return ErrNoSpace
	case syscall.EISDIR:
		return ErrIsDir
	case syscall.ENOTDIR:
		return ErrNotDir
	case syscall.ENOTEMPTY:
		return ErrNotEmpty
	case syscall.EINVAL:
		return ErrInvalid
	case syscall.EBADF:
		return ErrClosed
	}
	return nil
}

// Create implements FS.
func (o *OSFS) Create(name string) (File, error) {
	const flags = os.O_RDWR | os.O_CREATE | os.O_TRUNC | os.O_APPEND
	return o.open("create", name, flags, true)
}

// Open implements FS.
func (o *OSFS) Open(name string) (File, error) {
	return o.open("open", name, os.O_RDONLY, false)
}

// OpenAppend implements FS.
func (o *OSFS) OpenAppend(name string) (File, error) {
	return o.open("openappend", name, os.O_RDWR|os.O_APPEND, true)
}

func (o *OSFS) open(op, name string, flags int, writable bool) (File, error) {
	clean, full, err := o.resolve(op, name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(full, flags, filePerm)
	if err != nil {
		return nil, osErr(op, clean, err)
	}
	// Linux opens a directory read-only without complaint; refuse it here
	// as the write paths already do, so reads fail at Open, not at ReadAt.
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, osErr(op, clean, err)
	}
	if info.IsDir() {
		_ = f.Close()
		return nil, opErr(op, clean, ErrIsDir)
	}
	return &osFile{f: f, name: clean, writable: writable}, nil
}

// Rename implements FS. Only files are renamed; see MemFS for why.
func (o *OSFS) Rename(oldname, newname string) error {
	oldClean, oldFull, err := o.resolve("rename", oldname)
	if err != nil {
		return err
	}
	_, newFull, err := o.resolve("rename", newname)
	if err != nil {
		return err
	}
	if err := o.renameCheck(oldClean, oldFull, newFull); err != nil {
		return err
	}
	if err := os.Rename(oldFull, newFull); err != nil {
		return osErr("rename", oldClean, err)
	}
	return nil
}

// renameCheck refuses directories on either side with ErrIsDir, the answer
// MemFS gives; os.Rename would report EEXIST for some of these cases.
func (o *OSFS) renameCheck(oldClean, oldFull, newFull string) error {
	info, err := os.Stat(oldFull)
	if err != nil {
		return osErr("rename", oldClean, err)
	}
	if info.IsDir() {
		return opErr("rename", oldClean, ErrIsDir)
	}
	if info, err := os.Stat(newFull); err == nil && info.IsDir() {
		return opErr("rename", oldClean, ErrIsDir)
	}
	return nil
}

// Remove implements FS.
func (o *OSFS) Remove(name string) error {
	clean, full, err := o.resolve("remove", name)
	if err != nil {
		return err
	}
	if clean == rootPath {
		return opErr("remove", clean, ErrInvalid)
	}
	if err := os.Remove(full); err != nil {
		return osErr("remove", clean, err)
	}
	return nil
}

// List implements FS.
func (o *OSFS) List(dir string) ([]string, error) {
	clean, full, err := o.resolve("list", dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(full) // sorted by name
	if err != nil {
		return nil, osErr("list", clean, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

// MkdirAll implements FS.
func (o *OSFS) MkdirAll(dir string) error {
	clean, full, err := o.resolve("mkdirall", dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(full, dirPerm); err != nil {
		return osErr("mkdirall", clean, err)
	}
	return nil
}

// SyncDir implements FS.
func (o *OSFS) SyncDir(dir string) error {
	clean, full, err := o.resolve("syncdir", dir)
	if err != nil {
		return err
	}
	d, err := os.Open(full)
	if err != nil {
		return osErr("syncdir", clean, err)
	}
	defer d.Close()
	info, err := d.Stat()
	if err != nil {
		return osErr("syncdir", clean, err)
	}
	if !info.IsDir() {
		return opErr("syncdir", clean, ErrNotDir)
	}
	if err := d.Sync(); err != nil {
		return osErr("syncdir", clean, err)
	}
	return nil
}

// Stat implements FS.
func (o *OSFS) Stat(name string) (int64, error) {
	clean, full, err := o.resolve("stat", name)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(full)
	if err != nil {
		return 0, osErr("stat", clean, err)
	}
	if info.IsDir() {
		return 0, opErr("stat", clean, ErrIsDir)
	}
	return info.Size(), nil
}

// osFile is an open OS file. It tracks closing itself so that every method
// after Close reports ErrClosed, whatever os.File would say.
type osFile struct {
	f        *os.File
	name     string
	writable bool
	closed   bool
}

var _ File = (*osFile)(nil)

func (f *osFile) Name() string { return f.name }

func (f *osFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, opErr("read", f.name, ErrClosed)
	}
	if off < 0 {
		return 0, opErr("read", f.name, ErrInvalid)
	}
	n, err := f.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, osErr("read", f.name, err)
	}
	return n, err
}

func (f *osFile) Write(p []byte) (int, error) {
	if err := f.writeCheck("write"); err != nil {
		return 0, err
	}
	n, err := f.f.Write(p)
	if err != nil {
		return n, osErr("write", f.name, err)
	}
	return n, nil
}

func (f *osFile) writeCheck(op string) error {
	if f.closed {
		return opErr(op, f.name, ErrClosed)
	}
	if !f.writable {
		return opErr(op, f.name, ErrReadOnly)
	}
	return nil
}

func (f *osFile) Sync() error {
	if f.closed {
		return opErr("sync", f.name, ErrClosed)
	}
	if err := f.f.Sync(); err != nil {
		return osErr("sync", f.name, err)
	}
	return nil
}

func (f *osFile) Truncate(size int64) error {
	if err := f.writeCheck("truncate"); err != nil {
		return err
	}
	cur, err := f.Size()
	if err != nil {
		return err
	}
	if size < 0 || size > cur {
		return opErr("truncate", f.name, ErrInvalid)
	}
	if err := f.f.Truncate(size); err != nil {
		return osErr("truncate", f.name, err)
	}
	return nil
}

func (f *osFile) Size() (int64, error) {
	if f.closed {
		return 0, opErr("size", f.name, ErrClosed)
	}
	info, err := f.f.Stat()
	if err != nil {
		return 0, osErr("size", f.name, err)
	}
	return info.Size(), nil
}

func (f *osFile) Close() error {
	if f.closed {
		return opErr("close", f.name, ErrClosed)
	}
	f.closed = true
	if err := f.f.Close(); err != nil {
		return osErr("close", f.name, err)
	}
	return nil
}
