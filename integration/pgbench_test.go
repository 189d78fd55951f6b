package integration

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgbenchScale is the scale the test initialises: 100,000 accounts, one
// branch, ten tellers — so TPC-B's branch update conflicts constantly.
const pgbenchScale = 1

// TestPgbench runs PostgreSQL's own benchmark client against a single
// node: pgbench -i, then select-only (-S) and the default TPC-B-like
// script, each with the simple and the prepared protocol, and requires
// pgbench to succeed with zero failed transactions. Serialization
// failures (40001) are retried by pgbench (--max-tries). Afterwards the
// TPC-B invariant must hold: every committed transaction added the same
// delta to one account, one teller, one branch and one history row, so
// the four sums agree — a lost or doubled update breaks it.
func TestPgbench(t *testing.T) {
	if _, err := exec.LookPath("pgbench"); err != nil {
		t.Skip("pgbench is not installed (Debian: apt-get install postgresql-client)")
	}
	_, p := startSingle(t)
	pgbenchInit(t, p)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"select-only/simple", []string{"-S", "-M", "simple"}},
		{"select-only/prepared", []string{"-S", "-M", "prepared"}},
		{"tpcb/simple", []string{"-M", "simple"}},
		{"tpcb/prepared", []string{"-M", "prepared"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := tpcbSums(t, p)
			args := append([]string{"-T", "4", "-c", "8", "-j", "2", "--max-tries=100"}, c.args...)
			out, err := runPgbench(p, args...)
			if err != nil {
				t.Fatalf("pgbench %v: %v\n%s", args, err, out)
			}
			failed := regexp.MustCompile(`number of failed transactions: (\d+)`).FindStringSubmatch(out)
			if failed == nil || failed[1] != "0" {
				t.Fatalf("pgbench %v: want zero failed transactions\n%s", args, out)
			}
			processed := regexp.MustCompile(`number of transactions actually processed: (\d+)`).FindStringSubmatch(out)
			n, _ := strconv.ParseInt(processedOf(processed), 10, 64)
			if n == 0 {
				t.Fatalf("pgbench %v: no transaction completed\n%s", args, out)
			}
			t.Logf("%s", pgbenchSummary(out))
			checkTPCBInvariant(t, before, tpcbSums(t, p), n, c.args[0] == "-S")
		})
	}
}

func processedOf(m []string) string {
	if m == nil {
		return "0"
	}
	return m[1]
}

func runPgbench(p *proc, args ...string) (string, error) {
	args = append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(p.pgPort), "-U", "admin"}, args...)
	cmd := exec.Command("pgbench", append(args, "lineradb")...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pgbenchInit runs pgbench -i as a user would. pgbench loads every
// account in ONE transaction and ADD PRIMARY KEY rewrites them all in one
// more (about 200,000 writes at scale 1), so this also proves the node takes
// transactions that large.
func pgbenchInit(t *testing.T, p *proc) {
	if out, err := runPgbench(p, "-i", "-s", strconv.Itoa(pgbenchScale)); err != nil {
		t.Fatalf("pgbench -i -s %d: %v\n%s", pgbenchScale, err, out)
	}
}

func pgbenchSummary(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		for _, prefix := range []string{"query mode", "number of transactions", "number of failed", "total number of retries", "latency average", "tps"} {
			if strings.HasPrefix(l, prefix) {
				keep = append(keep, l)
			}
		}
	}
	return strings.Join(keep, "; ")
}

// tpcbState is what the TPC-B invariant is checked on.
type tpcbState struct {
	accounts, tellers, branches int64 // sums of the balances
	historyDelta, historyRows   int64
}

func tpcbSums(t *testing.T, p *proc) tpcbState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := connect(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s tpcbState
	err = conn.QueryRow(ctx, `SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers),
		(SELECT sum(bbalance) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history),
		(SELECT count(*) FROM pgbench_history)`).Scan(&s.accounts, &s.tellers, &s.branches, &s.historyDelta, &s.historyRows)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkTPCBInvariant: pgbench empties pgbench_history before each run,
// so after a run the history holds exactly its committed transactions,
// and each balance sum moved by their deltas; a select-only run changes
// nothing.
func checkTPCBInvariant(t *testing.T, before, after tpcbState, processed int64, selectOnly bool) {
	t.Helper()
	if before.accounts != before.tellers || before.accounts != before.branches {
		t.Fatalf("balances disagree before the run: %+v", before)
	}
	if selectOnly {
		if after.accounts != before.accounts || after.historyRows != 0 {
			t.Fatalf("a select-only run changed data: before %+v after %+v", before, after)
		}
		return
	}
	if after.historyRows != processed {
		t.Fatalf("pgbench reports %d transactions, pgbench_history holds %d", processed, after.historyRows)
	}
	want := before.accounts + after.historyDelta
	if after.accounts != want || after.tellers != want || after.branches != want {
		t.Fatalf("TPC-B invariant broken: started at %d, history adds %d over %d transactions, now accounts %d tellers %d branches %d",
			before.accounts, after.historyDelta, after.historyRows, after.accounts, after.tellers, after.branches)
	}
}
