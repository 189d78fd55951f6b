package raftlog

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every error that reports damaged durable
	// state. A node that sees it must not serve: voting or acknowledging
	// with a damaged log can break Raft's safety.
	ErrCorrupt = errors.New("raftlog: corrupt log")
	// ErrPoisoned is returned by every call after a write or fsync failed
	// in a way that leaves the durable state unknown. The node must stop;
	// a restart recovers from what reached the disk.
	ErrPoisoned = errors.New("raftlog: log poisoned by an earlier I/O failure")
	// ErrCompacted reports an index at or below the snapshot.
	ErrCompacted = errors.New("raftlog: index compacted away")
	// ErrUnavailable reports an index beyond the last entry.
	ErrUnavailable = errors.New("raftlog: index beyond the last entry")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("raftlog: log closed")
)

// CorruptError names where damage was found. It wraps ErrCorrupt.
type CorruptError struct {
	File   string // path of the damaged file
	Offset int64  // byte offset of the damaged record, or -1 for the file as a whole
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("raftlog: corrupt log: %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// Problem is one finding of recovery or Verify.
type Problem struct {
	File   string // name within the log directory
	Offset int64  // byte offset, or -1 for the file as a whole
	Reason string
	// TornTail marks damage at the very end of the last segment with no
	// valid record after it: the expected result of a crash during an
	// unsynced write. Open truncates it; it is not corruption.
	TornTail bool
}

func (p Problem) String() string {
	kind := "corrupt"
	if p.TornTail {
		kind = "torn tail"
	}
	return fmt.Sprintf("%s: %s at offset %d: %s", kind, p.File, p.Offset, p.Reason)
}

// poisonError carries the failure that poisoned the log.
type poisonError struct{ cause error }

func (e *poisonError) Error() string {
	return fmt.Sprintf("%v (cause: %v)", ErrPoisoned, e.cause)
}

func (e *poisonError) Unwrap() []error { return []error{ErrPoisoned, e.cause} }
