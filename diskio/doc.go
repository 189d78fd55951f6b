// Package diskio is the disk seam: every byte LineraDB persists goes through
// an FS, so production uses the operating system's files (OSFS) and the
// simulator uses MemFS, a disk with real crash semantics and injected faults.
//
// The contract the storage code (raft log, LSM) is written against is the
// POSIX one at its weakest:
//
//  1. Data written to a File is volatile until File.Sync returns nil.
//  2. A name created, renamed or removed in a directory is volatile until
//     FS.SyncDir on that directory returns nil.
//  3. A crash may keep any prefix of the unsynced writes to a file, and the
//     last sector kept may be torn (partly written, partly garbage).
//  4. A failed Sync means the state of the unsynced data is unknown; callers
//     must not retry it and carry on (the fsyncgate lesson): they stop.
//
// Files are append-only writers (Write appends at the end) with random-access
// reads (ReadAt) and tail truncation (Truncate): that is all an LSM and a
// Raft log need, and it keeps the crash model simple to state and to check.
//
// Names are slash-separated paths relative to the FS root, as with io/fs.
// Absolute names and names that climb above the root are rejected with
// ErrInvalid. Only files are renamed.
//
// Two implementations:
//
//   - OSFS (osfs.go): the operating system's files under a root directory.
//     Errors are *OpError values naming the operation and the path, whose
//     Err is a sentinel of this package and whose Cause is the errno.
//   - MemFS (memfs.go, whose top comment states the fault model): the
//     simulator's disk, single-goroutine and deterministic from its seed.
//
// The two fail alike for the same misuse; a conformance test runs random
// operation sequences against both and compares every outcome.
//
// MemFS invariants, asserted where state changes (whole-FS checks under the
// invariants build tag):
//
//   - a file's current content is its durable content with its pending
//     operations applied, and it has at most pendingOpsMax of them;
//   - each file's link count equals its number of current names, and the
//     bytes charged against the capacity are the sizes of named files;
//   - a crash leaves only names reachable through durable entries from the
//     root, each file holding its durable content plus a prefix of its
//     pending operations, torn at most within the last kept append's
//     final sector.
package diskio
