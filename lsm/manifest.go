package lsm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// File naming inside a DB directory:
//
//	CURRENT            the name of the live manifest, then "\n"
//	MANIFEST-NNNNNN    version edits (record log)
//	NNNNNN.log         a WAL (record log of batches)
//	NNNNNN.sst         a table
//	*.tmp              scratch, deleted at open

const (
	currentFileName = "CURRENT"
	manifestPrefix  = "MANIFEST-"
)

func manifestFileName(dir string, num uint64) string {
	return joinPath(dir, fmt.Sprintf("%s%06d", manifestPrefix, num))
}

func logFileName(dir string, num uint64) string {
	return joinPath(dir, fmt.Sprintf("%06d.log", num))
}

type fileType int

const (
	fileTypeUnknown fileType = iota
	fileTypeTable
	fileTypeLog
	fileTypeManifest
	fileTypeCurrent
	fileTypeTemp
)

// parseFileName classifies a directory entry.
func parseFileName(name string) (fileType, uint64) {
	switch {
	case name == currentFileName:
		return fileTypeCurrent, 0
	case strings.HasSuffix(name, ".tmp"):
		return fileTypeTemp, 0
	case strings.HasPrefix(name, manifestPrefix):
		if n, err := strconv.ParseUint(name[len(manifestPrefix):], 10, 64); err == nil {
			return fileTypeManifest, n
		}
	case strings.HasSuffix(name, ".sst"):
		if n, err := strconv.ParseUint(strings.TrimSuffix(name, ".sst"), 10, 64); err == nil {
			return fileTypeTable, n
		}
	case strings.HasSuffix(name, ".log"):
		if n, err := strconv.ParseUint(strings.TrimSuffix(name, ".log"), 10, 64); err == nil {
			return fileTypeLog, n
		}
	}
	return fileTypeUnknown, 0
}

// snapshotEdit describes the whole current state as one edit: the first
// record of every new manifest.
func (d *DB) snapshotEdit() *versionEdit {
	e := &versionEdit{
		hasLogNum: true, logNum: d.logNum,
		hasNextFileNum: true, nextFileNum: d.nextFileNum,
		hasLastSeq: true, lastSeq: d.durableSeq,
		hasDurableSeq: true, durableSeq: d.durableSeq,
	}
	for level, fs := range d.current.levels {
		for _, f := range fs {
			e.added = append(e.added, addedFile{level, f})
		}
	}
	return e
}

// logAndApply makes an edit durable in the manifest, then installs it. Any
// failure to make it durable poisons the DB: the manifest's on-disk state
// is then unknown and only a reopen can tell.
func (d *DB) logAndApply(e *versionEdit) error {
	nv, err := d.current.apply(e)
	if err != nil {
		panic(fmt.Sprintf("lsm: engine built an invalid edit: %v", err))
	}
	e.hasNextFileNum, e.nextFileNum = true, d.nextFileNum
	if d.manifestSizeBytes >= d.opts.ManifestSizeBytesMax {
		err = d.rotateManifest(nv, e)
	} else {
		err = d.appendManifest(e)
	}
	if err != nil {
		return d.poison(err)
	}
	d.install(nv, e)
	return nil
}

func (d *DB) appendManifest(e *versionEdit) error {
	rec := encodeRecord(nil, e.encode())
	if _, err := d.manifest.Write(rec); err != nil {
		return fmt.Errorf("lsm: write %s: %w", d.manifest.Name(), err)
	}
	d.manifestSizeBytes += int64(len(rec))
	if !d.opts.skipManifestSync {
		if err := d.manifest.Sync(); err != nil {
			return fmt.Errorf("lsm: sync %s: %w", d.manifest.Name(), err)
		}
	}
	return nil
}

func (d *DB) install(nv *version, e *versionEdit) {
	if e.hasLogNum {
		d.logNum = e.logNum
	}
	if e.hasDurableSeq {
		d.durableSeq = e.durableSeq
	}
	old := d.current
	d.current = nv
	nv.refs++
	d.liveVersions = append(d.liveVersions, nv)
	d.unrefVersion(old)
	for _, del := range e.deleted {
		d.obsoleteTables = append(d.obsoleteTables, del.fileNum)
	}
	d.deleteObsolete()
	d.checkInvariants()
}

// rotateManifest writes a new manifest holding the state after e (nv),
// points CURRENT at it, and only then forgets the old one.
func (d *DB) rotateManifest(nv *version, e *versionEdit) error {
	saved := d.current
	savedLog, savedDurable := d.logNum, d.durableSeq
	d.current = nv
	if e.hasLogNum {
		d.logNum = e.logNum
	}
	if e.hasDurableSeq {
		d.durableSeq = e.durableSeq
	}
	snap := d.snapshotEdit()
	d.current, d.logNum, d.durableSeq = saved, savedLog, savedDurable
	num := d.nextFileNum
	d.nextFileNum++
	snap.nextFileNum = d.nextFileNum
	if err := d.writeNewManifest(num, snap); err != nil {
		return err
	}
	oldNum := d.manifestNum
	d.manifestNum = num
	if oldNum != 0 {
		d.obsoleteManifests = append(d.obsoleteManifests, oldNum)
	}
	return nil
}

// writeNewManifest creates MANIFEST-num holding snap, syncs it and its
// directory entry, then atomically repoints CURRENT.
func (d *DB) writeNewManifest(num uint64, snap *versionEdit) error {
	name := manifestFileName(d.dir, num)
	f, err := d.fs.Create(name)
	if err != nil {
		return fmt.Errorf("lsm: create %s: %w", name, err)
	}
	rec := encodeRecord(nil, snap.encode())
	if _, err := f.Write(rec); err != nil {
		f.Close()
		return fmt.Errorf("lsm: write %s: %w", name, err)
	}
	if !d.opts.skipManifestSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("lsm: sync %s: %w", name, err)
		}
	}
	if err := setCurrent(d, num); err != nil {
		f.Close()
		return err
	}
	if d.manifest != nil {
		d.manifest.Close()
	}
	d.manifest, d.manifestSizeBytes = f, int64(len(rec))
	return nil
}

func setCurrent(d *DB, num uint64) error {
	tmp := joinPath(d.dir, "CURRENT.tmp")
	f, err := d.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("lsm: create %s: %w", tmp, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(fmt.Sprintf("%s%06d\n", manifestPrefix, num))); err != nil {
		return fmt.Errorf("lsm: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("lsm: sync %s: %w", tmp, err)
	}
	if err := d.fs.Rename(tmp, joinPath(d.dir, currentFileName)); err != nil {
		return fmt.Errorf("lsm: rename %s: %w", tmp, err)
	}
	if err := d.fs.SyncDir(d.dir); err != nil {
		return fmt.Errorf("lsm: sync dir %s: %w", d.dir, err)
	}
	return nil
}

func (d *DB) unrefVersion(v *version) {
	if v == nil {
		return
	}
	v.refs--
	if v.refs < 0 {
		panic("lsm: version refs negative")
	}
	if v.refs > 0 {
		return
	}
	live := d.liveVersions[:0]
	for _, lv := range d.liveVersions {
		if lv != v {
			live = append(live, lv)
		}
	}
	d.liveVersions = live
	d.deleteObsolete()
}

// deleteObsolete removes tables no live version references, old logs and
// old manifests. Only called after the edit that dropped them is durable.
// Failures are ignored: an undeleted file is garbage collected at next open.
func (d *DB) deleteObsolete() {
	if d.poisoned != nil {
		return
	}
	inUse := make(map[uint64]bool)
	for _, v := range d.liveVersions {
		for _, f := range v.files() {
			inUse[f.fileNum] = true
		}
	}
	keep := d.obsoleteTables[:0]
	sort.Slice(d.obsoleteTables, func(i, j int) bool { return d.obsoleteTables[i] < d.obsoleteTables[j] })
	for _, n := range d.obsoleteTables {
		if inUse[n] {
			keep = append(keep, n)
			continue
		}
		d.tc.evict(n)
		d.fs.Remove(tableFileName(d.dir, n))
	}
	d.obsoleteTables = keep
	for _, n := range d.obsoleteManifests {
		d.fs.Remove(manifestFileName(d.dir, n))
	}
	d.obsoleteManifests = d.obsoleteManifests[:0]
	for len(d.walNums) > 0 && d.walNums[0] < d.logNum {
		d.fs.Remove(logFileName(d.dir, d.walNums[0]))
		d.walNums = d.walNums[1:]
	}
}
