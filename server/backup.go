package server

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lineradb/lineradb/node/kv"
)

// A backup is a logical, transactionally consistent copy of the whole KV
// space (SQL rows, indexes and the catalog alike) read at one linearizable
// read version. It is a directory:
//
//	data           records, each: u32 LE keyBytes | u32 LE valueBytes |
//	               key | value | u32 LE crc32c(key | value)
//	MANIFEST.json  BackupInfo plus the crc32c of the whole data file;
//	               written last (tmp, fsync, rename, fsync dir), so a
//	               directory without it is an incomplete backup
//
// Being logical, a backup does not depend on the LSM's or the Raft log's
// file formats, and restoring it founds a NEW single-node cluster holding
// the same rows (RestoreBackup).
const (
	backupDataName     = "data"
	backupManifestName = "MANIFEST.json"
	backupFormat       = 1
	// backupScanKeysMax is how many keys one Scan of a backup reads.
	backupScanKeysMax = 1000
	// backupRecordBytesMax bounds one record read back (key + value).
	backupRecordBytesMax = 64 << 20
	// restoreBatchBytesMax and restoreBatchKeysMax bound one restore commit.
	restoreBatchBytesMax = 1 << 20
	restoreBatchKeysMax  = 1000
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BackupInfo describes one backup (POST /admin/backup's reply and GET
// /admin/backups' entries).
type BackupInfo struct {
	Format      int       `json:"format"`
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	NodeID      uint64    `json:"node_id"`
	ReadVersion uint64    `json:"read_version"`
	Keys        int64     `json:"keys"`
	Bytes       int64     `json:"bytes"`
	DataCRC32C  uint32    `json:"data_crc32c"`
	CreatedAt   time.Time `json:"created_at"`
	DurationMs  int64     `json:"duration_ms"`
}

// ErrBackupCorrupt wraps every problem found reading a backup back.
var ErrBackupCorrupt = errors.New("backup corrupt")

// WriteBackup reads the whole KV space of store at one read version and
// writes it as a new backup directory under root.
func WriteBackup(store kv.Store, root string, nodeID uint64, now time.Time) (BackupInfo, error) {
	info := BackupInfo{Format: backupFormat, NodeID: nodeID, CreatedAt: now.UTC()}
	info.Name = fmt.Sprintf("lineradb-%s-n%d", now.UTC().Format("20060102T150405.000Z"), nodeID)
	info.Path = filepath.Join(root, info.Name)
	if err := os.MkdirAll(info.Path, 0o755); err != nil {
		return info, err
	}
	txn, err := store.Begin(kv.TxnOptions{ReadOnly: true})
	if err != nil {
		return info, err
	}
	defer store.Abort(txn)
	info.ReadVersion = txn.ReadVersion()
	if err := writeBackupData(txn, filepath.Join(info.Path, backupDataName), &info); err != nil {
		return info, err
	}
	info.DurationMs = time.Since(now).Milliseconds()
	if err := writeManifest(info); err != nil {
		return info, err
	}
	return info, nil
}

func writeBackupData(txn kv.Txn, name string, info *BackupInfo) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	whole := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(f, whole), 1<<20)
	start := []byte{}
	for {
		page, err := txn.Scan(start, nil, backupScanKeysMax, false)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := writeRecord(w, e.Key, e.Value); err != nil {
				return err
			}
			info.Keys++
			info.Bytes += int64(len(e.Key) + len(e.Value))
		}
		if len(page) < backupScanKeysMax {
			break
		}
		start = append(append([]byte{}, page[len(page)-1].Key...), 0)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	info.DataCRC32C = whole.Sum32()
	return f.Sync()
}

func writeRecord(w io.Writer, key, value []byte) error {
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(key)))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(value)))
	sum := crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, value)
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], sum)
	for _, b := range [][]byte{hdr[:], key, value, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func writeManifest(info BackupInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(info.Path, backupManifestName+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
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
	if err := os.Rename(tmp, filepath.Join(info.Path, backupManifestName)); err != nil {
		return err
	}
	return syncDir(info.Path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReadManifest reads a backup directory's manifest.
func ReadManifest(dir string) (BackupInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, backupManifestName))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%w: %s: no manifest (incomplete backup?): %v", ErrBackupCorrupt, dir, err)
	}
	var info BackupInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%w: %s: manifest: %v", ErrBackupCorrupt, dir, err)
	}
	if info.Format != backupFormat {
		return info, fmt.Errorf("%w: %s: format %d, this build reads %d", ErrBackupCorrupt, dir, info.Format, backupFormat)
	}
	info.Path = dir
	return info, nil
}

// ReadBackup verifies a backup and calls fn for every record in key order.
// The whole data file's checksum is verified before fn sees any record, so
// a damaged backup is refused before anything is restored.
func ReadBackup(dir string, fn func(key, value []byte) error) (BackupInfo, error) {
	info, err := ReadManifest(dir)
	if err != nil {
		return info, err
	}
	name := filepath.Join(dir, backupDataName)
	if err := checkDataCRC(name, info.DataCRC32C); err != nil {
		return info, err
	}
	f, err := os.Open(name)
	if err != nil {
		return info, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var keys int64
	var prev []byte
	for {
		key, value, err := readRecord(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, fmt.Errorf("%w: %s: record %d: %v", ErrBackupCorrupt, name, keys, err)
		}
		if prev != nil && string(key) <= string(prev) {
			return info, fmt.Errorf("%w: %s: record %d: keys out of order", ErrBackupCorrupt, name, keys)
		}
		prev = key
		keys++
		if err := fn(key, value); err != nil {
			return info, err
		}
	}
	if keys != info.Keys {
		return info, fmt.Errorf("%w: %s: %d records, manifest says %d", ErrBackupCorrupt, name, keys, info.Keys)
	}
	return info, nil
}

func checkDataCRC(name string, want uint32) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBackupCorrupt, err)
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := h.Sum32(); got != want {
		return fmt.Errorf("%w: %s: checksum %08x, manifest says %08x", ErrBackupCorrupt, name, got, want)
	}
	return nil
}

func readRecord(r io.Reader) (key, value []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil, nil, io.EOF
		}
		return nil, nil, fmt.Errorf("truncated header: %v", err)
	}
	kn, vn := binary.LittleEndian.Uint32(hdr[0:]), binary.LittleEndian.Uint32(hdr[4:])
	if uint64(kn)+uint64(vn) > backupRecordBytesMax {
		return nil, nil, fmt.Errorf("record of %d+%d bytes exceeds %d", kn, vn, backupRecordBytesMax)
	}
	buf := make([]byte, int(kn)+int(vn)+4)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, nil, fmt.Errorf("truncated record: %v", err)
	}
	key, value = buf[:kn], buf[kn:kn+vn]
	sum := crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, value)
	if got := binary.LittleEndian.Uint32(buf[kn+vn:]); got != sum {
		return nil, nil, fmt.Errorf("record checksum %08x, computed %08x", got, sum)
	}
	return key, value, nil
}

// ListBackups lists the complete backups directly under root, oldest first.
// A missing root is an empty list.
func ListBackups(root string) ([]BackupInfo, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []BackupInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if info, err := ReadManifest(filepath.Join(root, e.Name())); err == nil {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// checkBackupTarget validates a backup request's target_dir, which names a
// directory on the node's own file system: "" (the default root under the
// data directory), or an absolute path that does not exist yet or is an
// empty directory. Relative paths (resolved against the server's working
// directory, which the client cannot see) and non-empty directories (which
// may hold anything, the data directory included) are refused, so a request
// cannot scatter backups into arbitrary places.
func checkBackupTarget(dir string) error {
	if dir == "" {
		return nil
	}
	if strings.ContainsRune(dir, 0) {
		return apiErrorf(http.StatusBadRequest, "target_dir contains a NUL byte")
	}
	if !filepath.IsAbs(dir) {
		return apiErrorf(http.StatusBadRequest, "target_dir %q must be an absolute path", dir)
	}
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return apiErrorf(http.StatusBadRequest, "target_dir %q: %v", dir, err)
	}
	if !st.IsDir() {
		return apiErrorf(http.StatusBadRequest, "target_dir %q exists and is not a directory", dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return apiErrorf(http.StatusBadRequest, "target_dir %q: %v", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return apiErrorf(http.StatusBadRequest, "target_dir %q: %v", dir, err)
	}
	if len(names) > 0 {
		return apiErrorf(http.StatusBadRequest, "target_dir %q is not empty: give a new or empty directory (omit target_dir for DATA_DIR/backups)", dir)
	}
	return nil
}

// checkHostPort validates a peer address from an admin request.
func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return apiErrorf(http.StatusBadRequest, "addr %q is not host:port", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return apiErrorf(http.StatusBadRequest, "addr %q has a bad port", addr)
	}
	return nil
}
