//detlint:exempt test harness: serves scripts over a loopback socket with pgx; never linked into the server.

package logictest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/pgwire"
)

// recordTimeout bounds one record's round trip, so a hung server fails
// the test instead of stalling it.
const recordTimeout = 30 * time.Second

// ServePgwire serves package sql over store (nil: a fresh memkv) through
// a pgwire server on a loopback port, trust authentication, until the
// test ends. It returns the server's host:port.
func ServePgwire(t testing.TB, store kv.Store) string {
	t.Helper()
	if store == nil {
		store = NewLockedStore(memkv.New())
	}
	srv := pgwire.NewServer(pgwire.ServerConfig{
		Backend:      &pgwire.SQLBackend{Store: store, Clock: clock.Real{}},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		DrainTimeout: 2 * time.Second,
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, pgwire.ErrServerClosed) {
			t.Errorf("pgwire Serve returned %v", err)
		}
	})
	return l.Addr().String()
}

// ConnectPgconn opens a pgconn connection to addr as user postgres.
func ConnectPgconn(t testing.TB, addr string) *pgconn.PgConn {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%s user=postgres dbname=lineradb sslmode=disable", host, port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// RunFilePgwire runs a script in a fresh database through a pgwire server
// on a loopback socket. Every record goes through the simple query
// protocol (text results, as psql sees them); a query record that is one
// statement also goes through the extended protocol (Parse, Describe,
// Bind with text result formats, Execute), which must give the same rows.
func RunFilePgwire(t *testing.T, path string) {
	conn := ConnectPgconn(t, ServePgwire(t, nil))
	for _, f := range failures(t, path, &wireExec{conn: conn}) {
		t.Error(f)
	}
}

// wireExec runs records over a pgconn connection.
type wireExec struct {
	conn *pgconn.PgConn
}

func (e *wireExec) exec(q string, query bool) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	var ext *outcome
	if query {
		ext = e.extendedRolledBack(ctx, q)
	}
	results, err := readAll(e.conn.Exec(ctx, q))
	if err != nil {
		return errOutcome(err)
	}
	if len(results) == 0 {
		return outcome{}
	}
	simple := resultOutcome(results[len(results)-1])
	if ext != nil && len(results) == 1 {
		if msg := sameOutcome(simple, *ext); msg != "" {
			return outcome{failed: true, errCode: "XXEXT", errMessage: "extended protocol differs from simple: " + msg}
		}
	}
	return simple
}

// extendedRolledBack runs q through the extended protocol inside a
// transaction (or savepoint) that it then rolls back, so the simple run
// that follows starts from the same state. nil: not comparable (an
// aborted block, or more than one statement).
func (e *wireExec) extendedRolledBack(ctx context.Context, q string) *outcome {
	begin, undo := "BEGIN", "ROLLBACK"
	switch e.conn.TxStatus() {
	case 'T':
		begin, undo = "SAVEPOINT logictest_ext", "ROLLBACK TO SAVEPOINT logictest_ext; RELEASE logictest_ext"
	case 'E':
		return nil
	}
	if _, err := e.conn.Exec(ctx, begin).ReadAll(); err != nil {
		return nil
	}
	o := e.extended(ctx, q)
	if _, err := e.conn.Exec(ctx, undo).ReadAll(); err != nil {
		return &outcome{failed: true, errCode: "XXEXT", errMessage: "undoing the extended run: " + err.Error()}
	}
	if o.failed && o.errCode == "42601" && strings.Contains(o.errMessage, "multiple commands") {
		return nil
	}
	return &o
}

// extended runs q through the unnamed prepared statement, as drivers do.
func (e *wireExec) extended(ctx context.Context, q string) outcome {
	if _, err := e.conn.Prepare(ctx, "", q, nil); err != nil {
		return errOutcome(err)
	}
	textResults := []int16{0}
	r := readResult(e.conn.ExecPrepared(ctx, "", nil, nil, textResults))
	if r.Err != nil {
		return errOutcome(r.Err)
	}
	return resultOutcome(r)
}

// readResult is pgconn's ResultReader.Read, except that it keeps the
// columns of a result without rows: Read fills FieldDescriptions only when
// a row arrives, though the server described the columns.
func readResult(rr *pgconn.ResultReader) *pgconn.Result {
	r := &pgconn.Result{}
	for rr.NextRow() {
		row := make([][]byte, len(rr.Values()))
		for i, v := range rr.Values() {
			if v != nil {
				row[i] = append([]byte{}, v...)
			}
		}
		r.Rows = append(r.Rows, row)
	}
	r.FieldDescriptions = rr.FieldDescriptions()
	r.CommandTag, r.Err = rr.Close()
	return r
}

// readAll is MultiResultReader.ReadAll with readResult for each result.
func readAll(mrr *pgconn.MultiResultReader) ([]*pgconn.Result, error) {
	var results []*pgconn.Result
	for mrr.NextResult() {
		results = append(results, readResult(mrr.ResultReader()))
	}
	return results, mrr.Close()
}

func errOutcome(err error) outcome {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return outcome{failed: true, errCode: pe.Code, errMessage: pe.Message}
	}
	return outcome{failed: true, errCode: "?????", errMessage: err.Error()}
}

func resultOutcome(r *pgconn.Result) outcome {
	if r.Err != nil {
		return errOutcome(r.Err)
	}
	o := outcome{columns: len(r.FieldDescriptions)}
	for _, raw := range r.Rows {
		row := make([]*string, len(raw))
		for i, v := range raw {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		o.rows = append(o.rows, row)
	}
	return o
}

// sameOutcome describes how two outcomes differ ("" if they do not).
func sameOutcome(a, b outcome) string {
	if a.failed != b.failed || a.errCode != b.errCode {
		return fmt.Sprintf("error %q vs %q (%s)", a.errCode, b.errCode, b.errMessage)
	}
	fa, fb := format(a, ""), format(b, "")
	if a.columns != b.columns || strings.Join(fa, "\n") != strings.Join(fb, "\n") {
		return fmt.Sprintf("rows\n%s\nvs\n%s", strings.Join(fa, "\n"), strings.Join(fb, "\n"))
	}
	return ""
}

// LockedStore makes a single-goroutine store safe for the pgwire server's
// connection goroutines.
type LockedStore = memkv.Locked

// NewLockedStore wraps s.
func NewLockedStore(s kv.Store) *LockedStore { return memkv.NewLocked(s) }
