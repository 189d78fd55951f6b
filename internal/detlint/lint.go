package detlint

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// Finding is one violation of the determinism contract.
type Finding struct {
	Pos     token.Position
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s", f.Pos, f.Message) }

// forbiddenTimeFuncs read the wall clock or schedule on it.
var forbiddenTimeFuncs = []string{
	"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker",
}

// allowedRandNames are the parts of math/rand that do not touch the global,
// process-seeded source.
var allowedRandNames = []string{
	"New", "NewSource", "NewPCG", "NewChaCha8", "NewZipf",
	"Rand", "Source", "PCG", "ChaCha8", "Zipf", "Source64",
}

// forbiddenImportRoots may not be imported at all, nor may their children.
var forbiddenImportRoots = []string{"os", "net", "syscall", "crypto/rand"}

const (
	orderedMarker = "//detlint:ordered"
	exemptMarker  = "//detlint:exempt"
)

// IsExempt reports whether a file opts out of the lint with an explicit
// reason in its leading comments (before the package clause).
func IsExempt(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if rest, ok := strings.CutPrefix(c.Text, exemptMarker); ok && strings.TrimSpace(rest) != "" {
				return true
			}
		}
	}
	return false
}

// CheckFile reports every violation in one type-checked file.
func CheckFile(fset *token.FileSet, f *ast.File, info *types.Info) []Finding {
	c := &fileChecker{fset: fset, info: info, ordered: orderedLines(fset, f)}
	c.checkImports(f)
	c.walk(f)
	slices.SortFunc(c.findings, func(a, b Finding) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	return c.findings
}

type fileChecker struct {
	fset     *token.FileSet
	info     *types.Info
	ordered  map[int]bool // lines covered by an ordered marker
	findings []Finding
}

func (c *fileChecker) report(pos token.Pos, format string, args ...any) {
	c.findings = append(c.findings, Finding{Pos: c.fset.Position(pos), Message: fmt.Sprintf(format, args...)})
}

// orderedLines returns the lines a //detlint:ordered marker with a reason
// covers: its own line and the next one.
func orderedLines(fset *token.FileSet, f *ast.File) map[int]bool {
	lines := map[int]bool{}
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			rest, ok := strings.CutPrefix(cm.Text, orderedMarker)
			if !ok || strings.TrimSpace(rest) == "" {
				continue
			}
			line := fset.Position(cm.Pos()).Line
			lines[line], lines[line+1] = true, true
		}
	}
	return lines
}

func (c *fileChecker) checkImports(f *ast.File) {
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		for _, root := range forbiddenImportRoots {
			if path == root || strings.HasPrefix(path, root+"/") {
				c.report(imp.Pos(), "import of %q: core packages reach the OS only through diskio/netio and randomness only through a seeded *rand.Rand", path)
			}
		}
	}
}

func (c *fileChecker) walk(f *ast.File) {
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		c.checkNode(n, stack)
		stack = append(stack, n)
		return true
	})
}

func (c *fileChecker) checkNode(n ast.Node, stack []ast.Node) {
	switch n := n.(type) {
	case *ast.GoStmt:
		c.report(n.Pos(), "go statement: core packages are single-threaded; make the work a step its owner calls")
	case *ast.SelectStmt:
		c.report(n.Pos(), "select statement: core packages do not coordinate with channels")
	case *ast.SendStmt:
		c.report(n.Pos(), "channel send: core packages do not coordinate with channels")
	case *ast.UnaryExpr:
		if n.Op == token.ARROW {
			c.report(n.Pos(), "channel receive: core packages do not coordinate with channels")
		}
	case *ast.ChanType:
		c.report(n.Pos(), "channel type: core packages do not coordinate with channels")
	case *ast.RangeStmt:
		c.checkRange(n)
	case *ast.SelectorExpr:
		c.checkSelector(n, stack)
	}
}

func (c *fileChecker) checkRange(n *ast.RangeStmt) {
	t := c.info.TypeOf(n.X)
	if t == nil {
		return
	}
	if _, isMap := t.Underlying().(*types.Map); !isMap {
		return
	}
	if c.ordered[c.fset.Position(n.Pos()).Line] {
		return
	}
	c.report(n.Pos(), "range over a map: iteration order is random; range over sorted keys, or mark an order-independent loop %s <reason>", orderedMarker)
}

// checkSelector looks at pkg.Name references, resolved through the type
// checker so renamed imports are seen.
func (c *fileChecker) checkSelector(sel *ast.SelectorExpr, stack []ast.Node) {
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		c.checkWaitGroupType(sel)
		return
	}
	pkgName, ok := c.info.Uses[id].(*types.PkgName)
	if !ok {
		c.checkWaitGroupType(sel)
		return
	}
	name := sel.Sel.Name
	switch pkgName.Imported().Path() {
	case "time":
		if slices.Contains(forbiddenTimeFuncs, name) {
			c.report(sel.Pos(), "time.%s reads or schedules on the wall clock: take a clock.Clock or use ticks", name)
		}
	case "math/rand", "math/rand/v2":
		if !slices.Contains(allowedRandNames, name) {
			c.report(sel.Pos(), "rand.%s uses the global random source: draw from a seeded *rand.Rand", name)
		}
	case "sync":
		if name == "WaitGroup" {
			c.report(sel.Pos(), "sync.WaitGroup: core packages start no goroutines to wait for")
		}
	case "maps":
		if (name == "Keys" || name == "Values" || name == "All") && !sortedDirectly(stack) {
			c.report(sel.Pos(), "maps.%s yields in random order: pass it straight to slices.Sorted", name)
		}
	}
}

// checkWaitGroupType catches a WaitGroup reached through a type rather than
// the sync package name (an embedded field, an alias).
func (c *fileChecker) checkWaitGroupType(sel *ast.SelectorExpr) {
	t := c.info.TypeOf(sel)
	if t == nil {
		return
	}
	if named, ok := t.(*types.Named); ok {
		obj := named.Obj()
		if obj.Pkg() != nil && obj.Pkg().Path() == "sync" && obj.Name() == "WaitGroup" {
			c.report(sel.Pos(), "sync.WaitGroup: core packages start no goroutines to wait for")
		}
	}
}

// sortedDirectly reports whether the selector being visited is the callee
// of a call that is itself the argument of slices.Sorted or SortedFunc.
// stack ends with the selector's parent.
func sortedDirectly(stack []ast.Node) bool {
	if len(stack) < 2 {
		return false
	}
	inner, ok := stack[len(stack)-1].(*ast.CallExpr)
	if !ok {
		return false
	}
	outer, ok := stack[len(stack)-2].(*ast.CallExpr)
	if !ok || len(outer.Args) == 0 || outer.Args[0] != inner {
		return false
	}
	fn, ok := outer.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := fn.X.(*ast.Ident)
	return ok && pkg.Name == "slices" && (fn.Sel.Name == "Sorted" || fn.Sel.Name == "SortedFunc")
}
