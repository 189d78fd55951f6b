package sql

import (
	"time"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/exec"
)

// planCache is a prepared statement's last plan and what it was planned
// against. A plan depends only on the catalog (its descriptors, compiled
// DEFAULT/CHECK expressions, access paths), the parameter types (fixed
// at Prepare) and the session's time zone (literals are parsed in it);
// per-execution state lives in exec.Ctx. So a plan made at catalog
// version V in time zone loc serves every later execution that reads V
// in loc, and nothing else.
type planCache struct {
	plan    *exec.Prepared
	cat     *catalog.Cache // the session cache V is meaningful for
	version uint64
	loc     *time.Location
}

// cacheablePlan reports whether stmt's plan may be reused: queries and
// DML. DDL is planned as it runs anyway, and the rest is cheap.
func cacheablePlan(stmt ast.Stmt) bool {
	switch stmt.(type) {
	case *ast.Select, *ast.Insert, *ast.Update, *ast.Delete:
		return true
	}
	return false
}

// cachedPlan returns p's plan if it was made against the catalog version
// the open transaction reads, in the current time zone; nil otherwise
// (also when the transaction changed the catalog itself).
func (s *Session) cachedPlan(p *Prepared) *exec.Prepared {
	c := p.cache
	if c.plan == nil || c.cat != s.cat || c.loc != s.loc {
		return nil
	}
	ver, ok, err := s.catalogVersion()
	if err != nil || !ok || ver != c.version {
		return nil
	}
	return c.plan
}

// keepPlan remembers plan for p's later executions, if the transaction
// that made it reads a committed catalog version.
func (s *Session) keepPlan(p *Prepared, plan *exec.Prepared) {
	if !cacheablePlan(p.stmt) {
		return
	}
	ver, ok, err := s.catalogVersion()
	if err != nil || !ok {
		p.cache = planCache{}
		return
	}
	p.cache = planCache{plan: plan, cat: s.cat, version: ver, loc: s.loc}
}

// catalogVersion is the catalog version the open transaction reads, and
// false if the transaction changed the catalog.
func (s *Session) catalogVersion() (uint64, bool, error) {
	v, _ := s.kvTxn().(*catalog.View)
	if v == nil {
		return 0, false, nil
	}
	return v.CatalogVersion()
}
