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
package diskio
