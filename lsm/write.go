package lsm

import (
	"fmt"

	"github.com/lineradb/lineradb/diskio"
)

// WriteOptions control one Apply.
type WriteOptions struct {
	// Sync makes the batch durable in the WAL before Apply returns. Without
	// it the batch is durable after a later synced batch, a Flush, or never
	// (a crash may lose it). Ignored with DisableWAL, where durability
	// comes from Flush.
	Sync bool
	// Seq, if non-zero, is the batch's sequence number; it must exceed
	// LastSeq. Under Raft pass the entry's index, so DurableSeq is the
	// durable applied index. Zero means LastSeq+1.
	Seq uint64
}

// paceBytesPerWriteByte is how much compaction input a write processes per
// byte it writes once L0 is past L0SlowdownTrigger.
const paceBytesPerWriteByte = 4

// Apply writes the batch atomically at one sequence number.
func (d *DB) Apply(b *Batch, o WriteOptions) error {
	if err := d.checkWritable(); err != nil {
		return err
	}
	seq := d.lastSeq + 1
	if o.Seq != 0 {
		if o.Seq <= d.lastSeq || o.Seq > SeqMax {
			return fmt.Errorf("%w: seq %d must exceed the last seq %d", ErrInvalidArgument, o.Seq, d.lastSeq)
		}
		seq = o.Seq
	}
	if err := d.makeRoomFor(b); err != nil {
		return err
	}
	if err := d.writeWAL(b, seq, o.Sync); err != nil {
		return err
	}
	d.applyToMemtable(b, seq)
	d.m.UserBytesWritten += int64(b.sizeBytes)
	if err := d.makeRoom(); err != nil {
		return err
	}
	return d.pace(int64(b.sizeBytes))
}

// Set, Delete and DeleteRange are one-op batches.
func (d *DB) Set(key, value []byte, o WriteOptions) error {
	var b Batch
	b.Set(key, value)
	return d.Apply(&b, o)
}

func (d *DB) Delete(key []byte, o WriteOptions) error {
	var b Batch
	b.Delete(key)
	return d.Apply(&b, o)
}

func (d *DB) DeleteRange(start, end []byte, o WriteOptions) error {
	var b Batch
	b.DeleteRange(start, end)
	return d.Apply(&b, o)
}

// walBufferBytesMax bounds the WAL records held in memory before a
// write(2): unsynced batches may be lost in a crash anyway, so they are
// written together, when the buffer fills, on a synced Apply, before the
// log is switched and on Close.
const walBufferBytesMax = 64 << 10

// writeWAL appends the batch record to the WAL buffer, and writes and
// syncs the buffer for a synced batch. Any failure poisons the DB: a
// failed write or sync leaves the log's tail unknown, and fsync is never
// retried.
func (d *DB) writeWAL(b *Batch, seq uint64, sync bool) error {
	if d.wal == nil {
		return nil
	}
	rec := b.record(seq)
	d.m.WALBytesWritten += int64(len(rec))
	if len(d.walBuf)+len(rec) > walBufferBytesMax {
		if err := d.writeWALBuffer(); err != nil {
			return err
		}
	}
	if len(rec) > walBufferBytesMax {
		if _, err := d.wal.Write(rec); err != nil {
			return d.poison(fmt.Errorf("lsm: write %s: %w", d.wal.Name(), err))
		}
	} else {
		d.walBuf = append(d.walBuf, rec...)
	}
	if !sync {
		return nil
	}
	if err := d.writeWALBuffer(); err != nil {
		return err
	}
	if err := d.wal.Sync(); err != nil {
		return d.poison(fmt.Errorf("lsm: sync %s: %w", d.wal.Name(), err))
	}
	return nil
}

// writeWALBuffer hands the buffered records to the WAL file.
func (d *DB) writeWALBuffer() error {
	if len(d.walBuf) == 0 {
		return nil
	}
	_, err := d.wal.Write(d.walBuf)
	d.walBuf = d.walBuf[:0]
	if err != nil {
		return d.poison(fmt.Errorf("lsm: write %s: %w", d.wal.Name(), err))
	}
	return nil
}

func (d *DB) applyToMemtable(b *Batch, seq uint64) {
	for i := range b.ops {
		op := &b.ops[i]
		if op.removed {
			continue
		}
		if op.kind == KindRangeDelete {
			d.mem.addRangeDel(b.key(op), b.value(op), seq)
		} else {
			d.mem.add(b.key(op), seq, op.kind, b.value(op))
		}
	}
	if seq > d.mem.largestSeq {
		d.mem.largestSeq = seq
	}
	d.lastSeq = seq
}

// makeRoomFor rotates the memtable before a batch that would take it past
// its budget, so its arena never outgrows the budget; the batch must go to
// the memtable whose WAL will hold it, hence before the WAL write. A batch
// too big for any arena is refused.
func (d *DB) makeRoomFor(b *Batch) error {
	if batchArenaBytes(b) > memtableArenaBytesMax {
		return fmt.Errorf("%w: batch of %d bytes is larger than a memtable can hold", ErrInvalidArgument, b.sizeBytes)
	}
	if d.mem.empty() || d.fitsArena(b) {
		return nil
	}
	return d.rotateAndBound()
}

// makeRoom rotates a full memtable and, when too many wait, flushes the
// oldest: bounded work (one memtable) on the write path.
func (d *DB) makeRoom() error {
	if d.mem.sizeBytes < d.opts.MemtableSizeBytes {
		return nil
	}
	return d.rotateAndBound()
}

// rotateAndBound rotates the memtable and flushes the oldest immutable
// ones beyond ImmutableMemtablesMax.
func (d *DB) rotateAndBound() error {
	if err := d.rotateMemtable(); err != nil {
		return err
	}
	for len(d.imm) > d.opts.ImmutableMemtablesMax {
		if err := d.flushOldest(); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) rotateMemtable() error {
	old := d.mem
	d.imm = append(d.imm, old)
	d.mem = d.newMemtable()
	d.mem.largestSeq = old.largestSeq
	if err := d.newWAL(); err != nil {
		return d.poison(err)
	}
	return nil
}

// pace does compaction work on the write path once L0 is deep, in
// proportion to the bytes written, so writers pay their own debt in small
// installments rather than ever waiting behind a whole compaction.
func (d *DB) pace(writtenBytes int64) error {
	if len(d.current.levels[0]) < d.opts.L0SlowdownTrigger {
		return nil
	}
	_, err := d.compactStep(max(1, writtenBytes*paceBytesPerWriteByte))
	return err
}

// Flush makes every applied write durable in tables: the memtable is
// rotated and every immutable memtable written to L0. With DisableWAL this
// is the only way writes become durable.
func (d *DB) Flush() error {
	if err := d.checkWritable(); err != nil {
		return err
	}
	if !d.mem.empty() || d.mem.largestSeq > d.durableSeq {
		if err := d.rotateMemtable(); err != nil {
			return err
		}
	}
	for len(d.imm) > 0 {
		if err := d.flushOldest(); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) flushOldest() error {
	m := d.imm[0]
	if err := d.writeL0(m, false); err != nil {
		return err
	}
	d.imm = d.imm[1:]
	d.retireMemtable(m)
	return nil
}

// writeL0 writes memtable m to a new L0 table, syncs it and its directory
// entry, then records it in the manifest. An empty memtable produces no
// table, only the edit advancing DurableSeq.
func (d *DB) writeL0(m *memtable, recovering bool) error {
	e := &versionEdit{hasDurableSeq: true, durableSeq: m.largestSeq, hasLastSeq: true, lastSeq: m.largestSeq}
	if !recovering {
		e.hasLogNum, e.logNum = true, d.mem.logNum
		if len(d.imm) > 1 {
			e.logNum = d.imm[1].logNum
		}
	}
	if !m.empty() {
		meta, err := d.writeMemtableTable(m)
		if err != nil {
			return err
		}
		meta.runID = meta.fileNum
		e.added = append(e.added, addedFile{0, meta})
		d.m.FlushCount++
		d.m.FlushBytesWritten += int64(meta.sizeBytes)
	}
	if recovering {
		nv, err := d.current.apply(e)
		if err != nil {
			panic(fmt.Sprintf("lsm: recovery flush built an invalid edit: %v", err))
		}
		nv.refs = 1
		d.current, d.liveVersions = nv, []*version{nv}
		d.durableSeq = max(d.durableSeq, m.largestSeq)
		return nil
	}
	return d.logAndApply(e)
}

func (d *DB) writeMemtableTable(m *memtable) (*fileMeta, error) {
	ow, err := d.newOutput()
	if err != nil {
		return nil, err
	}
	it := &memIter{m: m}
	for it.First(); it.Valid(); it.Next() {
		if err := ow.w.add(it.Key(), it.Value()); err != nil {
			return nil, d.abandonOutput(ow, err)
		}
	}
	for _, t := range fragmentTombstones(m.rangeDels).tombstones(nil, nil) {
		ow.w.addRangeDel(t)
	}
	return d.finishOutput(ow)
}

// output is a table being written by a flush or a compaction.
type output struct {
	fileNum uint64
	f       diskio.File
	w       *tableWriter
}

func (d *DB) newOutput() (*output, error) {
	num := d.nextFileNum
	d.nextFileNum++
	name := tableFileName(d.dir, num)
	f, err := d.fs.Create(name)
	if err != nil {
		return nil, fmt.Errorf("lsm: create %s: %w", name, err)
	}
	return &output{fileNum: num, f: f, w: newTableWriter(f, d.opts.BloomFilterBitsPerKey)}, nil
}

// abandonOutput removes a table that failed to be written (ENOSPC, EIO on
// write): nothing references it, so the DB stays consistent and usable.
func (d *DB) abandonOutput(ow *output, cause error) error {
	ow.f.Close()
	d.fs.Remove(ow.f.Name())
	return cause
}

// finishOutput completes the table and makes it durable (data, then its
// directory entry) so a manifest edit may name it.
func (d *DB) finishOutput(ow *output) (*fileMeta, error) {
	props, size, err := ow.w.finish()
	if err != nil {
		return nil, d.abandonOutput(ow, err)
	}
	if !d.opts.skipTableSync {
		if err := ow.f.Sync(); err != nil {
			ow.f.Close()
			return nil, d.poison(fmt.Errorf("lsm: sync %s: %w", ow.f.Name(), err))
		}
	}
	if err := ow.f.Close(); err != nil {
		return nil, d.abandonOutput(ow, err)
	}
	if !d.opts.skipTableSync {
		if err := d.fs.SyncDir(d.dir); err != nil {
			return nil, d.poison(fmt.Errorf("lsm: sync dir %s: %w", d.dir, err))
		}
	}
	return &fileMeta{
		fileNum: ow.fileNum, sizeBytes: size,
		smallest: props.smallest, largest: props.largest,
		smallestSeq: props.smallestSeq, largestSeq: props.largestSeq,
		numEntries: props.numEntries, numRangeDels: props.numRangeDels,
	}, nil
}
