//go:build !invariants

package config

// checkLoaded is compiled in only with the invariants build tag.
func checkLoaded(*Config) {}
