// Package integration runs LineraDB as real processes: it builds the
// binaries (go build ./cmd/...), starts clusters on loopback ports, talks to
// them with pgx and HTTP, and kills, stops, restarts and adds nodes as the
// runbook's procedures do. The package has no non-test code besides this
// comment; `go test -short` skips it.
package integration
