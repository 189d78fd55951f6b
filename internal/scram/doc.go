// Package scram owns SCRAM-SHA-256 password verifiers (RFC 5802, RFC
// 7677) in PostgreSQL's stored form:
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// (salt and keys base64), so a verifier made by PostgreSQL works here and
// one made here works in PostgreSQL. It is shared by package sql (CREATE
// ROLE ... PASSWORD stores verifiers, never passwords), sql/pgwire (the
// authentication exchange) and lineradb-server --hash-password.
//
// Contract:
//
//  1. Hash(password, rand) derives a verifier with a fresh 16-byte salt
//     read from rand and PostgreSQL's default 4096 iterations.
//  2. Parse reads a stored verifier; a malformed one (it is catalog
//     data) is an error, never a panic, and its iteration count is
//     bounded by IterationsMax so a corrupt row cannot stall a login.
//  3. Verifier.Check compares a cleartext password in constant time.
//
// The package is pure: no clock, no goroutines, randomness only from the
// reader it is given.
package scram
