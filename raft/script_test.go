package raft

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Scripted scenario tests in the etcd style. Each testdata/*.txt file is a
// list of blocks:
//
//	# optional comment lines
//	command arg...
//	----
//	expected output (the message/Ready trace)
//
// separated by blank lines. go test ./raft -run TestScripts -rewrite
// regenerates the expected outputs; review the diff before committing.

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt scripts")

type scriptBlock struct {
	comments []string
	cmd      string
	want     string
}

func parseScript(t *testing.T, text string) []scriptBlock {
	var blocks []scriptBlock
	var cur scriptBlock
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "#"):
			cur.comments = append(cur.comments, line)
		case strings.TrimSpace(line) == "":
		default:
			cur.cmd = line
			if i+1 >= len(lines) || lines[i+1] != "----" {
				t.Fatalf("line %d: command %q not followed by ----", i+1, line)
			}
			i += 2
			var out []string
			for ; i < len(lines) && lines[i] != ""; i++ {
				out = append(out, lines[i])
			}
			cur.want = strings.Join(out, "\n")
			blocks = append(blocks, cur)
			cur = scriptBlock{}
		}
	}
	return blocks
}

func TestScripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			blocks := parseScript(t, string(text))
			sr := &scriptRunner{t: t}
			var out strings.Builder
			for i, b := range blocks {
				got := sr.run(b.cmd)
				if !*rewrite && got != b.want {
					t.Fatalf("%s block %d %q:\n--- got\n%s\n--- want\n%s", file, i+1, b.cmd, got, b.want)
				}
				for _, c := range b.comments {
					out.WriteString(c + "\n")
				}
				fmt.Fprintf(&out, "%s\n----\n%s\n\n", b.cmd, got)
			}
			if *rewrite {
				if err := os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type scriptRunner struct {
	t   *testing.T
	nw  *network
	out strings.Builder
}

func (sr *scriptRunner) run(cmd string) string {
	sr.out.Reset()
	f := strings.Fields(cmd)
	if err := sr.exec(f[0], f[1:]); err != nil {
		fmt.Fprintf(&sr.out, "error: %v\n", err)
	}
	s := strings.TrimRight(sr.out.String(), "\n")
	if s == "" {
		return "ok"
	}
	return s
}

func (sr *scriptRunner) id(args []string, i int) uint64 {
	if i >= len(args) {
		sr.t.Fatalf("missing argument %d", i)
	}
	v, err := strconv.ParseUint(args[i], 10, 64)
	if err != nil {
		sr.t.Fatalf("bad number %q", args[i])
	}
	return v
}

func (sr *scriptRunner) exec(name string, args []string) error {
	nw := sr.nw
	if name != "add-nodes" && nw == nil {
		sr.t.Fatalf("%s before add-nodes", name)
	}
	switch name {
	case "add-nodes":
		sr.addNodes(args)
	case "add-joiner":
		nw.addNode(sr.id(args, 0), nil, sr.nw.apps[1].cfgMutator())
	case "campaign":
		return nw.raft(sr.id(args, 0)).Campaign()
	case "propose":
		return nw.raft(sr.id(args, 0)).Propose([]byte(args[1]))
	case "stabilize":
		nw.stabilize()
	case "tick-heartbeat":
		id := sr.id(args, 0)
		nw.tick(id, nw.raft(id).cfg.HeartbeatTicks)
	case "tick-election":
		id := sr.id(args, 0)
		nw.tick(id, 2*nw.raft(id).cfg.ElectionTicks)
	case "isolate":
		nw.isolate(sr.id(args, 0))
	case "heal":
		nw.heal()
	case "read-index":
		return nw.raft(sr.id(args, 0)).ReadIndex([]byte(args[1]))
	case "transfer-leader":
		return nw.raft(sr.id(args, 0)).TransferLeadership(sr.id(args, 1))
	case "conf-change":
		return sr.confChange(args)
	case "compact":
		return nw.compact(sr.id(args, 0))
	case "restart":
		nw.restart(sr.id(args, 0))
	case "status":
		sr.status(sr.id(args, 0))
	case "log":
		r := nw.raft(sr.id(args, 0))
		fmt.Fprintf(&sr.out, "snapshot %d/%d\n", r.log.snapTerm, r.log.snapIndex)
		for _, e := range r.log.entries {
			fmt.Fprintln(&sr.out, entryString(e))
		}
	default:
		sr.t.Fatalf("unknown command %q", name)
	}
	return nil
}

// addNodes: add-nodes N [prevote] [checkquorum] [lease] [chunk=B] [inflight=N]
func (sr *scriptRunner) addNodes(args []string) {
	n, _ := strconv.Atoi(args[0])
	opts := args[1:]
	mutate := func(c *Config) {
		for _, o := range opts {
			k, v, _ := strings.Cut(o, "=")
			num, _ := strconv.Atoi(v)
			switch k {
			case "prevote":
				c.PreVote = true
			case "checkquorum":
				c.CheckQuorum = true
			case "lease":
				c.CheckQuorum, c.LeaseReads = true, true
			case "chunk":
				c.SnapshotChunkBytes = num
			case "inflight":
				c.MaxInflightMsgs = num
			case "batch":
				c.MaxEntriesPerMsg = num
			default:
				sr.t.Fatalf("unknown option %q", o)
			}
		}
	}
	sr.nw = newNetwork(sr.t, n, mutate)
	sr.nw.trace = &sr.out
	for _, a := range sr.nw.apps {
		a.mutate = mutate
	}
}

func (sr *scriptRunner) confChange(args []string) error {
	types := map[string]ConfChangeType{"add-voter": ConfAddVoter, "add-learner": ConfAddLearner, "remove": ConfRemoveNode}
	t, ok := types[args[1]]
	if !ok {
		sr.t.Fatalf("unknown conf change %q", args[1])
	}
	return sr.nw.raft(sr.id(args, 0)).ProposeConfChange(ConfChange{Type: t, NodeID: sr.id(args, 2)})
}

func (sr *scriptRunner) status(id uint64) {
	st := sr.nw.raft(id).Status()
	fmt.Fprintf(&sr.out, "%d: %s term=%d lead=%d commit=%d applied=%d last=%d voters=%v learners=%v\n",
		st.ID, st.Role, st.Term, st.Lead, st.Commit, st.Applied, st.LastIndex, st.Conf.Voters, st.Conf.Learners)
	for _, p := range st.Progress {
		fmt.Fprintf(&sr.out, "  %d: match=%d next=%d %s inflight=%d\n", p.ID, p.Match, p.Next, p.State, p.Inflight)
	}
}
