//go:build !windows

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/chromium"
)

// appRunner is the drop-in runner (runner/index.cjs) as the data-export app
// runs it: a child process speaking JSON lines. Every stdout line must be a
// protocol message.
type appRunner struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu     sync.Mutex
	lines  []map[string]any
	raw    []string
	bad    []string
	stderr strings.Builder
	notify chan struct{}
	done   chan struct{}
}

func startAppRunner(t *testing.T, env []string) *appRunner {
	t.Helper()
	dir := filepath.Join(repoRoot, "runner")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("the runner's npm dependencies are not installed in %s: run `make deps` (npm ci there)", dir)
	}
	r := &appRunner{t: t, notify: make(chan struct{}, 1), done: make(chan struct{})}
	r.cmd = exec.Command("node", filepath.Join(dir, "index.cjs"))
	r.cmd.Env = env
	var err error
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start the runner: %v", err)
	}
	go func() {
		b, _ := io.ReadAll(errPipe)
		r.mu.Lock()
		r.stderr.Write(b)
		r.mu.Unlock()
	}()
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			line := sc.Text()
			var m map[string]any
			r.mu.Lock()
			r.raw = append(r.raw, line)
			if err := json.Unmarshal([]byte(line), &m); err != nil || m["type"] == nil {
				r.bad = append(r.bad, line)
			} else {
				r.lines = append(r.lines, m)
			}
			r.mu.Unlock()
			select {
			case r.notify <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(r.close)
	r.waitFor(20*time.Second, "ready", func(m map[string]any) bool { return m["type"] == "ready" })
	return r
}

func (r *appRunner) send(msg map[string]any) {
	b, _ := json.Marshal(msg)
	if _, err := r.stdin.Write(append(b, '\n')); err != nil {
		r.t.Fatalf("write to the runner: %v", err)
	}
}

// waitFor returns the first message that matches.
func (r *appRunner) waitFor(timeout time.Duration, what string, match func(map[string]any) bool) map[string]any {
	r.t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		for _, m := range r.lines {
			if match(m) {
				r.mu.Unlock()
				return m
			}
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-r.done:
			r.t.Fatalf("the runner exited while waiting for %s:\n%s", what, r.dump())
		case <-deadline:
			r.t.Fatalf("timed out after %v waiting for %s:\n%s", timeout, what, r.dump())
		}
	}
}

func (r *appRunner) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, l := range r.raw {
		if len(l) > 400 {
			l = l[:400] + "..."
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("stderr:\n" + lastLines(r.stderr.String(), 40))
	return b.String()
}

// of returns the messages of one run.
func (r *appRunner) of(runID string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, m := range r.lines {
		if m["runId"] == runID {
			out = append(out, m)
		}
	}
	return out
}

func (r *appRunner) close() {
	if r.cmd.ProcessState != nil {
		return
	}
	r.stdin.Close()
	exited := make(chan struct{})
	go func() { r.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-exited
	}
}

// result waits for a run's result line.
func (r *appRunner) result(runID string, timeout time.Duration) map[string]any {
	r.t.Helper()
	return r.waitFor(timeout, "the result of "+runID, func(m map[string]any) bool {
		return m["type"] == "result" && m["runId"] == runID
	})
}

func classificationOf(m map[string]any) map[string]any {
	c, _ := m["classification"].(map[string]any)
	return c
}

// waitingStatuses are a run's WAITING_FOR_USER status lines.
func waitingStatuses(lines []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range lines {
		if m["type"] == "status" && m["status"] == "WAITING_FOR_USER" {
			out = append(out, m)
		}
	}
	return out
}

func logsOf(lines []map[string]any) string {
	var b strings.Builder
	for _, m := range lines {
		if m["type"] == "log" {
			fmt.Fprintln(&b, m["message"])
		}
	}
	return b.String()
}

// signInLinkedIn signs in on the site in the user's browser (the tab of ctx).
func signInLinkedIn(t *testing.T, ctx context.Context, navigate bool) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{}
	if navigate {
		steps = append(steps, chromedp.Navigate("https://www.linkedin.com/login"))
	}
	steps = append(steps,
		chromedp.WaitVisible(`input[name="session_key"]`),
		chromedp.SendKeys(`input[name="session_key"]`, "ada@example.com"),
		chromedp.SendKeys(`input[name="session_password"]`, "correct horse"),
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible(`.global-nav__me`),
	)
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("sign in on the LinkedIn-shaped site: %v", err)
	}
}

// appRunID is a run id as the app makes them (<platform>-<epoch ms>); the
// host keeps it verbatim.
func appRunID(n int) string {
	return fmt.Sprintf("linkedin-playwright-%d", 1764590000000+int64(n))
}

// TestLinkedInRunner runs the app's real linkedin-playwright.js, unmodified,
// through the drop-in runner against a LinkedIn-shaped site on loopback, with
// a real agent and a real Chromium with the extension as the user's browser:
// the five scenarios in order, then the report. authbridge finds
// the connector as the app keeps it: the fixture's manifest in
// ~/.dataconnect/connectors/, completed from the built-in LinkedIn (whose
// probe is a headless Chromium: the test HOME's NSS database trusts the
// site's CA), with its profile in ~/.dataconnect/browser-profiles/, where
// the runner keeps it.
func TestLinkedInRunner(t *testing.T) {
	exe := needChromium(t)
	site := newLinkedIn(t)
	w := newWorld(t)
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=*:443:" + site.addr, "SSL_CERT_FILE=" + site.caFile}
	trustCA(t, w.userDir, site.caFile)
	fixtures := filepath.Join(repoRoot, "..", "shared", "fixtures", "data-connectors", "linkedin")
	manifest, err := os.ReadFile(filepath.Join(fixtures, "linkedin-playwright.json"))
	if err != nil {
		t.Fatalf("the app's fixtures: %v", err)
	}
	appConnectors := filepath.Join(w.userDir, ".dataconnect", "connectors", "linkedin")
	if err := os.MkdirAll(appConnectors, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(appConnectors, "linkedin-playwright.json"), manifest, 0o600); err != nil {
		t.Fatal(err)
	}

	w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	launchUser := func() {
		b, err := chromium.Launch(context.Background(), chromium.Options{
			UserDataDir: w.udd, Extension: extension, HostResolverRules: site.resolverRules(),
			// The browser may start the agent (through the native host):
			// it must see the same HOME, with the app's folders.
			Env:    append([]string{"AUTHBRIDGE_HOME=" + w.home, "HOME=" + w.userDir}, w.extraEnv...),
			Flags:  map[string]any{"ignore-certificate-errors": true},
			Output: &w.stderr,
		})
		if err != nil {
			t.Fatalf("launch chromium: %v", err)
		}
		w.browser = b
		t.Cleanup(b.Close)
		w.waitBridge()
	}
	launchUser()
	signInLinkedIn(t, w.browser.Ctx, true)

	script := filepath.Join(fixtures, "linkedin-playwright.js")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("the app's fixtures: %v", err)
	}
	args, _ := json.Marshal([]string{"--host-resolver-rules=" + site.resolverRules(), "--ignore-certificate-errors", "--disable-quic"})
	env := append(w.env(),
		"AUTHBRIDGE_BIN="+binPath,
		"AUTHBRIDGE_CHROMIUM="+exe,
		"AUTHBRIDGE_BROWSER_ARGS="+string(args),
		"AUTHBRIDGE_INTERACTIVE_TIMEOUT_MS=120000",
	)
	r := startAppRunner(t, env)
	run := func(id string, allowHeaded bool) map[string]any {
		t.Helper()
		r.send(map[string]any{"type": "run", "runId": id, "connectorPath": script, "url": "https://www.linkedin.com/login",
			"headless": true, "allowHeaded": allowHeaded})
		return r.result(id, 3*time.Minute)
	}
	wantSuccess := func(id string, res map[string]any) {
		t.Helper()
		c := classificationOf(res)
		if c["outcome"] != "success" {
			t.Fatalf("%s: classification %v, want success\n%s", id, c, r.dump())
		}
		data, _ := res["data"].(map[string]any)
		profile, _ := data["linkedin.profile"].(map[string]any)
		conns, _ := data["linkedin.connections"].(map[string]any)
		list, _ := conns["connections"].([]any)
		if profile["fullName"] != "Ada Lovelace" || len(list) != 3 {
			t.Fatalf("%s: exported profile %v and %d connections, want Ada Lovelace and 3", id, profile, len(list))
		}
	}
	noHeaded := func(id string) {
		t.Helper()
		if logs := logsOf(r.of(id)); strings.Contains(logs, "opened a browser window") {
			t.Errorf("%s opened a headed connector window:\n%s", id, logs)
		}
	}

	// (1) Signed in through authbridge: a fresh profile, success, headless only.
	id1 := appRunID(1)
	wantSuccess(id1, run(id1, true))
	if ws := waitingStatuses(r.of(id1)); len(ws) != 0 {
		t.Errorf("(1) %d WAITING_FOR_USER, want none", len(ws))
	}
	noHeaded(id1)
	// Who took it: the runner's process, by its executable and command line.
	var access apitype.AccessLog
	if err := json.Unmarshal([]byte(w.must("access", "linkedin-playwright", "--json")), &access); err != nil || len(access.Connectors) != 1 {
		t.Fatalf("authbridge access linkedin-playwright --json: %v %+v", err, access)
	}
	byRunner := false
	for _, c := range access.Connectors[0].Callers {
		if filepath.Base(c.Caller.Executable) == "node" && strings.Contains(c.Caller.Cmdline, "index.cjs") {
			byRunner = true
		}
	}
	if !byRunner {
		t.Errorf("authbridge access linkedin-playwright does not name the runner (node .../index.cjs): %+v", access.Connectors[0].Callers)
	}
	// The agent knows the connector from the app's manifest, and the profile
	// folder the run created.
	wantProfile := filepath.Join(w.userDir, ".dataconnect", "browser-profiles", "linkedin-playwright")
	eventually(t, 10*time.Second, "the agent binds linkedin-playwright to the app's profile folder", func() bool {
		c := w.connectorList()["linkedin-playwright"]
		return c.InheritsFrom == "linkedin" && c.Session != nil && c.Session.ProfileDir == wantProfile
	})

	// (2) The session expires server-side; the user signs in again in the
	// connected browser: the next run succeeds with no click.
	site.setAll("expired")
	signInLinkedIn(t, w.browser.Ctx, true)
	id2 := appRunID(2)
	wantSuccess(id2, run(id2, true))
	if ws := waitingStatuses(r.of(id2)); len(ws) != 0 {
		t.Errorf("(2) %d WAITING_FOR_USER, want none", len(ws))
	}
	noHeaded(id2)

	// (3) Expired and nobody signed in yet, allowHeaded: one WAITING_FOR_USER
	// with the precise prompt, the login page opens in the user's browser,
	// and signing in there lets the same run finish.
	site.setAll("expired")
	before := pageTargets(t, w)
	id3 := appRunID(3)
	r.send(map[string]any{"type": "run", "runId": id3, "connectorPath": script, "url": "https://www.linkedin.com/login", "allowHeaded": true})
	waiting := r.waitFor(3*time.Minute, "(3) WAITING_FOR_USER", func(m map[string]any) bool {
		return m["runId"] == id3 && m["type"] == "status" && m["status"] == "WAITING_FOR_USER"
	})
	prompt, _ := waiting["prompt"].(map[string]any)
	if waiting["reason"] != "SESSION_EXPIRED" || prompt["what"] == nil || !strings.Contains(fmt.Sprint(waiting["message"]), fmt.Sprint(prompt["what"])) {
		t.Errorf("(3) WAITING_FOR_USER %v: want reason SESSION_EXPIRED and the prompt's what in the message", waiting)
	}
	var loginTab string
	eventually(t, 20*time.Second, "the login page opens in the user's browser", func() bool {
		for id, u := range pageTargets(t, w) {
			if _, old := before[id]; !old && strings.HasPrefix(u, "https://www.linkedin.com/login") {
				loginTab = id
				return true
			}
		}
		return false
	})
	tabCtx, cancelTab := chromedp.NewContext(w.browser.Ctx, chromedp.WithTargetID(targetID(loginTab)))
	signInLinkedIn(t, tabCtx, false)
	cancelTab()
	wantSuccess(id3, r.result(id3, 3*time.Minute))
	if ws := waitingStatuses(r.of(id3)); len(ws) != 1 {
		t.Errorf("(3) %d WAITING_FOR_USER, want exactly one", len(ws))
	}
	noHeaded(id3)

	// (4) A checkpoint with nobody there: failure at once, auth_failed,
	// CHECKPOINT_OR_SUSPICIOUS_LOGIN in debug, not retried.
	site.setAll("checkpoint")
	id4 := appRunID(4)
	start := time.Now()
	res4 := run(id4, false)
	c4 := classificationOf(res4)
	debug, _ := c4["debug"].(map[string]any)
	if c4["outcome"] != "failure" || c4["errorClass"] != "auth_failed" || debug["reason"] != "CHECKPOINT_OR_SUSPICIOUS_LOGIN" || debug["prompt"] == nil {
		t.Errorf("(4) classification %v, want failure, auth_failed, CHECKPOINT_OR_SUSPICIOUS_LOGIN and the prompt in debug\n%s\nagent:\n%s", c4, logsOf(r.of(id4)), w.agentLog())
	}
	if _, ok := res4["data"]; ok {
		t.Errorf("(4) a failure carries data")
	}
	if ws := waitingStatuses(r.of(id4)); len(ws) != 0 {
		t.Errorf("(4) %d WAITING_FOR_USER with allowHeaded false", len(ws))
	}
	if n := strings.Count(logsOf(r.of(id4)), "repairing from the browser session first"); n != 1 {
		t.Errorf("(4) %d repairs, want exactly one (never retried)", n)
	}
	t.Logf("(4) failed after %v", time.Since(start).Round(time.Millisecond))

	// (5) No browser connected: the run goes ahead on the profile's own
	// cookies and says so.
	site.setAll("ok")
	w.browser.Close()
	eventually(t, 20*time.Second, "the bridge is gone", func() bool { return len(w.status().Bridges) == 0 })
	id5 := appRunID(5)
	wantSuccess(id5, run(id5, false))
	if logs := logsOf(r.of(id5)); !strings.Contains(logs, "no browser is connected to authbridge: running on the profile's own cookies") {
		t.Errorf("(5) the run does not say it runs on the profile's cookies:\n%s", logs)
	}

	// (5b) ... and when that session has expired too, the failure says
	// browser_not_connected with the one action.
	site.setAll("expired")
	id6 := appRunID(6)
	c6 := classificationOf(run(id6, false))
	d6, _ := c6["debug"].(map[string]any)
	if c6["errorClass"] != "auth_failed" || d6["detail"] != "browser_not_connected" || d6["prompt"] == nil {
		t.Errorf("(5b) classification %v, want auth_failed with browser_not_connected and a prompt in debug", c6)
	}

	// Stdout carried protocol lines only, and no cookie value anywhere.
	r.mu.Lock()
	bad, all := r.bad, strings.Join(r.raw, "\n")+r.stderr.String()
	r.mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("non-protocol lines on the runner's stdout: %q", bad)
	}
	for _, v := range site.Values() {
		if strings.Contains(all, v) || strings.Contains(w.stderr.String(), v) {
			t.Fatalf("a cookie value appears in the runner's output or the browser's log")
		}
	}

	// The report shows the runs under linkedin-playwright, with the
	// headless / interactive split.
	var rep struct {
		Connectors []struct {
			ConnectorID         string         `json:"connector_id"`
			Runs                int            `json:"runs"`
			SucceededRuns       int            `json:"succeeded_runs"`
			InteractiveRuns     int            `json:"interactive_runs"`
			InteractiveByReason map[string]int `json:"interactive_by_reason"`
		} `json:"connectors"`
	}
	out := w.must("report", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --json: %v", err)
	}
	found := false
	for _, c := range rep.Connectors {
		if c.ConnectorID == "linkedin-playwright" {
			found = true
			// Headless: (1), (2), (5). Needing a person: (3) signed in
			// interactively, (4) the checkpoint and (5b) the expired session
			// with no browser, both of which failed for want of one.
			want := map[string]int{"SESSION_EXPIRED": 2, "CHECKPOINT_OR_SUSPICIOUS_LOGIN": 1}
			if c.Runs != 6 || c.SucceededRuns != 4 || c.InteractiveRuns != 3 || fmt.Sprint(c.InteractiveByReason) != fmt.Sprint(want) {
				t.Errorf("report: linkedin-playwright runs %d, succeeded %d, interactive %d by reason %v; want 6, 4, 3 by %v\n%s",
					c.Runs, c.SucceededRuns, c.InteractiveRuns, c.InteractiveByReason, want, w.must("report", "--export", "ndjson"))
			}
			t.Logf("report: linkedin-playwright runs %d, succeeded %d, interactive %d by reason %v", c.Runs, c.SucceededRuns, c.InteractiveRuns, c.InteractiveByReason)
		}
	}
	if !found {
		t.Errorf("report --json has no linkedin-playwright row:\n%s", out)
	}
	// The export keeps the app's run ids verbatim.
	export := w.must("report", "--export", "ndjson")
	for _, id := range []string{id1, id2, id3, id4, id5, id6} {
		if !strings.Contains(export, `"run_id":"`+id+`"`) {
			t.Errorf("report --export ndjson has no event with run_id %s", id)
		}
	}
}

// TestRunnerProfileLock checks both orders of a run and authbridge's profile
// writer (what repair uses) on the same app profile: a run that starts while
// the writer holds the profile waits for it, with a log line, and then reads
// what it wrote (same browser and key-store flags); the writer refuses a
// profile a run holds.
func TestRunnerProfileLock(t *testing.T) {
	exe := needChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>lock</title><p>hello</p>")
	}))
	t.Cleanup(srv.Close)
	profiles := t.TempDir()
	dir := filepath.Join(profiles, "cookie-probe")
	script := filepath.Join(repoRoot, "runner", "testdata", "connectors", "cookie-probe.js")
	env := append(os.Environ(), "AUTHBRIDGE_RUNNER_SESSIONS=off", "AUTHBRIDGE_CHROMIUM="+exe, "AUTHBRIDGE_PROFILES_DIR="+profiles)
	r := startAppRunner(t, env)
	writer := &chromeprofile.ProfileWriter{ExecPath: exe}
	value := randValue(8)
	cs := []apitype.Cookie{{Name: "lockprobe", Value: value, Domain: "127.0.0.1", Path: "/", HostOnly: true,
		SameSite: "lax", ExpirationDate: float64(time.Now().Add(time.Hour).Unix())}}

	// A repair writes the profile; a run starts meanwhile and waits.
	done := make(chan error, 1)
	go func() { done <- writer.Replace(context.Background(), dir, []string{"127.0.0.1"}, cs) }()
	eventually(t, 30*time.Second, "the writer holds the profile", func() bool {
		_, err := os.Lstat(filepath.Join(dir, "SingletonLock"))
		return err == nil
	})
	r.send(map[string]any{"type": "run", "runId": "lock-1", "connectorPath": script, "url": srv.URL + "/"})
	if err := <-done; err != nil {
		t.Fatalf("the profile writer: %v", err)
	}
	res := r.result("lock-1", 2*time.Minute)
	if c := classificationOf(res); c["outcome"] != "success" {
		t.Fatalf("lock-1: %v\n%s", c, r.dump())
	}
	if !strings.Contains(logsOf(r.of("lock-1")), "the profile is being written by another process") {
		t.Errorf("lock-1 did not say it waited for the profile:\n%s", logsOf(r.of("lock-1")))
	}
	data, _ := res["data"].(map[string]any)
	probe, _ := data["probe.cookies"].(map[string]any)
	if fmt.Sprint(probe["names"]) != "[lockprobe]" {
		t.Errorf("the run sees cookies %v, want the one the writer wrote (lockprobe)", probe["names"])
	}

	// A run holds the profile: the writer refuses it, then writes once the
	// run is over.
	r.send(map[string]any{"type": "run", "runId": "lock-2", "connectorPath": script, "url": srv.URL + "/?hold=1"})
	r.waitFor(time.Minute, "lock-2 holds the profile", func(m map[string]any) bool {
		return m["runId"] == "lock-2" && m["type"] == "data" && m["value"] == "holding the profile"
	})
	if err := writer.Replace(context.Background(), dir, []string{"127.0.0.1"}, cs); !errors.Is(err, chromeprofile.ErrProfileInUse) {
		t.Errorf("Replace while a run holds the profile: %v, want ErrProfileInUse", err)
	}
	r.send(map[string]any{"type": "stop", "runId": "lock-2"})
	if c := classificationOf(r.result("lock-2", time.Minute)); c["outcome"] != "cancelled" {
		t.Errorf("lock-2 after stop: %v, want cancelled", c)
	}
	if err := writer.Replace(context.Background(), dir, []string{"127.0.0.1"}, cs); err != nil {
		t.Errorf("Replace once the run is over: %v", err)
	}
	r.mu.Lock()
	all := strings.Join(r.raw, "\n") + r.stderr.String()
	r.mu.Unlock()
	if strings.Contains(all, value) {
		t.Errorf("the cookie value appears in the runner's output")
	}
}
