package node

import (
	"path"
	"strings"

	"github.com/lineradb/lineradb/diskio"
)

// lsmManifestPrefix names the LSM's manifest files (lsm/manifest.go). A
// manifest edit is the moment a flushed table, and the applied index it
// carries (DurableSeq), become durable.
const lsmManifestPrefix = "MANIFEST-"

// lsmFS is the file system the live LSM runs on. Before the LSM writes or
// syncs a manifest it calls beforeDurable, which makes the raft log's
// written state durable: hard states that only advance Commit are not
// fsynced per Ready (raft does not ask), so without this a flush could
// make an applied index durable above the durable commit index, and a
// crash would restart the node with applied > commit (doc.go invariant).
// Flushes are rare next to Readies, so this fsync is too.
type lsmFS struct {
	diskio.FS
	beforeDurable func() error
}

func (f lsmFS) Create(name string) (diskio.File, error) {
	file, err := f.FS.Create(name)
	return f.wrap(name, file, err)
}

func (f lsmFS) OpenAppend(name string) (diskio.File, error) {
	file, err := f.FS.OpenAppend(name)
	return f.wrap(name, file, err)
}

func (f lsmFS) wrap(name string, file diskio.File, err error) (diskio.File, error) {
	if err != nil || !strings.HasPrefix(path.Base(name), lsmManifestPrefix) {
		return file, err
	}
	return manifestFile{File: file, beforeDurable: f.beforeDurable}, nil
}

// manifestFile is a manifest opened through lsmFS.
type manifestFile struct {
	diskio.File
	beforeDurable func() error
}

func (m manifestFile) Write(p []byte) (int, error) {
	if err := m.beforeDurable(); err != nil {
		return 0, err
	}
	return m.File.Write(p)
}

func (m manifestFile) Sync() error {
	if err := m.beforeDurable(); err != nil {
		return err
	}
	return m.File.Sync()
}
