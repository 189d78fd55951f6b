package diskio

import "strconv"

// Op names a MemFS operation kind, for fault rules, counters and latency.
type Op int

const (
	OpCreate Op = iota
	OpOpen
	OpOpenAppend
	OpRename
	OpRemove
	OpList
	OpMkdirAll
	OpSyncDir
	OpStat
	OpWrite
	OpSync
	OpRead
	OpTruncate
	opCount
)

var opNames = [opCount]string{
	"create", "open", "openappend", "rename", "remove", "list", "mkdirall",
	"syncdir", "stat", "write", "sync", "read", "truncate",
}

func (o Op) String() string {
	if o < 0 || o >= opCount {
		return "op(" + strconv.Itoa(int(o)) + ")"
	}
	return opNames[o]
}

// Fault names an injected failure.
type Fault int

const (
	// FaultNone is the absence of a fault.
	FaultNone Fault = iota
	// FaultEIO fails the operation with ErrIO, doing nothing.
	FaultEIO
	// FaultNoSpace fails Write, Create or MkdirAll with ErrNoSpace.
	FaultNoSpace
	// FaultBitFlip inverts one bit of the bytes a Read returns.
	FaultBitFlip
	faultCount
)

var faultNames = [faultCount]string{"none", "eio", "enospc", "bitflip"}

func (f Fault) String() string {
	if f < 0 || f >= faultCount {
		return "fault(" + strconv.Itoa(int(f)) + ")"
	}
	return faultNames[f]
}

// appliesTo says whether the fault makes sense for the operation.
func (f Fault) appliesTo(op Op) bool {
	switch f {
	case FaultEIO:
		return true
	case FaultNoSpace:
		return op == OpWrite || op == OpCreate || op == OpMkdirAll
	case FaultBitFlip:
		return op == OpRead
	}
	return false
}

// FaultRule arms one fault. Exactly one of Probability and OnCall is set.
type FaultRule struct {
	Op    Op
	Fault Fault
	// Probability fires the fault on each matching call with this chance,
	// in (0, 1], drawn from the MemFS's PRNG.
	Probability float64
	// OnCall fires the fault once, on the OnCall-th matching call after
	// the rule is armed (1 is the next one); the rule then disarms.
	OnCall uint64
	// PathPrefix, if set, limits the rule to cleaned paths starting with
	// it, e.g. one node's directory.
	PathPrefix string
}

func (r FaultRule) validate() error {
	if r.Op < 0 || r.Op >= opCount || !r.Fault.appliesTo(r.Op) {
		return opErr("arm", r.Op.String(), ErrInvalid)
	}
	byProbability := r.Probability > 0 && r.Probability <= 1
	byCall := r.OnCall > 0
	if byProbability == byCall || r.Probability < 0 || r.Probability > 1 {
		return opErr("arm", r.Op.String(), ErrInvalid)
	}
	return nil
}

// faultRulesMax bounds the armed rules; a simulator needs a handful.
const faultRulesMax = 64

type armedRule struct {
	FaultRule
	matchedCalls uint64
}

// faultState is MemFS's fault bookkeeping. Counters live in fixed arrays
// indexed by Op and Fault, so reading them out is ordered by construction.
type faultState struct {
	rules   []armedRule
	latency func(op Op, path string)
	calls   [opCount]uint64
	fired   [opCount][faultCount]uint64
	// capacityRefusals counts writes refused by CapacityBytesMax.
	capacityRefusals uint64
	// syncLies counts Syncs that returned nil without making data durable.
	syncLies uint64
}

// Arm adds a fault rule. Rules are tried in the order armed; the first that
// fires decides the fault of a call.
func (m *MemFS) Arm(r FaultRule) error {
	if err := r.validate(); err != nil {
		return err
	}
	if len(m.faults.rules) >= faultRulesMax {
		return opErr("arm", r.Op.String(), ErrNoSpace)
	}
	m.faults.rules = append(m.faults.rules, armedRule{FaultRule: r})
	return nil
}

// DisarmAll removes every fault rule; counters are kept.
func (m *MemFS) DisarmAll() { m.faults.rules = nil }

// SetLatencyHook installs fn to be called at the start of every operation
// (nil removes it). MemFS itself never waits.
func (m *MemFS) SetLatencyHook(fn func(op Op, path string)) { m.faults.latency = fn }

// before runs the per-call bookkeeping and turns a fired EIO or ENOSPC into
// the operation's error.
func (m *MemFS) before(op Op, p string) error {
	_, err := m.beforeFault(op, p)
	return err
}

// beforeFault is before for Read, which also needs to know of a bit flip.
func (m *MemFS) beforeFault(op Op, p string) (Fault, error) {
	if m.faults.latency != nil {
		m.faults.latency(op, p)
	}
	m.faults.calls[op]++
	fault := m.drawFault(op, p)
	switch fault {
	case FaultEIO:
		return fault, opErr(op.String(), p, ErrIO)
	case FaultNoSpace:
		return fault, opErr(op.String(), p, ErrNoSpace)
	}
	return fault, nil
}

// drawFault evaluates the armed rules for one call. Every matching rule
// advances its call count, and probability rules draw from the PRNG only
// when they match, so the draws depend on the call sequence alone.
func (m *MemFS) drawFault(op Op, p string) Fault {
	fault := FaultNone
	kept := m.faults.rules[:0]
	for _, r := range m.faults.rules {
		if r.Op != op || !hasPathPrefix(p, r.PathPrefix) {
			kept = append(kept, r)
			continue
		}
		r.matchedCalls++
		fires := false
		if r.OnCall > 0 {
			fires = r.matchedCalls == r.OnCall
		} else {
			fires = m.rng.Float64() < r.Probability
		}
		if fires && fault == FaultNone {
			fault = r.Fault
		}
		if r.OnCall > 0 && r.matchedCalls >= r.OnCall {
			continue // one-shot rule spent
		}
		kept = append(kept, r)
	}
	m.faults.rules = kept
	// A bit flip is counted when applied: a read of no bytes has none.
	if fault != FaultNone && fault != FaultBitFlip {
		m.faults.fired[op][fault]++
	}
	return fault
}

func hasPathPrefix(p, prefix string) bool {
	return len(p) >= len(prefix) && p[:len(prefix)] == prefix
}

// flipBit inverts one PRNG-chosen bit of b, the bytes a read returns.
func (m *MemFS) flipBit(b []byte, p string) {
	if len(b) == 0 {
		return
	}
	i := m.rng.IntN(len(b))
	b[i] ^= 1 << m.rng.IntN(8)
	m.faults.fired[OpRead][FaultBitFlip]++
}

// FaultCount is how often one fault fired on one operation kind.
type FaultCount struct {
	Op    Op
	Fault Fault
	Count uint64
}

// FaultCounts returns the non-zero fault counters ordered by Op, then Fault:
// the simulator's coverage probes read them.
func (m *MemFS) FaultCounts() []FaultCount {
	var out []FaultCount
	for op := Op(0); op < opCount; op++ {
		for f := Fault(0); f < faultCount; f++ {
			if c := m.faults.fired[op][f]; c > 0 {
				out = append(out, FaultCount{Op: op, Fault: f, Count: c})
			}
		}
	}
	return out
}

// Calls returns how many calls of op MemFS has seen, faulted or not.
func (m *MemFS) Calls(op Op) uint64 {
	if op < 0 || op >= opCount {
		return 0
	}
	return m.faults.calls[op]
}

// CapacityRefusals counts writes refused by CapacityBytesMax.
func (m *MemFS) CapacityRefusals() uint64 { return m.faults.capacityRefusals }

// SyncLies counts Syncs that returned nil without making data durable,
// after an earlier failed Sync under SyncRetryLies.
func (m *MemFS) SyncLies() uint64 { return m.faults.syncLies }

// UsedBytes returns the total current size of the files that have a name,
// the figure CapacityBytesMax bounds.
func (m *MemFS) UsedBytes() int64 { return m.usedBytes }
