package lsm

import (
	"errors"
	"fmt"
)

var (
	// ErrCorruption is wrapped by every error about stored bytes that fail a
	// checksum or a format check. errors.As to *CorruptionError gives the
	// file and offset.
	ErrCorruption = errors.New("lsm: corruption")
	// ErrPoisoned is wrapped by every write after a failed fsync (or a failed
	// write whose effect on disk is unknown). The DB must be closed and
	// reopened; recovery then decides what is durable.
	ErrPoisoned = errors.New("lsm: db poisoned by an earlier I/O failure; reopen it")
	// ErrClosed is returned by operations on a closed DB.
	ErrClosed = errors.New("lsm: db closed")
	// ErrNotFound is returned by Get for a key with no visible value.
	ErrNotFound = errors.New("lsm: not found")
	// ErrInvalidArgument is wrapped by errors about bad caller input.
	ErrInvalidArgument = errors.New("lsm: invalid argument")
)

// CorruptionError names the damaged file and where in it the damage is.
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("lsm: corruption in %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

func (e *CorruptionError) Unwrap() error { return ErrCorruption }

func corruptf(file string, offset int64, format string, args ...any) error {
	return &CorruptionError{File: file, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}

// poisonedError carries the first failure that poisoned the DB.
type poisonedError struct{ cause error }

func (e *poisonedError) Error() string { return ErrPoisoned.Error() + ": " + e.cause.Error() }

// Is makes errors.Is(err, ErrPoisoned) and errors.Is(err, cause) both hold.
func (e *poisonedError) Is(target error) bool { return target == ErrPoisoned }
func (e *poisonedError) Unwrap() error        { return e.cause }
