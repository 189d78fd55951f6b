// Command lineradb-admin is the operator's offline and remote toolbox:
//
//	lineradb-admin verify-sstables DIR     check every SSTable (DIR: an lsm-* dir or a data dir)
//	lineradb-admin verify-wal DIR          check the Raft log, LineraDB's WAL (DIR: raft/ or a data dir)
//	lineradb-admin backup --node URL [--target-dir DIR] [--token T]
//	lineradb-admin restore --backup DIR --data-dir DIR [--node-id N]
//	lineradb-admin status --nodes URL[,URL...]
//
// verify-* exit 1 when they find damage; every command exits 2 on bad usage.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/raft/raftlog"
	"github.com/lineradb/lineradb/server"
)

const usage = `usage:
  lineradb-admin verify-sstables DIR
  lineradb-admin verify-wal DIR
  lineradb-admin backup --node http://HOST:8080 [--target-dir DIR] [--token TOKEN]
  lineradb-admin restore --backup DIR --data-dir DIR [--node-id N]
  lineradb-admin status --nodes http://HOST:8080[,http://HOST2:8080...]
`

// httpTimeout bounds one HTTP call to a node.
const httpTimeout = 60 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Writer, io.Writer) int{
		"verify-sstables": verifySSTables, "verify-wal": verifyWAL,
		"backup": backup, "restore": restore, "status": status,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lineradb-admin: unknown command %q\n%s", args[0], usage)
		return 2
	}
	return fn(args[1:], stdout, stderr)
}

// oneDir parses a command that takes exactly one directory.
func oneDir(name string, args []string, stderr io.Writer) (string, bool) {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "lineradb-admin %s: want exactly one DIR\n%s", name, usage)
		return "", false
	}
	return args[0], true
}

// resolve maps a data directory to the part a verifier wants: DIR itself
// if it holds what we look for, else DIR/node/<sub> for the server's layout.
func resolve(dir string, want func(string) bool, sub func(nodeDir string) []string) []string {
	if want(dir) {
		return []string{dir}
	}
	for _, nodeDir := range []string{filepath.Join(dir, "node"), dir} {
		if found := sub(nodeDir); len(found) > 0 {
			return found
		}
	}
	return []string{dir}
}

func hasSuffixFile(dir, suffix string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
	return len(matches) > 0
}

func verifySSTables(args []string, stdout, stderr io.Writer) int {
	dir, ok := oneDir("verify-sstables", args, stderr)
	if !ok {
		return 2
	}
	dirs := resolve(dir, func(d string) bool { return hasSuffixFile(d, ".sst") }, func(nodeDir string) []string {
		m, _ := filepath.Glob(filepath.Join(nodeDir, "lsm-*"))
		return m
	})
	bad := false
	for _, d := range dirs {
		rep, err := lsm.VerifySSTables(diskio.NewOSFS(d), ".")
		if err != nil {
			fmt.Fprintf(stderr, "lineradb-admin verify-sstables %s: %v\n", d, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s:\n%s", d, rep.String())
		if damaged := rep.Damaged(); len(damaged) > 0 {
			bad = true
			fmt.Fprintf(stdout, "DAMAGED: %s\n", strings.Join(damaged, ", "))
		}
	}
	if bad {
		return 1
	}
	fmt.Fprintln(stdout, "OK")
	return 0
}

func verifyWAL(args []string, stdout, stderr io.Writer) int {
	dir, ok := oneDir("verify-wal", args, stderr)
	if !ok {
		return 2
	}
	dirs := resolve(dir, func(d string) bool { return hasSuffixFile(d, ".seg") }, func(nodeDir string) []string {
		if _, err := os.Stat(filepath.Join(nodeDir, "raft")); err == nil {
			return []string{filepath.Join(nodeDir, "raft")}
		}
		return nil
	})
	bad := false
	for _, d := range dirs {
		rep, err := raftlog.Verify(diskio.NewOSFS(d), ".")
		if err != nil {
			fmt.Fprintf(stderr, "lineradb-admin verify-wal %s: %v\n", d, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s:\n%s\n", d, rep.String())
		if !rep.OK() {
			bad = true
		}
	}
	if bad {
		fmt.Fprintln(stdout, "DAMAGED")
		return 1
	}
	fmt.Fprintln(stdout, "OK")
	return 0
}

func backup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodeURL := fs.String("node", "http://localhost:8080", "the node's HTTP address")
	target := fs.String("target-dir", "", "absolute directory on the NODE's file system, new or empty, to write the backup under (default DATA_DIR/backups)")
	token := fs.String("token", os.Getenv("LINERADB_SECURITY_ADMIN_TOKEN"), "admin bearer token")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	body, _ := json.Marshal(map[string]string{"target_dir": *target})
	req, err := http.NewRequest("POST", strings.TrimRight(*nodeURL, "/")+"/admin/backup", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "lineradb-admin backup: %v\n", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := (&http.Client{Timeout: httpTimeout}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "lineradb-admin backup: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "lineradb-admin backup: %s: %s\n", resp.Status, out)
		return 1
	}
	stdout.Write(out)
	return 0
}

func restore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("backup", "", "backup directory (the one holding MANIFEST.json)")
	dataDir := fs.String("data-dir", "", "EMPTY data directory to restore into")
	nodeID := fs.Uint64("node-id", 1, "node id of the restored single-node cluster (start the server with the same --node-id)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *from == "" || *dataDir == "" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	info, err := server.RestoreBackup(*from, *dataDir, *nodeID)
	if err != nil {
		fmt.Fprintf(stderr, "lineradb-admin restore: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %d keys (%d bytes) from %s (node %d, read version %d, taken %s) into %s as a new single-node cluster, node %d\n",
		info.Keys, info.Bytes, *from, info.NodeID, info.ReadVersion, info.CreatedAt.Format(time.RFC3339), *dataDir, *nodeID)
	fmt.Fprintf(stdout, "start it with: lineradb-server --node-id=%d --data-dir=%s\n", *nodeID, *dataDir)
	return 0
}

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.String("nodes", "http://localhost:8080", "comma-separated HTTP addresses of the nodes")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	urls := strings.Split(*nodes, ",")
	sort.Strings(urls)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tID\tROLE\tTERM\tLEADER\tCOMMIT\tAPPLIED\tPEERS\tREAD-ONLY")
	failed := false
	client := &http.Client{Timeout: 5 * time.Second}
	for _, u := range urls {
		st, err := fetchStatus(client, strings.TrimSpace(u))
		if err != nil {
			failed = true
			fmt.Fprintf(tw, "%s\t-\tUNREACHABLE\t-\t-\t-\t-\t%v\t-\n", u, err)
			continue
		}
		var peers []string
		for _, p := range st.Peers {
			peers = append(peers, fmt.Sprintf("%d:%s/lag=%d", p.ID, p.Status, p.Lag))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%v\n", u, st.NodeID, st.Role, st.Term, st.Leader,
			st.CommitIndex, st.LastApplied, strings.Join(peers, " "), st.ReadOnly)
	}
	tw.Flush()
	if failed {
		return 1
	}
	return 0
}

func fetchStatus(client *http.Client, u string) (server.StatusReply, error) {
	var st server.StatusReply
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	resp, err := client.Get(strings.TrimRight(u, "/") + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, errors.New(resp.Status)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st)
	return st, err
}
