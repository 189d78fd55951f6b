package pgwire

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// fakeBackend is a tiny command language standing in for the SQL layer,
// so the protocol engine is tested on its own. Statements (split on ';'):
//
//	rows N             N rows of (n int4, s text), tag "SELECT N"
//	alltypes           one row of every supported type
//	error CODE         fails with SQLSTATE CODE
//	notice             a NOTICE, then tag "DO"
//	begin|commit|rollback  transaction status I/T/E handling
//	panic              panics
//	wait               polls the interrupt until set (cancel, timeout)
//	copyin [csv]       COPY FROM STDIN into (a int4, b text), rows kept
//	copyout [csv]      COPY TO STDOUT of the kept rows
//	setapp NAME        reports ParameterStatus application_name
//	echo $1 $2 ...     (prepared) returns its parameters as one row
type fakeBackend struct {
	// fuzz disables the commands that panic or sleep.
	fuzz     bool
	mu       sync.Mutex
	sessions int
	closed   int
	copied   []types.Row
}

func (b *fakeBackend) NewSession(info StartupInfo) (Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions++
	if info.Database == "nodb" {
		return nil, sqlerr.New("3D000", "database \"nodb\" does not exist")
	}
	return &fakeSession{b: b, info: info, status: 'I'}, nil
}

type fakeSession struct {
	b      *fakeBackend
	info   StartupInfo
	status byte
}

func (s *fakeSession) TxnStatus() byte                 { return s.status }
func (s *fakeSession) StatementTimeout() time.Duration { return 0 }
func (s *fakeSession) Location() *time.Location        { return time.UTC }
func (s *fakeSession) Close() {
	s.b.mu.Lock()
	s.b.closed++
	s.b.mu.Unlock()
}

func (s *fakeSession) Query(q string, w ResultWriter) {
	any := false
	for _, stmt := range strings.Split(q, ";") {
		stmt = strings.TrimSpace(stmt)
		if stmt == "" {
			continue
		}
		any = true
		if !s.run(stmt, nil, w, true) {
			return
		}
	}
	if !any {
		_ = w.EmptyQuery()
	}
}

var intCols = []Column{{Name: "n", Type: types.Int4}, {Name: "s", Type: types.Text}}

// allTypes is one value of each type pgwire encodes.
func allTypes() ([]Column, types.Row) {
	num, _ := types.ParseDecimal("-12345.678900")
	cols := []Column{
		{Name: "i2", Type: types.Int2}, {Name: "i4", Type: types.Int4}, {Name: "i8", Type: types.Int8},
		{Name: "f4", Type: types.Float4}, {Name: "f8", Type: types.Float8}, {Name: "num", Type: types.Numeric},
		{Name: "txt", Type: types.Text}, {Name: "vc", Type: types.Varchar}, {Name: "bp", Type: types.Bpchar},
		{Name: "b", Type: types.Bool}, {Name: "by", Type: types.Bytea}, {Name: "d", Type: types.Date},
		{Name: "ts", Type: types.Timestamp}, {Name: "tstz", Type: types.TimestampTZ},
		{Name: "iv", Type: types.Interval}, {Name: "u", Type: types.UUID}, {Name: "nul", Type: types.Int4},
	}
	row := types.Row{types.DInt(-32768), types.DInt(2147483647), types.DInt(-9223372036854775808),
		types.DFloat(float32(1.5)), types.DFloat(3.25), &types.DNumeric{Decimal: *num},
		types.DString("héllo"), types.DString("vc"), types.DString("bp  "),
		types.DBool(true), types.DBytes("\x00\xff"), types.DDate(19000),
		types.DTimestamp(1_700_000_000_123_456), types.DTimestampTZ(-1_000_000),
		types.DInterval{Months: 14, Days: 3, Micros: 4_000_005}, types.DUUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		types.Null}
	return cols, row
}

// run executes one statement; it returns false when the statement failed.
func (s *fakeSession) run(stmt string, params []types.Datum, w ResultWriter, describe bool) bool {
	f := strings.Fields(stmt)
	fail := func(e *sqlerr.Error) bool {
		if s.status == 'T' {
			s.status = 'E'
		}
		w.Error(e)
		return false
	}
	if s.status == 'E' && f[0] != "rollback" && f[0] != "commit" {
		return fail(sqlerr.New(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block"))
	}
	switch f[0] {
	case "rows":
		n, _ := strconv.Atoi(f[len(f)-1])
		n = min(n, 10_000)
		if describe && w.Columns(intCols) != nil {
			return false
		}
		for i := range n {
			if err := w.Row(types.Row{types.DInt(i + 1), types.DString(fmt.Sprint("r", i+1))}); err != nil {
				return false
			}
		}
		return w.Complete(fmt.Sprintf("SELECT %d", n)) == nil
	case "alltypes":
		cols, row := allTypes()
		if describe && w.Columns(cols) != nil {
			return false
		}
		return w.Row(row) == nil && w.Complete("SELECT 1") == nil
	case "error":
		e := sqlerr.New(f[len(f)-1], "fake error %s", f[1]).WithDetail("some detail").WithHint("some hint")
		e.Position = 3
		return fail(e)
	case "notice":
		_ = w.Notice(&sqlerr.Error{Severity: "NOTICE", Code: "00000", Message: "hello notice"})
		return w.Complete("DO") == nil
	case "begin":
		s.status = 'T'
		return w.Complete("BEGIN") == nil
	case "commit", "rollback":
		tag := strings.ToUpper(f[0])
		if s.status == 'E' {
			tag = "ROLLBACK"
		}
		s.status = 'I'
		return w.Complete(tag) == nil
	case "panic":
		if s.b.fuzz {
			break
		}
		panic("fake session panic")
	case "wait":
		if s.b.fuzz {
			break
		}
		for range 2000 {
			if e := s.info.Interrupt.Err(); e != nil {
				return fail(e)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return w.Complete("WAITED") == nil
	case "copyin":
		return s.copyIn(f, w)
	case "copyout":
		return s.copyOut(f, w)
	case "setapp":
		_ = w.ParameterStatus("application_name", f[len(f)-1])
		return w.Complete("SET") == nil
	case "echo":
		cols := make([]Column, len(params))
		for i := range params {
			cols[i] = Column{Name: fmt.Sprint("p", i+1), Type: s.paramType(stmt, i)}
		}
		if describe && w.Columns(cols) != nil {
			return false
		}
		return w.Row(types.Row(params)) == nil && w.Complete("SELECT 1") == nil
	}
	return fail(sqlerr.New(sqlerr.SyntaxError, "syntax error at or near \"%s\"", f[0]))
}

var copyCols = []Column{{Name: "a", Type: types.Int4}, {Name: "b", Type: types.Text}}

func copySpec(f []string) CopySpec {
	spec := CopySpec{Columns: copyCols}
	if len(f) > 1 && f[1] == "csv" {
		spec.Format = CopyCSV
		spec.Header = len(f) > 2 && f[2] == "header"
	}
	return spec
}

func (s *fakeSession) copyIn(f []string, w ResultWriter) bool {
	n, err := w.CopyIn(copySpec(f), func(rows []types.Row) error {
		s.b.mu.Lock()
		defer s.b.mu.Unlock()
		s.b.copied = append(s.b.copied, rows...)
		return nil
	})
	if err != nil {
		if err == errStatementCut {
			return false
		}
		w.Error(sqlerr.Wrap(err))
		return false
	}
	return w.Complete(fmt.Sprintf("COPY %d", n)) == nil
}

func (s *fakeSession) copyOut(f []string, w ResultWriter) bool {
	if w.CopyOut(copySpec(f)) != nil {
		return false
	}
	s.b.mu.Lock()
	rows := append([]types.Row(nil), s.b.copied...)
	s.b.mu.Unlock()
	for _, r := range rows {
		if w.Row(r) != nil {
			return false
		}
	}
	return w.Complete(fmt.Sprintf("COPY %d", len(rows))) == nil
}

var paramRE = regexp.MustCompile(`\$(\d+)`)

type fakePrepared struct {
	query  string
	params []types.T
	cols   []Column
}

func (p *fakePrepared) ParamTypes() []types.T { return p.params }
func (p *fakePrepared) Columns() []Column     { return p.cols }

// paramType: echo's parameters are int8 unless the client said otherwise
// (the fake's "inference").
func (s *fakeSession) paramType(stmt string, i int) types.T { return types.Int8 }

func (s *fakeSession) Prepare(q string, oids []types.OID) (Prepared, *sqlerr.Error) {
	q = strings.TrimSpace(q)
	p := &fakePrepared{query: q}
	if q == "" {
		return p, nil
	}
	f := strings.Fields(q)
	switch f[0] {
	case "rows":
		p.cols = intCols
	case "alltypes":
		p.cols, _ = allTypes()
	case "echo":
		n := 0
		for _, m := range paramRE.FindAllStringSubmatch(q, -1) {
			k, _ := strconv.Atoi(m[1])
			n = max(n, k)
		}
		for i := range n {
			t := types.Int8
			if i < len(oids) && oids[i] != 0 {
				t = types.T{OID: oids[i], Typmod: -1}
			}
			p.params = append(p.params, t)
			p.cols = append(p.cols, Column{Name: fmt.Sprint("p", i+1), Type: t})
		}
	case "bad":
		return nil, sqlerr.New(sqlerr.SyntaxError, "syntax error at or near \"bad\"").At(0)
	}
	return p, nil
}

func (s *fakeSession) Execute(p Prepared, params []types.Datum, w ResultWriter) {
	fp := p.(*fakePrepared)
	if fp.query == "" {
		_ = w.EmptyQuery()
		return
	}
	if strings.HasPrefix(fp.query, "echo") {
		if w.Row(types.Row(params)) == nil {
			_ = w.Complete("SELECT 1")
		}
		return
	}
	s.run(fp.query, params, w, false)
}
