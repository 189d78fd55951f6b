package sql

import (
	"testing"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/sql/types"
)

// scanCountingStore counts the entries Scan returns, so a test can tell a
// key lookup (no entries scanned) from a table scan.
type scanCountingStore struct {
	*memkv.Store
	scanned int
}

type scanCountingTxn struct {
	kv.Txn
	s *scanCountingStore
}

func (s *scanCountingStore) Begin(o kv.TxnOptions) (kv.Txn, error) {
	txn, err := s.Store.Begin(o)
	if err != nil {
		return nil, err
	}
	return &scanCountingTxn{Txn: txn, s: s}, nil
}

func (s *scanCountingStore) Commit(txn kv.Txn) (kv.CommitResult, error) {
	return s.Store.Commit(txn.(*scanCountingTxn).Txn)
}

func (s *scanCountingStore) Abort(txn kv.Txn) { s.Store.Abort(txn.(*scanCountingTxn).Txn) }

func (t *scanCountingTxn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	kvs, err := t.Txn.Scan(start, end, limit, reverse)
	t.s.scanned += len(kvs)
	return kvs, err
}

// TestParameterKeyLookups: a WHERE comparing a key column with a
// parameter uses the key (what pgbench -M prepared and every pgx client
// send), with the parameter's value bound at each execution; NULL and
// out-of-range values select nothing under = and narrow nothing under a
// range, exactly as the same statement with literals answers.
func TestParameterKeyLookups(t *testing.T) {
	store := &scanCountingStore{Store: memkv.New()}
	s := NewSession(SessionConfig{})
	mustRun(t, s, store.Store, `CREATE TABLE t (a int PRIMARY KEY, b int, c text);
CREATE INDEX t_c ON t (c);
INSERT INTO t SELECT g, g * 10, 'c' || g FROM generate_series(1, 200) g;
CREATE TABLE u (x int, y int, z text, PRIMARY KEY (x, y));
INSERT INTO u SELECT g / 10, g % 10, 'z' || g FROM generate_series(0, 199) g`)
	big := types.DInt(1 << 40)
	for _, c := range []struct {
		query      string
		params     []types.Datum
		want       string
		scannedMax int
	}{
		{"SELECT b FROM t WHERE a = $1", []types.Datum{types.DInt(5)}, "SELECT 1\n  50\n", 0},
		{"SELECT b FROM t WHERE a = $1", []types.Datum{types.DInt(6)}, "SELECT 1\n  60\n", 0},
		{"SELECT b FROM t WHERE $1 = a", []types.Datum{types.DInt(7)}, "SELECT 1\n  70\n", 0},
		{"SELECT b FROM t WHERE a = $1", []types.Datum{types.DInt(999)}, "SELECT 0\n", 0},
		{"SELECT b FROM t WHERE a = $1", []types.Datum{types.Null}, "SELECT 0\n", 0},
		{"SELECT b FROM t WHERE a = $1::int8", []types.Datum{big}, "SELECT 0\n", 0},
		{"SELECT a FROM t WHERE a >= $1 AND a < $2", []types.Datum{types.DInt(10), types.DInt(13)}, "SELECT 3\n  10\n  11\n  12\n", 3},
		{"SELECT count(*) FROM t WHERE a > $1::int8", []types.Datum{big}, "SELECT 1\n  0\n", 200},
		{"SELECT count(*) FROM t WHERE a <= $1::int8", []types.Datum{big}, "SELECT 1\n  200\n", 200},
		{"SELECT a FROM t WHERE c = $1", []types.Datum{types.DString("c7")}, "SELECT 1\n  7\n", 1},
		{"SELECT z FROM u WHERE x = $1 AND y = 2", []types.Datum{types.DInt(3)}, "SELECT 1\n  z32\n", 0},
		{"SELECT z FROM u WHERE x = $1 AND y >= $2", []types.Datum{types.DInt(19), types.DInt(8)}, "SELECT 2\n  z198\n  z199\n", 2},
		{"UPDATE t SET b = b + 1 WHERE a = $1", []types.Datum{types.DInt(8)}, "UPDATE 1\n", 0},
		{"SELECT b FROM t WHERE a = 8", nil, "SELECT 1\n  81\n", 0},
		{"DELETE FROM t WHERE a = $1", []types.Datum{types.DInt(9)}, "DELETE 1\n", 0},
		{"SELECT count(*) FROM t", nil, "SELECT 1\n  199\n", 200},
	} {
		p, err := Prepare(s, store, c.query, nil)
		if err != nil {
			t.Fatalf("%s: %s %s", c.query, err.Code, err.Message)
		}
		store.scanned = 0
		got := dump(Execute(s, store, p, c.params, nil))
		if got != c.want {
			t.Errorf("%s %v:\n got %q\nwant %q", c.query, c.params, got, c.want)
		}
		if store.scanned > c.scannedMax {
			t.Errorf("%s %v: scanned %d entries, want at most %d (the key was not used)", c.query, c.params, store.scanned, c.scannedMax)
		}
	}
}
