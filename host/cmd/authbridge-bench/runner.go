package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver

	"github.com/authbridge/authbridge/host/chromium"
)

var (
	runnerRuns = flag.Int("runner-runs", 10, "runs of each method for run-to-first-authenticated-page")
	runnerDir  = flag.String("runner", "runner", "the drop-in runner (runner/index.cjs)")
)

// measureRunner times, side by side, the run-to-first-authenticated-page of
// the data-export app's current method and of the drop-in runner, each on a
// fresh connector profile, with the user's browser holding 10,000 cookies:
//
//   - the app: a first launch to create the profile, SQLite ATTACH to copy
//     the whole cookies table of the source profile, then a relaunch and
//     the page;
//   - the runner: the `run` message, the connector's cookies from authbridge
//     added to a new persistent profile, and the page.
func (b *bench) measureRunner(ctx context.Context) ([]row, error) {
	source, n, err := b.snapshotSource()
	if err != nil {
		return nil, err
	}
	fmt.Printf("Source profile for the app's method: %d cookies in %s\n", n, source)
	account := b.siteURL + "/account"

	r, err := startBenchRunner(b)
	if err != nil {
		return nil, err
	}
	defer r.close()
	am, err := startAppMethod(r.cmd.Env)
	if err != nil {
		return nil, err
	}
	defer am.close()
	// The methods take turns, each starting first as often as the others,
	// and every timed run starts after the file system has written back
	// what the one before wrote: the app's method writes a 10,000-cookie
	// store and deletes its profile, and without the flush the run after
	// it pays for that write-back in its own fsyncs.
	var app, fresh, kept []time.Duration
	appFailed := 0
	methods := []func(i int) error{
		func(i int) error {
			d, err := am.run(source, account)
			if err != nil {
				// The app's copy is not always readable by the relaunched
				// browser; such a run has no authenticated page to time.
				appFailed++
				fmt.Printf("  app method, run %d: %v\n", i, err)
				return nil
			}
			app = append(app, d)
			return nil
		},
		func(i int) error {
			d, err := r.firstPage(fmt.Sprintf("bench-fresh-%d", i), account, true)
			if err != nil {
				return fmt.Errorf("runner, new profile, run %d: %w\n%s", i, err, lastLines(r.stderr.String(), 20))
			}
			fresh = append(fresh, d)
			return nil
		},
		func(i int) error {
			d, err := r.firstPage(fmt.Sprintf("bench-kept-%d", i), account, false)
			if err != nil {
				return fmt.Errorf("runner, kept profile, run %d: %w\n%s", i, err, lastLines(r.stderr.String(), 20))
			}
			kept = append(kept, d)
			return nil
		},
	}
	// The kept profile must exist before its first timed run.
	if _, err := r.firstPage("bench-warm", account, true); err != nil {
		return nil, fmt.Errorf("runner, first run: %w\n%s", err, lastLines(r.stderr.String(), 20))
	}
	for i := 0; i < *runnerRuns; i++ {
		for k := range methods {
			flushWrites()
			if err := methods[(i+k)%len(methods)](i); err != nil {
				return nil, err
			}
		}
	}
	if os.Getenv("BENCH_VERBOSE") != "" {
		for _, l := range strings.Split(r.stderr.String(), "\n") {
			if strings.Contains(l, "browser ready in") {
				fmt.Println("  " + l)
			}
		}
	}
	if len(app) == 0 {
		return nil, fmt.Errorf("no run of the app's method reached an authenticated page")
	}
	sa, sf, sk := summarize(app), summarize(fresh), summarize(kept)
	judge := func(s stats) string {
		ratio := float64(sa.median) / float64(s.median)
		if ratio >= 2.5 {
			return fmt.Sprintf("meets (%.2fx)", ratio)
		}
		return fmt.Sprintf("MISSES (%.2fx)", ratio)
	}
	return []row{
		{fmt.Sprintf("run to first auth. page, app ATTACH copy (%d/%d ok)", len(app), *runnerRuns), ms(sa.median), ms(sa.p99), "-", "-"},
		{"  runner, new profile (the app's first run)", ms(sf.median), ms(sf.p99), "≥ 2.5x faster", judge(sf)},
		{"  runner, the profile of the last run", ms(sk.median), ms(sk.p99), "≥ 2.5x faster", judge(sk)},
	}, nil
}

// snapshotSource closes the user's browser so that it writes its cookie
// store, copies that store as the app's source profile, and starts the
// browser again (the extension reconnects).
func (b *bench) snapshotSource() (string, int, error) {
	udd := filepath.Join(b.base, "profile")
	b.browser.Close()
	src := filepath.Join(b.base, "source", "Default", "Cookies")
	if err := os.MkdirAll(filepath.Dir(src), 0o700); err != nil {
		return "", 0, err
	}
	if err := copyFile(filepath.Join(udd, "Default", "Cookies"), src); err != nil {
		return "", 0, fmt.Errorf("copy the source cookie store: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+src+"?mode=ro")
	if err != nil {
		return "", 0, err
	}
	var n int
	err = db.QueryRow("SELECT count(*) FROM cookies").Scan(&n)
	db.Close()
	if err != nil {
		return "", 0, fmt.Errorf("count the source cookies: %w", err)
	}
	env := []string{}
	for _, kv := range b.env {
		if strings.HasPrefix(kv, "AUTHBRIDGE_") {
			env = append(env, kv)
		}
	}
	ext, _ := filepath.Abs(*extFlag)
	b.browser, err = chromium.Launch(context.Background(), chromium.Options{UserDataDir: udd, Extension: ext,
		HostResolverRules: "MAP *.test 127.0.0.1, MAP test 127.0.0.1", Env: env})
	if err != nil {
		return "", 0, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, err := b.client.Do(context.Background(), "GET", "/v1/connectors/demo/cookies?format=playwright", nil); err == nil {
			return src, n, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", 0, fmt.Errorf("the extension did not reconnect after the restart")
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// appMethod is the app's method, driven through runner/bench/app-method.cjs
// (Playwright's launchPersistentContext, as the app launches its profiles).
type appMethod struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startAppMethod(env []string) (*appMethod, error) {
	dir, err := filepath.Abs(*runnerDir)
	if err != nil {
		return nil, err
	}
	a := &appMethod{cmd: exec.Command("node", filepath.Join(dir, "bench", "app-method.cjs"))}
	a.cmd.Env = env
	a.cmd.Stderr = os.Stderr
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := a.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	a.out = bufio.NewScanner(out)
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	if _, err := a.next(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *appMethod) next() (map[string]any, error) {
	if !a.out.Scan() {
		return nil, fmt.Errorf("the app-method helper exited")
	}
	var m map[string]any
	if err := json.Unmarshal(a.out.Bytes(), &m); err != nil {
		return nil, err
	}
	if m["ok"] == false {
		return nil, fmt.Errorf("%v", m["error"])
	}
	return m, nil
}

func (a *appMethod) do(msg map[string]any) error {
	b, _ := json.Marshal(msg)
	if _, err := a.stdin.Write(append(b, '\n')); err != nil {
		return err
	}
	_, err := a.next()
	return err
}

func (a *appMethod) close() {
	a.stdin.Close()
	a.cmd.Wait()
}

// run is the app's method on a fresh profile: launch once to create it,
// copy every cookie of the source with ATTACH, write the marker, relaunch
// and open the page.
func (a *appMethod) run(source, account string) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "abapp")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if err := a.do(map[string]any{"cmd": "create", "dir": dir}); err != nil {
		return 0, fmt.Errorf("first launch: %w", err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "Default", "Cookies"))
	if err != nil {
		return 0, err
	}
	for _, q := range []string{"ATTACH DATABASE '" + strings.ReplaceAll(source, "'", "''") + "' AS src",
		"INSERT OR REPLACE INTO cookies SELECT * FROM src.cookies", "DETACH DATABASE src"} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			return 0, fmt.Errorf("%s: %w", q, err)
		}
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, ".cookies-imported"), nil, 0o600); err != nil {
		return 0, err
	}
	if err := a.do(map[string]any{"cmd": "open", "dir": dir, "url": account}); err != nil {
		return 0, fmt.Errorf("the copied profile is not signed in: %w", err)
	}
	d := time.Since(start)
	if _, err := a.next(); err != nil { // closed
		return 0, err
	}
	return d, nil
}

// benchRunner is runner/index.cjs as the app keeps it: one process, started
// before the runs.
type benchRunner struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	lines    chan map[string]any
	stderr   strings.Builder
	profiles string
	script   string
}

func startBenchRunner(b *bench) (*benchRunner, error) {
	dir, err := filepath.Abs(*runnerDir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		return nil, fmt.Errorf("the runner's npm dependencies are missing: run `make deps`")
	}
	r := &benchRunner{lines: make(chan map[string]any, 256), profiles: filepath.Join(b.base, "runner-profiles"),
		script: filepath.Join(dir, "bench", "first-page.js")}
	exe, err := chromium.FindExecutable()
	if err != nil {
		return nil, err
	}
	args, _ := json.Marshal([]string{"--host-resolver-rules=MAP *.test 127.0.0.1, MAP test 127.0.0.1"})
	r.cmd = exec.Command("node", filepath.Join(dir, "index.cjs"))
	r.cmd.Env = append(append([]string{}, b.env...), "AUTHBRIDGE_BIN="+b.bin, "AUTHBRIDGE_CHROMIUM="+exe,
		"AUTHBRIDGE_PROFILES_DIR="+r.profiles, "AUTHBRIDGE_BROWSER_ARGS="+string(args))
	r.cmd.Stderr = &r.stderr
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				r.lines <- m
			}
		}
		close(r.lines)
	}()
	if _, err := r.wait(func(m map[string]any) bool { return m["type"] == "ready" }, 20*time.Second); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *benchRunner) wait(match func(map[string]any) bool, timeout time.Duration) (map[string]any, error) {
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-r.lines:
			if !ok {
				return nil, fmt.Errorf("the runner exited")
			}
			if match(m) {
				return m, nil
			}
		case <-deadline:
			return nil, fmt.Errorf("no answer within %v", timeout)
		}
	}
}

// firstPage runs the bench connector (on a fresh profile, or on the one the
// last run left) and returns the
// time from the run message to its first authenticated page.
func (r *benchRunner) firstPage(runID, account string, fresh bool) (time.Duration, error) {
	if fresh {
		if err := os.RemoveAll(filepath.Join(r.profiles, "first-page")); err != nil {
			return 0, err
		}
	}
	msg, _ := json.Marshal(map[string]any{"type": "run", "runId": runID, "connectorPath": r.script, "url": account})
	start := time.Now()
	if _, err := r.stdin.Write(append(msg, '\n')); err != nil {
		return 0, err
	}
	m, err := r.wait(func(m map[string]any) bool {
		return m["runId"] == runID && ((m["type"] == "data" && m["key"] == "authenticated") || m["type"] == "result")
	}, 60*time.Second)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if m["type"] == "result" {
		return 0, fmt.Errorf("the run ended before an authenticated page: %v", m["classification"])
	}
	if _, err := r.wait(func(m map[string]any) bool { return m["runId"] == runID && m["type"] == "result" }, 60*time.Second); err != nil {
		return 0, err
	}
	return d, nil
}

func (r *benchRunner) close() {
	r.stdin.Close()
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
}
