// Package raftlog is the durable Raft log: the entries, the HardState and
// the latest SnapshotMeta of one Raft group, in one directory of a
// diskio.FS. Under Raft it is LineraDB's write-ahead log: an entry is
// acknowledged only after Sync has made it durable.
//
// It owns the bytes and their durability, never their meaning: the
// consensus core (package raft) decides what to append, truncate, vote and
// compact; this package makes those decisions survive a crash, or refuses
// to start when the disk cannot vouch for them.
//
// # Contract
//
// One goroutine owns a Log (it is a core package: no clock, no goroutines,
// no os). At start, Open recovers the directory and returns its HardState,
// Snapshot and Entries: what raft.New takes as raft.Recovered. Then, per
// batch of Raft output (a Ready):
//
//  1. Append(entries): buffer the entries. If entries[0].Index <= LastIndex
//     the conflicting suffix is cut first — durably, before anything new is
//     written.
//  2. SetHardState(hs), after Append (hs.Commit may not pass LastIndex).
//  3. Sync(): one fsync of the active segment makes the whole batch durable
//     (group commit), plus one directory sync if a segment was created.
//     Only now may the node send messages that depend on the batch (votes,
//     append acknowledgements).
//  4. Compact(meta) when a snapshot exists: meta is made durable, then
//     segments wholly at or below meta.Index are deleted.
//
// Reads (Entries, Term, FirstIndex, LastIndex) see everything appended,
// synced or not. A failed fsync, or any write failure other than "no
// space", poisons the Log: every later call returns ErrPoisoned and the
// node must stop; a restart recovers from what reached the disk. Running
// out of space returns an error wrapping diskio.ErrNoSpace and leaves the
// synced data and the Log usable.
//
// # On-disk format
//
// The directory holds segment files and one state file:
//
//	0000000000000001.seg   segment whose first entry has index 1 (16 hex digits)
//	00000000000004d2.seg   next segment, first entry 1234
//	state                  snapshot metadata + a copy of the hard state
//	state.tmp              only during a state rewrite; removed by Open
//
// Both are sequences of records, each framed as
//
//	u32 LE bodyBytes | u32 LE crc32c(Castagnoli) over bodyBytes field and body | body
//
// and the body's first byte is its kind (all integers little-endian):
//
//	1 entry:      term u64 | index u64 | type u8 | data
//	2 hard state: version u64 | term u64 | vote u64 | commit u64
//	3 state:      magic "LRST" u32 | format u8 | hard state version u64 |
//	              term u64 | vote u64 | commit u64 | snapshot index u64 |
//	              snapshot term u64 | n u32 | n voters u64 |
//	              m u32 | m learners u64
//
// Segments hold entry and hard state records interleaved, in the order
// they were set. Hard state records ride in the segment stream so that
// Sync stays one fsync however often the commit index moves. Each hard
// state record carries a version that grows by one per change; the current
// hard state is the highest-versioned copy in the segments or the state
// file. The state file holds exactly one state record and is only ever
// replaced whole (write state.tmp, fsync, rename, sync the directory), so
// it is never torn; it is rewritten by Compact and before anything is
// deleted or cut (a conflicting suffix, a finished compaction), because
// the deleted bytes may hold the newest hard state record.
//
// A segment is sealed (fsynced and its name synced) before the next one is
// created, and rolls over at Options.SegmentSizeBytesMax once it holds at
// least one entry.
//
// # Recovery rules (Open)
//
//  1. The state file must decode; otherwise ErrCorrupt (it cannot be torn).
//  2. Every record of every segment is checked. A record that does not
//     parse is re-read from disk up to Options.ReadRetriesMax times first:
//     MemFS (and real hardware) can flip a bit on the way without it being
//     stored, and believing such a read would cut or reject a good log.
//  3. Damage at the very end of the last segment with no parseable record
//     anywhere after it is a torn tail — the trace of a crash during an
//     unsynced write. It is cut off (and the cut fsynced), and the log
//     continues from the last good record.
//  4. Anything else is corruption and Open returns an error wrapping
//     ErrCorrupt (a *CorruptError naming the file and offset): damage in a
//     segment other than the last, damage followed by a valid record, a
//     record whose checksum holds but whose body does not decode, an entry
//     index out of sequence within a segment, a gap or overlap between
//     segments above the snapshot, a sealed segment with no entries, hard
//     state versions that go backwards, or a commit index beyond the last
//     entry. The node must then refuse to serve rather than vote or
//     acknowledge with a log that may have lost what it promised.
//  5. Entries at or below the snapshot index are dropped. The entries after
//     it are kept only if the log holds the snapshot's index with the
//     snapshot's term, or starts right after it; otherwise the log is
//     emptied after the snapshot, which is what Compact does and what an
//     interrupted Compact leaves for Open to finish.
//  6. If the last entry (or the snapshot) has a newer term than the hard
//     state, the crash kept a batch's entries but not the hard state record
//     written after them. The term is raised to the last entry's with no
//     vote: a vote is sent only after the Sync that makes it durable, and
//     durable hard state is never lost, so no vote in that term was cast.
//     (The consensus core rejects a log whose terms pass the hard state's.)
//
// Residual risk: a real bit flip stored in the last record of the last
// segment looks exactly like a torn tail, and rule 3 cuts it. If that
// record was synced and acknowledged, this node has silently lost an entry
// it promised; Raft stays safe only if enough other replicas have it. A
// per-sync durable watermark would close this hole at the cost of a second
// fsync per batch; we accept the risk instead.
//
// The opposite mistake is fail-stop, not loss: rule 4 looks for a valid
// record at every offset after the damage, so if an entry's Data itself
// embeds a well-formed record of this format and a crash tears that very
// entry, Open reports corruption for a log that is only torn. The node
// then refuses to start (an operator can check with Verify) rather than
// risk cutting synced entries.
//
// # Invariants
//
//   - Every segment but the last is sealed: fully fsynced, with a durable
//     name, so a torn tail can only be in the last.
//   - Segments are named by their first entry's index; within a segment
//     entry indexes increase by one; across segments they continue by one,
//     except where everything before a gap lies under the snapshot.
//   - snapshot.Index <= LastIndex and HardState.Commit <= LastIndex.
//   - The state file holds the newest hard state whenever a byte that may
//     hold a hard state record is deleted or cut.
//   - Nothing is deleted or cut until the state file is durable, and
//     segments are deleted newest first when the log is emptied, so any
//     crash leaves a prefix that recovery rule 5 completes.
//
// Verify (for `lineradb-admin verify-wal DIR`) applies the same checks
// without changing anything and returns a Report.
package raftlog
