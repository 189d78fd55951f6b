// Package node is one LineraDB replica: the Raft core (raft), its durable
// log (raft/raftlog), the MVCC state machine (node/mvcc) over the LSM, and
// the transactional API gateways use (node/kv's contract, in callback
// style). The full contract is documented below as it is built.
package node
