package node

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"strings"

	"github.com/lineradb/lineradb/diskio"
)

// A snapshot archive is a self-describing concatenation of the files of an
// LSM checkpoint, so it can be served and received as one byte stream at
// offsets (integers little-endian):
//
//	header:  magic "LSNA" u32 | format u8 | index u64 | nfiles u32 | crc32c(header) u32
//	file:    nameLen u16 | name | size u64 | data | crc32c(nameLen..data) u32
//	trailer: magic "LSNE" u32 | nfiles u32 | crc32c(every file's crc) u32
//
// The receiver verifies every checksum while unpacking; any mismatch means
// the bytes were damaged in transit or on disk, and nothing is installed.
const (
	archiveMagic        = 0x414e534c // "LSNA"
	archiveTrailerMagic = 0x454e534c // "LSNE"
	archiveFormat       = 1
	archiveHeaderBytes  = 4 + 1 + 8 + 4 + 4
	archiveTrailerBytes = 4 + 4 + 4
)

// writeArchive packs every file of srcDir into dst (created, synced).
func writeArchive(fs diskio.FS, srcDir, dst string, index uint64) error {
	names, err := fs.List(srcDir)
	if err != nil {
		return err
	}
	out, err := fs.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	hdr := binary.LittleEndian.AppendUint32(nil, archiveMagic)
	hdr = append(hdr, archiveFormat)
	hdr = binary.LittleEndian.AppendUint64(hdr, index)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(names)))
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(hdr, crcTable))
	if _, err := out.Write(hdr); err != nil {
		return err
	}
	var sums []byte
	for _, name := range names {
		sum, err := appendArchiveFile(fs, out, path.Join(srcDir, name), name)
		if err != nil {
			return err
		}
		sums = binary.LittleEndian.AppendUint32(sums, sum)
	}
	tr := binary.LittleEndian.AppendUint32(nil, archiveTrailerMagic)
	tr = binary.LittleEndian.AppendUint32(tr, uint32(len(names)))
	tr = binary.LittleEndian.AppendUint32(tr, crc32.Checksum(sums, crcTable))
	if _, err := out.Write(tr); err != nil {
		return err
	}
	return out.Sync()
}

func appendArchiveFile(fs diskio.FS, out diskio.File, src, name string) (uint32, error) {
	in, err := fs.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	size, err := in.Size()
	if err != nil {
		return 0, err
	}
	head := binary.LittleEndian.AppendUint16(nil, uint16(len(name)))
	head = append(head, name...)
	head = binary.LittleEndian.AppendUint64(head, uint64(size))
	sum := crc32.Checksum(head, crcTable)
	if _, err := out.Write(head); err != nil {
		return 0, err
	}
	buf := make([]byte, min(size, copyChunkBytes))
	for off := int64(0); off < size; {
		k := min(int64(len(buf)), size-off)
		if _, err := in.ReadAt(buf[:k], off); err != nil {
			return 0, err
		}
		sum = crc32.Update(sum, crcTable, buf[:k])
		if _, err := out.Write(buf[:k]); err != nil {
			return 0, err
		}
		off += k
	}
	_, err = out.Write(binary.LittleEndian.AppendUint32(nil, sum))
	return sum, err
}

// archiveReader reads an archive at offsets, checking bounds.
type archiveReader struct {
	f    io.ReaderAt
	size int64
	off  int64
}

func (r *archiveReader) read(n int64) ([]byte, error) {
	if n < 0 || r.off+n > r.size {
		return nil, fmt.Errorf("%w: archive truncated at %d (want %d bytes of %d)", ErrCorruptState, r.off, n, r.size)
	}
	b := make([]byte, n)
	if _, err := r.f.ReadAt(b, r.off); err != nil {
		return nil, err
	}
	r.off += n
	return b, nil
}

// unpackArchive verifies the archive in src and writes its files into
// dstDir (which must be empty), syncing them. It returns the archive's
// index. Damaged input returns an error wrapping ErrCorruptState.
func unpackArchive(fs diskio.FS, src, dstDir string) (uint64, error) {
	f, err := fs.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return 0, err
	}
	return unpackArchiveFrom(fs, f, size, dstDir)
}

// unpackArchiveFrom is unpackArchive over the size bytes of src.
func unpackArchiveFrom(fs diskio.FS, src io.ReaderAt, size int64, dstDir string) (uint64, error) {
	r := &archiveReader{f: src, size: size}
	hdr, err := r.read(archiveHeaderBytes)
	if err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(hdr) != archiveMagic || hdr[4] != archiveFormat ||
		crc32.Checksum(hdr[:17], crcTable) != binary.LittleEndian.Uint32(hdr[17:]) {
		return 0, fmt.Errorf("%w: archive header", ErrCorruptState)
	}
	index, count := binary.LittleEndian.Uint64(hdr[5:]), binary.LittleEndian.Uint32(hdr[13:])
	if count > archiveFilesMax {
		return 0, fmt.Errorf("%w: archive of %d files", ErrCorruptState, count)
	}
	if err := fs.MkdirAll(dstDir); err != nil {
		return 0, err
	}
	var sums []byte
	for range count {
		sum, err := unpackFile(fs, r, dstDir)
		if err != nil {
			return 0, err
		}
		sums = binary.LittleEndian.AppendUint32(sums, sum)
	}
	tr, err := r.read(archiveTrailerBytes)
	if err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(tr) != archiveTrailerMagic || binary.LittleEndian.Uint32(tr[4:]) != count ||
		binary.LittleEndian.Uint32(tr[8:]) != crc32.Checksum(sums, crcTable) || r.off != size {
		return 0, fmt.Errorf("%w: archive trailer", ErrCorruptState)
	}
	if err := fs.SyncDir(dstDir); err != nil {
		return 0, err
	}
	return index, nil
}

func unpackFile(fs diskio.FS, r *archiveReader, dstDir string) (uint32, error) {
	lenBytes, err := r.read(2)
	if err != nil {
		return 0, err
	}
	nameLen := int64(binary.LittleEndian.Uint16(lenBytes))
	if nameLen == 0 || nameLen > archiveNameMax {
		return 0, fmt.Errorf("%w: archive file name of %d bytes", ErrCorruptState, nameLen)
	}
	rest, err := r.read(nameLen + 8)
	if err != nil {
		return 0, err
	}
	name := string(rest[:nameLen])
	if strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return 0, fmt.Errorf("%w: archive file name %q", ErrCorruptState, name)
	}
	size := binary.LittleEndian.Uint64(rest[nameLen:])
	if size > uint64(r.size-r.off) {
		return 0, fmt.Errorf("%w: archive file %q of %d bytes", ErrCorruptState, name, size)
	}
	sum := crc32.Update(crc32.Checksum(lenBytes, crcTable), crcTable, rest)
	out, err := fs.Create(path.Join(dstDir, name))
	if err != nil {
		return 0, err
	}
	defer out.Close()
	for left := int64(size); left > 0; {
		chunk, err := r.read(min(left, copyChunkBytes))
		if err != nil {
			return 0, err
		}
		sum = crc32.Update(sum, crcTable, chunk)
		if _, err := out.Write(chunk); err != nil {
			return 0, err
		}
		left -= int64(len(chunk))
	}
	want, err := r.read(4)
	if err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(want) != sum {
		return 0, fmt.Errorf("%w: archive file %q checksum", ErrCorruptState, name)
	}
	return sum, out.Sync()
}

// stagedView is a received snapshot as staging will hold it once the
// chunks raft has not handed out yet are staged: the staged file's bytes,
// then the pending chunks' (a pending chunk at offset 0 replaces what was
// staged). It lets the receiver verify a snapshot before raft installs it.
type stagedView struct {
	file     io.ReaderAt // nil when nothing staged counts
	fileSize int64
	tail     []byte
}

func (v *stagedView) size() int64 { return v.fileSize + int64(len(v.tail)) }

// add appends a pending chunk; a gap is damaged input.
func (v *stagedView) add(offset uint64, data []byte) error {
	if offset == 0 {
		v.file, v.fileSize, v.tail = nil, 0, nil
	}
	if offset != uint64(v.size()) {
		return fmt.Errorf("%w: snapshot chunk at offset %d after %d bytes", ErrCorruptState, offset, v.size())
	}
	v.tail = append(v.tail, data...)
	return nil
}

// ReadAt implements io.ReaderAt over the file and the tail.
func (v *stagedView) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > v.size() {
		return 0, fmt.Errorf("%w: read of %d bytes at %d beyond %d", ErrCorruptState, len(p), off, v.size())
	}
	n := 0
	if off < v.fileSize {
		k := min(int64(len(p)), v.fileSize-off)
		if _, err := v.file.ReadAt(p[:k], off); err != nil {
			return 0, err
		}
		n = int(k)
	}
	if n < len(p) {
		n += copy(p[n:], v.tail[off+int64(n)-v.fileSize:])
	}
	return n, nil
}
