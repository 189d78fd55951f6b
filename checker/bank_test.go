package checker

import (
	"errors"
	"strings"
	"testing"
)

func balances(vs ...int64) Reply { return Reply{Balances: vs} }

func mustBank(t *testing.T, h History, cfg BankConfig) BankResult {
	t.Helper()
	res, err := CheckBank(h, cfg)
	if err != nil {
		t.Fatalf("CheckBank: %v", err)
	}
	return res
}

var bank3 = BankConfig{Initial: []int64{10, 10, 10}}

func TestBankAcceptsConsistentReads(t *testing.T) {
	b := newBuilder(t)
	b.op(0, ReadAll(), balances(10, 10, 10), 0, 1)
	b.op(1, Transfer(0, 1, 5), done(), 2, 3)
	b.op(0, ReadAll(), balances(5, 15, 10), 4, 5)
	f := b.invoke(1, Transfer(2, 0, 50), 6) // rejected: insufficient funds
	b.fail(f, 7)
	u := b.invoke(1, Transfer(1, 2, 3), 8) // ambiguous, and it did happen
	b.unknown(u, 9)
	b.op(0, ReadAll(), balances(5, 12, 13), 10, 11)
	u2 := b.invoke(2, Transfer(0, 2, 1), 12) // ambiguous, did not happen
	b.unknown(u2, 13)
	b.op(0, ReadAll(), balances(5, 12, 13), 14, 15)
	res := mustBank(t, b.history(), bank3)
	if !res.Valid || res.Reads != 4 || res.First() != nil {
		t.Fatalf("valid bank history rejected: %+v", res)
	}
}

func TestBankRejectsTornRead(t *testing.T) {
	b := newBuilder(t)
	tr := b.invoke(1, Transfer(0, 1, 4), 0)
	// The read overlaps the transfer and sees the debit without the credit.
	b.op(0, ReadAll(), balances(6, 10, 10), 1, 2)
	b.ok(tr, done(), 3)
	b.op(0, ReadAll(), balances(6, 14, 10), 4, 5)
	res := mustBank(t, b.history(), bank3)
	first := res.First()
	if res.Valid || first == nil || first.Kind != BankTornRead || first.Read != 1 {
		t.Fatalf("torn read not reported: %+v", res)
	}
	if len(first.Suspects) != 1 || first.Suspects[0] != tr || res.Bad != 1 {
		t.Fatalf("torn read blames %v, want [%d]", first.Suspects, tr)
	}
	if !strings.Contains(first.Explanation, "half of transfer #0") {
		t.Fatalf("explanation lacks the transfer: %s", first.Explanation)
	}
}

func TestBankRejectsChangedTotal(t *testing.T) {
	b := newBuilder(t)
	b.op(1, Transfer(0, 1, 4), done(), 0, 1)
	// The credit was applied twice: money was created, and it stays.
	b.op(0, ReadAll(), balances(6, 18, 10), 2, 3)
	b.op(0, ReadAll(), balances(6, 18, 10), 4, 5)
	res := mustBank(t, b.history(), bank3)
	if res.Valid || res.Bad != 2 || res.First().Kind != BankTotalChanged {
		t.Fatalf("changed total not reported: %+v", res)
	}
	if res.First().Sum != 34 || res.First().Total != 30 {
		t.Fatalf("sum/total = %d/%d, want 34/30", res.First().Sum, res.First().Total)
	}
}

func TestBankRejectsNegativeBalance(t *testing.T) {
	b := newBuilder(t)
	b.op(1, Transfer(0, 1, 15), done(), 0, 1)
	b.op(0, ReadAll(), balances(-5, 25, 10), 2, 3)
	res := mustBank(t, b.history(), bank3)
	if res.Valid || res.First().Kind != BankNegative {
		t.Fatalf("negative balance not reported: %+v", res)
	}
	allowed := bank3
	allowed.NegativeAllowed = true
	if res := mustBank(t, b.history(), allowed); !res.Valid {
		t.Fatalf("negative balance rejected though allowed: %+v", res)
	}
}

func TestBankRejectsWrongAccountCount(t *testing.T) {
	b := newBuilder(t)
	b.op(0, ReadAll(), balances(15, 15), 0, 1)
	if res := mustBank(t, b.history(), bank3); res.Valid || res.First().Kind != BankWrongAccounts {
		t.Fatalf("short read not reported: %+v", res)
	}
}

func TestBankBadInput(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Transfer(0, 7, 1), done(), 0, 1)
	if _, err := CheckBank(b.history(), bank3); !errors.Is(err, ErrBadBankHistory) {
		t.Fatalf("transfer to a missing account: err = %v", err)
	}
	if _, err := CheckBank(History{}, BankConfig{}); !errors.Is(err, ErrBadBankHistory) {
		t.Fatalf("no accounts: err = %v", err)
	}
}
