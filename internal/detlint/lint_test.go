package detlint

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixtureImports are the standard packages the fixtures import.
var fixtureImports = []string{"crypto/rand", "maps", "math/rand", "math/rand/v2", "os", "slices", "sync", "time"}

// TestDeterminismLint is the gate: the core packages must be clean.
func TestDeterminismLint(t *testing.T) {
	findings, err := CheckModule(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("%s", f)
	}
}

// TestLintFlagsEveryForbiddenConstruct proves the lint can fail: each line
// of the bad fixture carrying `// want "re" ...` must produce exactly those
// findings, and no other line may produce any.
func TestLintFlagsEveryForbiddenConstruct(t *testing.T) {
	findings := checkFixture(t, "bad")
	wants := parseWants(t, filepath.Join("testdata", "bad", "bad.go"))
	got := map[int][]string{}
	for _, f := range findings {
		got[f.Pos.Line] = append(got[f.Pos.Line], f.Message)
	}
	for line, res := range wants {
		msgs := got[line]
		if len(msgs) != len(res) {
			t.Errorf("line %d: got %d findings %q, want %d matching %q", line, len(msgs), msgs, len(res), res)
			continue
		}
		for _, re := range res {
			if !anyMatch(re, msgs) {
				t.Errorf("line %d: no finding matches %q in %q", line, re, msgs)
			}
		}
	}
	for line, msgs := range got {
		if _, ok := wants[line]; !ok {
			t.Errorf("line %d: unexpected findings %q", line, msgs)
		}
	}
	if len(wants) < 15 {
		t.Fatalf("fixture has only %d want lines; it must exercise every rule", len(wants))
	}
}

func TestLintAcceptsAllowedConstructs(t *testing.T) {
	for _, f := range checkFixture(t, "good") {
		t.Errorf("unexpected finding in the good fixture: %s", f)
	}
}

func TestExemptFileIsSkipped(t *testing.T) {
	for _, f := range checkFixture(t, "exempt") {
		t.Errorf("exempt file was linted: %s", f)
	}
}

func checkFixture(t *testing.T, name string) []Finding {
	t.Helper()
	exp, _, err := LoadExports(".", fixtureImports...)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	findings, err := CheckFiles(exp, "fixture/"+name, paths)
	if err != nil {
		t.Fatal(err)
	}
	return findings
}

var wantRE = regexp.MustCompile(`// want (.*)$`)
var quotedRE = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

func parseWants(t *testing.T, path string) map[int][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wants := map[int][]string{}
	for i, line := range strings.Split(string(data), "\n") {
		m := wantRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, q := range quotedRE.FindAllStringSubmatch(m[1], -1) {
			wants[i+1] = append(wants[i+1], strings.ReplaceAll(q[1], `\"`, `"`))
		}
	}
	return wants
}

func anyMatch(re string, msgs []string) bool {
	r := regexp.MustCompile(regexp.QuoteMeta(re))
	for _, m := range msgs {
		if r.MatchString(m) {
			return true
		}
	}
	return false
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}
