// Package lsm is LineraDB's storage engine: a log-structured merge tree over
// a diskio.FS, crash-safe, deterministic, and driven entirely by its owner.
//
// # What it owns
//
// Ordered key/value storage with atomic batches, point-in-time snapshots,
// bidirectional bounded iterators, range deletions, flush and compaction
// (leveled or size-tiered) with an optional owner's compaction filter, a
// manifest of version edits, an optional WAL, checkpoints, verification
// (VerifySSTables, VerifyWAL) and metrics.
//
// # Determinism
//
// The package reads no clock, starts no goroutine, uses no global PRNG and
// touches the disk only through diskio. Background work is a call: Step
// flushes one waiting memtable or advances the current compaction by a byte
// budget, so the owner (the node loop, or the simulator) decides when it
// happens and no call does unbounded work. Writes pay compaction debt in
// installments once L0 is deep (Options.L0SlowdownTrigger), never by
// waiting behind a whole compaction. A DB is used by one goroutine.
//
// # Contract: what a caller does to get durability
//
// Standalone (WAL on, the default):
//
//  1. Apply a batch with WriteOptions{Sync: true}. When Apply returns nil,
//     that batch and every earlier one survive a crash.
//  2. Batches applied without Sync become durable with the next synced
//     batch, a Flush, or never (a crash may drop any unsynced suffix, but
//     recovery always yields a prefix of the applied batches).
//  3. Call Step regularly (e.g. once per tick, or after every N writes) so
//     memtables are flushed and compaction keeps up.
//
// Under Raft (Options.DisableWAL; the Raft log is the WAL):
//
//  1. Apply each committed entry's writes with WriteOptions{Seq: index}
//     (seqs must increase; gaps are fine).
//  2. Flush when the log should be truncated; after it returns, DurableSeq
//     is the durable applied index.
//  3. After Open, replay the Raft log from DurableSeq()+1 with the same
//     seqs. Nothing above DurableSeq survives a crash.
//
// On any failed fsync (or failed WAL/manifest write) the DB is poisoned:
// every later write returns an error wrapping both ErrPoisoned and the
// cause, and no fsync is retried. Close and Open again; recovery decides
// what is durable. ENOSPC while writing a table is returned as is (wrapping
// diskio.ErrNoSpace) and leaves the DB usable and earlier data intact.
// Damaged bytes surface as *CorruptionError (wrapping ErrCorruption) naming
// the file and offset; reads never return wrong data and never panic.
//
// # Memory and the hot paths
//
// A Batch is kept as its WAL encoding, so Apply writes the record in place
// (into a buffer written when full, on a synced Apply, at a log switch and
// on Close) and the memtable copies from the same bytes. A memtable is a
// skiplist in an arena of pooled chunks: no allocation per insert and a
// size in real bytes; a batch that would take it past its budget rotates
// it first. The block cache holds raw, checksum-verified blocks, searched
// in place through their restart points; sequential iterators and
// compactions read ahead in large preads and bypass the cache. Keys and
// values an Iterator returns alias these buffers: they are valid until the
// next move, as documented; copy what must outlive it.
//
// # Internal keys and visibility
//
// An internal key is the user key followed by an 8-byte little-endian
// trailer seq<<8 | kind (kind: 0 delete, 1 set, 2 range delete). Internal
// keys sort by user key ascending, then trailer descending, so the newest
// version comes first. Every batch is applied at one seq; a Batch is
// normalized as it is built (a later op on a key replaces an earlier one; a
// DeleteRange drops earlier point ops it covers), which makes one-seq
// batches equal to applying their ops in order. A range tombstone [start,
// end)@t hides versions with seq < t. A reader at snapshot S sees, for each
// user key, its newest version with seq <= S, unless that version is a
// deletion or a tombstone with seq in (version, S] covers it.
//
// # On-disk formats (all integers little endian; CRC32C = Castagnoli)
//
// Directory: CURRENT (the live manifest's name and "\n", replaced by
// write-temp, sync, rename, sync-dir), MANIFEST-NNNNNN, NNNNNN.log (WAL),
// NNNNNN.sst (tables). File numbers are never reused.
//
// Record log (WAL and manifest): records of crc32c[4] length[4]
// payload[length], the CRC covering length and payload. A bad record with no
// valid record after it is a torn tail and is dropped; one followed by a
// valid record is corruption. WAL payload: seq[8] count[uvarint] then per op
// kind[1] key[uvarint len + bytes] value-or-end[uvarint len + bytes].
// Manifest payload: a version edit as (tag uvarint, value) pairs: 1 log
// number, 2 next file number, 3 last seq, 4 durable seq, 5 deleted file
// (level, file number), 6 added file (level, file number, size, smallest
// seq, largest seq, entries, range deletions, run id, smallest key,
// largest key). The first record of every manifest is a full snapshot.
//
// Table: data blocks (4 KiB target), filter block, range-deletion block,
// properties block, index block, then a fixed 80-byte footer: the filter,
// range-del, properties and index handles as (offset u64, length u64),
// format version u32, CRC32C of those 68 bytes u32, magic u64
// "LineraLS". Every block is followed by the CRC32C of its bytes, verified
// on every read from disk. Data, index and range-del blocks share one
// layout: entries of shared[uvarint] unshared[uvarint] valueLen[uvarint]
// keySuffix value, with a full key every 16 entries whose offsets form the
// trailing restart array (u32 each, then their count u32). Data entries
// map internal keys to values; index entries map each data block's last
// internal key to its handle (offset, length as uvarints); range-del
// entries map (start, seq, RANGEDEL) to the end key. The filter is a bloom
// filter over user keys (FNV-1a 64, double hashing; bits then probe count
// byte). Properties: entry, deletion and range-deletion counts, seq range,
// raw key and value bytes, smallest and largest user key.
//
// # Installing state
//
// A flush or compaction writes its tables, syncs each, syncs the directory,
// and only then appends the version edit naming them to the manifest and
// syncs it; the edit takes effect after that sync. Files an edit drops are
// deleted only after the edit is durable and no live iterator's version
// still uses them; leftovers from a crash are removed at the next Open.
// Open replays the manifest, checks every named table exists with its
// recorded size, replays the WALs at or above the manifest's log number
// into a table, then writes a fresh manifest and WAL.
//
// # Invariants
//
//   - durableSeq <= lastSeq; every installed table's seqs are <= durableSeq;
//     every memtable entry is newer than every table entry.
//   - L0 is ordered newest first (largest seq descending); in every level
//     below it tables are sorted and never overlap in point keys, one
//     table's largest key at most the next one's smallest.
//   - Size-tiered runs (tables sharing a run id, all in L0) are merged only
//     with adjacent runs, so runs keep disjoint seq ranges.
//   - Compaction keeps, per user key, the newest version in each snapshot
//     stripe (the seqs between two consecutive open snapshots) and drops a
//     deletion or range tombstone only when no open snapshot predates it and
//     no table outside the compaction may hold a version it hides.
//   - The owner's CompactionFilter drops a set only under that same rule:
//     it is the newest version of its key in the compaction, no open
//     snapshot predates it, its seq is below the filter horizon, and no
//     table outside the compaction may hold an older version — so a drop
//     never uncovers an older value, and reads as an absent key.
//   - Every queue is bounded: immutable memtables (ImmutableMemtablesMax),
//     open idle tables (MaxOpenFiles), cached blocks (block cache bytes),
//     batch ops (batchOpsMax), record sizes (recordPayloadBytesMax), the
//     WAL write buffer (walBufferBytesMax), a table writer's buffer
//     (tableWriteBufferBytesMax), an iterator's read-ahead
//     (readaheadBytesMax), spare arena chunks (chunkPool.chunksMax).
//   - A memtable's arena is reused only after it is flushed and no
//     Iterator reads it (memtable.refs).
//
// Expensive whole-state checks run after every installed edit when built
// with -tags invariants (as `make test` does).
package lsm
