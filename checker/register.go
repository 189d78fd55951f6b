package checker

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/anishathalye/porcupine"
)

// The key-value register model: each key is an independent register
// holding an int64 or nothing, with get, put, compare-and-set and delete.
// Keys are independent, so the history is partitioned by key and each
// partition is checked alone (a history is linearizable iff every key's
// is). A delete-range of [a, b) is one atomic step on several registers;
// it becomes one delete per key, all with the range's invocation and
// return: the range's single linearization point lies in that interval,
// and each key's delete may take it there, so no per-key history loses a
// valid linearization. (Per-key checking cannot see whether the keys were
// deleted at the same instant; that atomicity is the list-append and bank
// checkers' business, not the register's.)
//
// Ambiguous operations follow the standard technique (Knossos, Jepsen):
//   - a put, cas, delete or delete-range whose outcome is unknown stays in the history with its
//     return moved past the end of the history and an output that matches
//     any outcome. Porcupine may then linearize it anywhere after its
//     invocation, including after everything else, which is the same as
//     "it never happened";
//   - a get whose outcome is unknown constrains nothing and is dropped;
//   - an operation that definitely failed had no effect and is dropped.

// regState is one key's value; the zero value is "absent".
type regState struct {
	present bool
	value   int64
}

// regInput is what porcupine sees as an operation's input: the client's
// op and the one register it acts on (key differs from op.Key only for
// the keys of a delete-range after the first).
type regInput struct {
	op  Op
	id  OpID
	key int64
}

// regOutput is an operation's observed result; unknown matches anything.
type regOutput struct {
	unknown bool
	found   bool
	value   int64
	swapped bool
}

// registerModel is the porcupine model of one key's register.
func registerModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() interface{} { return regState{} },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			return regStep(state.(regState), input.(regInput).op, output.(regOutput))
		},
		Hash: func(state interface{}) uint64 {
			s := state.(regState)
			if !s.present {
				return 0
			}
			return uint64(s.value)*0x9e3779b97f4a7c15 + 1
		},
		DescribeOperation: func(input, output interface{}) string {
			return describeRegOp(input.(regInput), output.(regOutput))
		},
		DescribeState: func(state interface{}) string {
			s := state.(regState)
			if !s.present {
				return "nil"
			}
			return fmt.Sprint(s.value)
		},
	}
}

// regStep is the sequential specification. It is pure: porcupine calls it
// on shared states.
func regStep(s regState, op Op, out regOutput) (bool, interface{}) {
	switch op.Kind {
	case KindGet:
		if out.found != s.present || (out.found && out.value != s.value) {
			return false, s
		}
		return true, s
	case KindPut:
		return true, regState{present: true, value: op.Value}
	case KindDelete, KindDeleteRange:
		return true, regState{}
	case KindCAS:
		matches := s.present && s.value == op.Expect
		if out.unknown {
			if matches {
				return true, regState{present: true, value: op.Value}
			}
			return true, s
		}
		if out.swapped != matches {
			return false, s
		}
		if matches {
			return true, regState{present: true, value: op.Value}
		}
		return true, s
	}
	panic(fmt.Sprintf("checker: register model given %s", op.Kind))
}

func describeRegOp(in regInput, out regOutput) string {
	s := fmt.Sprintf("#%d %s", in.id, in.op)
	if in.op.Kind == KindDeleteRange {
		s += fmt.Sprintf(" (k%d)", in.key)
	}
	switch {
	case out.unknown:
		return s + " -> ?"
	case in.op.Kind == KindGet && !out.found:
		return s + " -> nil"
	case in.op.Kind == KindGet:
		return fmt.Sprintf("%s -> %d", s, out.value)
	case in.op.Kind == KindCAS && out.swapped:
		return s + " swapped"
	case in.op.Kind == KindCAS:
		return s + " mismatch"
	}
	return s
}

// partitionByKey splits a history into one sub-history per key, in key
// order so the partition order (and thus the visualization) is stable.
func partitionByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	byKey := make(map[int64][]porcupine.Operation)
	for _, op := range ops {
		k := op.Input.(regInput).key
		byKey[k] = append(byKey[k], op)
	}
	keys := slices.Sorted(maps.Keys(byKey))
	out := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// RegisterOperations converts the register operations of h (get, put,
// cas, delete, delete-range) to porcupine operations, applying the
// ambiguity rules above; a delete-range becomes one operation per key.
// Other kinds are ignored. Exposed so callers can feed porcupine directly.
func RegisterOperations(h History) []porcupine.Operation {
	// One past the end of the history stands for "+infinity": nothing
	// happens after it, and it keeps the visualization's axis finite.
	end := int64(h.EndTime()) + 1
	for i := range h.Records {
		rec := &h.Records[i]
		end = max(end, int64(rec.InvokeTime)+1, int64(rec.ReturnTime)+1)
	}
	var ops []porcupine.Operation
	for i := range h.Records {
		rec := &h.Records[i]
		op, keep := registerOperation(rec, end)
		if !keep {
			continue
		}
		if rec.Op.Kind != KindDeleteRange {
			ops = append(ops, op)
			continue
		}
		for k := rec.Op.Key; k < rec.Op.KeyEnd; k++ {
			op.Input = regInput{op: rec.Op, id: rec.ID, key: k}
			ops = append(ops, op)
		}
	}
	return ops
}

func registerOperation(rec *Record, end int64) (porcupine.Operation, bool) {
	k := rec.Op.Kind
	// A malformed op (which Linearizable refuses through Validate) is
	// skipped here rather than expanded: a hostile delete-range must not
	// become billions of operations.
	if !isRegisterKind(k) || rec.Op.validate() != nil {
		return porcupine.Operation{}, false
	}
	if rec.Status == StatusFail || (k == KindGet && rec.ambiguous()) {
		return porcupine.Operation{}, false
	}
	op := porcupine.Operation{
		ClientId: rec.Client,
		Input:    regInput{op: rec.Op, id: rec.ID, key: rec.Op.Key},
		Call:     int64(rec.InvokeTime),
		Return:   int64(rec.ReturnTime),
		Metadata: rec.ID,
	}
	if rec.ambiguous() {
		op.Return = end
		op.Output = regOutput{unknown: true}
		return op, true
	}
	op.Output = regOutput{found: rec.Reply.Found, value: rec.Reply.Value, swapped: rec.Reply.Swapped}
	return op, true
}

func isRegisterKind(k Kind) bool {
	switch k {
	case KindGet, KindPut, KindCAS, KindDelete, KindDeleteRange:
		return true
	}
	return false
}

// LinearizabilityResult is the verdict of Linearizable.
type LinearizabilityResult struct {
	// OK is true iff porcupine proved the history linearizable.
	OK bool
	// Verdict is porcupine's raw answer: Ok, Illegal, or Unknown (only with
	// a timeout, when the search gave up).
	Verdict porcupine.CheckResult
	// Ops is the number of porcupine operations checked.
	Ops int
	// FailedKeys lists, in order, the keys whose own history is not
	// linearizable (set only when the verdict is Illegal).
	FailedKeys []int64
	model      porcupine.Model
	info       porcupine.LinearizationInfo
}

// Linearizable checks the register operations of h against the register
// model with no time limit, so the verdict is exact and deterministic.
// (porcupine checks the key partitions on goroutines of its own; with no
// time limit their scheduling cannot change the verdict. A wall-time
// bound could, which is why none is offered.)
func Linearizable(h History) (LinearizabilityResult, error) {
	if err := h.Validate(); err != nil {
		return LinearizabilityResult{}, err
	}
	model := registerModel()
	ops := RegisterOperations(h)
	verdict, info := porcupine.CheckOperationsVerbose(model, ops, 0)
	res := LinearizabilityResult{
		OK:      verdict == porcupine.Ok,
		Verdict: verdict,
		Ops:     len(ops),
		model:   model,
		info:    info,
	}
	if verdict == porcupine.Illegal {
		res.FailedKeys = failedKeys(model, ops)
	}
	return res, nil
}

// failedKeys rechecks each key alone to name the ones that failed; it
// runs only on failure, where a report is worth a second search.
func failedKeys(model porcupine.Model, ops []porcupine.Operation) []int64 {
	single := model
	single.Partition = nil
	var keys []int64
	for _, part := range partitionByKey(ops) {
		if !porcupine.CheckOperations(single, part) {
			keys = append(keys, part[0].Input.(regInput).key)
		}
	}
	return keys
}

// WriteHTML writes porcupine's visualization of the history and its
// (partial) linearizations: on failure, the longest linearizable prefixes
// and the point where each key's history went wrong. The caller owns the
// writer (usually a file in the failure's report directory).
func (r LinearizabilityResult) WriteHTML(w io.Writer) error {
	if r.model.Step == nil {
		return fmt.Errorf("checker: no linearizability result to visualize")
	}
	return porcupine.Visualize(r.model, r.info, w)
}
