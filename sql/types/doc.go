// Package types owns SQL types and values: the type descriptor T (a
// PostgreSQL type OID plus a type modifier), the Datum values of each
// family, their PostgreSQL text input and output formats, casts,
// comparison, and the exact Decimal behind numeric.
//
// Contract:
//
//  1. Parse(t, text) turns a PostgreSQL text literal into a Datum of t or
//     returns an *sqlerr.Error (22P02, 22003, 22007, 22008...).
//  2. Format(t, d, loc) renders a Datum as PostgreSQL 15 prints it with
//     DateStyle ISO, IntervalStyle postgres and extra_float_digits 1.
//  3. Cast(d, from, to) converts with PostgreSQL's rules and errors.
//  4. Compare(a, b) orders two non-NULL Datums of the same family.
//
// Invariants: NULL is the single value Null in every type; a Datum's Go
// type is fixed by its family (DInt for int2/int4/int8, DString for text,
// varchar and char, ...), so the type T travels beside the value, never in
// it. Dates are days and timestamps microseconds since 1970-01-01 UTC.
// Collation is C (bytewise), as in a PostgreSQL cluster initialised with
// --locale=C. Arrays (array.go) are one-dimensional with lower bound 1:
// a DArray of element Datums whose array type T{array OID, element
// typmod} gives the element type through T.Elem(); multi-dimensional
// input is 0A000.
package types
