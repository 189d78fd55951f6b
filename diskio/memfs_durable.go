package diskio

import (
	"encoding/binary"
	"hash/fnv"
	"path"
)

// DurableEntry is one file or directory that would survive a crash that
// loses everything unsynced, with the content it would have.
type DurableEntry struct {
	Path  string
	IsDir bool
	Data  []byte
}

// DurableEntries lists the durable state in path order: only names made
// durable by SyncDir, all the way from the root, and only synced data.
// Data aliases MemFS's memory and must not be modified.
func (m *MemFS) DurableEntries() []DurableEntry {
	var out []DurableEntry
	m.walkDurable(m.root, rootPath, func(p string, n *inode) {
		out = append(out, DurableEntry{Path: p, IsDir: n.isDir, Data: n.durable})
	})
	return out
}

func (m *MemFS) walkDurable(d *inode, dirPath string, fn func(string, *inode)) {
	for _, name := range sortedNames(d.durableChildren) {
		c := d.durableChildren[name]
		p := name
		if dirPath != rootPath {
			p = path.Join(dirPath, name)
		}
		fn(p, c)
		if c.isDir {
			m.walkDurable(c, p, fn)
		}
	}
}

// DurableChecksum is an FNV-1a hash of DurableEntries: equal states hash
// equal, so the simulator can compare replicas' disks or replays cheaply.
func (m *MemFS) DurableChecksum() uint64 {
	h := fnv.New64a()
	var lenBuf [8]byte
	for _, e := range m.DurableEntries() {
		h.Write([]byte(e.Path))
		kind := byte('f')
		if e.IsDir {
			kind = 'd'
		}
		h.Write([]byte{0, kind})
		binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(e.Data)))
		h.Write(lenBuf[:])
		h.Write(e.Data)
	}
	return h.Sum64()
}

// DurableSize returns the size the named file would have after a crash that
// loses everything unsynced; ErrNotExist if its name would not survive.
func (m *MemFS) DurableSize(name string) (int64, error) {
	p, err := cleanPath("durablesize", name)
	if err != nil {
		return 0, err
	}
	n := m.root
	for _, part := range splitPath(p) {
		c, ok := n.durableChildren[part]
		if !ok || !n.isDir {
			return 0, opErr("durablesize", p, ErrNotExist)
		}
		n = c
	}
	if n.isDir {
		return 0, opErr("durablesize", p, ErrIsDir)
	}
	return int64(len(n.durable)), nil
}

// PendingOps returns how many unsynced operations the named file has.
func (m *MemFS) PendingOps(name string) (int, error) {
	p, err := cleanPath("pendingops", name)
	if err != nil {
		return 0, err
	}
	n, err := m.lookup("pendingops", p)
	if err != nil {
		return 0, err
	}
	if n.isDir {
		return 0, opErr("pendingops", p, ErrIsDir)
	}
	return len(n.pending), nil
}
