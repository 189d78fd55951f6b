package checker

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// The list-append checker (after Jepsen's Elle; see doc.go for the model
// and what it proves). This file gathers the transactions, checks each
// read on its own, and infers every key's version order; edges.go builds
// the dependency graph and cycles.go finds and explains its cycles.

// AnomalyKind names an anomaly, with Adya's names for the cycles. A cycle
// that needs a realtime edge gets the suffix "-realtime" (e.g.
// "G-single-realtime"): the history is serializable at most, not strictly.
type AnomalyKind string

const (
	// AnomalyG0: write cycle, ww edges only.
	AnomalyG0 AnomalyKind = "G0"
	// AnomalyG1a: aborted read, a committed txn read an aborted txn's append.
	AnomalyG1a AnomalyKind = "G1a"
	// AnomalyG1b: intermediate read, a committed txn read a state that ends
	// with a value its writer later followed with another append to the key.
	AnomalyG1b AnomalyKind = "G1b"
	// AnomalyG1c: circular information flow, a cycle of ww and wr edges.
	AnomalyG1c AnomalyKind = "G1c"
	// AnomalyGSingle: a cycle with exactly one rw anti-dependency (read skew).
	AnomalyGSingle AnomalyKind = "G-single"
	// AnomalyG2: a cycle with two or more rw anti-dependencies (write skew).
	AnomalyG2 AnomalyKind = "G2"
	// AnomalyGarbageRead: a read saw a value nobody appended to that key.
	AnomalyGarbageRead AnomalyKind = "garbage-read"
	// AnomalyDuplicateElements: a read saw one appended value twice.
	AnomalyDuplicateElements AnomalyKind = "duplicate-elements"
	// AnomalyIncompatibleOrder: two reads of a key are not prefixes of one
	// another, so no single version order explains them.
	AnomalyIncompatibleOrder AnomalyKind = "incompatible-order"
	// AnomalyInternal: a txn's read disagrees with its own earlier
	// reads and appends of the same key.
	AnomalyInternal AnomalyKind = "internal"

	realtimeSuffix = "-realtime"
)

// Step is one edge of a cycle: From must precede To, for reason Kind.
type Step struct {
	From, To OpID
	Kind     EdgeKind
	Why      string
}

// Anomaly is one violation found in a list-append history.
type Anomaly struct {
	Kind AnomalyKind
	// Txns are the transactions involved, in the order the explanation
	// names them (for a cycle, its nodes from the smallest id).
	Txns []OpID
	// Cycle is set for cycle anomalies: Cycle[i].To == Cycle[i+1].From and
	// the last step returns to Cycle[0].From.
	Cycle       []Step
	Explanation string
}

// AnomaliesMax bounds Result.Anomalies: past it, only Dropped counts.
const AnomaliesMax = 64

// ListAppendStats counts the transactions by how the checker treated them.
type ListAppendStats struct {
	Committed int // returned ok
	Aborted   int // definitely failed
	Unknown   int // ambiguous or pending
	Promoted  int // unknown, but a committed read saw one of its appends
	Edges     int // dependency edges (a pair related several ways counts once)
}

// Result is the verdict of CheckListAppend.
type Result struct {
	Valid     bool
	Anomalies []Anomaly
	// Dropped counts anomalies found beyond AnomaliesMax.
	Dropped int
	Stats   ListAppendStats
}

// ListAppendOptions tune CheckListAppend.
type ListAppendOptions struct {
	// Strict adds realtime edges (T1 completed before T2 was invoked), so
	// the check is strict serializability instead of serializability.
	// Default false: the database only promises serializability.
	Strict bool
}

// ErrBadListAppendHistory reports a history the checker cannot judge: a
// value appended twice to a key, or a reply that does not match its txn.
var ErrBadListAppendHistory = errors.New("checker: bad list-append history")

// Transaction states as the checker sees them.
type txnState uint8

const (
	txnIgnored   txnState = iota // ambiguous and never observed: left out
	txnCommitted                 // returned ok, or ambiguous but observed
	txnAborted                   // definitely failed
)

type laTxn struct {
	rec   *Record
	ops   []Micro
	state txnState
	reads bool // its reads are known (it returned ok)
	node  int  // graph node, or -1
}

type keyValue struct{ key, value int64 }

// writeRef says who appended a value and whether it was that txn's last
// append to the key.
type writeRef struct {
	txn  int
	last bool
}

// readRef is one observed read of a committed txn.
type readRef struct {
	txn    int
	key    int64
	values []int64
}

// laCheck is the state of one CheckListAppend call.
type laCheck struct {
	h        History
	opts     ListAppendOptions
	txns     []laTxn
	writers  map[keyValue]writeRef
	reads    map[int64][]readRef // by key, in txn then micro order
	keys     []int64             // sorted keys of reads
	orders   map[int64][]int64   // inferred version order of consistent keys
	nodes    []int               // graph node -> index in txns
	g        *graph
	why      map[edgeID]edgeWhy
	res      Result
	gSingles int
}

// CheckListAppend judges the list-append transactions of h; other kinds
// are ignored. The result is a deterministic function of h and opts.
func CheckListAppend(h History, opts ListAppendOptions) (Result, error) {
	if err := h.Validate(); err != nil {
		return Result{}, err
	}
	c := &laCheck{h: h, opts: opts, writers: map[keyValue]writeRef{},
		reads: map[int64][]readRef{}, orders: map[int64][]int64{}}
	if err := c.collect(); err != nil {
		return Result{}, err
	}
	if err := c.indexWrites(); err != nil {
		return Result{}, err
	}
	c.promote()
	c.indexReads()
	c.checkReads()
	c.inferOrders()
	c.buildGraph()
	c.findCycles()
	c.res.Valid = len(c.res.Anomalies) == 0
	return c.res, nil
}

// collect gathers the txns and decides which micro-ops to trust: a
// committed txn's reply, anyone else's request.
func (c *laCheck) collect() error {
	for i := range c.h.Records {
		rec := &c.h.Records[i]
		if rec.Op.Kind != KindTxn {
			continue
		}
		if err := checkMicroKinds(rec); err != nil {
			return err
		}
		t := laTxn{rec: rec, ops: rec.Op.Txn, node: -1}
		switch {
		case rec.Status == StatusOK:
			ops, err := committedOps(rec)
			if err != nil {
				return err
			}
			t.ops, t.state, t.reads = ops, txnCommitted, true
			c.res.Stats.Committed++
		case rec.Status == StatusFail:
			t.state = txnAborted
			c.res.Stats.Aborted++
		default:
			c.res.Stats.Unknown++
		}
		c.txns = append(c.txns, t)
	}
	return nil
}

func checkMicroKinds(rec *Record) error {
	for i, m := range rec.Op.Txn {
		if m.Kind != MicroAppend && m.Kind != MicroRead {
			return fmt.Errorf("%w: T%d micro-op %d has kind %d", ErrBadListAppendHistory, rec.ID, i, m.Kind)
		}
	}
	return nil
}

// committedOps returns the micro-ops of a committed txn, checking that the
// reply is the request with reads filled in.
func committedOps(rec *Record) ([]Micro, error) {
	req, rep := rec.Op.Txn, rec.Reply.Txn
	if rep == nil {
		for _, m := range req {
			if m.Kind == MicroRead {
				return nil, fmt.Errorf("%w: committed T%d has reads but no reply", ErrBadListAppendHistory, rec.ID)
			}
		}
		return req, nil
	}
	if len(rep) != len(req) {
		return nil, fmt.Errorf("%w: T%d reply has %d micro-ops, request %d",
			ErrBadListAppendHistory, rec.ID, len(rep), len(req))
	}
	for i := range req {
		a, b := req[i], rep[i]
		if a.Kind != b.Kind || a.Key != b.Key || (a.Kind == MicroAppend && a.Value != b.Value) {
			return nil, fmt.Errorf("%w: T%d reply micro-op %d is %s, request %s",
				ErrBadListAppendHistory, rec.ID, i, b.format(true), a.format(false))
		}
	}
	return rep, nil
}

// indexWrites maps every appended value to its writer. Values must be
// unique per key: that is what lets a read name its writers.
func (c *laCheck) indexWrites() error {
	for ti := range c.txns {
		ops := c.txns[ti].ops
		for mi, m := range ops {
			if m.Kind != MicroAppend {
				continue
			}
			kv := keyValue{m.Key, m.Value}
			if prev, dup := c.writers[kv]; dup {
				return fmt.Errorf("%w: %d appended to key %d by both T%d and T%d",
					ErrBadListAppendHistory, m.Value, m.Key, c.txns[prev.txn].rec.ID, c.txns[ti].rec.ID)
			}
			c.writers[kv] = writeRef{txn: ti, last: !appendsLater(ops[mi+1:], m.Key)}
		}
	}
	return nil
}

func appendsLater(ops []Micro, key int64) bool {
	for _, m := range ops {
		if m.Kind == MicroAppend && m.Key == key {
			return true
		}
	}
	return false
}

// promote marks an ambiguous txn committed when a committed read observed
// one of its appends: transactions are atomic, so all of it happened.
// Ambiguous txns never observed are ignored, never counted as aborted.
func (c *laCheck) promote() {
	for ti := range c.txns {
		t := &c.txns[ti]
		if !t.reads {
			continue
		}
		for _, m := range t.ops {
			if m.Kind != MicroRead {
				continue
			}
			for _, v := range m.Read {
				w, ok := c.writers[keyValue{m.Key, v}]
				if ok && c.txns[w.txn].state == txnIgnored {
					c.txns[w.txn].state = txnCommitted
					c.res.Stats.Promoted++
				}
			}
		}
	}
}

func (c *laCheck) indexReads() {
	for ti := range c.txns {
		t := &c.txns[ti]
		if !t.reads {
			continue
		}
		for _, m := range t.ops {
			if m.Kind == MicroRead {
				c.reads[m.Key] = append(c.reads[m.Key], readRef{txn: ti, key: m.Key, values: m.Read})
			}
		}
	}
	c.keys = slices.Sorted(maps.Keys(c.reads))
}

func (c *laCheck) report(a Anomaly) {
	if len(c.res.Anomalies) >= AnomaliesMax {
		c.res.Dropped++
		return
	}
	c.res.Anomalies = append(c.res.Anomalies, a)
}

func (c *laCheck) id(ti int) OpID { return c.txns[ti].rec.ID }

// checkReads finds the anomalies visible in one read or one txn: internal
// inconsistency, duplicates, garbage, aborted and intermediate reads.
func (c *laCheck) checkReads() {
	for ti := range c.txns {
		if c.txns[ti].reads {
			c.checkInternal(ti)
		}
	}
	for _, k := range c.keys {
		for _, r := range c.reads[k] {
			c.checkRead(r)
		}
	}
}

func (c *laCheck) checkRead(r readRef) {
	if v, dup := firstDuplicate(r.values); dup {
		c.report(Anomaly{Kind: AnomalyDuplicateElements, Txns: []OpID{c.id(r.txn)},
			Explanation: fmt.Sprintf("T%d read key %d = %s: %d appears twice, but appended values are unique",
				c.id(r.txn), r.key, formatInts(r.values), v)})
	}
	for _, v := range r.values {
		w, ok := c.writers[keyValue{r.key, v}]
		switch {
		case !ok:
			c.report(Anomaly{Kind: AnomalyGarbageRead, Txns: []OpID{c.id(r.txn)},
				Explanation: fmt.Sprintf("T%d read key %d = %s: %d was never appended to key %d",
					c.id(r.txn), r.key, formatInts(r.values), v, r.key)})
		case c.txns[w.txn].state == txnAborted:
			c.report(Anomaly{Kind: AnomalyG1a, Txns: []OpID{c.id(r.txn), c.id(w.txn)},
				Explanation: fmt.Sprintf("T%d read key %d = %s, but %d was appended by T%d, which aborted",
					c.id(r.txn), r.key, formatInts(r.values), v, c.id(w.txn))})
		}
	}
	c.checkIntermediate(r)
}

// checkIntermediate: before the reader's own appends, the state a read saw
// ends with its last foreign element, so that element must be its
// writer's final append to the key.
func (c *laCheck) checkIntermediate(r readRef) {
	v, w, ok := c.lastForeign(r)
	if !ok || w.last || c.txns[w.txn].state == txnAborted {
		return
	}
	c.report(Anomaly{Kind: AnomalyG1b, Txns: []OpID{c.id(r.txn), c.id(w.txn)},
		Explanation: fmt.Sprintf("T%d read key %d = %s, which includes %d, an intermediate append of T%d, but not T%d's later append to key %d",
			c.id(r.txn), r.key, formatInts(r.values), v, c.id(w.txn), c.id(w.txn), r.key)})
}

// lastForeign returns the last element of r appended by another txn,
// skipping the reader's own appends at the end of the list.
func (c *laCheck) lastForeign(r readRef) (int64, writeRef, bool) {
	for i := len(r.values) - 1; i >= 0; i-- {
		w, ok := c.writers[keyValue{r.key, r.values[i]}]
		if !ok {
			return 0, writeRef{}, false
		}
		if w.txn != r.txn {
			return r.values[i], w, true
		}
	}
	return 0, writeRef{}, false
}

func firstDuplicate(vs []int64) (int64, bool) {
	seen := make(map[int64]bool, len(vs))
	for _, v := range vs {
		if seen[v] {
			return v, true
		}
		seen[v] = true
	}
	return 0, false
}

// checkInternal replays one committed txn against itself: a read of a key
// must equal its previous read plus its own appends since, or, with no
// previous read, end with its own appends so far.
func (c *laCheck) checkInternal(ti int) {
	type keyState struct {
		known    []int64
		read     bool
		appended []int64
	}
	states := map[int64]*keyState{}
	for _, m := range c.txns[ti].ops {
		s := states[m.Key]
		if s == nil {
			s = &keyState{}
			states[m.Key] = s
		}
		if m.Kind == MicroAppend {
			s.appended = append(s.appended, m.Value)
			continue
		}
		if want, ok := internalExpectation(s.read, s.known, s.appended, m.Read); !ok {
			c.report(Anomaly{Kind: AnomalyInternal, Txns: []OpID{c.id(ti)},
				Explanation: fmt.Sprintf("T%d read key %d = %s, but its own earlier operations imply %s",
					c.id(ti), m.Key, formatInts(m.Read), want)})
		}
		s.known, s.read, s.appended = m.Read, true, nil
	}
}

// internalExpectation says what a read must look like given the txn's own
// history of the key, and whether got matches it.
func internalExpectation(read bool, known, appended, got []int64) (string, bool) {
	if read {
		want := append(append([]int64{}, known...), appended...)
		return formatInts(want), equalInts(want, got)
	}
	if len(appended) == 0 {
		return "", true
	}
	n := len(got) - len(appended)
	return "a list ending with " + formatInts(appended), n >= 0 && equalInts(got[n:], appended)
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func isPrefix(p, of []int64) bool { return len(p) <= len(of) && equalInts(p, of[:len(p)]) }

// inferOrders derives each key's version order from its longest read;
// every other read must be a prefix of it. Keys with conflicting reads or
// duplicate elements get no order, hence no ww or rw edges.
func (c *laCheck) inferOrders() {
	for _, k := range c.keys {
		rs := c.reads[k]
		longest := rs[0]
		for _, r := range rs[1:] {
			if len(r.values) > len(longest.values) {
				longest = r
			}
		}
		if !c.consistentKey(k, rs, longest) {
			continue
		}
		c.orders[k] = append(append([]int64{}, longest.values...), c.unobservedTail(k, longest.values)...)
	}
}

func (c *laCheck) consistentKey(k int64, rs []readRef, longest readRef) bool {
	if _, dup := firstDuplicate(longest.values); dup {
		return false
	}
	for _, r := range rs {
		if isPrefix(r.values, longest.values) {
			continue
		}
		c.report(Anomaly{Kind: AnomalyIncompatibleOrder, Txns: []OpID{c.id(r.txn), c.id(longest.txn)},
			Explanation: fmt.Sprintf("key %d: T%d read %s and T%d read %s; the first is not a prefix of the second, so no version order explains both",
				k, c.id(r.txn), formatInts(r.values), c.id(longest.txn), formatInts(longest.values))})
		return false
	}
	return true
}

// unobservedTail returns the committed appends to k that no read saw, when
// they all come from one txn: they must follow everything observed (every
// read is a prefix of the final list), in that txn's order. From several
// txns, their relative order is unknown and nothing is inferred.
func (c *laCheck) unobservedTail(k int64, observed []int64) []int64 {
	seen := make(map[int64]bool, len(observed))
	for _, v := range observed {
		seen[v] = true
	}
	var tail []int64
	owner := -1
	for ti := range c.txns {
		if c.txns[ti].state != txnCommitted {
			continue
		}
		for _, m := range c.txns[ti].ops {
			if m.Kind != MicroAppend || m.Key != k || seen[m.Value] {
				continue
			}
			if owner != -1 && owner != ti {
				return nil
			}
			owner = ti
			tail = append(tail, m.Value)
		}
	}
	return tail
}
