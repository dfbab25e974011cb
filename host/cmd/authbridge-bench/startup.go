package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// startupRuns is how many times each program is started.
const startupRuns = 60

// measureStartup compares `authbridge help` with an empty Go program built
// on the same machine by the same toolchain, started alternately so both
// see the same load: what every command pays before it does anything.
func measureStartup(ctx context.Context) ([]row, error) {
	bin, err := filepath.Abs(*binFlag)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "abstartup")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		return nil, err
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", empty, "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "GO111MODULE=off")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the empty program: %v: %s", err, out)
	}
	fmt.Printf("Starting `authbridge help` and an empty Go program %d times each...\n", startupRuns)
	var cli, base []time.Duration
	for range startupRuns {
		for _, p := range []struct {
			into *[]time.Duration
			cmd  *exec.Cmd
		}{{&cli, exec.CommandContext(ctx, bin, "help")}, {&base, exec.CommandContext(ctx, empty)}} {
			start := time.Now()
			if err := p.cmd.Run(); err != nil {
				return nil, fmt.Errorf("%s: %w", p.cmd.Path, err)
			}
			*p.into = append(*p.into, time.Since(start))
		}
	}
	c, e := summarize(cli), summarize(base)
	ratio := float64(c.median) / float64(e.median)
	v := "meets"
	if ratio > 2 {
		v = "MISSES"
	}
	return []row{
		{"start-up: empty Go program", ms(e.median), ms(e.p99), "-", "-"},
		{"start-up: authbridge help", ms(c.median), ms(c.p99), "-", "-"},
		{"start-up: authbridge help / empty program", fmt.Sprintf("%.2fx", ratio), "", "<= 2x", v},
	}, nil
}
