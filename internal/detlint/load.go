package detlint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// CorePatterns are the packages the determinism contract covers.
var CorePatterns = []string{"./raft/...", "./lsm/...", "./node/...", "./sql/...", "./checker/...", "./sim/..."}

// listedPackage is the subset of `go list -json` output the loader needs.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Export     string
	DepOnly    bool
	Error      *struct{ Err string }
}

// Exports maps import paths to compiled export data, so packages can be
// type-checked against their dependencies without re-checking them.
type Exports map[string]string

func (e Exports) importer(fset *token.FileSet) types.Importer {
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := e[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("detlint: no export data for %q", path)
		}
		return os.Open(file)
	})
}

// goList runs `go list -export -deps -json` in dir.
func goList(dir string, args ...string) ([]listedPackage, error) {
	cmd := exec.Command("go", append([]string{"list", "-e", "-export", "-deps", "-json"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// LoadExports lists the given packages and their dependencies.
func LoadExports(dir string, patterns ...string) (Exports, []listedPackage, error) {
	pkgs, err := goList(dir, patterns...)
	if err != nil {
		return nil, nil, err
	}
	exp := Exports{}
	for _, p := range pkgs {
		exp[p.ImportPath] = p.Export
	}
	return exp, pkgs, nil
}

// CheckModule type-checks every non-test file of the core packages under the
// module rooted at dir and returns the violations, in file order.
func CheckModule(dir string) ([]Finding, error) {
	exp, pkgs, err := LoadExports(dir, CorePatterns...)
	if err != nil {
		return nil, err
	}
	var all []Finding
	for _, p := range pkgs {
		if p.DepOnly {
			continue
		}
		if p.Error != nil {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		files := make([]string, 0, len(p.GoFiles)+len(p.CgoFiles))
		for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
			files = append(files, filepath.Join(p.Dir, name))
		}
		found, err := CheckFiles(exp, p.ImportPath, files)
		if err != nil {
			return nil, err
		}
		all = append(all, found...)
	}
	return all, nil
}

// CheckFiles parses and type-checks one package's files and lints each file
// that is not exempt.
func CheckFiles(exp Exports, importPath string, paths []string) ([]Finding, error) {
	fset := token.NewFileSet()
	files := make([]*ast.File, 0, len(paths))
	for _, path := range paths {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Uses:  map[*ast.Ident]types.Object{},
		Defs:  map[*ast.Ident]types.Object{},
	}
	conf := types.Config{Importer: exp.importer(fset), FakeImportC: true}
	if _, err := conf.Check(importPath, fset, files, info); err != nil {
		return nil, fmt.Errorf("type-checking %s: %w", importPath, err)
	}
	var found []Finding
	for _, f := range files {
		if IsExempt(f) {
			continue
		}
		found = append(found, CheckFile(fset, f, info)...)
	}
	return found, nil
}
