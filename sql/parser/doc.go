// Package parser turns SQL text into LineraDB's AST. It runs PostgreSQL's
// own grammar (pg_query_go, cgo) and translates the protobuf parse tree;
// constructs the rest of the SQL layer does not implement are rejected here
// with SQLSTATE 0A000 naming the construct, syntax errors with 42601 and
// the cursor position.
//
// Contract:
//
//  1. Parse(sql) returns one Statement per statement in the text, each
//     with its own text span, or an *sqlerr.Error.
//  2. It never panics on any input: the whole translation runs under a
//     recover that turns a bug into an internal error (XX000), and inputs
//     beyond queryBytesMax or nestingDepthMax are refused (54001).
//
// pg_query does all its work inside one C call on the calling goroutine,
// so the determinism contract holds.
package parser
