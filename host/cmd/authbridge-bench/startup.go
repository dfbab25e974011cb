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
	// label names it in the ratio rows (name when empty).
	label string
	cmd   func() *exec.Cmd
	wall  []time.Duration
	cpu   []time.Duration
}

// measureStartup compares `authbridge help` with an empty Go program built
// on the same machine by the same toolchain, started in turn so all see
// the same load: what every command pays before it does anything. When the
// authbridge binary is built with cgo, an empty cgo program is a second
// yardstick: the part of the gap that cgo's start-up alone accounts for.
// `authbridge cookies --help` is a command's own path (flags, and the
// signal watch help runs without) stopped before it calls the agent.
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
	clis := []*startupProgram{
		{name: "authbridge help", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, bin, "help") }},
		{name: "authbridge cookies --help", label: "cookies --help", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, bin, "cookies", "--help") }},
	}
	empty, err := buildEmpty(ctx, dir, "empty", emptyGo, "0")
	if err != nil {
		return nil, err
	}
	yardsticks := []*startupProgram{{name: "empty Go program", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, empty) }}}
	if binaryUsesCgo(bin) {
		emptyC, err := buildEmpty(ctx, dir, "emptycgo", emptyCgo, "1")
		if err != nil {
			return nil, err
		}
		yardsticks = append(yardsticks, &startupProgram{name: "empty cgo program", cmd: func() *exec.Cmd { return exec.CommandContext(ctx, emptyC) }})
	}
	progs := append(append([]*startupProgram(nil), clis...), yardsticks...)
	fmt.Printf("Starting %d authbridge commands and %d empty programs %d times each, in turn...\n", len(clis), len(yardsticks), startupRuns)
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
	for _, p := range append(yardsticks, clis...) {
		w, c := summarize(p.wall), summarize(p.cpu)
		rows = append(rows,
			row{"start-up: " + p.name, ms(w.median), ms(w.p99), "-", "-"},
			row{"start-up: " + p.name + ", CPU", ms(c.median), ms(c.p99), "-", "-"})
	}
	for i, cli := range clis {
		for j, y := range yardsticks {
			target, v := "", ""
			if i == 0 && j == 0 {
				target, v = "<= 2x", "meets"
				if medianRatio(cli.wall, y.wall) > 2 {
					v = "MISSES"
				}
			}
			label := cli.label
			if label == "" {
				label = cli.name
			}
			rows = append(rows,
				row{"start-up: " + label + " / " + y.name, fmt.Sprintf("%.2fx", medianRatio(cli.wall, y.wall)), "", target, v},
				row{"start-up: the same, CPU", fmt.Sprintf("%.2fx", medianRatio(cli.cpu, y.cpu)), "", "", ""})
		}
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
