// Package lsmbench measures LineraDB's LSM (package lsm) against Pebble
// v1.1.5 with the same workloads, through one small Engine interface. It
// lives in the bench module so that the main module never imports Pebble.
// cmd/lsmcompare runs the full-size comparison, one engine and workload
// per process; the Go benchmarks here run the same code at smaller sizes.
//
// # Engines as configured
//
//   - LineraDB: lsm.Open on a diskio.OSFS (a real directory), default
//     options (standalone, WAL on, 64 MiB memtable, leveled) but the block
//     cache size. One goroutine: an lsm.DB has a single owner by design,
//     so it is never read from two goroutines.
//   - Pebble: pebble.Open with default options (WAL on, 4 MiB memtables,
//     Snappy, one compaction at a time) but the cache size. Its flushes,
//     compactions and WAL syncs run on its own goroutines.
//
// # How the owner paces LineraDB's background work
//
// LineraDB does no work behind its owner's back: flushes and compactions
// happen in DB.Step. The write loops call Engine.Tick after every batch,
// which calls Step(batch bytes × Config.StepBytesPerWriteByte), default 8:
// each Step flushes one waiting memtable whole if there is one, otherwise
// advances compaction by about that many input bytes. (The engine also pays
// compaction debt itself inside Apply once L0 reaches its slowdown
// trigger.) Pebble's Tick does nothing. Measurements of the write loops end
// with the last write; Settle (flush, then run or wait for compactions until
// none is pending) comes after, unmeasured, for both engines, before write
// amplification is read.
//
// # Data
//
// Record i of a data set is a pure function of (seed, i): AppendKey and
// AppendValue. Keys are 16 random bytes, distinct for distinct i; values
// 100 random (incompressible) bytes. Readers regenerate any record and
// check the value they get, so a wrong engine cannot post a fast number.
//
// # Invariants
//
//   - Every Get of a read workload returns exactly the record's value
//     (Reads fails otherwise).
//   - A Scan sees exactly the expected number of keys, strictly
//     increasing, each with a 100-byte value.
//   - Write amplification divides each engine's own count of bytes
//     written (WAL + flushed tables + compacted tables) by the same user
//     byte count: records written × 116.
package lsmbench
