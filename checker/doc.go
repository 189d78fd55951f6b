// Package checker records client histories and judges them. It owns the
// history format (Recorder, History, its text dump) and three checkers,
// one per workload the simulator (and later a real cluster) runs:
//
//   - Linearizable: a key-value register (get, put, compare-and-set,
//     delete, delete-range) checked for linearizability by porcupine, with
//     an HTML visualization;
//   - CheckBank: transfers between accounts and snapshot reads of every
//     balance, checked against the conserved total;
//   - CheckListAppend: transactions of [append k v] and [r k] micro-ops,
//     checked for serializability (optionally strict) in the manner of
//     Jepsen's Elle.
//
// It is a core package: no clock (times are simulated time.Durations given
// by the caller), no goroutines, no I/O (HTML and dumps go to an
// io.Writer the caller opens), no global randomness, and no map order in
// any output. Its verdicts and reports are deterministic functions of the
// history. (Porcupine runs key partitions on goroutines internally; its
// verdict is exact without a timeout, though the set of partial
// linearizations drawn in the HTML may be listed in varying order.)
//
// # Contract
//
//  1. Make a Recorder. For every client request call Invoke(client, op,
//     now) before sending it, and when it ends exactly one of: Return(id,
//     reply, now) if it completed (including a cas that saw a mismatch);
//     Fail(id, now) if it definitely had no effect (aborted txn, request
//     refused before it was proposed, insufficient funds); ReturnUnknown(id,
//     now) if it is ambiguous (timeout, leader lost mid-flight). Times must
//     never decrease. Requests still open at the end stay pending, which
//     every checker treats as unknown.
//  2. Take History() and run the checker for the workload. An error means
//     the history is malformed (a harness bug), not that the system is
//     wrong; a verdict of invalid means the system is wrong.
//  3. On failure, write the report: the anomaly's Explanation, the
//     involved operations via DumpOps, and for the register
//     LinearizabilityResult.WriteHTML.
//
// # Register (register.go)
//
// Model: every key is an independent register holding an int64 or
// nothing; a delete makes it hold nothing (later gets find nothing, a cas
// fails) until the next put. A delete-range [a, b) is split into one
// delete per key sharing the range's interval (at most DeleteRangeKeysMax
// keys, checked by Invoke and Validate). The history is partitioned by key
// (a history of independent objects is linearizable iff each object's
// is). Ambiguous put/cas/delete/delete-range stay in
// with their return moved past the end of the history and an output that
// matches any outcome, so porcupine may place them anywhere after their
// invocation, including "after everything", i.e. never; ambiguous gets and
// failed operations are dropped. Proves: there is a single order of the
// operations, consistent with real time, in which every get returns the
// latest put or successful cas, or nothing if a delete came after it. It
// catches stale reads, lost updates, reads of values never (or not yet)
// written, and deleted values that come back.
//
// # Bank (bank.go)
//
// Model: transfers are atomic, so every snapshot read sums to the initial
// total, whichever ambiguous transfers happened. Checks every completed
// read for the number of accounts, the sum, and (unless allowed) negative
// balances; a wrong sum is labelled a torn read when an overlapping
// transfer moves exactly the difference. Proves much less than
// serializability, but is cheap and names the first bad read.
//
// # List-append (listappend.go, edges.go, cycles.go, graph.go)
//
// Model: each key holds a list; appended values are unique per key, so a
// read names the writer of every element it returns, and the longest read
// of a key reveals that key's version order (every read must be a prefix
// of it, else "incompatible-order"). Appends by committed txns that no read
// saw follow the observed prefix; if they all come from one txn their order
// is known too. From this the checker builds Adya's dependency graph over
// committed txns: ww (next append in a key's order), wr (read a list whose
// last foreign element the source appended), rw (read a list whose next
// element the target appended), and in Strict mode realtime (the source
// returned before the target was invoked, as a transitive reduction). A
// cycle is found per strongly connected component (Tarjan), weakest kind
// first, and classified by its edges: G0 (ww only), G1c (ww and wr),
// G-single (one rw), G2 (two or more rw), with "-realtime" if it needs a
// realtime edge. Non-cycle anomalies: G1a (read of an aborted txn's
// append), G1b (read of a txn's intermediate state of a key), garbage and
// duplicate reads, and internal inconsistency (a txn's read disagreeing
// with its own earlier reads and appends). Ambiguous txns are committed if
// any of their appends was read (atomicity), else left out; never aborted.
// Proves: if Valid, no anomaly of these kinds is visible in the history;
// with Strict, the committed txns the checker could order have a serial
// order consistent with real time. Like Elle, it is sound (every anomaly
// it reports is real, given unique appends) but not complete: orders it
// cannot infer add no edges. Cost is linear in the total length of reads
// plus the graph: a 2000-txn history checks in tens of milliseconds, but
// reads grow with appends per key, so workloads should bound appends per
// key and move on to fresh keys (as Jepsen does) in long runs.
//
// # Invariants
//
//   - Recorder: at most opsMax operations; event times never decrease; each
//     operation is invoked once and ends at most once.
//   - Dependency graph: no self edges; adjacency sorted and merged; every
//     reported cycle is a closed walk of real edges (checked always).
//   - With -tags invariants: acyclicity is re-derived by Kahn's algorithm
//     and must agree with Tarjan; recorded event logs are re-validated.
package checker
