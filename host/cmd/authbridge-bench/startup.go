package main

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// startupRuns is how many times each program is started.
const startupRuns = 60

// emptyGo and emptyCgo are the yardsticks' sources: a Go program that does
// nothing, and one that does nothing but call C (so it pays what linking
// with cgo costs at exec: the dynamic loader, libc and the cgo runtime).
const (
	emptyGo  = "package main\n\nfunc main() {}\n"
	emptyCgo = "package main\n\n// static int one(void) { return 1; }\nimport \"C\"\n\nfunc main() { _ = C.one() }\n"
)

// startupProgram is one program the start-up section starts.
type startupProgram struct {
	name string
	cmd  func() *exec.Cmd
	wall []time.Duration
	cpu  []time.Duration
}

// measureStartup compares `authbridge help` with an empty Go program built
// on the same machine by the same toolchain, started in turn so all see
// the same load: what every command pays before it does anything. When the
// authbridge binary is built with cgo, an empty cgo program is a second
// yardstick: the part of the gap that cgo's start-up alone accounts for.
// Wall and CPU (user + system) times are both printed; on a loaded machine
// the CPU ratio is the steadier of the two.
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
	cli := &startupProgram{name: "authbridge help", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, bin, "help") }}
	empty, err := buildEmpty(ctx, dir, "empty", emptyGo, "0")
	if err != nil {
		return nil, err
	}
	progs := []*startupProgram{cli, {name: "empty Go program", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, empty) }}}
	if binaryUsesCgo(bin) {
		emptyC, err := buildEmpty(ctx, dir, "emptycgo", emptyCgo, "1")
		if err != nil {
			return nil, err
		}
		progs = append(progs, &startupProgram{name: "empty cgo program", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, emptyC) }})
	}
	fmt.Printf("Starting `authbridge help` and %d empty programs %d times each, in turn...\n", len(progs)-1, startupRuns)
	for range startupRuns {
		for _, p := range progs {
			c := p.cmd()
			start := time.Now()
			if err := c.Run(); err != nil {
				return nil, fmt.Errorf("%s: %w", c.Path, err)
			}
			p.wall = append(p.wall, time.Since(start))
			p.cpu = append(p.cpu, c.ProcessState.UserTime()+c.ProcessState.SystemTime())
		}
	}
	var rows []row
	for _, p := range progs[1:] {
		w, c := summarize(p.wall), summarize(p.cpu)
		rows = append(rows,
			row{"start-up: " + p.name, ms(w.median), ms(w.p99), "-", "-"},
			row{"start-up: " + p.name + ", CPU", ms(c.median), ms(c.p99), "-", "-"})
	}
	cw, cc := summarize(cli.wall), summarize(cli.cpu)
	rows = append(rows,
		row{"start-up: authbridge help", ms(cw.median), ms(cw.p99), "-", "-"},
		row{"start-up: authbridge help, CPU", ms(cc.median), ms(cc.p99), "-", "-"})
	for i, p := range progs[1:] {
		target, v := "", ""
		if i == 0 {
			target, v = "<= 2x", "meets"
			if medianRatio(cli.wall, p.wall) > 2 {
				v = "MISSES"
			}
		}
		rows = append(rows,
			row{"start-up: authbridge help / " + p.name, fmt.Sprintf("%.2fx", medianRatio(cli.wall, p.wall)), "", target, v},
			row{"start-up: the same, CPU", fmt.Sprintf("%.2fx", medianRatio(cli.cpu, p.cpu)), "", "", ""})
	}
	return rows, nil
}

// medianRatio is the ratio of a's median to b's.
func medianRatio(a, b []time.Duration) float64 {
	mb := summarize(b).median
	if mb <= 0 {
		return 0
	}
	return float64(summarize(a).median) / float64(mb)
}

// buildEmpty builds src as the program name in dir with the machine's own
// toolchain and cgo setting cgo, and returns its path.
func buildEmpty(ctx context.Context, dir, name, src, cgo string) (string, error) {
	srcDir := filepath.Join(dir, name+"-src")
	if err := os.Mkdir(srcDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(srcDir, "main.go"), []byte(src), 0o600); err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	build := exec.CommandContext(ctx, "go", "build", "-o", out, "main.go")
	build.Dir = srcDir
	build.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED="+cgo)
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the %s program: %v: %s", name, err, b)
	}
	return out, nil
}

// binaryUsesCgo reports whether the Go binary at path was built with cgo.
func binaryUsesCgo(path string) bool {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "CGO_ENABLED" {
			return s.Value == "1"
		}
	}
	return false
}
