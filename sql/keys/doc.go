// Package keys owns the byte layout of SQL data in the KV space:
// order-preserving encodings of datums, the key prefixes of tables, indexes
// and the catalog, and the encoding of row values.
//
// Layout:
//
//	/meta/...                          catalog (package catalog)
//	/t/<tableID>/<pk datums>           a row; value = EncodeRow of all columns
//	/i/<tableID>/<indexID>/<datums>/<pk datums>   non-unique index entry
//	/i/<tableID>/<indexID>/<datums>    unique index entry (no NULL in it)
//
// Index entries' values are the row's full key, so a lookup is a Get.
//
// Contract: for datums a, b of one type, bytes.Compare(EncodeKey(a),
// EncodeKey(b)) has the sign of types.Compare(a, b) (descending: the
// opposite), and DecodeKey(EncodeKey(x)) == x up to numeric display scale.
//
// NULL sorts after every value in ascending order, as in PostgreSQL's
// default btree order (ASC NULLS LAST, DESC NULLS FIRST), so an index scan
// yields PostgreSQL's default ORDER BY order directly.
package keys
