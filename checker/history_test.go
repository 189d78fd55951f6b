package checker

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRecorderRejectsMisuse(t *testing.T) {
	r := NewRecorder(2)
	a, err := r.Invoke(0, Get(1), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Invoke(0, Op{}, time.Second); !errors.Is(err, ErrBadOp) {
		t.Errorf("zero op: err = %v", err)
	}
	if _, err := r.Invoke(0, Get(1), time.Millisecond); !errors.Is(err, ErrTimeBackwards) {
		t.Errorf("time backwards: err = %v", err)
	}
	if err := r.Return(5, Reply{}, time.Second); !errors.Is(err, ErrUnknownOp) {
		t.Errorf("unknown id: err = %v", err)
	}
	if err := r.Return(a, Reply{}, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.Fail(a, 2*time.Second); !errors.Is(err, ErrAlreadyReturned) {
		t.Errorf("double return: err = %v", err)
	}
	if _, err := r.Invoke(0, Get(1), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Invoke(0, Get(1), 3*time.Second); !errors.Is(err, ErrHistoryFull) {
		t.Errorf("over opsMax: err = %v", err)
	}
	if r.Len() != 2 {
		t.Errorf("Len = %d, want 2", r.Len())
	}
}

func TestRecorderCopiesCallerSlices(t *testing.T) {
	r := NewRecorder(0)
	ops := []Micro{Read(1)}
	id, _ := r.Invoke(0, Txn(ops...), 0)
	reply := []Micro{ReadResult(1, 5)}
	_ = r.Return(id, Reply{Txn: reply}, 1)
	ops[0].Key, reply[0].Read[0] = 9, 9
	rec := r.History().Records[0]
	if rec.Op.Txn[0].Key != 1 || rec.Reply.Txn[0].Read[0] != 5 {
		t.Fatalf("history aliases the caller's slices: %+v", rec)
	}
}

func TestHistoryValidate(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 5)
	h := b.history()
	if err := h.Validate(); err != nil {
		t.Fatalf("recorded history invalid: %v", err)
	}
	h.Records[0].ReturnTime = -1
	if _, err := Linearizable(h); !errors.Is(err, ErrTimeBackwards) {
		t.Errorf("return before invoke: err = %v", err)
	}
	h = b.history()
	h.Records[0].ID = 3
	if _, err := CheckListAppend(h, plain); !errors.Is(err, ErrBadOp) {
		t.Errorf("misnumbered record: err = %v", err)
	}
}

func TestDumpOps(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	f := b.invoke(1, Transfer(0, 1, 3), 2)
	b.fail(f, 3)
	b.op(2, ReadAll(), balances(1, 2), 4, 5)
	var out strings.Builder
	if err := b.history().DumpOps(&out, []OpID{f, 2}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"   0.002000s c1 #1 invoke  transfer 0->1 3\n" +
		"   0.003000s c1 #1 fail    transfer 0->1 3\n" +
		"   0.004000s c2 #2 invoke  read-all\n" +
		"   0.005000s c2 #2 ok      read-all -> [1 2]\n"
	if out.String() != want {
		t.Fatalf("DumpOps:\n%s\nwant:\n%s", out.String(), want)
	}
	if err := b.history().DumpOps(&out, []OpID{7}); !errors.Is(err, ErrUnknownOp) {
		t.Fatalf("dump of a missing op: err = %v", err)
	}
}
