// Package ast is LineraDB's own syntax tree for SQL. The parser package
// translates PostgreSQL's parse tree (pg_query) into it; nothing else in
// the SQL layer sees pg_query's types, so the grammar library can change
// without touching planning or execution.
//
// Contract: every node the translator produces is well-formed (no nil
// operands where the grammar requires one); positions (Pos) are 0-based
// byte offsets into the statement text, or -1 when unknown.
package ast
