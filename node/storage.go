package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path"
	"strings"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

// The replica's directory:
//
//	raft/                  the Raft log (raft/raftlog)
//	LSM                    pointer: which lsm-* directory is live, and the
//	                       snapshot meta it was installed from
//	lsm-<16 hex index>/    an LSM; the index is the snapshot it started from
//	snap-<16 hex>.arc      the archive of the latest snapshot (served to peers)
//	snap.staging           a snapshot being received
//	ckpt.tmp/              a checkpoint being archived
//	verify.tmp/            an archive unpacked to prove it sound
//	INCARNATION            the number of the latest Open (see nextIncarnation)
//
// diskio cannot rename directories, so switching to a new LSM rewrites the
// pointer (tmp + Sync + Rename + SyncDir) instead.
const (
	raftDirName      = "raft"
	pointerName      = "LSM"
	pointerTmpName   = "LSM.tmp"
	stagingName      = "snap.staging"
	checkpointName   = "ckpt.tmp"
	verifyDirName    = "verify.tmp"
	lsmDirPrefix     = "lsm-"
	archivePrefix    = "snap-"
	archiveSuffix    = ".arc"
	pointerMagic     = 0x5254504c // "LPTR"
	incarnationName  = "INCARNATION"
	incarnationTmp   = "INCARNATION.tmp"
	incarnationMagic = 0x434e494c // "LINC"
	pointerConfMax   = 1 << 16
	copyChunkBytes   = 1 << 20
	archiveNameMax   = 255
	archiveFilesMax  = 1 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptState wraps damage found in the node's own files.
var ErrCorruptState = errors.New("node: corrupt state")

func lsmDirName(index uint64) string { return fmt.Sprintf("%s%016x", lsmDirPrefix, index) }
func archiveName(index uint64) string {
	return fmt.Sprintf("%s%016x%s", archivePrefix, index, archiveSuffix)
}
func (n *Node) path(name string) string { return path.Join(n.cfg.Dir, name) }

// pointer says which LSM directory is live. Meta is the snapshot the LSM
// was installed from (zero for the initial LSM): recorded so that a crash
// between the switch and the raft log's Compact can be finished at open.
type pointer struct {
	lsmIndex uint64
	meta     raft.SnapshotMeta
}

func (p pointer) encode() []byte {
	b := binary.LittleEndian.AppendUint32(nil, pointerMagic)
	b = binary.LittleEndian.AppendUint64(b, p.lsmIndex)
	b = binary.LittleEndian.AppendUint64(b, p.meta.Index)
	b = binary.LittleEndian.AppendUint64(b, p.meta.Term)
	for _, ids := range [][]uint64{p.meta.Conf.Voters, p.meta.Conf.Learners} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ids)))
		for _, id := range ids {
			b = binary.LittleEndian.AppendUint64(b, id)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

func decodePointer(b []byte) (pointer, error) {
	bad := func(why string) (pointer, error) {
		return pointer{}, fmt.Errorf("%w: pointer file: %s", ErrCorruptState, why)
	}
	if len(b) < 4+24+8+4 {
		return bad("short")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum || binary.LittleEndian.Uint32(body) != pointerMagic {
		return bad("checksum or magic")
	}
	p := pointer{lsmIndex: binary.LittleEndian.Uint64(body[4:])}
	p.meta.Index = binary.LittleEndian.Uint64(body[12:])
	p.meta.Term = binary.LittleEndian.Uint64(body[20:])
	rest := body[28:]
	for _, dst := range []*[]uint64{&p.meta.Conf.Voters, &p.meta.Conf.Learners} {
		if len(rest) < 4 {
			return bad("short conf")
		}
		cnt := binary.LittleEndian.Uint32(rest)
		rest = rest[4:]
		if cnt > pointerConfMax || uint64(len(rest)) < uint64(cnt)*8 {
			return bad("conf count")
		}
		for i := range cnt {
			*dst = append(*dst, binary.LittleEndian.Uint64(rest[8*i:]))
		}
		rest = rest[8*cnt:]
	}
	if len(rest) != 0 {
		return bad("trailing bytes")
	}
	return p, nil
}

func readFile(fs diskio.FS, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

// writeFileAtomic replaces name with data durably: tmp, Sync, Rename,
// SyncDir.
func writeFileAtomic(fs diskio.FS, dir, tmp, name string, data []byte) error {
	f, err := fs.Create(path.Join(dir, tmp))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename(path.Join(dir, tmp), path.Join(dir, name)); err != nil {
		return err
	}
	return fs.SyncDir(dir)
}

func (n *Node) readPointer() (pointer, bool, error) {
	b, err := readFile(n.cfg.FS, n.path(pointerName))
	if errors.Is(err, diskio.ErrNotExist) {
		return pointer{}, false, nil
	}
	if err != nil {
		return pointer{}, false, err
	}
	p, err := decodePointer(b)
	return p, err == nil, err
}

func (n *Node) writePointer(p pointer) error {
	return writeFileAtomic(n.cfg.FS, n.cfg.Dir, pointerTmpName, pointerName, p.encode())
}

// removeAll deletes a directory and the files in it (the node never makes
// deeper trees).
func removeAll(fs diskio.FS, dir string) error {
	names, err := fs.List(dir)
	if errors.Is(err, diskio.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := fs.Remove(path.Join(dir, name)); err != nil && !errors.Is(err, diskio.ErrNotExist) {
			return err
		}
	}
	return fs.Remove(dir)
}

// removeOrphans deletes what a crash may have left behind: LSM directories
// and archives other than the live ones, staging files and checkpoints.
func (n *Node) removeOrphans(liveLSM string, liveArchive string) error {
	names, err := n.cfg.FS.List(n.cfg.Dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		full := n.path(name)
		switch {
		case strings.HasPrefix(name, lsmDirPrefix) && name != liveLSM, name == checkpointName, name == verifyDirName:
			err = removeAll(n.cfg.FS, full)
		case strings.HasPrefix(name, archivePrefix) && name != liveArchive, name == stagingName, name == pointerTmpName,
			name == incarnationTmp:
			err = n.cfg.FS.Remove(full)
		}
		if err != nil && !errors.Is(err, diskio.ErrNotExist) {
			return err
		}
	}
	return n.cfg.FS.SyncDir(n.cfg.Dir)
}

// nextIncarnation durably records and returns the number of this Open:
// the previous Open's plus one, so no two incarnations of this directory
// share one (requests and read contexts carry it, and an answer meant for
// an earlier incarnation must never match a later one's request). A fresh
// directory starts at a point drawn from seed, so a replica rebuilt on a
// wiped disk under the same id is unlikely to repeat its predecessor's.
func (n *Node) nextIncarnation(seed uint64) (uint64, error) {
	b, err := readFile(n.cfg.FS, n.path(incarnationName))
	var inc uint64
	switch {
	case errors.Is(err, diskio.ErrNotExist):
		inc = seed >> 1 // room to count up without wrapping
	case err != nil:
		return 0, err
	default:
		prev, err := decodeIncarnation(b)
		if err != nil {
			return 0, err
		}
		inc = prev + 1
	}
	b = binary.LittleEndian.AppendUint32(nil, incarnationMagic)
	b = binary.LittleEndian.AppendUint64(b, inc)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
	if err := writeFileAtomic(n.cfg.FS, n.cfg.Dir, incarnationTmp, incarnationName, b); err != nil {
		return 0, err
	}
	return inc, nil
}

func decodeIncarnation(b []byte) (uint64, error) {
	if len(b) != 4+8+4 || binary.LittleEndian.Uint32(b) != incarnationMagic ||
		crc32.Checksum(b[:12], crcTable) != binary.LittleEndian.Uint32(b[12:]) {
		return 0, fmt.Errorf("%w: incarnation file of %d bytes fails its checksum", ErrCorruptState, len(b))
	}
	return binary.LittleEndian.Uint64(b[4:]), nil
}
