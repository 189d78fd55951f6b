package checker

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The bank checker. Accounts start with known balances; transfers move an
// amount from one account to another atomically; read-all returns every
// balance from one snapshot. Whatever the interleaving, and whichever
// ambiguous transfers took effect, a snapshot of atomic transfers sums to
// the initial total. So every completed read must:
//
//  1. have one balance per account;
//  2. sum to the initial total (a read that does not saw a transfer half
//     applied, or the system created or destroyed money);
//  3. have no negative balance, unless the workload allows overdrafts.
//
// This does not prove serializability (the list-append checker does); it is
// cheap, runs on every seed, and catches torn and lost writes directly.

// BankAnomalyKind names what a bad read shows.
type BankAnomalyKind string

const (
	// BankWrongAccounts: the read returned the wrong number of balances.
	BankWrongAccounts BankAnomalyKind = "wrong-account-count"
	// BankTornRead: the sum is off by exactly the amount of a transfer that
	// was in flight (or ambiguous) during the read: it saw half of it.
	BankTornRead BankAnomalyKind = "torn-read"
	// BankTotalChanged: the sum is off and no in-flight transfer explains
	// it: money was created or destroyed.
	BankTotalChanged BankAnomalyKind = "total-changed"
	// BankNegative: a balance went below zero though the workload forbids it.
	BankNegative BankAnomalyKind = "negative-balance"
)

// BankConfig describes the workload the history came from.
type BankConfig struct {
	// Initial is every account's starting balance; its length is the
	// number of accounts and its sum the invariant total.
	Initial []int64
	// NegativeAllowed says the workload permits overdrafts; when false, a
	// negative balance in any read is an anomaly.
	NegativeAllowed bool
}

// BankAnomaly is one bad read.
type BankAnomaly struct {
	Kind     BankAnomalyKind
	Read     OpID
	Time     time.Duration // the read's return time
	Balances []int64
	Sum      int64
	Total    int64
	// Suspects are transfers whose amount explains the discrepancy and
	// that overlapped the read (torn-read only).
	Suspects    []OpID
	Explanation string
}

// BankAnomaliesMax bounds BankResult.Anomalies; the first bad read is
// what matters, the rest show whether it persisted.
const BankAnomaliesMax = 32

// BankResult is the verdict of CheckBank.
type BankResult struct {
	Valid bool
	// Reads is the number of completed reads checked.
	Reads int
	// Anomalies holds the first BankAnomaliesMax bad reads in history
	// order; Bad counts them all.
	Anomalies []BankAnomaly
	Bad       int
}

// First returns the first bad read, or nil if the history is valid.
func (r BankResult) First() *BankAnomaly {
	if len(r.Anomalies) == 0 {
		return nil
	}
	return &r.Anomalies[0]
}

// ErrBadBankHistory reports a history the bank checker cannot judge: a bad
// config or a transfer naming a nonexistent account.
var ErrBadBankHistory = errors.New("checker: bad bank history")

// CheckBank checks the transfers and read-alls of h against cfg. Other
// operation kinds are ignored.
func CheckBank(h History, cfg BankConfig) (BankResult, error) {
	if err := h.Validate(); err != nil {
		return BankResult{}, err
	}
	if err := checkBankInput(h, cfg); err != nil {
		return BankResult{}, err
	}
	var total int64
	for _, b := range cfg.Initial {
		total += b
	}
	res := BankResult{Valid: true}
	for i := range h.Records {
		rec := &h.Records[i]
		if rec.Op.Kind != KindReadAll || rec.Status != StatusOK {
			continue
		}
		res.Reads++
		a, bad := judgeBankRead(h, rec, cfg, total)
		if !bad {
			continue
		}
		res.Valid = false
		res.Bad++
		if len(res.Anomalies) < BankAnomaliesMax {
			res.Anomalies = append(res.Anomalies, a)
		}
	}
	return res, nil
}

func checkBankInput(h History, cfg BankConfig) error {
	n := len(cfg.Initial)
	if n == 0 {
		return fmt.Errorf("%w: no accounts", ErrBadBankHistory)
	}
	for i := range h.Records {
		op := h.Records[i].Op
		if op.Kind != KindTransfer {
			continue
		}
		if op.From < 0 || op.From >= n || op.To < 0 || op.To >= n || op.From == op.To {
			return fmt.Errorf("%w: op %d is %s with %d accounts", ErrBadBankHistory, i, op, n)
		}
	}
	return nil
}

// judgeBankRead applies the three rules to one read, most basic first.
func judgeBankRead(h History, rec *Record, cfg BankConfig, total int64) (BankAnomaly, bool) {
	bal := rec.Reply.Balances
	a := BankAnomaly{Read: rec.ID, Time: rec.ReturnTime, Balances: bal, Total: total}
	if len(bal) != len(cfg.Initial) {
		a.Kind = BankWrongAccounts
		a.Explanation = fmt.Sprintf("read #%d returned %d balances %s; there are %d accounts",
			rec.ID, len(bal), formatInts(bal), len(cfg.Initial))
		return a, true
	}
	for _, b := range bal {
		a.Sum += b
	}
	if a.Sum != total {
		describeWrongTotal(h, rec, &a)
		return a, true
	}
	if !cfg.NegativeAllowed {
		for acct, b := range bal {
			if b < 0 {
				a.Kind = BankNegative
				a.Explanation = fmt.Sprintf("read #%d returned %s: account %d is negative (%d) and overdrafts are forbidden",
					rec.ID, formatInts(bal), acct, b)
				return a, true
			}
		}
	}
	return a, false
}

// describeWrongTotal tells a torn read from a changed total by looking for
// transfers that overlapped the read and move exactly the difference.
func describeWrongTotal(h History, read *Record, a *BankAnomaly) {
	diff := a.Sum - a.Total
	mag := diff
	if mag < 0 {
		mag = -mag
	}
	for i := range h.Records {
		tr := &h.Records[i]
		if tr.Op.Kind != KindTransfer || tr.Status == StatusFail || tr.Op.Amount != mag {
			continue
		}
		if overlaps(tr, read) {
			a.Suspects = append(a.Suspects, tr.ID)
		}
	}
	head := fmt.Sprintf("read #%d at %s returned %s, which sums to %d, not the total %d (off by %+d)",
		read.ID, formatTime(read.ReturnTime), formatInts(a.Balances), a.Sum, a.Total, diff)
	if len(a.Suspects) == 0 {
		a.Kind = BankTotalChanged
		a.Explanation = head + "; no transfer in flight moves that amount, so money was created or destroyed"
		return
	}
	a.Kind = BankTornRead
	names := make([]string, len(a.Suspects))
	for i, id := range a.Suspects {
		names[i] = fmt.Sprintf("#%d (%s)", id, h.Records[id].Op)
	}
	a.Explanation = head + "; it saw half of transfer " + strings.Join(names, " or ")
}

// overlaps reports whether a transfer may have been in progress during a
// read: an ambiguous transfer is in progress from its invocation onwards.
func overlaps(tr, read *Record) bool {
	if tr.InvokeTime > read.ReturnTime {
		return false
	}
	return tr.ambiguous() || tr.ReturnTime >= read.InvokeTime
}
