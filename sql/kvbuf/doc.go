// Package kvbuf is the write buffer the SQL layer puts over a kv.Txn so
// that savepoints can be rolled back: every write of a transaction is held
// here, in a stack of layers (one per open savepoint), and reads merge the
// layers over the transaction's snapshot.
//
// Contract:
//
//  1. New(txn, readOnly) wraps an open transaction; Buffer is a kv.Txn.
//  2. Savepoint() pushes a layer; Rollback(n) drops layers above depth n;
//     Release(n) merges them down.
//  3. Flush() writes the merged layers into the kv.Txn, in key order,
//     before the driver commits; after Flush the Buffer must not be used.
//
// Invariants: within a layer, a point write is newer than any range
// deletion of the same layer (DeleteRange drops the layer's older point
// writes in the range); layers above are newer than layers below.
package kvbuf
