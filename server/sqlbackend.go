package server

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/lineradb/lineradb/sql/pgwire"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// meteredBackend wraps pgwire's SQLBackend (package sql over the kv store)
// with the server's per-statement policies: it times every statement for
// /metrics and the slow-query log, and enforces max_result_rows by cutting
// a statement off once it has sent that many rows and failing it with 54000.
type meteredBackend struct {
	inner   pgwire.Backend
	limits  *limits
	queries *queryLog
}

// limits are the per-statement limits every session reads.
type limits struct {
	maxResultRows atomic.Int64
}

func (b *meteredBackend) NewSession(info pgwire.StartupInfo) (pgwire.Session, error) {
	s, err := b.inner.NewSession(info)
	if err != nil {
		return nil, err
	}
	return &meteredSession{Session: s, b: b}, nil
}

type meteredSession struct {
	pgwire.Session
	b *meteredBackend
}

// meteredPrepared remembers a prepared statement's text for the slow log.
type meteredPrepared struct {
	pgwire.Prepared
	text string
}

func (s *meteredSession) Query(q string, w pgwire.ResultWriter) {
	s.run(q, w, func(w pgwire.ResultWriter) { s.Session.Query(q, w) })
}

func (s *meteredSession) Prepare(q string, oids []types.OID) (pgwire.Prepared, *sqlerr.Error) {
	p, err := s.Session.Prepare(q, oids)
	if err != nil || p == nil {
		return p, err
	}
	return &meteredPrepared{Prepared: p, text: q}, nil
}

func (s *meteredSession) Execute(p pgwire.Prepared, params []types.Datum, w pgwire.ResultWriter) {
	mp, ok := p.(*meteredPrepared)
	if !ok {
		s.Session.Execute(p, params, w)
		return
	}
	s.run(mp.text, w, func(w pgwire.ResultWriter) { s.Session.Execute(mp.Prepared, params, w) })
}

// run times fn and applies max_result_rows to what it writes.
func (s *meteredSession) run(text string, w pgwire.ResultWriter, fn func(pgwire.ResultWriter)) {
	start := time.Now()
	lw := &limitWriter{ResultWriter: w, max: s.b.limits.maxResultRows.Load()}
	fn(lw)
	if lw.exceeded {
		w.Error(sqlerr.New(sqlerr.ProgramLimitExceeded,
			"statement returned more than max_result_rows (%d) rows; add a LIMIT", lw.max))
	}
	s.b.queries.finished(text, time.Since(start))
}

// errTooManyRows cuts a statement off at max_result_rows.
var errTooManyRows = errors.New("server: max_result_rows exceeded")

// limitWriter counts a statement's rows; past max it refuses the row,
// which makes the session stop the statement.
type limitWriter struct {
	pgwire.ResultWriter
	max      int64
	rows     int64
	exceeded bool
}

func (l *limitWriter) Columns(cols []pgwire.Column) error {
	l.rows = 0
	return l.ResultWriter.Columns(cols)
}

func (l *limitWriter) Row(row types.Row) error {
	l.rows++
	if l.max > 0 && l.rows > l.max {
		l.exceeded = true
		return errTooManyRows
	}
	return l.ResultWriter.Row(row)
}

func (l *limitWriter) Complete(tag string) error {
	l.rows = 0
	return l.ResultWriter.Complete(tag)
}
