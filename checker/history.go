package checker

import (
	"errors"
	"fmt"
	"time"
)

// OpID names one operation of a History: its position in invocation order,
// starting at 0. Anomaly reports call a transaction with OpID 7 "T7".
type OpID int

// Kind is the operation type. The three workloads use disjoint kinds:
// register (Get, Put, CAS, Delete, DeleteRange), bank (Transfer,
// ReadAll), list-append (Txn). New kinds are appended so the numbers of
// the old ones never change.
type Kind uint8

const (
	KindGet Kind = iota + 1
	KindPut
	KindCAS
	KindTransfer
	KindReadAll
	KindTxn
	KindDelete
	KindDeleteRange
	kindEnd // one past the last valid kind
)

var kindNames = [...]string{"?", "get", "put", "cas", "transfer", "read-all", "txn", "delete", "delete-range"}

// DeleteRangeKeysMax bounds the keys one DeleteRange may cover: the
// register checker turns it into one operation per key, so a malformed
// history must not be able to ask for billions.
const DeleteRangeKeysMax = 64

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MicroKind is the type of one micro-operation inside a list-append Txn.
type MicroKind uint8

const (
	MicroAppend MicroKind = iota + 1
	MicroRead
)

// Micro is one step of a list-append transaction: append Value to the list
// at Key, or read the list at Key (Read holds what was observed; in a
// reply, a nil Read means the empty list).
type Micro struct {
	Kind  MicroKind
	Key   int64
	Value int64
	Read  []int64
}

// Op is what a client asked for. Only the fields its Kind names are used.
type Op struct {
	Kind Kind
	// Key is the register key (get, put, cas, delete), or the first key
	// of a delete-range.
	Key int64
	// KeyEnd is the end (exclusive) of a delete-range's keys [Key, KeyEnd).
	KeyEnd int64
	// Value is the value written by put, or the new value of cas.
	Value int64
	// Expect is the value cas compares against.
	Expect int64
	// From, To and Amount describe a bank transfer.
	From, To int
	Amount   int64
	// Txn is the list-append transaction's micro-operations.
	Txn []Micro
}

// Get reads a register.
func Get(key int64) Op { return Op{Kind: KindGet, Key: key} }

// Put writes a register.
func Put(key, value int64) Op { return Op{Kind: KindPut, Key: key, Value: value} }

// CAS sets the register to value if it currently holds expect.
func CAS(key, expect, value int64) Op {
	return Op{Kind: KindCAS, Key: key, Expect: expect, Value: value}
}

// Delete removes a register's value: later gets find nothing, and a cas
// fails, until the next put.
func Delete(key int64) Op { return Op{Kind: KindDelete, Key: key} }

// DeleteRange deletes the registers [from, to) in one atomic step.
func DeleteRange(from, to int64) Op { return Op{Kind: KindDeleteRange, Key: from, KeyEnd: to} }

// Transfer moves amount from account from to account to, atomically.
func Transfer(from, to int, amount int64) Op {
	return Op{Kind: KindTransfer, From: from, To: to, Amount: amount}
}

// ReadAll reads every bank balance in one snapshot.
func ReadAll() Op { return Op{Kind: KindReadAll} }

// Txn is a list-append transaction.
func Txn(micros ...Micro) Op { return Op{Kind: KindTxn, Txn: micros} }

// Append is the micro-op [append key value].
func Append(key, value int64) Micro { return Micro{Kind: MicroAppend, Key: key, Value: value} }

// Read is the micro-op [r key nil]; in a reply, ReadResult fills it in.
func Read(key int64) Micro { return Micro{Kind: MicroRead, Key: key} }

// ReadResult is the micro-op [r key values] as observed.
func ReadResult(key int64, values ...int64) Micro {
	return Micro{Kind: MicroRead, Key: key, Read: append([]int64{}, values...)}
}

// Reply is what a completed operation returned. Only the fields the
// operation's Kind names are used.
type Reply struct {
	// Found and Value are a get's result (Found false: key absent).
	Found bool
	Value int64
	// Swapped says whether a cas took effect.
	Swapped bool
	// Balances is a read-all's snapshot, indexed by account.
	Balances []int64
	// Txn is a committed transaction's micro-ops with reads filled in.
	Txn []Micro
}

// Status is how an operation ended.
type Status uint8

const (
	// StatusPending: invoked, never returned. Checkers treat it as Unknown.
	StatusPending Status = iota
	// StatusOK: completed; Reply holds the result (a committed txn, an
	// applied transfer, a put, a cas that swapped or saw a mismatch).
	StatusOK
	// StatusFail: definitely had no effect (an aborted txn, a rejected
	// transfer, a request refused before it was proposed).
	StatusFail
	// StatusUnknown: ambiguous, e.g. timed out or the leader was lost
	// mid-flight; it may or may not have taken effect.
	StatusUnknown
)

var statusNames = [...]string{"pending", "ok", "fail", "unknown"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Record is one operation of a History, from invocation to outcome.
type Record struct {
	ID     OpID
	Client int
	Op     Op
	Status Status
	Reply  Reply // meaningful only when Status is StatusOK
	// InvokeTime and ReturnTime are simulated times given by the caller.
	// ReturnTime is meaningful unless Status is StatusPending.
	InvokeTime time.Duration
	ReturnTime time.Duration
}

// EventType distinguishes the two halves of an operation.
type EventType uint8

const (
	EventInvoke EventType = iota + 1
	EventReturn
)

// Event is one line of a history in the order the Recorder saw it.
type Event struct {
	Type EventType
	ID   OpID
	Time time.Duration
}

// History is a recorded client history. Records are indexed by OpID;
// Events are in recording order, which is also non-decreasing time order.
type History struct {
	Records []Record
	Events  []Event
}

// OpsMaxDefault bounds a Recorder made with NewRecorder(0): enough for any
// simulation seed, small enough that a runaway workload fails loudly.
const OpsMaxDefault = 1 << 20

// Errors returned by Recorder. They are harness bugs or a full history,
// never judgements about the system under test.
var (
	ErrHistoryFull     = errors.New("checker: history full")
	ErrUnknownOp       = errors.New("checker: unknown operation id")
	ErrAlreadyReturned = errors.New("checker: operation already returned")
	ErrTimeBackwards   = errors.New("checker: event time went backwards")
	ErrBadOp           = errors.New("checker: malformed operation")
)

// Recorder appends invocations and returns to a History.
//
// Invariants: len(h.Records) <= opsMax; event times never decrease; every
// Return event names an operation that was invoked and had not returned.
type Recorder struct {
	opsMax   int
	h        History
	lastTime time.Duration
}

// NewRecorder returns an empty Recorder holding at most opsMax operations
// (OpsMaxDefault if opsMax <= 0).
func NewRecorder(opsMax int) *Recorder {
	if opsMax <= 0 {
		opsMax = OpsMaxDefault
	}
	return &Recorder{opsMax: opsMax}
}

// Invoke records that client started op at simulated time at, and returns
// the operation's id for the matching Return, Fail or ReturnUnknown.
func (r *Recorder) Invoke(client int, op Op, at time.Duration) (OpID, error) {
	if len(r.h.Records) >= r.opsMax {
		return -1, fmt.Errorf("%w: %d operations", ErrHistoryFull, r.opsMax)
	}
	if err := op.validate(); err != nil {
		return -1, err
	}
	if err := r.advance(at); err != nil {
		return -1, err
	}
	id := OpID(len(r.h.Records))
	op.Txn = cloneMicros(op.Txn)
	r.h.Records = append(r.h.Records, Record{ID: id, Client: client, Op: op, InvokeTime: at})
	r.h.Events = append(r.h.Events, Event{Type: EventInvoke, ID: id, Time: at})
	return id, nil
}

// Return records that operation id completed with reply at time at.
func (r *Recorder) Return(id OpID, reply Reply, at time.Duration) error {
	reply.Balances = append([]int64(nil), reply.Balances...)
	reply.Txn = cloneMicros(reply.Txn)
	return r.finish(id, StatusOK, reply, at)
}

// Fail records that operation id definitely had no effect.
func (r *Recorder) Fail(id OpID, at time.Duration) error {
	return r.finish(id, StatusFail, Reply{}, at)
}

// ReturnUnknown records that operation id ended ambiguously: it may or may
// not have taken effect, now or later.
func (r *Recorder) ReturnUnknown(id OpID, at time.Duration) error {
	return r.finish(id, StatusUnknown, Reply{}, at)
}

func (r *Recorder) finish(id OpID, status Status, reply Reply, at time.Duration) error {
	if id < 0 || int(id) >= len(r.h.Records) {
		return fmt.Errorf("%w: %d", ErrUnknownOp, id)
	}
	rec := &r.h.Records[id]
	if rec.Status != StatusPending {
		return fmt.Errorf("%w: %d is %s", ErrAlreadyReturned, id, rec.Status)
	}
	if err := r.advance(at); err != nil {
		return err
	}
	rec.Status, rec.Reply, rec.ReturnTime = status, reply, at
	r.h.Events = append(r.h.Events, Event{Type: EventReturn, ID: id, Time: at})
	return nil
}

func (r *Recorder) advance(at time.Duration) error {
	if at < r.lastTime {
		return fmt.Errorf("%w: %v after %v", ErrTimeBackwards, at, r.lastTime)
	}
	r.lastTime = at
	return nil
}

// Len returns the number of operations invoked so far.
func (r *Recorder) Len() int { return len(r.h.Records) }

// History returns a copy of the history so far; operations still pending
// stay StatusPending, which every checker treats as unknown.
func (r *Recorder) History() History {
	h := History{
		Records: make([]Record, len(r.h.Records)),
		Events:  append([]Event(nil), r.h.Events...),
	}
	copy(h.Records, r.h.Records)
	h.assertEvents()
	return h
}

// EndTime is the time of the last event (0 for an empty history).
func (h History) EndTime() time.Duration {
	if len(h.Events) == 0 {
		return 0
	}
	return h.Events[len(h.Events)-1].Time
}

// ambiguous reports whether rec's effect is unknown to the checkers.
func (rec *Record) ambiguous() bool {
	return rec.Status == StatusPending || rec.Status == StatusUnknown
}

func cloneMicros(ms []Micro) []Micro {
	if ms == nil {
		return nil
	}
	out := make([]Micro, len(ms))
	for i, m := range ms {
		out[i] = m
		if m.Read != nil {
			out[i].Read = append([]int64{}, m.Read...)
		}
	}
	return out
}

// Validate checks the structure every checker relies on: records indexed by
// their id, returns not before invocations, statuses in range. Histories
// from a Recorder always pass; a hand-built or decoded one may not.
func (h History) Validate() error {
	for i := range h.Records {
		rec := &h.Records[i]
		if rec.ID != OpID(i) {
			return fmt.Errorf("%w: record %d has id %d", ErrBadOp, i, rec.ID)
		}
		if err := rec.Op.validate(); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		if rec.Status > StatusUnknown {
			return fmt.Errorf("%w: op %d has %s", ErrBadOp, i, rec.Status)
		}
		if rec.Status != StatusPending && rec.ReturnTime < rec.InvokeTime {
			return fmt.Errorf("%w: op %d returns at %v before its invocation at %v",
				ErrTimeBackwards, i, rec.ReturnTime, rec.InvokeTime)
		}
	}
	return nil
}

// validate checks what the checkers rely on in an op: a known kind, and a
// delete-range over a non-empty span of at most DeleteRangeKeysMax keys.
func (op Op) validate() error {
	if op.Kind < KindGet || op.Kind >= kindEnd {
		return fmt.Errorf("%w: kind %d", ErrBadOp, op.Kind)
	}
	if op.Kind != KindDeleteRange {
		return nil
	}
	if op.KeyEnd <= op.Key || uint64(op.KeyEnd-op.Key) > DeleteRangeKeysMax {
		return fmt.Errorf("%w: delete-range [%d,%d) outside 1..%d keys", ErrBadOp, op.Key, op.KeyEnd, DeleteRangeKeysMax)
	}
	return nil
}
