package diskio

import (
	"errors"
	"io"
)

// SectorSizeBytes is the unit a crash may tear: a torn write leaves a sector
// partly new data and partly garbage.
const SectorSizeBytes = 512

// Errors reported by FS implementations. OSFS maps the operating system's
// errors onto these with errors.Is; MemFS returns them directly (wrapped in
// an *OpError that names the operation and the file).
var (
	ErrNotExist = errors.New("file does not exist")
	ErrExist    = errors.New("file already exists")
	ErrIO       = errors.New("input/output error")      // EIO
	ErrNoSpace  = errors.New("no space left on device") // ENOSPC
	ErrClosed   = errors.New("file already closed")
)

// FS is a file system rooted at some directory.
type FS interface {
	// Create creates the named file, truncating it if it exists, and opens
	// it for appending and reading. The name is volatile until SyncDir of
	// its directory.
	Create(name string) (File, error)
	// Open opens an existing file for reading.
	Open(name string) (File, error)
	// OpenAppend opens an existing file for appending and reading; writes
	// go after its current end.
	OpenAppend(name string) (File, error)
	// Rename atomically replaces newname with oldname. Volatile until
	// SyncDir of both directories.
	Rename(oldname, newname string) error
	// Remove removes a file or an empty directory. Volatile until SyncDir.
	Remove(name string) error
	// List returns the names (not paths) of the entries of dir, sorted.
	List(dir string) ([]string, error)
	// MkdirAll creates dir and any missing parents. Like file names, new
	// directories are volatile until their parent is synced.
	MkdirAll(dir string) error
	// SyncDir makes the directory's entries durable.
	SyncDir(dir string) error
	// Stat returns the size of the named file in bytes.
	Stat(name string) (sizeBytes int64, err error)
}

// File is an open file: appended to at its end, read at any offset.
type File interface {
	io.ReaderAt
	// Write appends p at the end of the file.
	Write(p []byte) (n int, err error)
	// Sync makes all data written so far durable.
	Sync() error
	// Truncate cuts the file to size bytes (size must not exceed the
	// current size). Volatile until Sync.
	Truncate(size int64) error
	// Size returns the current size in bytes, synced or not.
	Size() (int64, error)
	Close() error
	// Name returns the path the file was opened with.
	Name() string
}
