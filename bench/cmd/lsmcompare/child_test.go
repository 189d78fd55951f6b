package main

import (
	"flag"
	"os"
	"testing"
)

// TestMain lets the test binary stand in for the command: runAll
// re-executes os.Executable, which under go test is this binary, so a
// child invocation must run the child instead of the tests.
func TestMain(m *testing.M) {
	for _, arg := range os.Args[1:] {
		if arg == "-child" {
			main()
			os.Exit(0)
		}
	}
	flag.Parse()
	os.Exit(m.Run())
}
