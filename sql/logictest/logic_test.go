package logictest

import (
	"os"
	"path/filepath"
	"testing"
)

func logicFiles(t *testing.T) []string {
	files, err := filepath.Glob("../../testdata/logic/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no logic tests found: %v", err)
	}
	return files
}

// TestLogic runs every script in testdata/logic in-process.
func TestLogic(t *testing.T) {
	for _, f := range logicFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) { RunFile(t, f) })
	}
}

// TestLogicPgwire runs the same scripts through a pgwire server on a
// loopback socket with pgconn: simple protocol, and the extended one for
// single-statement queries. The expected results are the same text.
func TestLogicPgwire(t *testing.T) {
	for _, f := range logicFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) { RunFilePgwire(t, f) })
	}
}

// brokenScript has one record of each kind whose expectation is wrong.
const brokenScript = `statement ok
CREATE TABLE t (a int PRIMARY KEY, b text)

statement ok
INSERT INTO t VALUES (1, 'x'), (2, NULL)

query IT
SELECT a, b FROM t ORDER BY a
----
1 x
2 y

query I
SELECT a, b FROM t ORDER BY a
----
1 x
2 NULL

statement ok
SELECT 1/0

statement error 42P01
SELECT 1

statement error 42P01
SELECT * FROM t WHERE a = 'z'

query T
SELECT b FROM t WHERE a = 2
----
(empty)
`

// TestRunnerCatchesWrongExpectations proves both runners fail a script
// whose expectations are wrong: every broken record is reported.
func TestRunnerCatchesWrongExpectations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.test")
	if err := os.WriteFile(path, []byte(brokenScript), 0o644); err != nil {
		t.Fatal(err)
	}
	const brokenRecords = 6
	ses := newSessionExec()
	if got := failures(t, path, ses); len(got) != brokenRecords {
		t.Errorf("in-process runner reported %d failures, want %d: %q", len(got), brokenRecords, got)
	}
	wire := &wireExec{conn: ConnectPgconn(t, ServePgwire(t, nil))}
	if got := failures(t, path, wire); len(got) != brokenRecords {
		t.Errorf("pgwire runner reported %d failures, want %d: %q", len(got), brokenRecords, got)
	}
}
