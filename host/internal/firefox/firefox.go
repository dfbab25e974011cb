// Package firefox (test and bench only) starts a real headless Firefox (Debian's firefox-esr) for
// the end-to-end tests and the benchmarks, and drives it with WebDriver
// BiDi, the protocol Firefox speaks on --remote-debugging-port (it no longer
// speaks CDP). The BiDi client is a few commands over
// github.com/coder/websocket, a small maintained websocket library without
// dependencies of its own: chromedp talks to Chromium over a pipe and ships
// no reusable websocket client, and golang.org/x/net/websocket is frozen
// (no close handshake, no read limit).
package firefox

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
	"time"

	"github.com/coder/websocket"
)

// GeckoID is the authbridge extension's Firefox id.
const GeckoID = "authbridge@authbridge.dev"

// ExtensionUUID is the moz-extension:// host of the extension in profiles
// Launch makes (pinned with the extensions.webextensions.uuids pref), so the
// popup's URL is known.
const ExtensionUUID = "7d0f6ac2-4c1b-4b36-9d84-2e5b6a1c0f11"

// PopupURL is the extension's popup page in profiles Launch makes.
const PopupURL = "moz-extension://" + ExtensionUUID + "/popup.html"

// ErrNotFound is returned when no Firefox executable can be found.
var ErrNotFound = errors.New("no Firefox found (firefox-esr or firefox on PATH; Debian: apt-get install firefox-esr)")

// FindExecutable returns $AUTHBRIDGE_FIREFOX, else firefox-esr or firefox on PATH.
func FindExecutable() (string, error) {
	if p := os.Getenv("AUTHBRIDGE_FIREFOX"); p != "" {
		return p, nil
	}
	for _, n := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// Options describe one Firefox.
type Options struct {
	ExecPath string // "" finds one
	Profile  string // required: the profile folder (created when missing)
	Env      []string
	// Hosts are resolved to 127.0.0.1 (network.dns.localDomains).
	Hosts []string
	// Prefs are extra user.js lines.
	Prefs []string
	// SystemAccess lets BiDi reach chrome (browser UI) contexts, from
	// which OpenExtensionPage loads moz-extension:// pages: content
	// contexts may not navigate to them.
	SystemAccess bool
	Output       io.Writer // Firefox's stdout and stderr (nil: discarded)
}

// Browser is one running Firefox with a BiDi session. Tab is the
// top-level browsing context Launch found; NewTab opens others.
type Browser struct {
	cmd  *exec.Cmd
	bidi *bidi
	done chan struct{}
	once sync.Once
	Tab  *Tab
}

// Tab is one top-level browsing context.
type Tab struct {
	b  *Browser
	ID string
}

// Launch starts Firefox headless with a BiDi session.
func Launch(ctx context.Context, o Options) (*Browser, error) {
	exe := o.ExecPath
	if exe == "" {
		var err error
		if exe, err = FindExecutable(); err != nil {
			return nil, err
		}
	}
	uuids, _ := json.Marshal(map[string]string{GeckoID: ExtensionUUID})
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
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Profile, "user.js"), []byte(strings.Join(prefs, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	args := []string{"--headless", "--no-remote", "--profile", o.Profile, "--remote-debugging-port", "0"}
	if o.SystemAccess {
		args = append(args, "-remote-allow-system-access")
	}
	cmd := exec.Command(exe, append(args, "about:blank")...)
	cmd.Env = append(append(os.Environ(), o.Env...), "MOZ_CRASHREPORTER_DISABLE=1")
	newProcessGroup(cmd)
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start firefox: %w", err)
	}
	b := &Browser{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); pw.Close(); close(b.done) }()
	wsURL := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case wsURL <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	var u string
	select {
	case u = <-wsURL:
	case <-b.done:
		return nil, errors.New("firefox exited before opening its BiDi port")
	case <-time.After(60 * time.Second):
		b.Close()
		return nil, errors.New("firefox did not open its BiDi port within 60s")
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	if b.bidi, err = dial(cctx, strings.TrimSuffix(u, "/")+"/session"); err != nil {
		b.Close()
		return nil, fmt.Errorf("connect to firefox BiDi at %s: %w", u, err)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{"acceptInsecureCerts": true}}}
	if err := b.Call(cctx, "session.new", caps, nil); err != nil {
		b.Close()
		return nil, err
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := b.Call(cctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil || len(tree.Contexts) == 0 {
		b.Close()
		return nil, fmt.Errorf("browsingContext.getTree: %v (%d contexts)", err, len(tree.Contexts))
	}
	b.Tab = &Tab{b: b, ID: tree.Contexts[0].Context}
	return b, nil
}

// Close ends the session and Firefox (its whole process group).
func (b *Browser) Close() {
	b.once.Do(func() {
		if b.bidi != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			b.Call(ctx, "browser.close", map[string]any{}, nil)
			cancel()
			b.bidi.close()
		}
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			killGroup(b.cmd)
			<-b.done
		}
	})
}

// Call sends one BiDi command and decodes its result into result (nil: dropped).
func (b *Browser) Call(ctx context.Context, method string, params, result any) error {
	return b.bidi.call(ctx, method, params, result)
}

// InstallExtension installs an unpacked folder as a temporary add-on and
// returns its id.
func (b *Browser) InstallExtension(ctx context.Context, dir string) (string, error) {
	var res struct {
		Extension string `json:"extension"`
	}
	err := b.Call(ctx, "webExtension.install", map[string]any{"extensionData": map[string]any{"type": "path", "path": dir}}, &res)
	return res.Extension, err
}

// NewTab opens a tab in a user context ("default", or a container's BiDi id).
func (b *Browser) NewTab(ctx context.Context, userContext string) (*Tab, error) {
	var res struct {
		Context string `json:"context"`
	}
	if err := b.Call(ctx, "browsingContext.create", map[string]any{"type": "tab", "userContext": userContext}, &res); err != nil {
		return nil, err
	}
	return &Tab{b: b, ID: res.Context}, nil
}

// UserContexts lists the BiDi user context ids (containers included).
func (b *Browser) UserContexts(ctx context.Context) ([]string, error) {
	var res struct {
		UserContexts []struct {
			UserContext string `json:"userContext"`
		} `json:"userContexts"`
	}
	if err := b.Call(ctx, "browser.getUserContexts", map[string]any{}, &res); err != nil {
		return nil, err
	}
	var out []string
	for _, u := range res.UserContexts {
		out = append(out, u.UserContext)
	}
	return out, nil
}

// Cookie is a cookie as BiDi's storage.getCookies reports it.
type Cookie struct {
	Name  string `json:"name"`
	Value struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"value"`
	Domain   string   `json:"domain"`
	Path     string   `json:"path"`
	HTTPOnly bool     `json:"httpOnly"`
	Secure   bool     `json:"secure"`
	SameSite string   `json:"sameSite"` // strict, lax, none or default (no attribute)
	Expiry   *float64 `json:"expiry"`   // seconds; nil for a session cookie
}

// Cookies returns what Firefox holds in a user context. Without a
// sourceOrigin BiDi returns the cookies of every partition; with one
// ("https://news.test"), those a page of that top-level site sees,
// partitioned ones included.
func (b *Browser) Cookies(ctx context.Context, userContext, sourceOrigin string) ([]Cookie, error) {
	partition := map[string]any{"type": "storageKey", "userContext": userContext}
	if sourceOrigin != "" {
		partition["sourceOrigin"] = sourceOrigin
	}
	var res struct {
		Cookies []Cookie `json:"cookies"`
	}
	err := b.Call(ctx, "storage.getCookies", map[string]any{"partition": partition}, &res)
	return res.Cookies, err
}

// Navigate loads url and waits for the load event.
func (t *Tab) Navigate(ctx context.Context, url string) error {
	return t.b.Call(ctx, "browsingContext.navigate", map[string]any{"context": t.ID, "url": url, "wait": "complete"}, nil)
}

// Eval evaluates a JavaScript expression in the tab (awaiting a promise)
// and decodes its JSON-serialised result into out (nil: dropped).
func (t *Tab) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Type             string `json:"type"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	}
	err := t.b.Call(ctx, "script.evaluate", map[string]any{
		"expression":   "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":       map[string]any{"context": t.ID},
		"awaitPromise": true,
	}, &res)
	if err != nil {
		return err
	}
	if res.Type == "exception" {
		if res.ExceptionDetails != nil {
			return errors.New(res.ExceptionDetails.Text)
		}
		return errors.New("exception")
	}
	if out == nil {
		return nil
	}
	var s string
	if err := json.Unmarshal(res.Result.Value, &s); err != nil {
		return fmt.Errorf("result is not a string (%d bytes of JSON; not shown, it may hold page data)", len(res.Result.Value))
	}
	return json.Unmarshal([]byte(s), out)
}

// Click clicks the centre of the first element matching a CSS selector with
// the pointer (input.performActions), as a user's click is: the page sees
// user input, which some APIs require (permissions.request).
func (t *Tab) Click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	var at struct{ X, Y float64 }
	if err := t.Eval(ctx, `(() => { const r = document.querySelector(`+string(sel)+`).getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2}; })()`, &at); err != nil {
		return fmt.Errorf("find %s: %w", selector, err)
	}
	return t.b.Call(ctx, "input.performActions", map[string]any{
		"context": t.ID,
		"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"},
			"actions": []any{
				map[string]any{"type": "pointerMove", "x": int(at.X), "y": int(at.Y)},
				map[string]any{"type": "pointerDown", "button": 0},
				map[string]any{"type": "pointerUp", "button": 0},
			},
		}},
	}, nil)
}

// SetViewport sets the tab's viewport size in CSS pixels.
func (t *Tab) SetViewport(ctx context.Context, width, height int) error {
	return t.b.Call(ctx, "browsingContext.setViewport", map[string]any{"context": t.ID, "viewport": map[string]any{"width": width, "height": height}}, nil)
}

// Screenshot returns a PNG of the tab.
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := t.b.Call(ctx, "browsingContext.captureScreenshot", map[string]any{"context": t.ID}, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}

// OpenExtensionPage loads one of the extension's own pages (moz-extension://)
// in the tab and waits until it has loaded. BiDi refuses to navigate content
// to such URLs, so the load is started from the browser window's chrome
// context with the system principal, as a click in Firefox's own UI would
// (needs Options.SystemAccess).
func (t *Tab) OpenExtensionPage(ctx context.Context, url string) error {
	if err := t.b.Call(ctx, "browsingContext.activate", map[string]any{"context": t.ID}, nil); err != nil {
		return fmt.Errorf("activate tab: %w", err)
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
			URL     string `json:"url"`
		} `json:"contexts"`
	}
	if err := t.b.Call(ctx, "browsingContext.getTree", map[string]any{"moz:scope": "chrome", "maxDepth": 0}, &tree); err != nil {
		return fmt.Errorf("chrome contexts (is SystemAccess set?): %w", err)
	}
	win := ""
	for _, c := range tree.Contexts {
		if c.URL == "chrome://browser/content/browser.xhtml" {
			win = c.Context
		}
	}
	if win == "" {
		return errors.New("no browser window among the chrome contexts")
	}
	chrome := &Tab{b: t.b, ID: win}
	expr := `(gBrowser.selectedBrowser.fixupAndLoadURIString(` + jsString(url) + `, {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()}), true)`
	if err := chrome.Eval(ctx, expr, nil); err != nil {
		return fmt.Errorf("load %s from chrome: %w", url, err)
	}
	for {
		var href string
		if t.Eval(ctx, `document.readyState === 'complete' ? location.href : ''`, &href) == nil && href == url {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the tab did not show %s: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// bidi is a minimal WebDriver BiDi client: commands with ids, replies
// matched to them, events dropped (callers poll state instead).
type bidi struct {
	c       *websocket.Conn
	mu      sync.Mutex
	next    int
	pending map[int]chan reply
	closed  chan struct{}
	err     error
}

type reply struct {
	Type    string          `json:"type"`
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

func dial(ctx context.Context, url string) (*bidi, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20) // screenshots
	b := &bidi{c: c, pending: map[int]chan reply{}, closed: make(chan struct{})}
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
		var r reply
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
	ch := make(chan reply, 1)
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
		b.mu.Lock()
		err := b.err
		b.mu.Unlock()
		return fmt.Errorf("%s: connection closed: %v", method, err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *bidi) close() { b.c.Close(websocket.StatusNormalClosure, "") }
