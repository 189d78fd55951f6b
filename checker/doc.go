// Package checker records client histories and judges them: linearizability
// of a key-value register (porcupine), the bank invariant, and list-append
// serializability in the manner of Jepsen's Elle.
package checker
