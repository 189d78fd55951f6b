// Package sqlerr owns the user-facing error of the SQL layer: an Error
// carrying a PostgreSQL SQLSTATE, message, detail, hint and cursor position,
// and the catalogue of SQLSTATE codes LineraDB reports.
//
// Contract:
//
//  1. Every error that leaves package sql is an *Error (Wrap converts
//     anything else, mapping the kv errors to their SQLSTATEs).
//  2. Bad input is an *Error, never a panic.
//
// Invariant: Code is always a five-character SQLSTATE.
package sqlerr
