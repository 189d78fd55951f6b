package pgwire

import (
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// statement is a prepared statement (Parse).
type statement struct {
	query  string
	prep   Prepared
	params []types.T
	cols   []Column
}

// portal is a bound statement (Bind) and its execution state. Rows past an
// Execute's limit wait in pending for the next Execute.
type portal struct {
	name    string
	stmt    *statement
	params  []types.Datum
	cols    []Column
	formats []int16

	started bool
	done    bool
	// maxRows is the current Execute's limit (0 = all), sent its rows so far.
	maxRows int
	sent    int
	pending []types.Row
	// tag is the statement's command tag, kept while suspended.
	tag string
}

func (p *portal) full() bool { return p.maxRows > 0 && p.sent >= p.maxRows }

func (p *portal) buffer(row types.Row) *sqlerr.Error {
	if len(p.pending) >= portalRowsBufferedMax {
		return sqlerr.New(codeOutOfMemory, "portal \"%s\" holds more than %d unfetched rows", p.name, portalRowsBufferedMax)
	}
	p.pending = append(p.pending, row)
	return nil
}

// suspendAfter records the completed statement's tag and reports whether
// the Execute ends suspended (its row limit reached: PostgreSQL suspends
// then even if no rows remain).
func (p *portal) suspendAfter(tag string) bool {
	p.tag = tag
	if p.full() {
		return true
	}
	p.done = true
	return false
}

// runStatement brackets a statement's execution: the interrupt is
// cleared, the server is told (active-query registry, timeout timer).
func (c *Conn) runStatement(text string, run func()) {
	c.intr.Clear()
	if h := c.cfg.Hooks; h != nil {
		timeout := c.sess.StatementTimeout().Milliseconds()
		if timeout <= 0 {
			timeout = c.cfg.StatementTimeoutMs
		}
		h.QueryStarted(ActiveQuery{Text: text, ApplicationName: c.info.ApplicationName, TimeoutMs: timeout})
		defer h.QueryFinished()
	}
	run()
}

// simpleQuery handles Query: every statement of the string, then
// ReadyForQuery.
func (c *Conn) simpleQuery(q string) error {
	delete(c.stmts, "")
	delete(c.portals, "")
	if !utf8.ValidString(q) {
		c.sendError(errInvalidUTF8([]byte(q)))
		return c.readyForQuery()
	}
	w := newSimpleWriter(c)
	c.runStatement(q, func() { c.sess.Query(q, w) })
	if c.connErr != nil {
		return c.connErr
	}
	if w.inStatement {
		panic("pgwire: session returned from Query in the middle of a statement")
	}
	if w.reported == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
	}
	c.endOfTransaction()
	return c.readyForQuery()
}

// endOfTransaction drops portals once no transaction is open: PostgreSQL
// closes portals at transaction end.
func (c *Conn) endOfTransaction() {
	if c.sess.TxnStatus() == 'I' && len(c.portals) > 0 {
		clear(c.portals)
	}
}

func (c *Conn) sync() error {
	c.ignoreTillSync = false
	c.endOfTransaction()
	return c.readyForQuery()
}

func (c *Conn) parse(m *pgproto3.Parse) error {
	if _, ok := c.stmts[m.Name]; ok && m.Name != "" {
		return c.extendedError(sqlerr.New(codeDuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name))
	}
	if len(c.stmts) >= preparedStatementsMax {
		return c.extendedError(sqlerr.New(codeOutOfMemory, "too many prepared statements (at most %d)", preparedStatementsMax))
	}
	if !utf8.ValidString(m.Query) {
		return c.extendedError(errInvalidUTF8([]byte(m.Query)))
	}
	oids := make([]types.OID, len(m.ParameterOIDs))
	for i, o := range m.ParameterOIDs {
		oids[i] = types.OID(o)
	}
	prep, err := c.sess.Prepare(m.Query, oids)
	if err != nil {
		return c.extendedError(err)
	}
	params := append([]types.T(nil), prep.ParamTypes()...)
	for i := len(params); i < len(oids); i++ {
		params = append(params, types.T{OID: oids[i], Typmod: -1})
	}
	c.stmts[m.Name] = &statement{query: m.Query, prep: prep, params: params, cols: prep.Columns()}
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

func (c *Conn) bind(m *pgproto3.Bind) error {
	st, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return c.extendedError(sqlerr.New(sqlerr.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.PreparedStatement))
	}
	if _, ok := c.portals[m.DestinationPortal]; ok && m.DestinationPortal != "" {
		return c.extendedError(sqlerr.New(codeDuplicateCursor, "portal \"%s\" already exists", m.DestinationPortal))
	}
	if len(c.portals) >= portalsMax {
		return c.extendedError(sqlerr.New(codeOutOfMemory, "too many portals (at most %d)", portalsMax))
	}
	params, err := c.bindParams(st, m)
	if err != nil {
		return c.extendedError(err)
	}
	formats, err := resultFormats(st.cols, m.ResultFormatCodes)
	if err != nil {
		return c.extendedError(err)
	}
	c.portals[m.DestinationPortal] = &portal{name: m.DestinationPortal, stmt: st, params: params, cols: st.cols, formats: formats}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

// bindParams checks Bind's parameter counts and formats and decodes the
// values to the statement's parameter types.
func (c *Conn) bindParams(st *statement, m *pgproto3.Bind) ([]types.Datum, *sqlerr.Error) {
	n, pf := len(st.params), m.ParameterFormatCodes
	if len(m.Parameters) != n {
		return nil, sqlerr.New(codeProtocolViolation, "bind message supplies %d parameters, but prepared statement \"%s\" requires %d",
			len(m.Parameters), m.PreparedStatement, n)
	}
	if len(pf) > 1 && len(pf) != n {
		return nil, sqlerr.New(codeProtocolViolation, "bind message has %d parameter formats but %d parameters", len(pf), n)
	}
	loc := c.sess.Location()
	out := make([]types.Datum, n)
	for i, raw := range m.Parameters {
		f := formatAt(pf, i)
		if f != formatText && f != formatBinary {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
		d, err := decodeParam(st.params[i], f, raw, loc)
		if err != nil {
			if f == formatBinary {
				err.Message += " (in bind parameter " + itoa(i+1) + ")"
			}
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func formatAt(codes []int16, i int) int16 {
	switch len(codes) {
	case 0:
		return formatText
	case 1:
		return codes[0]
	}
	return codes[i]
}

// resultFormats expands Bind's result format codes to one per column.
func resultFormats(cols []Column, codes []int16) ([]int16, *sqlerr.Error) {
	if len(codes) > 1 && len(codes) != len(cols) {
		return nil, sqlerr.New(codeProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), len(cols))
	}
	out := make([]int16, len(cols))
	for i, col := range cols {
		f := formatAt(codes, i)
		if f != formatText && f != formatBinary {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
		if f == formatBinary && !binarySupported(col.Type) {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "binary output is not supported for type %s", col.Type.String())
		}
		out[i] = f
	}
	return out, nil
}

func (c *Conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		st, ok := c.stmts[m.Name]
		if !ok {
			return c.extendedError(sqlerr.New(sqlerr.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.Name))
		}
		oids := make([]uint32, len(st.params))
		for i, t := range st.params {
			oids[i] = uint32(t.OID)
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		c.sendRowDescription(st.cols, make([]int16, len(st.cols)))
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return c.extendedError(sqlerr.New(sqlerr.InvalidCursorName, "portal \"%s\" does not exist", m.Name))
		}
		c.sendRowDescription(p.cols, p.formats)
	default:
		return c.extendedError(sqlerr.New(codeProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType))
	}
	return nil
}

func (c *Conn) sendRowDescription(cols []Column, formats []int16) {
	if cols == nil {
		c.be.Send(&pgproto3.NoData{})
		return
	}
	c.be.Send(rowDescription(cols, formats))
}

func (c *Conn) closeObject(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		delete(c.portals, m.Name)
	default:
		return c.extendedError(sqlerr.New(codeProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType))
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}

// execute runs a portal, or resumes a suspended one.
func (c *Conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return c.extendedError(sqlerr.New(sqlerr.InvalidCursorName, "portal \"%s\" does not exist", m.Portal))
	}
	p.maxRows, p.sent = int(m.MaxRows), 0
	if p.maxRows < 0 {
		p.maxRows = 0
	}
	if p.started {
		return c.resume(p)
	}
	p.started = true
	w := newPortalWriter(c, p)
	c.runStatement(p.stmt.query, func() { c.sess.Execute(p.stmt.prep, p.params, w) })
	if c.connErr != nil {
		return c.connErr
	}
	if w.inStatement {
		panic("pgwire: session returned from Execute in the middle of a statement")
	}
	if w.reported == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		p.done = true
	}
	if w.failed {
		p.done = true
		c.ignoreTillSync = true
	}
	return nil
}

// resume sends a suspended portal's next rows.
func (c *Conn) resume(p *portal) error {
	if p.done && !selectTag(p.tag) {
		return c.extendedError(sqlerr.New("55000", "portal \"%s\" cannot be run", p.name))
	}
	for len(p.pending) > 0 && !p.full() {
		row := p.pending[0]
		p.pending[0] = nil
		p.pending = p.pending[1:]
		p.sent++
		if err := c.sendRow(p.cols, p.formats, row); err != nil {
			return c.connErr
		}
	}
	if p.full() {
		c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.done = true
	tag := p.tag
	if selectTag(tag) {
		tag = "SELECT " + itoa(p.sent)
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}
