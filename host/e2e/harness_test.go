//go:build !windows

// Package e2e holds the end-to-end tests: the real authbridge binary, real
// headless Chromium with the real extension loaded, real native messaging,
// real sockets and a real SQLite file. They never skip when CI is set.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/internal/devext"
)

var (
	binPath  string // the authbridge binary built for this run
	repoRoot string
	// extension is the development copy of the extension every test loads
	// by default: its manifest lists every site under host_permissions, so
	// the browser grants them at load, as if the user had allowed them.
	extension string
	// productionExtension is the extension folder as it ships: no site is
	// granted until the user allows it (the consent tests load it).
	productionExtension string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	productionExtension = filepath.Join(repoRoot, "extension")
	dir, err := os.MkdirTemp("", "authbridge-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	extension = filepath.Join(dir, "extension-dev")
	if err := devext.Copy(productionExtension, extension, devext.AllSites); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binPath = filepath.Join(dir, "authbridge")
	cmd := exec.Command("go", "build", "-o", binPath, "./host/cmd/authbridge")
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build authbridge:", err)
		return 1
	}
	return m.Run()
}

// needChromium fails (in CI) or skips (elsewhere) when there is no browser.
func needChromium(t testing.TB) string {
	t.Helper()
	exe, err := chromium.FindExecutable()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %v", err)
		}
		t.Skipf("%v; with CI set this test fails instead of skipping", err)
	}
	return exe
}

// trustCA makes every Chromium started with HOME=home trust the test CA in
// caFile, the way a machine trusts a corporate CA: Chromium on Linux reads
// the user's NSS database ($HOME/.pki/nssdb), which certutil (Debian's
// libnss3-tools) writes. Go's probes take the CA from $SSL_CERT_FILE.
func trustCA(t testing.TB, home, caFile string) {
	t.Helper()
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and certutil (libnss3-tools) is missing: %v", err)
		}
		t.Skipf("certutil (libnss3-tools) is missing: %v; with CI set this test fails instead of skipping", err)
	}
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + db, "--empty-password"},
		{"-A", "-d", "sql:" + db, "-n", "authbridge-e2e-ca", "-t", "C,,", "-i", caFile},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// agentLog returns the last lines of the agent's log, for a failure message.
func (w *world) agentLog() string {
	b, _ := os.ReadFile(filepath.Join(w.home, "logs", "agent.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return strings.Join(lines, "\n")
}

// world is one isolated authbridge user: its own AUTHBRIDGE_HOME and HOME,
// agent and browser profile.
type world struct {
	t       *testing.T
	home    string // AUTHBRIDGE_HOME
	userDir string // HOME for install
	udd     string // Chromium user data dir
	browser *chromium.Browser
	stderr  bytes.Buffer // what the browser and host printed
	// extraEnv is given to every authbridge command and to the browser
	// (and so to the relay and the agent it starts).
	extraEnv []string
	siteBase string // the demo site's base URL, when there is one
}

func newWorld(t *testing.T) *world {
	t.Helper()
	needChromium(t)
	base := t.TempDir()
	w := &world{t: t, home: filepath.Join(base, "ab"), userDir: filepath.Join(base, "user"), udd: filepath.Join(base, "udd")}
	for _, d := range []string{w.home, w.userDir, w.udd} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(w.stopAgent)
	return w
}

// env is the environment of every authbridge command the test runs.
func (w *world) env() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AUTHBRIDGE_HOME=") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, w.extraEnv...)
	return append(env, "AUTHBRIDGE_HOME="+w.home, "HOME="+w.userDir)
}

// run runs the authbridge binary and returns stdout, stderr and the exit
// status.
func (w *world) run(stdin string, args ...string) (string, string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = w.env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("run authbridge %v: %v", args, err)
	}
	w.stderr.WriteString(errb.String())
	return out.String(), errb.String(), code
}

// must runs a command that must succeed and returns its stdout.
func (w *world) must(args ...string) string {
	w.t.Helper()
	out, errOut, code := w.run("", args...)
	if code != 0 {
		w.t.Fatalf("authbridge %s exited %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// writeConnector writes a native connector definition file.
func (w *world) writeConnector(def map[string]any) {
	w.t.Helper()
	dir := filepath.Join(w.home, "connectors")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	b, _ := json.MarshalIndent(def, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, def["id"].(string)+".json"), b, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// startBrowser installs the host into the profile and starts Chromium with
// the extension, mapping the given domains to 127.0.0.1.
func (w *world) startBrowser(domains ...string) {
	w.t.Helper()
	w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir:       w.udd,
		Extension:         extension,
		HostResolverRules: chromium.HostResolverRules("127.0.0.1", domains...),
		Env:               append([]string{"AUTHBRIDGE_HOME=" + w.home}, w.extraEnv...),
		Flags:             map[string]any{"ignore-certificate-errors": true},
		Output:            &w.stderr,
	})
	if err != nil {
		w.t.Fatalf("launch chromium: %v", err)
	}
	w.browser = b
	w.t.Cleanup(b.Close)
	w.waitBridge()
}

// status returns `authbridge status --json`.
func (w *world) status() apitype.Status {
	w.t.Helper()
	var st apitype.Status
	if err := json.Unmarshal([]byte(w.must("status", "--json")), &st); err != nil {
		w.t.Fatalf("status --json: %v", err)
	}
	return st
}

// waitBridge waits until the extension has connected and said hello.
func (w *world) waitBridge() {
	w.t.Helper()
	eventually(w.t, 20*time.Second, "the extension connects to the agent", func() bool {
		st := w.status()
		return len(st.Bridges) > 0 && st.Bridges[0].ExtensionVersion != ""
	})
}

func (w *world) agentPID() int {
	var st apitype.Status
	out, _, code := w.run("", "status", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		return 0
	}
	return st.Agent.PID
}

func (w *world) stopAgent() {
	if w.browser != nil {
		w.browser.Close()
	}
	sock := filepath.Join(w.home, "run", "api.sock")
	if _, err := os.Stat(sock); err != nil {
		return
	}
	if pid := w.agentPID(); pid > 0 {
		syscall.Kill(pid, syscall.SIGTERM)
		// The test's folders are removed after this: wait for the agent
		// (and what it started) to be gone.
		eventually(w.t, 60*time.Second, "the agent exits", func() bool { return processGone(pid) })
	}
}

// processGone reports whether pid no longer runs (gone, or a zombie not yet
// reaped by its parent).
func processGone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(wait)
		wait = min(wait*2, 250*time.Millisecond)
	}
}

// pageTargets lists the browser's page targets by id, with their URLs.
func pageTargets(t *testing.T, w *world) map[string]string {
	t.Helper()
	ts, err := chromedp.Targets(w.browser.Ctx)
	if err != nil {
		t.Fatalf("list targets: %v", err)
	}
	out := map[string]string{}
	for _, ti := range ts {
		if ti.Type == "page" {
			out[string(ti.TargetID)] = ti.URL
		}
	}
	return out
}

func targetID(s string) target.ID { return target.ID(s) }

type networkCookie = network.Cookie
