package checker

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The text form of a history, for failure reports. One event per line:
//
//	   1.250000s c3 #17 invoke  cas k4 2->5
//	   1.262000s c3 #17 ok      cas k4 2->5 swapped
//	   1.300000s c1 #18 invoke  txn [append 1 7] [r 2 nil]
//	   1.400000s c1 #18 unknown txn [append 1 7] [r 2 nil]
//
// The format is stable so failure reports can be diffed across runs.

// Dump writes every event of h, in recording order.
func (h History) Dump(w io.Writer) error {
	var b strings.Builder
	for _, ev := range h.Events {
		if err := h.checkID(ev.ID); err != nil {
			return err
		}
		h.formatEvent(&b, ev)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DumpOps writes the events of the named operations only, in recording
// order; a report uses it to show just the operations in an anomaly.
func (h History) DumpOps(w io.Writer, ids []OpID) error {
	want := make([]bool, len(h.Records))
	for _, id := range ids {
		if err := h.checkID(id); err != nil {
			return err
		}
		want[id] = true
	}
	var b strings.Builder
	for _, ev := range h.Events {
		if int(ev.ID) < len(want) && want[ev.ID] {
			h.formatEvent(&b, ev)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String is Dump into a string.
func (h History) String() string {
	var b strings.Builder
	_ = h.Dump(&b) // a strings.Builder never fails; a bad id shows as a short dump
	return b.String()
}

func (h History) checkID(id OpID) error {
	if id < 0 || int(id) >= len(h.Records) {
		return fmt.Errorf("%w: %d", ErrUnknownOp, id)
	}
	return nil
}

func (h History) formatEvent(b *strings.Builder, ev Event) {
	rec := &h.Records[ev.ID]
	what := "invoke"
	if ev.Type == EventReturn {
		what = rec.Status.String()
	}
	fmt.Fprintf(b, "%12s c%d #%d %-7s %s", formatTime(ev.Time), rec.Client, rec.ID, what, rec.Op)
	if ev.Type == EventReturn && rec.Status == StatusOK {
		b.WriteString(formatReply(rec.Op, rec.Reply))
	}
	b.WriteByte('\n')
}

// formatTime prints seconds with microsecond precision: fixed width, and
// exact for the simulator's tick sizes.
func formatTime(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) + "s"
}

// String is the compact form used in dumps and explanations.
func (op Op) String() string {
	switch op.Kind {
	case KindGet:
		return fmt.Sprintf("get k%d", op.Key)
	case KindPut:
		return fmt.Sprintf("put k%d %d", op.Key, op.Value)
	case KindCAS:
		return fmt.Sprintf("cas k%d %d->%d", op.Key, op.Expect, op.Value)
	case KindDelete:
		return fmt.Sprintf("delete k%d", op.Key)
	case KindDeleteRange:
		return fmt.Sprintf("delete-range [k%d,k%d)", op.Key, op.KeyEnd)
	case KindTransfer:
		return fmt.Sprintf("transfer %d->%d %d", op.From, op.To, op.Amount)
	case KindReadAll:
		return "read-all"
	case KindTxn:
		return "txn " + formatMicros(op.Txn, false)
	}
	return op.Kind.String()
}

func formatReply(op Op, r Reply) string {
	switch op.Kind {
	case KindGet:
		if !r.Found {
			return " -> nil"
		}
		return fmt.Sprintf(" -> %d", r.Value)
	case KindCAS:
		if r.Swapped {
			return " swapped"
		}
		return " mismatch"
	case KindReadAll:
		return " -> " + formatInts(r.Balances)
	case KindTxn:
		if r.Txn != nil {
			return " -> " + formatMicros(r.Txn, true)
		}
	}
	return ""
}

func formatMicros(ms []Micro, observed bool) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.format(observed)
	}
	return strings.Join(parts, " ")
}

func (m Micro) format(observed bool) string {
	switch m.Kind {
	case MicroAppend:
		return fmt.Sprintf("[append %d %d]", m.Key, m.Value)
	case MicroRead:
		if !observed {
			return fmt.Sprintf("[r %d nil]", m.Key)
		}
		return fmt.Sprintf("[r %d %s]", m.Key, formatInts(m.Read))
	}
	return fmt.Sprintf("[micro(%d) %d]", m.Kind, m.Key)
}

func formatInts(vs []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte(']')
	return b.String()
}
