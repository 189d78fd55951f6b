// Package kv is the transactional key-value API the SQL layer (and the
// simulator's clients) run on. It is the whole contract between a gateway
// and the replicated store beneath it; package node implements it over Raft
// and the LSM, and package kv/memkv implements it in memory as a reference
// model for tests.
//
// The shape follows from the design's optimistic, FoundationDB-style
// transactions and from the simulator running everything in one goroutine:
//
//  1. Beginning a transaction needs a linearizable read version (a ReadIndex
//     round trip, then waiting for the local replica to apply that far).
//     That is asynchronous, so it is the driver's job, not the SQL
//     executor's: the driver obtains a Txn and hands it in.
//  2. Reading and writing inside a Txn is synchronous: reads are served from
//     the local replica's snapshot at the read version, writes are buffered
//     in the Txn. The SQL executor therefore needs no callbacks.
//  3. Committing proposes {read version, read set, writes} through Raft and
//     waits for the outcome: asynchronous again, the driver's job.
//
// Keys are ordered bytewise. A read set records every key and range read so
// the commit can be validated: a Txn is serializable if nothing it read has
// a committed write newer than its read version.
package kv
