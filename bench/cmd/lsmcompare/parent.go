package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lineradb/lineradb/bench/lsmbench"
)

// measured is one child's result plus the machine noise around it.
type measured struct {
	result
	stealPercent float64
	loadBefore   float64
}

// key indexes results by engine and workload.
type key struct{ engine, workload string }

func parseEngines(s string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(lsmbench.Engines, name) {
			return nil, fmt.Errorf("unknown engine %q (want some of %s)", name, strings.Join(lsmbench.Engines, ","))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// dataRoot makes the directory the databases go in; the default is a new
// directory under os.TempDir (check that it is a real disk, not tmpfs).
func dataRoot(dir string, keep bool) (string, func(), error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "lsmcompare-")
		if err != nil {
			return "", nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	cleanup := func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}
	return dir, cleanup, nil
}

// runAll runs every selected workload for every engine and run. The data
// set the reads need is filled once per engine, by the first fill-100
// (reported only if fill-100 was selected).
func runAll(p parentArgs) (map[key][]measured, error) {
	out := map[key][]measured{}
	prepared := map[string]bool{}
	for run := range p.runs {
		for wi, w := range p.workloads {
			for _, engine := range engineOrder(p.engines, run+wi) {
				if w.goroutines > 1 && lsmbench.SingleOwner(engine) {
					continue
				}
				if w.needsData() && !prepared[engine] {
					if _, err := runPrepared(p, engine); err != nil {
						return nil, err
					}
					prepared[engine] = true
				}
				if w.name == prepWorkload && !prepared[engine] {
					m, err := runPrepared(p, engine)
					if err != nil {
						return nil, err
					}
					prepared[engine] = true
					out[key{engine, w.name}] = append(out[key{engine, w.name}], m)
					continue
				}
				m, err := runOne(p, engine, w, scratchDir(p, engine, w, run), false)
				if err != nil {
					return nil, err
				}
				out[key{engine, w.name}] = append(out[key{engine, w.name}], m)
			}
		}
	}
	return out, nil
}

// engineOrder alternates which engine goes first, so drifting load hits
// both alike.
func engineOrder(engines []string, turn int) []string {
	order := slices.Clone(engines)
	if turn%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

func preparedDir(p parentArgs, engine string) string { return filepath.Join(p.root, engine+"-data") }

// scratchDir is where a write workload runs; read workloads open the
// prepared data set.
func scratchDir(p parentArgs, engine string, w workload, run int) string {
	if w.needsData() {
		return preparedDir(p, engine)
	}
	return filepath.Join(p.root, fmt.Sprintf("%s-%s-%d", engine, w.name, run))
}

func runPrepared(p parentArgs, engine string) (measured, error) {
	w, _ := findWorkload(prepWorkload)
	return runOne(p, engine, w, preparedDir(p, engine), true)
}

// runOne runs one child process and removes its scratch directory after.
func runOne(p parentArgs, engine string, w workload, dir string, prepare bool) (measured, error) {
	cpu0, _ := lsmbench.ReadCPUTimes()
	load, _ := lsmbench.LoadAverage()
	fmt.Fprintf(p.progress, "lsmcompare: %-12s %-8s (load %.1f) ... ", w.name, engine, load)
	res, err := spawn(p, engine, w, dir, prepare)
	if err != nil {
		fmt.Fprintln(p.progress, "failed")
		return measured{}, err
	}
	cpu1, _ := lsmbench.ReadCPUTimes()
	m := measured{result: res, stealPercent: lsmbench.StealPercent(cpu0, cpu1), loadBefore: load}
	fmt.Fprintf(p.progress, "%.0f ops/s, steal %.1f%%\n", res.Run.OpsPerSecond(), m.stealPercent)
	if !w.needsData() && !prepare {
		os.RemoveAll(dir)
	}
	return m, nil
}

// spawn re-executes this binary as a child for one workload.
func spawn(p parentArgs, engine string, w workload, dir string, prepare bool) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	a := p.child
	args := []string{
		"-child", w.name, "-engine", engine, "-dbdir", dir,
		"-keys", fmt.Sprint(a.Keys), "-seed", fmt.Sprint(a.Seed), "-step-ratio", fmt.Sprint(a.StepRatio),
		"-sync-duration", a.SyncDuration.String(), "-read-duration", a.ReadDuration.String(),
		"-read-warmup", a.ReadWarmup.String(), "-scans", fmt.Sprint(a.Scans),
		fmt.Sprintf("-prepare=%v", prepare),
	}
	cmd := exec.Command(exe, args...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("child %s/%s: %w", engine, w.name, err)
	}
	return parseResult(stdout.Bytes())
}

// parseResult finds the result line in a child's output.
func parseResult(out []byte) (result, error) {
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), resultPrefix); ok {
			var r result
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return result{}, fmt.Errorf("child result %q: %w", rest, err)
			}
			return r, nil
		}
	}
	return result{}, fmt.Errorf("child printed no result line: %q", out)
}
