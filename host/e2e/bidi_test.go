//go:build !windows

package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Firefox is driven with WebDriver BiDi, the protocol Firefox speaks on
// --remote-debugging-port (CDP is gone from Firefox). The client is a few
// commands over github.com/coder/websocket: a small, maintained websocket
// library with no dependencies of its own (chromedp talks to Chromium over a
// pipe and ships no reusable websocket client; golang.org/x/net/websocket is
// frozen and lacks close handshakes and read limits).

// firefoxUUID is the moz-extension:// host of the extension in test
// profiles, fixed by the extensions.webextensions.uuids pref so the popup's
// URL is known.
const firefoxUUID = "7d0f6ac2-4c1b-4b36-9d84-2e5b6a1c0f11"

// geckoID is the extension's Firefox id (extension/manifest.json).
const geckoID = "authbridge@authbridge.dev"

// findFirefox returns Debian's firefox-esr (or a firefox on PATH).
func findFirefox() (string, error) {
	if p := os.Getenv("AUTHBRIDGE_FIREFOX"); p != "" {
		return p, nil
	}
	for _, n := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Firefox found (firefox-esr or firefox on PATH; Debian: apt-get install firefox-esr)")
}

// needFirefox fails (in CI) or skips (elsewhere) when there is no Firefox.
func needFirefox(t testing.TB) string {
	t.Helper()
	exe, err := findFirefox()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %v", err)
		}
		t.Skipf("%v; with CI set this test fails instead of skipping", err)
	}
	return exe
}

// firefox is one headless Firefox with a fresh profile and a BiDi session.
type firefox struct {
	cmd     *exec.Cmd
	profile string
	bidi    *bidi
	ctx     string // the top-level browsing context (tab) tests drive
	done    chan struct{}
	once    sync.Once
}

// firefoxOptions says how to start Firefox.
type firefoxOptions struct {
	Profile string
	Env     []string  // added to the environment (HOME, AUTHBRIDGE_HOME, ...)
	Hosts   []string  // host names resolved to 127.0.0.1
	Prefs   []string  // extra user.js lines
	Output  io.Writer // Firefox's stdout and stderr
	// SystemAccess lets BiDi reach chrome (browser UI) contexts, where the
	// tests open the extension's own pages: content contexts may not
	// navigate to moz-extension:// URLs.
	SystemAccess bool
}

func launchFirefox(t *testing.T, o firefoxOptions) *firefox {
	t.Helper()
	exe := needFirefox(t)
	uuids, _ := json.Marshal(map[string]string{geckoID: firefoxUUID})
	prefs := []string{
		`user_pref("network.dns.localDomains", ` + jsString(strings.Join(o.Hosts, ",")) + `);`,
		`user_pref("network.dns.disableIPv6", true);`,
		`user_pref("network.proxy.type", 0);`,
		`user_pref("extensions.webextensions.uuids", ` + jsString(string(uuids)) + `);`,
		`user_pref("privacy.userContext.enabled", true);`,
		`user_pref("browser.shell.checkDefaultBrowser", false);`,
		`user_pref("datareporting.policy.dataSubmissionEnabled", false);`,
		`user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);`,
		`user_pref("browser.aboutwelcome.enabled", false);`,
		`user_pref("extensions.autoDisableScopes", 0);`,
	}
	prefs = append(prefs, o.Prefs...)
	if err := os.MkdirAll(o.Profile, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(o.Profile, "user.js"), []byte(strings.Join(prefs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--headless", "--no-remote", "--profile", o.Profile, "--remote-debugging-port", "0"}
	if o.SystemAccess {
		args = append(args, "-remote-allow-system-access")
	}
	cmd := exec.Command(exe, append(args, "about:blank")...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Env = append(cmd.Env, "MOZ_CRASHREPORTER_DISABLE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	f := &firefox{cmd: cmd, profile: o.Profile, done: make(chan struct{})}
	go func() { cmd.Wait(); pw.Close(); close(f.done) }()
	t.Cleanup(f.Close)
	wsURL := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(out, line)
			if m := re.FindStringSubmatch(line); m != nil {
				select {
				case wsURL <- m[1]:
				default:
				}
			}
		}
	}()
	var u string
	select {
	case u = <-wsURL:
	case <-f.done:
		t.Fatal("firefox exited before opening its BiDi port")
	case <-time.After(60 * time.Second):
		t.Fatal("firefox did not open its BiDi port within 60s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := dialBiDi(ctx, strings.TrimSuffix(u, "/")+"/session")
	if err != nil {
		t.Fatalf("connect to firefox BiDi at %s: %v", u, err)
	}
	f.bidi = b
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{"acceptInsecureCerts": true}}}, &sess); err != nil {
		t.Fatalf("session.new: %v", err)
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := b.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil || len(tree.Contexts) == 0 {
		t.Fatalf("browsingContext.getTree: %v (%d contexts)", err, len(tree.Contexts))
	}
	f.ctx = tree.Contexts[0].Context
	return f
}

// Close ends the BiDi session and Firefox (its whole process group).
func (f *firefox) Close() {
	f.once.Do(func() {
		if f.bidi != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			f.bidi.call(ctx, "browser.close", map[string]any{}, nil)
			cancel()
			f.bidi.close()
		}
		select {
		case <-f.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
			<-f.done
		}
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// installExtension installs the unpacked folder as a temporary add-on.
func (f *firefox) installExtension(t *testing.T, dir string) string {
	t.Helper()
	var res struct {
		Extension string `json:"extension"`
	}
	if err := f.bidi.call(f.ctx30(), "webExtension.install", map[string]any{"extensionData": map[string]any{"type": "path", "path": dir}}, &res); err != nil {
		t.Fatalf("webExtension.install %s: %v", dir, err)
	}
	return res.Extension
}

func (f *firefox) ctx30() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	go func() { <-ctx.Done(); cancel() }()
	return ctx
}

// navigate loads url in the test tab and waits for the load event.
func (f *firefox) navigate(t *testing.T, url string) {
	t.Helper()
	if err := f.bidi.call(f.ctx30(), "browsingContext.navigate", map[string]any{"context": f.ctx, "url": url, "wait": "complete"}, nil); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression in the test tab (awaiting a
// promise) and decodes its JSON-serialised result into out.
func (f *firefox) eval(t *testing.T, expr string, out any) {
	t.Helper()
	if err := f.evalErr(expr, out); err != nil {
		t.Fatalf("evaluate %q: %v", expr, err)
	}
}

func (f *firefox) evalErr(expr string, out any) error {
	var res struct {
		Type             string `json:"type"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	}
	err := f.bidi.call(f.ctx30(), "script.evaluate", map[string]any{
		"expression":   "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":       map[string]any{"context": f.ctx},
		"awaitPromise": true,
	}, &res)
	if err != nil {
		return err
	}
	if res.Type == "exception" {
		msg := "exception"
		if res.ExceptionDetails != nil {
			msg = res.ExceptionDetails.Text
		}
		return errors.New(msg)
	}
	if out == nil {
		return nil
	}
	var s string
	if err := json.Unmarshal(res.Result.Value, &s); err != nil {
		return fmt.Errorf("result is not a string: %s", res.Result.Value)
	}
	return json.Unmarshal([]byte(s), out)
}

// screenshot saves the test tab as dir/name.png.
func (f *firefox) screenshot(t *testing.T, dir, name string) string {
	t.Helper()
	var res struct {
		Data string `json:"data"`
	}
	if err := f.bidi.call(f.ctx30(), "browsingContext.captureScreenshot", map[string]any{"context": f.ctx}, &res); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	return p
}

// bidiCookie is a cookie as BiDi's storage.getCookies reports it.
type bidiCookie struct {
	Name  string `json:"name"`
	Value struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"value"`
	Domain   string   `json:"domain"`
	Path     string   `json:"path"`
	HTTPOnly bool     `json:"httpOnly"`
	Secure   bool     `json:"secure"`
	SameSite string   `json:"sameSite"`
	Expiry   *float64 `json:"expiry"`
	// Partition is the top-level site the cookie is partitioned under ("" for
	// none); set by cookies() from the partition it was read from.
	Partition string `json:"-"`
}

// cookies returns what Firefox holds: the unpartitioned cookies of a user
// context ("default", or a container's BiDi id), plus those partitioned
// under each of the given top-level sites.
func (f *firefox) cookies(t *testing.T, userContext string, topLevelSites ...string) []bidiCookie {
	t.Helper()
	get := func(partition map[string]any) []bidiCookie {
		var res struct {
			Cookies      []bidiCookie   `json:"cookies"`
			PartitionKey map[string]any `json:"partitionKey"`
		}
		if err := f.bidi.call(f.ctx30(), "storage.getCookies", map[string]any{"partition": partition}, &res); err != nil {
			t.Fatalf("storage.getCookies %v: %v", partition, err)
		}
		return res.Cookies
	}
	out := get(map[string]any{"type": "storageKey", "userContext": userContext})
	for _, site := range topLevelSites {
		for _, c := range get(map[string]any{"type": "storageKey", "userContext": userContext, "sourceOrigin": site}) {
			c.Partition = site
			out = append(out, c)
		}
	}
	return out
}

// bidi is a minimal WebDriver BiDi client: commands with ids, replies
// matched to them, events dropped (the tests poll state instead).
type bidi struct {
	c       *websocket.Conn
	mu      sync.Mutex
	next    int
	pending map[int]chan bidiReply
	closed  chan struct{}
	err     error
}

type bidiReply struct {
	Type    string          `json:"type"`
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

func dialBiDi(ctx context.Context, url string) (*bidi, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20) // screenshots
	b := &bidi{c: c, pending: map[int]chan bidiReply{}, closed: make(chan struct{})}
	go b.readLoop()
	return b, nil
}

func (b *bidi) readLoop() {
	defer close(b.closed)
	for {
		_, data, err := b.c.Read(context.Background())
		if err != nil {
			b.mu.Lock()
			b.err = err
			b.mu.Unlock()
			return
		}
		var r bidiReply
		if json.Unmarshal(data, &r) != nil || r.ID == nil {
			continue // an event
		}
		b.mu.Lock()
		ch := b.pending[*r.ID]
		delete(b.pending, *r.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

func (b *bidi) call(ctx context.Context, method string, params, result any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan bidiReply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := b.c.Write(ctx, websocket.MessageText, msg); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, r.Error, r.Message)
		}
		if result != nil && len(r.Result) > 0 {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-b.closed:
		return fmt.Errorf("%s: connection closed: %v", method, b.err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *bidi) close() { b.c.Close(websocket.StatusNormalClosure, "") }

// tab opens a new tab in a user context (a container) and returns a handle
// on it that shares the BiDi session.
func (f *firefox) tab(t *testing.T, userContext string) *firefox {
	t.Helper()
	var res struct {
		Context string `json:"context"`
	}
	if err := f.bidi.call(f.ctx30(), "browsingContext.create", map[string]any{"type": "tab", "userContext": userContext}, &res); err != nil {
		t.Fatalf("browsingContext.create in %s: %v", userContext, err)
	}
	return &firefox{cmd: f.cmd, profile: f.profile, bidi: f.bidi, ctx: res.Context, done: f.done}
}

// userContexts lists the BiDi user context ids (containers included).
func (f *firefox) userContexts(t *testing.T) []string {
	t.Helper()
	var res struct {
		UserContexts []struct {
			UserContext string `json:"userContext"`
		} `json:"userContexts"`
	}
	if err := f.bidi.call(f.ctx30(), "browser.getUserContexts", map[string]any{}, &res); err != nil {
		t.Fatalf("browser.getUserContexts: %v", err)
	}
	var out []string
	for _, u := range res.UserContexts {
		out = append(out, u.UserContext)
	}
	return out
}

// openExtensionPage loads one of the extension's own pages (moz-extension://)
// in this tab. BiDi refuses to navigate content to such URLs, so the load is
// started from the browser window's chrome context, with the system
// principal, the way a click in Firefox's own UI would (needs SystemAccess).
func (f *firefox) openExtensionPage(t *testing.T, url string) {
	t.Helper()
	if err := f.bidi.call(f.ctx30(), "browsingContext.activate", map[string]any{"context": f.ctx}, nil); err != nil {
		t.Fatalf("activate tab: %v", err)
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
			URL     string `json:"url"`
		} `json:"contexts"`
	}
	if err := f.bidi.call(f.ctx30(), "browsingContext.getTree", map[string]any{"moz:scope": "chrome", "maxDepth": 0}, &tree); err != nil {
		t.Fatalf("chrome contexts (is SystemAccess set?): %v", err)
	}
	win := ""
	for _, c := range tree.Contexts {
		if c.URL == "chrome://browser/content/browser.xhtml" {
			win = c.Context
		}
	}
	if win == "" {
		t.Fatal("no browser window among the chrome contexts")
	}
	expr := `gBrowser.selectedBrowser.fixupAndLoadURIString(` + jsString(url) + `, {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()})`
	var res struct {
		Type             string `json:"type"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := f.bidi.call(f.ctx30(), "script.evaluate", map[string]any{"expression": expr, "target": map[string]any{"context": win}, "awaitPromise": false}, &res); err != nil {
		t.Fatalf("load %s from chrome: %v", url, err)
	}
	if res.Type == "exception" {
		t.Fatalf("load %s from chrome: %+v", url, res.ExceptionDetails)
	}
	eventually(t, 20*time.Second, "the tab shows "+url, func() bool {
		var href string
		return f.evalErr(`document.readyState === 'complete' ? location.href : ''`, &href) == nil && href == url
	})
}
