package pgwire

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// startSQLServer serves package sql over memkv.
func startSQLServer(t *testing.T, cfg ServerConfig) *testServer {
	cfg.Backend = &SQLBackend{Store: memkv.NewLocked(memkv.New())}
	return startServer(t, cfg)
}

// pgxConnect opens a pgx connection; mode selects the query protocol.
func pgxConnect(t *testing.T, addr, user, password string, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=lineradb sslmode=disable", host, port, user, password))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, q string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestPgxSimpleProtocol(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	mustExec(t, conn, "CREATE TABLE acct (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2), opened date, ok boolean)")
	mustExec(t, conn, "INSERT INTO acct VALUES (1, 'ann', 100.50, '2024-01-02', true), (2, 'bob', 0, NULL, false)")
	var owner string
	var opened *string
	if err := conn.QueryRow(ctx, "SELECT owner, opened::text FROM acct WHERE id = 1").Scan(&owner, &opened); err != nil {
		t.Fatal(err)
	}
	if owner != "ann" || opened == nil || *opened != "2024-01-02" {
		t.Fatalf("got %q %v", owner, opened)
	}
	// A failed statement in a block: 25P02 until ROLLBACK.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, "INSERT INTO acct VALUES (1, 'dup', 0, NULL, true)")
	if pgCode(err) != "23505" {
		t.Fatalf("duplicate insert: %v, want 23505", err)
	}
	_, err = tx.Exec(ctx, "SELECT 1")
	if pgCode(err) != "25P02" {
		t.Fatalf("statement in failed block: %v, want 25P02", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM acct").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d %v", n, err)
	}
}

// TestPgxSerializationFailureAndRetry: a write skew surfaces as 40001 to
// pgx, and a retry loop then succeeds.
func TestPgxSerializationFailureAndRetry(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	a := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeSimpleProtocol)
	b := pgxConnect(t, ts.addr, "bob", "", pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	mustExec(t, a, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	mustExec(t, a, "INSERT INTO kv VALUES (1, 0)")
	transfer := func(first bool) error {
		tx, err := a.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		var v int
		if err := tx.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v); err != nil {
			return err
		}
		if first { // a concurrent writer commits in between
			mustExec(t, b, "UPDATE kv SET v = v + 100 WHERE k = 1")
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("UPDATE kv SET v = %d WHERE k = 1", v+1)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	err := transfer(true)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40001" {
		t.Fatalf("conflicting commit: %v, want *pgconn.PgError 40001", err)
	}
	attempts := 0
	for {
		attempts++
		err := transfer(false)
		if err == nil {
			break
		}
		if pgCode(err) != "40001" || attempts > 5 {
			t.Fatalf("retry %d: %v", attempts, err)
		}
	}
	var v int
	if err := a.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v); err != nil || v != 101 {
		t.Fatalf("v = %d (%v), want 101", v, err)
	}
}

func TestPgxAuthAgainstSQL(t *testing.T) {
	scram, err := HashPassword("pw1", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	users := userMap{"sam": scram, "mia": MD5Password("mia", "pw2")}
	for _, method := range []AuthMethod{AuthSCRAM, AuthMD5} {
		ts := startSQLServer(t, ServerConfig{Auth: AuthConfig{Method: method, Users: users}})
		user, pw := "sam", "pw1"
		if method == AuthMD5 {
			user, pw = "mia", "pw2"
		}
		conn := pgxConnect(t, ts.addr, user, pw, pgx.QueryExecModeSimpleProtocol)
		var got string
		if err := conn.QueryRow(context.Background(), "SELECT 'hi'").Scan(&got); err != nil || got != "hi" {
			t.Fatalf("method %d: %q %v", method, got, err)
		}
	}
}

func TestPgxStartupSettingsAndSet(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	host, port, _ := strings.Cut(ts.addr, ":")
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=u sslmode=disable application_name=myapp", host, port))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.RuntimeParams["statement_timeout"] = "5s"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var app, timeout string
	if err := conn.QueryRow(context.Background(), "SHOW application_name").Scan(&app); err != nil || app != "myapp" {
		t.Fatalf("application_name %q %v", app, err)
	}
	if err := conn.QueryRow(context.Background(), "SHOW statement_timeout").Scan(&timeout); err != nil || timeout != "5s" {
		t.Fatalf("statement_timeout %q %v", timeout, err)
	}
	mustExec(t, conn, "SET application_name = 'renamed'")
	if got := conn.PgConn().ParameterStatus("application_name"); got != "renamed" {
		t.Fatalf("ParameterStatus application_name = %q", got)
	}
	mustExec(t, conn, "SET TimeZone = 'Europe/Paris'")
	if got := conn.PgConn().ParameterStatus("TimeZone"); got != "Europe/Paris" {
		t.Fatalf("ParameterStatus TimeZone = %q", got)
	}
}

// TestPgxExtendedProtocolTypes: pgx's default mode (Parse/Describe/Bind/
// Execute, binary formats for the types it knows) round-trips every type.
func TestPgxExtendedProtocolTypes(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			conn := pgxConnect(t, ts.addr, "alice", "", mode)
			ctx := context.Background()
			table := "t_" + strings.ReplaceAll(mode.String(), " ", "_")
			mustExec(t, conn, "CREATE TABLE "+table+` (id int8 PRIMARY KEY, i2 smallint, i4 integer, f4 real, f8 double precision,
				num numeric(20,6), txt text, vc varchar(10), bp char(4), b boolean, by bytea, d date, ts timestamp,
				tstz timestamptz, iv interval, u uuid)`)
			day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
			ts1 := time.Date(2023, 11, 14, 22, 13, 20, 123456000, time.UTC)
			uuid := [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
			iv := pgtype.Interval{Months: 14, Days: 3, Microseconds: 4_000_005, Valid: true}
			num := pgtype.Numeric{}
			if err := num.Scan("-12345.678900"); err != nil {
				t.Fatal(err)
			}
			mustExec(t, conn, "INSERT INTO "+table+" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
				int64(1), int16(-32768), int32(2147483647), float32(1.5), -3.25e100, num, "héllo 'q' $1", "vc", "ab",
				true, []byte{0, 255, '\''}, day, ts1, ts1, iv, pgtype.UUID{Bytes: uuid, Valid: true})
			mustExec(t, conn, "INSERT INTO "+table+" (id) VALUES ($1)", int64(2))
			var (
				i2                int16
				i4                int32
				f4                float32
				f8                float64
				gotNum            pgtype.Numeric
				txt, vc, bp       string
				b                 bool
				by                []byte
				d, gotTs, gotTstz time.Time
				gotIv             pgtype.Interval
				gotUUID           pgtype.UUID
			)
			err := conn.QueryRow(ctx, "SELECT i2, i4, f4, f8, num, txt, vc, bp, b, by, d, ts, tstz, iv, u FROM "+table+" WHERE id = $1", int64(1)).
				Scan(&i2, &i4, &f4, &f8, &gotNum, &txt, &vc, &bp, &b, &by, &d, &gotTs, &gotTstz, &gotIv, &gotUUID)
			if err != nil {
				t.Fatal(err)
			}
			numText, _ := gotNum.Value()
			if i2 != -32768 || i4 != 2147483647 || f4 != 1.5 || f8 != -3.25e100 || numText != "-12345.678900" ||
				txt != "héllo 'q' $1" || vc != "vc" || bp != "ab  " || !b || string(by) != "\x00\xff'" ||
				!d.Equal(day) || !gotTs.Equal(ts1) || !gotTstz.Equal(ts1) || gotIv != iv || gotUUID.Bytes != uuid {
				t.Fatalf("round trip:\n%v %v %v %v %v %q %q %q %v %q\n%v %v %v %+v %x", i2, i4, f4, f8, numText, txt, vc, bp, b, by,
					d, gotTs, gotTstz, gotIv, gotUUID.Bytes)
			}
			var nullI4 *int32
			var nullTxt *string
			if err := conn.QueryRow(ctx, "SELECT i4, txt FROM "+table+" WHERE id = $1", int64(2)).Scan(&nullI4, &nullTxt); err != nil || nullI4 != nil || nullTxt != nil {
				t.Fatalf("NULLs: %v %v %v", nullI4, nullTxt, err)
			}
			// A prepared statement reused with different arguments.
			for want := int64(1); want <= 2; want++ {
				var id int64
				if err := conn.QueryRow(ctx, "SELECT id FROM "+table+" WHERE id = $1", want).Scan(&id); err != nil || id != want {
					t.Fatalf("reuse %d: %d %v", want, id, err)
				}
			}
			// Errors from a prepared statement carry their SQLSTATE.
			_, err = conn.Exec(ctx, "INSERT INTO "+table+" (id) VALUES ($1)", int64(1))
			if pgCode(err) != "23505" {
				t.Fatalf("duplicate: %v", err)
			}
			_, err = conn.Exec(ctx, "SELECT nope FROM "+table+" WHERE id = $1", int64(1))
			if pgCode(err) != "42703" {
				t.Fatalf("undefined column: %v", err)
			}
		})
	}
}

// slowQuery is a statement that reads the store many times over, so an
// interrupt (checked at every kv operation) stops it.
func setupSlow(t *testing.T, conn *pgx.Conn) string {
	mustExec(t, conn, "CREATE TABLE slow (i int PRIMARY KEY)")
	mustExec(t, conn, "INSERT INTO slow SELECT g FROM generate_series(1, 200) AS g")
	return "SELECT count(*) FROM slow a, slow b WHERE EXISTS (SELECT 1 FROM slow c WHERE c.i = a.i * b.i)"
}

func TestPgxStatementTimeoutAndCancel(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	slow := setupSlow(t, conn)
	mustExec(t, conn, "SET statement_timeout = '50ms'")
	_, err := conn.Exec(ctx, slow)
	if pgCode(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("slow query under statement_timeout: %v, want 57014", err)
	}
	mustExec(t, conn, "SET statement_timeout = 0")
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, slow)
		done <- err
	}()
	waitFor(t, func() bool { return activeQuery(ts.srv) == slow })
	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; pgCode(err) != "57014" || !strings.Contains(err.Error(), "user request") {
		t.Fatalf("canceled query: %v, want 57014", err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestPgxCopy(t *testing.T) {
	ts := startSQLServer(t, ServerConfig{})
	conn := pgxConnect(t, ts.addr, "alice", "", pgx.QueryExecModeCacheStatement)
	ctx := context.Background()
	mustExec(t, conn, "CREATE TABLE c (id int PRIMARY KEY, name text, note text)")
	in := "id,name,note\n1,ann,\"has, comma\"\n2,bob,\n3,\"multi\nline\",\"\"\n"
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY c FROM STDIN WITH (FORMAT csv, HEADER)")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("COPY FROM: %q %v", tag, err)
	}
	var out strings.Builder
	tag, err = conn.PgConn().CopyTo(ctx, &out, "COPY c TO STDOUT")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("COPY TO: %q %v", tag, err)
	}
	if want := "1\tann\thas, comma\n2\tbob\t\\N\n3\tmulti\\nline\t\n"; out.String() != want {
		t.Fatalf("COPY TO text:\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	if _, err := conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT id, name FROM c WHERE id > 1 ORDER BY id) TO STDOUT WITH (FORMAT csv)"); err != nil {
		t.Fatal(err)
	}
	if want := "2,bob\n3,\"multi\nline\"\n"; out.String() != want {
		t.Fatalf("COPY TO csv:\n%q\nwant\n%q", out.String(), want)
	}
	// A bad row fails the whole COPY; nothing is inserted.
	_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader("4\tx\ty\n1\tdup\tz\n"), "COPY c FROM STDIN")
	if pgCode(err) != "23505" {
		t.Fatalf("COPY with a duplicate key: %v, want 23505", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM c").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count after failed COPY: %d %v", n, err)
	}
}
