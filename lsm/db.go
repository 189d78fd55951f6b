package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"

	"github.com/lineradb/lineradb/diskio"
)

// DB is an LSM tree over a diskio.FS directory. It is not safe for
// concurrent use: one owner calls every method (the node loop, or the
// simulator), background work included (Step).
type DB struct {
	fs   diskio.FS
	dir  string
	opts Options

	mem *memtable
	// imm holds full memtables waiting to be flushed, oldest first.
	// Bounded by opts.ImmutableMemtablesMax.
	imm []*memtable

	current      *version
	liveVersions []*version // versions with refs > 0, current included

	// Invariants: durableSeq <= lastSeq; logNum <= the WAL in use;
	// nextFileNum is above every file number in the directory.
	nextFileNum uint64
	lastSeq     uint64 // newest seq applied (visible to new reads)
	durableSeq  uint64 // newest seq whose effects are in installed tables
	logNum      uint64 // WALs below this are flushed and deletable

	manifest          diskio.File
	manifestNum       uint64
	manifestSizeBytes int64
	wal               diskio.File // nil when opts.DisableWAL
	walBuf            []byte      // records not yet written; walBufferBytesMax
	// chunks holds flushed memtables' arena chunks for the next ones.
	chunks  *chunkPool
	walNums []uint64 // WAL files on disk, ascending

	tc     *tableCache
	blocks *blockCache

	snapshots []uint64 // seqs of open snapshots, ascending, with repeats

	comp          *compaction // the compaction in progress, if any
	compactCursor [numLevels][]byte
	// filter and filterHorizonSeq are the owner's compaction filter and
	// the seq below which it is consulted (SetCompactionFilter).
	filter           CompactionFilter
	filterHorizonSeq uint64

	obsoleteTables    []uint64
	obsoleteManifests []uint64

	poisoned error
	closed   bool
	m        Metrics

	// Scratch for point reads, reused so a Get allocates only its result
	// (and on a block cache miss): the seek key and a block iterator.
	getKey  []byte
	getIter blockIter
}

// Open opens (creating if needed) the DB in dir and recovers it: the
// manifest gives the tables, the WALs are replayed into tables, and a fresh
// manifest and WAL are started.
func Open(fs diskio.FS, dir string, opts Options) (*DB, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &DB{fs: fs, dir: dir, opts: o, current: &version{}, nextFileNum: 1}
	d.current.refs = 1
	d.liveVersions = []*version{d.current}
	d.blocks = newBlockCache(o.BlockCacheSizeBytes)
	d.tc = newTableCache(fs, dir, o.MaxOpenFiles, d.blocks)
	if err := d.recover(); err != nil {
		d.tc.closeAll()
		if d.manifest != nil {
			d.manifest.Close()
		}
		return nil, err
	}
	return d, nil
}

func (d *DB) recover() error {
	if err := mkdirDurable(d.fs, d.dir); err != nil {
		return err
	}
	names, err := d.fs.List(d.dir)
	if err != nil {
		return fmt.Errorf("lsm: list %s: %w", d.dir, err)
	}
	if err := d.loadManifest(names); err != nil {
		return err
	}
	if err := d.checkTablesExist(); err != nil {
		return err
	}
	d.mem = d.newMemtable()
	if err := d.replayLogs(names); err != nil {
		return err
	}
	return d.finishRecovery(names)
}

// loadManifest reads CURRENT and replays the manifest it names.
func (d *DB) loadManifest(names []string) error {
	if !containsName(names, currentFileName) {
		return nil // a new DB
	}
	curName := joinPath(d.dir, currentFileName)
	cur, err := readFile(d.fs, curName)
	if err != nil {
		return err
	}
	typ, num := parseFileName(string(bytes.TrimSuffix(cur, []byte("\n"))))
	if typ != fileTypeManifest || !bytes.HasSuffix(cur, []byte("\n")) {
		return corruptf(curName, 0, "CURRENT does not name a manifest")
	}
	name := manifestFileName(d.dir, num)
	recs, _, err := readRecords(d.fs, name)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return corruptf(name, 0, "manifest has no records")
	}
	for i, r := range recs {
		e, err := decodeEdit(r)
		if err != nil {
			return corruptf(name, 0, "record %d: %v", i, err)
		}
		if err := d.replayEdit(e); err != nil {
			return corruptf(name, 0, "record %d: %v", i, err)
		}
	}
	d.manifestNum = num
	return nil
}

func (d *DB) replayEdit(e *versionEdit) error {
	nv, err := d.current.apply(e)
	if err != nil {
		return err
	}
	nv.refs = 1
	d.current = nv
	d.liveVersions = []*version{nv}
	if e.hasLogNum {
		d.logNum = e.logNum
	}
	if e.hasNextFileNum {
		d.nextFileNum = max(d.nextFileNum, e.nextFileNum)
	}
	if e.hasLastSeq {
		d.lastSeq = max(d.lastSeq, e.lastSeq)
	}
	if e.hasDurableSeq {
		d.durableSeq = e.durableSeq
		d.lastSeq = max(d.lastSeq, e.durableSeq)
	}
	for _, a := range e.added {
		d.nextFileNum = max(d.nextFileNum, a.meta.fileNum+1)
	}
	return nil
}

// checkTablesExist verifies every table the manifest names is present with
// the size the manifest recorded.
func (d *DB) checkTablesExist() error {
	for _, f := range d.current.files() {
		name := tableFileName(d.dir, f.fileNum)
		size, err := d.fs.Stat(name)
		if err != nil {
			return fmt.Errorf("lsm: table %s named by the manifest: %w", name, err)
		}
		if uint64(size) != f.sizeBytes {
			return corruptf(name, size, "size %d, manifest recorded %d", size, f.sizeBytes)
		}
	}
	return nil
}

// replayLogs applies every WAL at or above logNum into d.mem, in order.
func (d *DB) replayLogs(names []string) error {
	var logs []uint64
	for _, n := range names {
		if typ, num := parseFileName(n); typ == fileTypeLog {
			d.nextFileNum = max(d.nextFileNum, num+1)
			if num >= d.logNum {
				logs = append(logs, num)
			}
		}
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i] < logs[j] })
	for _, num := range logs {
		if err := d.replayLog(logFileName(d.dir, num)); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) replayLog(name string) error {
	recs, _, err := readRecords(d.fs, name)
	if err != nil {
		return err
	}
	for i, r := range recs {
		b, seq, err := decodeBatch(r)
		if err != nil {
			return corruptf(name, 0, "record %d: %v", i, err)
		}
		if seq <= d.lastSeq {
			continue // already in the tables
		}
		if !d.mem.empty() && !d.fitsArena(b) {
			if err := d.flushRecovered(); err != nil {
				return err
			}
		}
		d.applyToMemtable(b, seq)
	}
	return nil
}

// flushRecovered writes what recovery replayed so far to L0 and starts an
// empty memtable.
func (d *DB) flushRecovered() error {
	m := d.mem
	d.mem = d.newMemtable()
	return d.writeL0(m, true)
}

// newMemtable starts a memtable whose arena draws on the DB's chunk pool.
func (d *DB) newMemtable() *memtable {
	if d.chunks == nil {
		d.chunks = newChunkPool(d.opts.MemtableSizeBytes)
	}
	return newMemtable(0, d.chunks)
}

// retireMemtable is called once m is flushed and again as iterators on it
// close: with none left, its chunks go back to the pool, so a steady write
// load allocates no new arenas.
func (d *DB) retireMemtable(m *memtable) {
	m.flushed = true
	if m.refs > 0 {
		return
	}
	m.release() // any later read of m is a bug and must fail loudly
}

// fitsArena reports whether batch b fits the memtable's arena bounds:
// within its budget (so the arena never outgrows it by doubling), and
// within what its offsets address.
func (d *DB) fitsArena(b *Batch) bool {
	need := batchArenaBytes(b)
	return d.mem.sizeBytes+need <= d.opts.MemtableSizeBytes &&
		int64(d.mem.used)+need <= memtableArenaBytesMax
}

// batchArenaBytes bounds what applying b adds to a memtable.
func batchArenaBytes(b *Batch) int64 {
	return int64(b.sizeBytes) + int64(b.Len())*memtableOpBytesMax
}

// finishRecovery flushes what the WALs held, starts a new WAL and a new
// manifest, and removes every file the new state does not need.
func (d *DB) finishRecovery(names []string) error {
	if !d.mem.empty() {
		if err := d.flushRecovered(); err != nil {
			return err
		}
	}
	d.mem = d.newMemtable()
	if err := d.newWAL(); err != nil {
		return err
	}
	num := d.nextFileNum
	d.nextFileNum++
	snap := d.snapshotEdit()
	if err := d.writeNewManifest(num, snap); err != nil {
		return err
	}
	d.manifestNum = num
	d.removeUnreferenced(names)
	return nil
}

// removeUnreferenced deletes, at open, whatever a crash left behind.
func (d *DB) removeUnreferenced(names []string) {
	live := make(map[uint64]bool)
	for _, f := range d.current.files() {
		live[f.fileNum] = true
	}
	for _, n := range names {
		typ, num := parseFileName(n)
		switch {
		case typ == fileTypeTable && !live[num],
			typ == fileTypeManifest && num != d.manifestNum,
			typ == fileTypeLog && !containsNum(d.walNums, num),
			typ == fileTypeTemp:
			d.fs.Remove(joinPath(d.dir, n))
		}
	}
}

// mkdirDurable creates dir and syncs every ancestor, since a new
// directory's name is volatile until its parent is synced.
func mkdirDurable(fs diskio.FS, dir string) error {
	if err := fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("lsm: mkdir %s: %w", dir, err)
	}
	for p := dir; p != "." && p != "/" && p != ""; {
		p = path.Dir(p)
		if err := fs.SyncDir(p); err != nil {
			return fmt.Errorf("lsm: sync dir %s: %w", p, err)
		}
	}
	return nil
}

func containsName(names []string, n string) bool {
	i := sort.SearchStrings(names, n)
	return i < len(names) && names[i] == n
}

func containsNum(nums []uint64, n uint64) bool {
	for _, x := range nums {
		if x == n {
			return true
		}
	}
	return false
}

// newWAL starts a WAL for d.mem. The file's name is synced into the
// directory before any write can be acknowledged as durable in it.
func (d *DB) newWAL() error {
	num := d.nextFileNum
	d.nextFileNum++
	d.mem.logNum = num
	if d.opts.DisableWAL {
		d.logNum = num
		return nil
	}
	name := logFileName(d.dir, num)
	f, err := d.fs.Create(name)
	if err != nil {
		return fmt.Errorf("lsm: create %s: %w", name, err)
	}
	if err := d.fs.SyncDir(d.dir); err != nil {
		f.Close()
		return fmt.Errorf("lsm: sync dir %s: %w", d.dir, err)
	}
	if d.wal != nil {
		// Write and sync the old log first: a later synced write in the
		// new log acknowledges every earlier batch, which the old log's
		// unsynced tail would otherwise lose.
		if err := d.writeWALBuffer(); err != nil {
			f.Close()
			return err
		}
		if err := d.wal.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("lsm: sync %s: %w", d.wal.Name(), err)
		}
		d.wal.Close()
	}
	d.wal = f
	d.walNums = append(d.walNums, num)
	if len(d.imm) == 0 {
		d.logNum = num
	}
	return nil
}

// poison records the first I/O failure whose effect on disk is unknown;
// every later write fails with ErrPoisoned wrapping it.
func (d *DB) poison(err error) error {
	if d.poisoned == nil {
		d.poisoned = &poisonedError{cause: err}
	}
	return d.poisoned
}

func (d *DB) checkWritable() error {
	if d.closed {
		return ErrClosed
	}
	return d.poisoned
}

// Close releases files. Unflushed memtable contents survive only through
// the WAL (when enabled); with DisableWAL the caller replays from
// DurableSeq. Open snapshots and iterators must be closed first.
func (d *DB) Close() error {
	if d.closed {
		return ErrClosed
	}
	d.closed = true
	d.abandonCompaction()
	d.tc.closeAll()
	var errs []error
	if d.wal != nil {
		if d.poisoned == nil {
			errs = append(errs, d.writeWALBuffer())
		}
		errs = append(errs, d.wal.Close())
	}
	if d.manifest != nil {
		errs = append(errs, d.manifest.Close())
	}
	return errors.Join(errs...)
}

// LastSeq returns the newest applied sequence number.
func (d *DB) LastSeq() uint64 { return d.lastSeq }

// DurableSeq returns the newest sequence number whose writes are in
// installed tables: durable without any WAL. Under Raft this is the
// durable applied index — replay the log from DurableSeq+1 after Open.
func (d *DB) DurableSeq() uint64 { return d.durableSeq }
