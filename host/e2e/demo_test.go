//go:build !windows

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// keptDemo is a running `authbridge demo --keep`.
type keptDemo struct {
	cmd     *exec.Cmd
	out     *lockedBuffer // everything it printed
	done    chan error
	base    string            // its throw-away folder
	envFile string            // base/env, to source
	vars    map[string]string // the env file's variables
}

// startDemoKeep runs `authbridge demo --keep` as a user would after
// `make demo` and waits until it says the world is running.
func startDemoKeep(t *testing.T) *keptDemo {
	t.Helper()
	needChromium(t)
	d := &keptDemo{out: &lockedBuffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(binPath, "demo", "--keep")
	d.cmd.Dir = repoRoot
	pr, pw := io.Pipe()
	d.cmd.Stdout, d.cmd.Stderr = pw, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { d.stop(t) })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			d.out.Write([]byte(line + "\n"))
			if f, ok := strings.CutPrefix(strings.TrimSpace(line), "source "); ok && d.envFile == "" {
				d.envFile = strings.Trim(f, "'")
			}
			if strings.HasPrefix(line, "Press Ctrl-C") && !signalled {
				signalled = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case err := <-d.done:
		t.Fatalf("authbridge demo --keep exited (%v) before keeping its world:\n%s", err, d.out.String())
	case <-time.After(4 * time.Minute):
		t.Fatalf("authbridge demo --keep did not get to its world within 4m:\n%s", d.out.String())
	}
	d.base = filepath.Dir(d.envFile)
	b, err := os.ReadFile(d.envFile)
	if err != nil {
		t.Fatalf("the env file demo --keep named: %v\n%s", err, d.out.String())
	}
	d.vars = map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			d.vars[k] = strings.Trim(v, "'")
		}
	}
	if d.vars["AUTHBRIDGE_HOME"] == "" || d.vars["DEMO_SITE"] == "" || d.vars["DEMO_RESOLVE"] == "" {
		t.Fatalf("env file %s lacks a variable:\n%s", d.envFile, b)
	}
	return d
}

// stop sends SIGTERM (as Ctrl-C would stop it) and waits for the exit.
func (d *keptDemo) stop(t *testing.T) error {
	if d.cmd.ProcessState != nil {
		return nil
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		d.done <- err
		return err
	case <-time.After(time.Minute):
		d.cmd.Process.Kill()
		t.Errorf("demo --keep did not stop within 1m of SIGTERM")
		return <-d.done
	}
}

// TestDemo runs `authbridge demo --keep` as `make demo` does, checks what it
// shows, uses the world it keeps (the report, `cookies demo`, and the
// cookie file in curl, wget and Python's MozillaCookieJar), then stops it
// with SIGTERM and checks that nothing is left behind.
func TestDemo(t *testing.T) {
	d := startDemoKeep(t)
	text := d.out.String()
	for _, want := range []string{
		"Unknown", "signed in as", "Healthy", "(26 bytes)", "SESSION_EXPIRED",
		"Healthy again", "Demo complete.", "authbridge cookies demo",
		"granted through a development copy of the extension",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	w := &world{t: t, home: d.vars["AUTHBRIDGE_HOME"], userDir: t.TempDir()}
	sources := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(w.must("report", "--export", "ndjson")), "\n") {
		var e struct {
			Source string `json:"source"`
		}
		json.Unmarshal([]byte(line), &e)
		sources[e.Source]++
	}
	if sources["app"] < 5 || sources["host"] < 2 {
		t.Errorf("demo events by source = %v; want the app's runs and the host's actions", sources)
	}
	var rep struct {
		Connectors []struct {
			ConnectorID string `json:"connector_id"`
			Runs        int    `json:"runs"`
		} `json:"connectors"`
	}
	json.Unmarshal([]byte(w.must("report", "--json")), &rep)
	if len(rep.Connectors) != 1 || rep.Connectors[0].Runs != 3 {
		t.Errorf("report --json after the demo: %+v, want demo with 3 runs", rep.Connectors)
	}

	t.Run("cookies demo", func(t *testing.T) {
		var st struct {
			Cookies []struct {
				Name    string  `json:"name"`
				Expires float64 `json:"expires"`
			} `json:"cookies"`
		}
		out, errOut, code := w.run("", "cookies", "demo")
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
			t.Fatalf("cookies demo = %d, stderr %q", code, errOut)
		}
		var sid bool
		for _, c := range st.Cookies {
			sid = sid || (c.Name == "sid" && c.Expires == -1)
		}
		if !sid || errOut != "" {
			t.Errorf("cookies demo: %+v, stderr %q; want the session cookie sid and no notice", st.Cookies, errOut)
		}
	})

	t.Run("cookie file tools", func(t *testing.T) {
		testCookieFileTools(t, w, d)
	})

	t.Run("README examples", func(t *testing.T) {
		testReadmeExamples(t, d)
	})

	if err := d.stop(t); err != nil {
		t.Errorf("demo --keep after SIGTERM: %v\n%s", err, d.out.String())
	}
	if _, err := os.Stat(d.base); !os.IsNotExist(err) {
		t.Errorf("demo --keep left %s behind (%v)", d.base, err)
	}
}

// needTool returns a command's path; it fails in CI and skips elsewhere
// when the command is missing (`make cookie-tools` installs them).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %s is missing (make cookie-tools): %v", name, err)
		}
		t.Skipf("%s is missing (make cookie-tools); with CI set this test fails instead of skipping", name)
	}
	return p
}

// demoProxy is an HTTP proxy that sends demo.test to the demo site on
// loopback: wget and Python's urllib have no --resolve, and the cookies
// are for demo.test.
func demoProxy(t *testing.T, resolve string) string {
	parts := strings.Split(resolve, ":") // host:port:address
	target := net.JoinHostPort(parts[2], parts[1])
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = r.In.Host
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, target)
		}},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

// testCookieFileTools writes the demo connector's cookies as a file and has
// curl, wget and Python's http.cookiejar.MozillaCookieJar fetch the demo
// site's signed-in page with it: the session cookie sid (httpOnly, no
// expiry) must reach the site.
func testCookieFileTools(t *testing.T, w *world, d *keptDemo) {
	dir := t.TempDir()
	compat := filepath.Join(dir, "compat.txt")
	plain := filepath.Join(dir, "plain.txt")
	w.must("cookies", "demo", "--format", "netscape-compat", "--out", compat)
	w.must("cookies", "demo", "--format", "netscape", "--out", plain)
	b, _ := os.ReadFile(compat)
	if fi, err := os.Stat(compat); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("cookie file mode: %v %v, want 0600", fi.Mode(), err)
	}
	if strings.Contains(string(b), "#HttpOnly_") || !strings.Contains(string(b), "\tsid\t") {
		t.Errorf("netscape-compat file lines (values not shown): %d bytes, no sid line or a #HttpOnly_ line", len(b))
	}
	account := d.vars["DEMO_SITE"] + "/account"
	proxy := demoProxy(t, d.vars["DEMO_RESOLVE"])
	signedIn := func(tool, page string) {
		t.Helper()
		if !strings.Contains(page, `id="account-name">ada<`) {
			t.Errorf("%s did not get the signed-in page (%d bytes, sign-in form: %v)", tool, len(page), strings.Contains(page, "password"))
		}
	}
	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "no_proxy=", "NO_PROXY=")
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%s %s: %v", filepath.Base(name), args[0], err)
		}
		return string(out)
	}
	for _, file := range []string{plain, compat} {
		signedIn("curl -b "+filepath.Base(file), run(needTool(t, "curl"), "-sS", "--max-time", "30", "--resolve", d.vars["DEMO_RESOLVE"], "-b", file, account))
	}
	signedIn("wget --load-cookies compat.txt", run(needTool(t, "wget"), "-q", "-O", "-", "--timeout=30", "--tries=1",
		"-e", "use_proxy=on", "-e", "http_proxy="+proxy, "--load-cookies", compat, account))
	py := `import sys, http.cookiejar, urllib.request
jar = http.cookiejar.MozillaCookieJar(sys.argv[1])
jar.load()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), urllib.request.ProxyHandler({"http": sys.argv[3]}))
sys.stdout.write(opener.open(sys.argv[2], timeout=30).read().decode())
`
	signedIn("python3 MozillaCookieJar", run(needTool(t, "python3"), "-c", py, compat, account, proxy))
}

// readmeBlocks returns the README's shell blocks marked runnable
// ("```sh runnable"), in order.
func readmeBlocks(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```sh runnable":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// testReadmeExamples runs every runnable README block as a user would after
// `make demo`: in a second shell that sourced the env file `demo --keep`
// printed, in an empty folder, one block after the other.
func testReadmeExamples(t *testing.T, d *keptDemo) {
	blocks := readmeBlocks(t)
	if len(blocks) < 2 {
		t.Fatalf("the README has %d runnable blocks; want the examples marked ```sh runnable", len(blocks))
	}
	needTool(t, "curl")
	needTool(t, "python3")
	dir := t.TempDir()
	for i, block := range blocks {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", "source "+d.envFile+"\n"+block)
		cmd.Dir = dir
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AUTHBRIDGE_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "HOME="+t.TempDir())
		var errb strings.Builder
		cmd.Stderr = &errb
		// stdout holds cookie values (the demo's): it is not printed.
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Errorf("README runnable block %d failed: %v (%d bytes on stdout)\n--- block\n%s\n--- stderr\n%s", i+1, err, len(out), block, errb.String())
		}
	}
}
