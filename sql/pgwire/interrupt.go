package pgwire

import (
	"sync/atomic"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// InterruptReason says why a statement was interrupted.
type InterruptReason int32

// Interrupt reasons; none is the zero value.
const (
	interruptNone InterruptReason = iota
	// InterruptUser: a CancelRequest from the client.
	InterruptUser
	// InterruptTimeout: statement_timeout expired.
	InterruptTimeout
	// InterruptShutdown: the server's drain deadline passed.
	InterruptShutdown
)

// Interrupt is the one piece of a connection's state written from outside
// its goroutine: the server's cancel handler and statement timer set it,
// the session polls Err between units of work. pgwire clears it before
// each statement, so a late cancel never hits the next one.
type Interrupt struct {
	reason atomic.Int32
}

// Set asks the running statement to stop for reason.
func (i *Interrupt) Set(reason InterruptReason) {
	i.reason.CompareAndSwap(int32(interruptNone), int32(reason))
}

// Clear resets the interrupt; pgwire calls it before each statement.
func (i *Interrupt) Clear() { i.reason.Store(int32(interruptNone)) }

// Err returns the 57014 error the statement must fail with, or nil.
func (i *Interrupt) Err() *sqlerr.Error {
	if i == nil {
		return nil
	}
	switch InterruptReason(i.reason.Load()) {
	case InterruptUser:
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	case InterruptTimeout:
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	case InterruptShutdown:
		return sqlerr.New(codeAdminShutdown, "terminating connection due to administrator command")
	}
	return nil
}
