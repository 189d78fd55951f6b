package pgwire

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lineradb/lineradb/node/kv/memkv"
)

// sortQueryBig sorts 100,000 rows (several MB of estimated row bytes)
// and returns one.
const sortQueryBig = "SELECT g FROM generate_series(1, 100000) g ORDER BY g DESC LIMIT 1"

// wantOutOfMemory fails unless err is 53200 naming work_mem.
func wantOutOfMemory(t *testing.T, err error, what string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53200" || !strings.Contains(pe.Message, "work_mem") {
		t.Fatalf("%s: %v, want SQLSTATE 53200 naming work_mem", what, err)
	}
}

// The backend's WorkMemBytes (the server's work_mem_mb) bounds a big
// ORDER BY, over both protocols; SET work_mem raises or lowers it.
func TestPgxWorkMemBudget(t *testing.T) {
	cfg := ServerConfig{Backend: &SQLBackend{Store: memkv.NewLocked(memkv.New()), WorkMemBytes: 1 << 20}}
	ts := startServer(t, cfg)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		conn := pgxConnect(t, ts.addr, "alice", "", mode)
		var g int64
		wantOutOfMemory(t, conn.QueryRow(ctx, sortQueryBig).Scan(&g), "a 100,000-row sort in 1MB")
		var shown string
		if err := conn.QueryRow(ctx, "SHOW work_mem").Scan(&shown); err != nil || shown != "1MB" {
			t.Fatalf("SHOW work_mem: %q %v, want 1MB", shown, err)
		}
		mustExec(t, conn, "SET work_mem = '64MB'")
		if err := conn.QueryRow(ctx, sortQueryBig).Scan(&g); err != nil || g != 100000 {
			t.Fatalf("the sort with work_mem 64MB: %d %v", g, err)
		}
		mustExec(t, conn, "SET work_mem = '64kB'")
		wantOutOfMemory(t, conn.QueryRow(ctx, "SELECT g FROM generate_series(1, 2000) g ORDER BY g LIMIT 1").Scan(&g), "a 2,000-row sort in 64kB")
		// The connection is still usable; point lookups fit easily.
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&g); err != nil || g != 1 {
			t.Fatalf("after 53200: %d %v", g, err)
		}
	}
}
