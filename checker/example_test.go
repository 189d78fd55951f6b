package checker_test

import (
	"fmt"
	"os"
	"time"

	"github.com/lineradb/lineradb/checker"
)

// A simulator records each client operation as it is invoked and as it
// returns, with simulated times, then hands the history to the checkers.
func ExampleRecorder() {
	r := checker.NewRecorder(0)
	put, _ := r.Invoke(1, checker.Put(7, 42), 10*time.Millisecond)
	get, _ := r.Invoke(2, checker.Get(7), 11*time.Millisecond)
	_ = r.Return(put, checker.Reply{}, 12*time.Millisecond)
	_ = r.ReturnUnknown(get, 15*time.Millisecond) // timed out
	cas, _ := r.Invoke(1, checker.CAS(7, 42, 43), 16*time.Millisecond)
	_ = r.Return(cas, checker.Reply{Swapped: true}, 18*time.Millisecond)
	h := r.History()
	_ = h.Dump(os.Stdout)
	res, _ := checker.Linearizable(h)
	fmt.Println("linearizable:", res.OK)
	// Output:
	//    0.010000s c1 #0 invoke  put k7 42
	//    0.011000s c2 #1 invoke  get k7
	//    0.012000s c1 #0 ok      put k7 42
	//    0.015000s c2 #1 unknown get k7
	//    0.016000s c1 #2 invoke  cas k7 42->43
	//    0.018000s c1 #2 ok      cas k7 42->43 swapped
	// linearizable: true
}

// A read-skew history: T1 sees key 1 before T2's append but key 2 after.
func ExampleCheckListAppend() {
	r := checker.NewRecorder(0)
	at := func(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }
	t0, _ := r.Invoke(0, checker.Txn(checker.Append(1, 1), checker.Append(2, 1)), at(0))
	_ = r.Return(t0, checker.Reply{}, at(1))
	t1, _ := r.Invoke(1, checker.Txn(checker.Read(1), checker.Read(2)), at(2))
	t2, _ := r.Invoke(2, checker.Txn(checker.Append(1, 2), checker.Append(2, 2)), at(2))
	_ = r.Return(t1, checker.Reply{Txn: []checker.Micro{
		checker.ReadResult(1, 1), checker.ReadResult(2, 1, 2)}}, at(3))
	_ = r.Return(t2, checker.Reply{}, at(3))
	t3, _ := r.Invoke(0, checker.Txn(checker.Read(1)), at(4))
	_ = r.Return(t3, checker.Reply{Txn: []checker.Micro{checker.ReadResult(1, 1, 2)}}, at(5))

	res, _ := checker.CheckListAppend(r.History(), checker.ListAppendOptions{Strict: true})
	fmt.Println("valid:", res.Valid)
	for _, a := range res.Anomalies {
		fmt.Println(a.Explanation)
	}
	// Output:
	// valid: false
	// G-single cycle: T1 -rw-> T2 -wr-> T1
	//   T1 < T2: T1 read key 1 = [1], missing T2's append of 2, which came next
	//   T2 < T1: T1 read key 2 = [1 2], observing T2's append of 2
}

func ExampleCheckBank() {
	r := checker.NewRecorder(0)
	tr, _ := r.Invoke(0, checker.Transfer(0, 1, 5), 0)
	rd, _ := r.Invoke(1, checker.ReadAll(), time.Millisecond)
	_ = r.Return(rd, checker.Reply{Balances: []int64{5, 10}}, 2*time.Millisecond)
	_ = r.Return(tr, checker.Reply{}, 3*time.Millisecond)
	res, _ := checker.CheckBank(r.History(), checker.BankConfig{Initial: []int64{10, 10}})
	fmt.Println(res.Valid, res.First().Kind)
	fmt.Println(res.First().Explanation)
	// Output:
	// false torn-read
	// read #1 at 0.002000s returned [5 10], which sums to 15, not the total 20 (off by -5); it saw half of transfer #0 (transfer 0->1 5)
}
