package exec

import (
	"fmt"
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Column describes a result column.
type Column struct {
	Name string
	T    types.T
}

// Result is the outcome of one statement.
type Result struct {
	Tag     string
	Columns []Column
	Rows    []types.Row
}

// Prepared is a planned statement.
type Prepared struct {
	Columns    []Column
	ParamTypes []types.T
	run        func(c *Ctx) (Result, error)
	plan       node
}

// Execute runs the statement on c.Txn.
func (p *Prepared) Execute(c *Ctx) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = sqlerr.New(sqlerr.InternalError, "internal error: %v", r)
		}
	}()
	if c.Interrupted != nil {
		if err := c.Interrupted(); err != nil {
			return Result{}, sqlerr.Wrap(err)
		}
		c.Txn = &interruptTxn{Txn: c.Txn, interrupted: c.Interrupted}
	}
	c.mem = workMem{budgetBytes: c.WorkMemBytes}
	res, err = p.run(c)
	// The result itself is not charged to work_mem: PostgreSQL streams it,
	// so a plain SELECT of a big table must not fail there; its size is
	// bounded by max_result_rows instead.
	if err != nil {
		return Result{}, sqlerr.Wrap(err)
	}
	return res, nil
}

// Prepare plans a statement. DDL is planned when it executes, since it
// depends on the catalog as it is at that point of the transaction.
func Prepare(stmt ast.Stmt, env *Env) (p *Prepared, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, sqlerr.New(sqlerr.InternalError, "internal error: %v", r)
		}
	}()
	p, err = prepare(stmt, env)
	if err != nil {
		return nil, sqlerr.Wrap(err)
	}
	for i, t := range env.ParamTypes {
		if t.Family() == types.FamUnknown {
			env.ParamTypes[i] = types.Text
		}
	}
	p.ParamTypes = env.ParamTypes
	return p, nil
}

func prepare(stmt ast.Stmt, env *Env) (*Prepared, error) {
	switch s := stmt.(type) {
	case *ast.Select:
		plan, cols, err := env.planQuery(s, nil)
		if err != nil {
			return nil, err
		}
		out := resultColumns(cols)
		return &Prepared{Columns: out, plan: plan, run: func(c *Ctx) (Result, error) {
			rows, err := plan.run(c)
			return Result{Tag: fmt.Sprintf("SELECT %d", len(rows)), Columns: out, Rows: rows}, err
		}}, nil
	case *ast.Insert:
		return env.prepareInsert(s)
	case *ast.Update:
		return env.prepareUpdate(s)
	case *ast.Delete:
		return env.prepareDelete(s)
	case *ast.Explain:
		return env.prepareExplain(s)
	case *ast.CreateTable, *ast.DropTable, *ast.CreateIndex, *ast.DropIndex, *ast.AlterTable, *ast.Rename, *ast.Truncate:
		return &Prepared{run: func(c *Ctx) (Result, error) { return runDDL(c, stmt) }}, nil
	case *ast.Vacuum:
		return prepareVacuum(s)
	}
	return nil, sqlerr.Unsupported(fmt.Sprintf("statement %T", stmt))
}

func resultColumns(cols []scopeCol) []Column {
	out := make([]Column, len(cols))
	for i, c := range cols {
		out[i] = Column{Name: c.Name, T: c.T}
	}
	return out
}

func (env *Env) prepareExplain(s *ast.Explain) (*Prepared, error) {
	var plan node
	switch q := s.Stmt.(type) {
	case *ast.Select:
		p, _, err := env.planQuery(q, nil)
		if err != nil {
			return nil, err
		}
		plan = p
	default:
		p, err := prepare(s.Stmt, env)
		if err != nil {
			return nil, err
		}
		if p.plan == nil {
			return nil, sqlerr.Unsupported("EXPLAIN of this statement")
		}
		plan = p.plan
	}
	var lines []string
	explainLines(plan, 0, &lines)
	cols := []Column{{Name: "QUERY PLAN", T: types.Text}}
	return &Prepared{Columns: cols, run: func(*Ctx) (Result, error) {
		rows := make([]types.Row, len(lines))
		for i, l := range lines {
			rows[i] = types.Row{types.DString(l)}
		}
		return Result{Tag: fmt.Sprintf("EXPLAIN"), Columns: cols, Rows: rows}, nil
	}}, nil
}

// explainLines prints the plan tree, skipping pass-through nodes
// (projections) that have no label.
func explainLines(n node, depth int, out *[]string) {
	label, kids := n.explain()
	if label == "" {
		for _, k := range kids {
			explainLines(k, depth, out)
		}
		return
	}
	prefix := strings.Repeat("  ", depth)
	if depth > 0 {
		prefix = strings.Repeat("  ", depth-1) + "  ->  "
	}
	*out = append(*out, prefix+label)
	for _, k := range kids {
		explainLines(k, depth+1, out)
	}
}
