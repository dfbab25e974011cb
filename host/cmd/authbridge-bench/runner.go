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

	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/internal/devext"
	"github.com/authbridge/authbridge/host/internal/sqlitedb"
)

var (
	runnerRuns = flag.Int("runner-runs", 10, "runs of each method for run-to-first-authenticated-page")
	runnerDir  = flag.String("runner", "runner", "the drop-in runner (runner/index.cjs)")
)

// measureRunner times, side by side, the run-to-first-authenticated-page of
// the data-export app's current method and of the drop-in runner, each on a
// fresh connector profile, with the user's browser holding 10,000 cookies:
//
//   - the app: step for step as the app's own runner does it, with its
//     launch options: a first launch to create the profile, the sqlite3
//     command's ATTACH to copy the whole cookies table of the source
//     profile, a relaunch and the page; and, not judged, the same on the
//     runner's own launch options;
//   - the runner: the `run` message, the connector's cookies from authbridge
//     added to a new persistent profile, and the page.
func (b *bench) measureRunner(ctx context.Context) ([]row, error) {
	source, n, err := b.snapshotSource()
	if err != nil {
		return nil, err
	}
	fmt.Printf("Source profile for the app's method: %d cookies in %s\n", n, source)
	account := b.siteURL + "/account"

	if _, err := exec.LookPath("sqlite3"); err != nil {
		return nil, fmt.Errorf("the app's method copies cookies with the sqlite3 command, which is not installed (Debian: apt-get install sqlite3)")
	}
	r, err := startBenchRunner(b, "runner-profiles")
	if err != nil {
		return nil, err
	}
	defer r.close()
	// A second runner with the profile seed switched off: a new profile as
	// the very first run with a given Chromium meets it (not judged).
	unseeded, err := startBenchRunner(b, "runner-profiles-unseeded", "AUTHBRIDGE_RUNNER_SEED=off")
	if err != nil {
		return nil, err
	}
	defer unseeded.close()
	// The floor of a run: the same launch and first page on a profile that
	// already holds the signed-in session, with no authbridge call at all.
	floor, err := startBenchRunner(b, "runner-profiles-floor", "AUTHBRIDGE_RUNNER_SESSIONS=off")
	if err != nil {
		return nil, err
	}
	defer floor.close()
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
	var app, appRunnerFlags, fresh, kept, empty, floorRuns []time.Duration
	appMethodRun := func(launch string, into *[]time.Duration) func(i int) error {
		return func(i int) error {
			d, err := am.run(source, account, launch)
			if err != nil {
				// The app's copy is not always readable by the relaunched
				// browser; such a run has no authenticated page to time.
				fmt.Printf("  app method (%s launch options), run %d: %v\n", launch, i, err)
				return nil
			}
			*into = append(*into, d)
			return nil
		}
	}
	methods := []func(i int) error{
		appMethodRun("app", &app),
		appMethodRun("runner", &appRunnerFlags),
		runnerRun(r, "fresh", "new profile", true, account, &fresh),
		runnerRun(unseeded, "unseeded", "new profile without the seed", true, account, &empty),
		runnerRun(r, "kept", "kept profile", false, account, &kept),
		runnerRun(floor, "floor", "the floor (kept signed-in profile, authbridge off)", false, account, &floorRuns),
	}
	// The kept profile must exist before its first timed run, and the
	// runner makes its profile seed after its first run (runner/lib/seed.cjs):
	// a new profile is timed as the app's later first runs meet it, once
	// the seed is there.
	if _, err := r.firstPage("bench-warm", account, true); err != nil {
		return nil, fmt.Errorf("runner, first run: %w\n%s", err, lastLines(r.stderr.String(), 20))
	}
	if err := r.waitForSeed(30 * time.Second); err != nil {
		return nil, err
	}
	// The floor's profile is a copy of the one that run left, signed in.
	if err := os.CopyFS(filepath.Join(floor.profiles, "first-page"), os.DirFS(filepath.Join(r.profiles, "first-page"))); err != nil {
		return nil, fmt.Errorf("copy the signed-in profile for the floor: %w", err)
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
			if strings.Contains(l, "browser ready in") || strings.Contains(l, "profile seed") {
				fmt.Println("  " + l)
			}
		}
	}
	if len(app) == 0 || len(appRunnerFlags) == 0 {
		return nil, fmt.Errorf("no run of the app's method reached an authenticated page")
	}
	sa, sar, sf, sk, se, sfl := summarize(app), summarize(appRunnerFlags), summarize(fresh), summarize(kept), summarize(empty), summarize(floorRuns)
	// Against the floor: the runner's first signed-in page within 1.1
	// times a run that asks authbridge nothing.
	overFloor := func(s stats) string {
		ratio := float64(s.median) / float64(sfl.median)
		if ratio <= 1.1 {
			return fmt.Sprintf("meets (%.2fx)", ratio)
		}
		return fmt.Sprintf("MISSES (%.2fx)", ratio)
	}
	judge := func(s stats) string {
		ratio := float64(sa.median) / float64(s.median)
		if ratio >= 2.5 {
			return fmt.Sprintf("meets (%.2fx)", ratio)
		}
		return fmt.Sprintf("MISSES (%.2fx)", ratio)
	}
	// Against the app's method on the runner's launch options: the part of
	// the difference that is the method alone (not judged).
	versus := func(s stats) string {
		return fmt.Sprintf("%.2fx", float64(sar.median)/float64(s.median))
	}
	return []row{
		{fmt.Sprintf("run to first auth. page, the app's method (%d/%d ok)", len(app), *runnerRuns), ms(sa.median), ms(sa.p99), "-", "-"},
		{fmt.Sprintf("  same, on the runner's launch options (%d/%d ok)", len(appRunnerFlags), *runnerRuns), ms(sar.median), ms(sar.p99), "-", "-"},
		{"  runner, new profile (a connector's first run)", ms(sf.median), ms(sf.p99), "≥ 2.5x faster", judge(sf) + ", " + versus(sf) + " vs same"},
		{"  runner, the profile of the last run", ms(sk.median), ms(sk.p99), "≥ 2.5x faster", judge(sk) + ", " + versus(sk) + " vs same"},
		{"  runner, new profile without the seed", ms(se.median), ms(se.p99), "-", fmt.Sprintf("%.2fx, %s vs same", float64(sa.median)/float64(se.median), versus(se))},
		{"run floor: kept signed-in profile, authbridge off", ms(sfl.median), ms(sfl.p99), "-", "-"},
		{"  runner, new profile, against the floor", ms(sf.median), ms(sf.p99), "≤ 1.1x floor", overFloor(sf)},
		{"  runner, the profile of the last run, against the floor", ms(sk.median), ms(sk.p99), "≤ 1.1x floor", overFloor(sk)},
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
	if err := devext.CopyFile(filepath.Join(udd, "Default", "Cookies"), src, 0o600); err != nil {
		return "", 0, fmt.Errorf("copy the source cookie store: %w", err)
	}
	db, err := sql.Open(sqlitedb.Driver, "file:"+src+"?mode=ro")
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

func (a *appMethod) do(msg map[string]any) (map[string]any, error) {
	b, _ := json.Marshal(msg)
	if _, err := a.stdin.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	return a.next()
}

func (a *appMethod) close() {
	a.stdin.Close()
	a.cmd.Wait()
}

// run is the app's method on a fresh profile, as the app's runner does it
// (runner/bench/app-method.cjs): launch once to create the profile, copy
// every cookie of the source with the sqlite3 command's ATTACH, count them,
// write the marker, relaunch and open the page. launch is "app" (the app's
// launch options) or "runner" (the drop-in runner's).
func (a *appMethod) run(source, account, launch string) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "abapp")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	m, err := a.do(map[string]any{"cmd": "run", "dir": dir, "source": source, "url": account, "launch": launch})
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if n, _ := m["cookies"].(float64); n < 1 {
		return 0, fmt.Errorf("the copy left %v cookies in the profile", m["cookies"])
	}
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

func startBenchRunner(b *bench, profiles string, env ...string) (*benchRunner, error) {
	dir, err := filepath.Abs(*runnerDir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		return nil, fmt.Errorf("the runner's npm dependencies are missing: run `make deps`")
	}
	r := &benchRunner{lines: make(chan map[string]any, 256), profiles: filepath.Join(b.base, profiles),
		script: filepath.Join(dir, "bench", "first-page.js")}
	exe, err := chromium.FindExecutable()
	if err != nil {
		return nil, err
	}
	args, _ := json.Marshal([]string{"--host-resolver-rules=MAP *.test 127.0.0.1, MAP test 127.0.0.1"})
	r.cmd = exec.Command("node", filepath.Join(dir, "index.cjs"))
	r.cmd.Env = append(append([]string{}, b.env...), "AUTHBRIDGE_BIN="+b.bin, "AUTHBRIDGE_CHROMIUM="+exe,
		"AUTHBRIDGE_PROFILES_DIR="+r.profiles, "AUTHBRIDGE_BROWSER_ARGS="+string(args))
	r.cmd.Env = append(r.cmd.Env, env...)
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
	if _, err := r.wait(func(m map[string]any) bool { return m["type"] == "ready" }, 60*time.Second); err != nil {
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

// runnerRun is one of the rotation's methods: a run of the bench connector
// on r, on a new profile (fresh) or the one the last run left, timed into
// into.
func runnerRun(r *benchRunner, id, what string, fresh bool, account string, into *[]time.Duration) func(i int) error {
	return func(i int) error {
		d, err := r.firstPage(fmt.Sprintf("bench-%s-%d", id, i), account, fresh)
		if err != nil {
			return fmt.Errorf("runner, %s, run %d: %w\n%s", what, i, err, lastLines(r.stderr.String(), 20))
		}
		*into = append(*into, d)
		return nil
	}
}

// waitForSeed waits until the runner has made its profile seed.
func (r *benchRunner) waitForSeed(timeout time.Duration) error {
	manifest := filepath.Join(envValue(r.cmd.Env, "AUTHBRIDGE_HOME"), "runner", "profile-seed", "seed.json")
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(manifest); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the runner made no profile seed (%s) within %v:\n%s", manifest, timeout, lastLines(r.stderr.String(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
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
