package diskio

import (
	"errors"
	"strings"
)

// More errors reported by both implementations. They complete the set in
// fs.go so that OSFS and MemFS fail the same way for the same misuse, which
// the conformance test checks.
var (
	ErrInvalid  = errors.New("invalid argument")
	ErrIsDir    = errors.New("is a directory")
	ErrNotDir   = errors.New("not a directory")
	ErrNotEmpty = errors.New("directory not empty")
	ErrReadOnly = errors.New("file not open for writing")
)

// OpError records the operation and the path that failed. Err is one of the
// package's sentinel errors when the failure maps onto one (so errors.Is
// works), and Cause, if set, is the underlying error the sentinel was derived
// from (the operating system's errno for OSFS).
type OpError struct {
	Op    string
	Path  string
	Err   error
	Cause error
}

func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString("diskio: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Cause != nil {
		b.WriteString(" (")
		b.WriteString(e.Cause.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap exposes both the sentinel and the cause to errors.Is and errors.As.
func (e *OpError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func opErr(op, path string, err error) error {
	return &OpError{Op: op, Path: path, Err: err}
}
