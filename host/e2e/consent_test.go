//go:build !windows

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
)

// startConsentBrowser starts a headed Chromium on the display with the
// production extension: no site granted until the user allows it.
func (w *world) startConsentBrowser(d *display, domains ...string) {
	w.t.Helper()
	w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir:       w.udd,
		Extension:         productionExtension,
		Headed:            true,
		HostResolverRules: chromium.HostResolverRules("127.0.0.1", domains...),
		Env:               append([]string{"AUTHBRIDGE_HOME=" + w.home, "DISPLAY=" + d.name}, w.extraEnv...),
		Output:            &w.stderr,
	})
	if err != nil {
		w.t.Fatalf("launch chromium: %v", err)
	}
	w.browser = b
	w.t.Cleanup(b.Close)
	w.waitBridge()
}

// apiCall sends one local API request over the agent's socket and returns
// the status and body.
func (w *world) apiCall(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	res, err := w.apiClient().Do(mustRequest(t, method, path))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b
}

func (w *world) apiClient() *http.Client {
	sock := filepath.Join(w.home, "run", "api.sock")
	if st := w.status(); st.Agent.Socket != "" {
		sock = st.Agent.Socket
	}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
}

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "http://authbridge"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// nodeCookies calls the Node client's cookies(id) and returns what it
// printed: "ok N" (N cookies) or "err CODE STATUS ACTION".
func (w *world) nodeCookies(t *testing.T, id string) string {
	t.Helper()
	script := `const { Client } = require(process.env.CLIENT);
new Client().cookies(process.argv[1]).then(
  (s) => console.log('ok', s.cookies.length),
  (e) => console.log('err', e.code, e.status, e.prompt?.action?.id));`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e", script, id)
	cmd.Env = append(w.env(), "CLIENT="+filepath.Join(repoRoot, "clients", "node"), "AUTHBRIDGE_BIN="+binPath)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// rowOf returns a connector's status row.
func (w *world) rowOf(t *testing.T, id string) apitype.StatusRow {
	t.Helper()
	for _, r := range w.status().Connectors {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no status row for %s", id)
	return apitype.StatusRow{}
}

// allowInPopup clicks the row's allow_access button and accepts the
// browser's permission prompt as a user would with the keyboard: in
// Chromium the prompt's default button is Deny, so Tab then Return. The
// prompt shows a moment after the click; keys pressed before it reach the
// popup page, whose only button (the one clicked) is disabled meanwhile,
// so they do nothing; a prompt answered Deny (it showed between the two
// keys) re-enables the button, which is then clicked again.
func allowInPopup(t *testing.T, w *world, d *display, ctx context.Context, id, shot string) {
	t.Helper()
	sel := fmt.Sprintf(`%s [data-action="allow_access"]`, rowSel(id))
	deadline := time.Now().Add(120 * time.Second)
	for attempt := 1; ; attempt++ {
		if time.Now().After(deadline) {
			t.Fatalf("the grant of %s did not happen within 120 s (%d attempts)", id, attempt-1)
		}
		enabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector(%q) && !document.querySelector(%q).disabled`, sel, sel)))
		before := d.frame()
		if err == nil && enabled {
			click(t, ctx, id, "allow_access")
			// The button says it waits for the browser; then the prompt
			// draws over the page with its scrim: a fifth of the screen
			// changes at least.
			busy := fmt.Sprintf(`%s[aria-busy="true"]`, sel)
			bctx, bcancel := context.WithTimeout(ctx, 20*time.Second)
			chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(busy)))
			bcancel()
		}
		if !d.waitChange(before, 0.2, 20*time.Second) {
			t.Logf("attempt %d: no prompt seen drawing within 20 s; pressing the keys anyway", attempt)
		}
		if shot != "" {
			d.screenshot(t, shot)
			shot = ""
		}
		d.xdotool("key", "Tab")
		d.xdotool("key", "Return")
		if eventually2(5*time.Second, func() bool { return w.rowOf(t, id).Access == apitype.AccessGranted }) {
			return
		}
	}
}

// eventually2 polls cond until it holds or the timeout passes, and says
// which.
func eventually2(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// TestConsentInChromium: a connector dropped into the connectors folder for
// a signed-in site gets access_not_granted from the CLI, the API and the
// Node client, and nothing of its cookies leaves the browser; one click on
// its row's allow_access button and the browser's prompt accepted, the
// next call returns the cookies; remove_access makes the next call
// access_not_granted and ends an open stream.
func TestConsentInChromium(t *testing.T) {
	d := startDisplay(t)
	w, _, base := demoWorld(t)
	w.startConsentBrowser(d, "demo.test")
	tab, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	signInTab(t, tab, strings.Replace(base, "127.0.0.1", "demo.test", 1)+"/login", true)
	sid := browserSID(t, w.browser.Ctx)
	if sid == "" {
		t.Fatal("no sid cookie in the browser after signing in")
	}

	// Not granted: every path refuses, naming the one next action.
	out, errOut, code := w.run("", "cookies", "demo")
	if code == 0 || !strings.Contains(errOut, "Allow in the authbridge popup") || strings.Contains(out+errOut, sid) {
		t.Fatalf("authbridge cookies demo before the grant: exit %d, stderr %q; want non-zero and the allow sentence", code, errOut)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/connectors/demo/cookies"},
		{"GET", "/v1/connectors/demo/cookies/stream"},
		{"POST", "/v1/connectors/demo/refresh"},
	} {
		status, body := w.apiCall(t, c.method, c.path)
		var e apitype.ErrorBody
		json.Unmarshal(body, &e)
		if status != http.StatusForbidden || e.Error == nil || e.Error.Code != apitype.CodeAccessNotGranted || e.Error.Prompt == nil || e.Error.Prompt.Action.ID != "allow_access" {
			t.Errorf("%s %s before the grant: HTTP %d %s; want 403 access_not_granted with the allow_access prompt", c.method, c.path, status, body)
		}
		if strings.Contains(string(body), sid) {
			t.Errorf("%s %s answered a cookie value", c.method, c.path)
		}
	}
	if got := w.nodeCookies(t, "demo"); got != "err access_not_granted 403 allow_access" {
		t.Errorf("Node client before the grant: %q, want err access_not_granted 403 allow_access", got)
	}
	runnerRefusedBeforeGrant(t, w, strings.Replace(base, "127.0.0.1", "demo.test", 1), sid)
	row := w.rowOf(t, "demo")
	if row.Access != apitype.AccessNotGranted || row.HealthKey != "needs_attention" || row.Prompt.Action.ID != "allow_access" {
		t.Errorf("row before the grant: access %q, health %q, action %q; want not_granted, needs_attention, allow_access", row.Access, row.HealthKey, row.Prompt.Action.ID)
	}
	if st := w.status(); len(st.Bridges) == 0 || st.Bridges[0].Index == nil || st.Bridges[0].Index.Indexed != 0 {
		t.Errorf("the extension indexed cookies of a site not granted: %+v", st.Bridges)
	}

	// The popup: the row awaits access, with one primary button.
	dir := outDir(t, "consent")
	ctx := w.popup(t)
	waitHealth(t, ctx, "demo", "needs_attention")
	buttons, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('%s button')].map(b => b.dataset.action)`, rowSel("demo"))))
	if err != nil || len(buttons) != 1 || buttons[0] != "allow_access" {
		t.Errorf("buttons of a row awaiting access: %v (%v), want only allow_access", buttons, err)
	}
	if txt := rowText(t, ctx, "demo"); !strings.Contains(txt, "demo.test") {
		t.Errorf("the row does not name the domains it will grant: %q", txt)
	}
	screenshot(t, ctx, dir, "popup-awaiting-access")
	allowInPopup(t, w, d, ctx, "demo", filepath.Join(dir, "chromium-prompt.png"))

	// Granted: the next call answers the cookies.
	eventually(t, 20*time.Second, "the cookies are answered after the grant", func() bool {
		out, _, code := w.run("", "cookies", "demo")
		return code == 0 && strings.Contains(out, `"sid"`)
	})
	if got := w.nodeCookies(t, "demo"); !strings.HasPrefix(got, "ok ") || got == "ok 0" {
		t.Errorf("Node client after the grant: %q, want ok and some cookies", got)
	}
	waitHealthNot(t, ctx, "demo")
	// Who took it: the Node client's process, named by its executable.
	var log apitype.AccessLog
	if err := json.Unmarshal([]byte(w.must("access", "demo", "--json")), &log); err != nil || len(log.Connectors) != 1 {
		t.Fatalf("authbridge access demo --json: %v %+v", err, log)
	}
	named := false
	for _, c := range log.Connectors[0].Callers {
		if filepath.Base(c.Caller.Executable) == "node" && strings.Contains(c.Caller.Cmdline, "node -e") {
			named = true
		}
	}
	if !named || log.Connectors[0].Access != apitype.AccessGranted {
		t.Errorf("authbridge access demo names no node caller (or access is not granted): %+v", log.Connectors[0])
	}
	if txt := w.must("access", "demo"); !strings.Contains(txt, "node") {
		t.Errorf("authbridge access demo does not name node:\n%s", txt)
	}
	// A release is not pushed to the popup; opening it again reads it.
	lctx, lcancel := context.WithTimeout(ctx, 20*time.Second)
	if err := chromedp.Do(lctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(rowSel("demo")+` [data-last-release="node"]`))); err != nil {
		t.Errorf("the popup does not name node as the last taker: %v\n%s", err, rowText(t, ctx, "demo"))
	}
	lcancel()
	screenshot(t, ctx, dir, "popup-granted")

	// An open stream, then remove_access: the next call is refused and the
	// stream ends.
	events := openDemoStream(t, w)
	click(t, ctx, "demo", "remove_access")
	removed := time.Now()
	var refusedAfter time.Duration
	eventually(t, 10*time.Second, "the next call is refused after remove_access", func() bool {
		_, errOut, code := w.run("", "cookies", "demo")
		if code != 0 && strings.Contains(errOut, "Allow in the authbridge popup") {
			refusedAfter = time.Since(removed)
			return true
		}
		return false
	})
	waitStreamEnds(t, events)
	t.Logf("remove_access: the next call was refused %v after the click (a CLI run included)", refusedAfter.Round(time.Millisecond))
	waitHealth(t, ctx, "demo", "needs_attention")
	assertNoLeaks(t, w, []string{sid})
	if strings.Contains(w.stderr.String(), sid) {
		t.Error("a cookie value appears in what the browser and host printed")
	}
}

// openDemoStream opens the demo connector's cookie stream and returns its
// event names; the first, read here, must be cookies.
func openDemoStream(t *testing.T, w *world) <-chan string {
	t.Helper()
	res, err := w.apiClient().Do(mustRequest(t, "GET", "/v1/connectors/demo/cookies/stream"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("open the stream after the grant: %v %v", err, res)
	}
	t.Cleanup(func() { res.Body.Close() })
	events := make(chan string, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				events <- strings.TrimPrefix(sc.Text(), "event: ")
			}
		}
	}()
	if ev := <-events; ev != "cookies" {
		t.Fatalf("the stream's first event is %q, want cookies", ev)
	}
	return events
}

// waitStreamEnds waits for a stream whose grant was removed to end, its
// last event an error (access_not_granted).
func waitStreamEnds(t *testing.T, events <-chan string) {
	t.Helper()
	var last string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				if last != "error" {
					t.Errorf("the stream's last event is %q, want error (access_not_granted)", last)
				}
				return
			}
			last = ev
		case <-timeout:
			t.Fatal("the open stream did not end within 30 s of the grant's removal")
		}
	}
}

// runnerRefusedBeforeGrant runs the drop-in runner on the demo connector
// (a script named after it) while the browser does not grant demo.test:
// the run ends as a precise auth failure naming access_not_granted and its
// allow_access action, and no cookie value reaches its output.
func runnerRefusedBeforeGrant(t *testing.T, w *world, site, sid string) {
	t.Helper()
	// A script that asks for a sign-in when signed out, as real connectors do.
	r, script := runnerOnTestScript(t, w, "account-escalate.js", "demo", "demo.test")
	defer r.close()
	id := "consent-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	r.send(map[string]any{"type": "run", "runId": id, "connectorPath": script, "url": site + "/account", "headless": true, "allowHeaded": false})
	c := classificationOf(r.result(id, 3*time.Minute))
	debug, _ := c["debug"].(map[string]any)
	prompt, _ := debug["prompt"].(map[string]any)
	action, _ := prompt["action"].(map[string]any)
	if c["errorClass"] != "auth_failed" || debug["code"] != "access_not_granted" || action["id"] != "allow_access" {
		t.Errorf("the runner before the grant: classification %v; want auth_failed, access_not_granted and the allow_access action\n%s", c, r.dump())
	}
	if strings.Contains(r.dump(), sid) {
		t.Errorf("a cookie value appears in the runner's output")
	}
}

// waitHealthNot waits until the popup's row no longer awaits access.
func waitHealthNot(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	sel := fmt.Sprintf(`%s [data-action="remove_access"]`, rowSel(id))
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("the popup row %s does not offer remove_access after the grant: %v\n%s", id, err, rowText(t, ctx, id))
	}
}

// TestConsentInFirefox: the same in Firefox ESR with the production
// extension. Firefox's own permission prompt is accepted by its test
// preference (extensions.webextOptionalPermissionPrompts off), so the
// click in the popup (real pointer input, which permissions.request
// needs) grants the site; remove_access takes it back.
func TestConsentInFirefox(t *testing.T) {
	w, _, _, _ := ffDemoWorld(t, false)
	w.ext = productionExtension
	w.extraPrefs = append(w.extraPrefs, `user_pref("extensions.webextOptionalPermissionPrompts", false);`)
	w.start("demo.test")
	def := w.rowOf(t, "demo")
	ffSignInDemo(t, w.ff, def.LoginURL)
	sid := w.sid()
	if sid == "" {
		t.Fatal("no sid cookie in Firefox after signing in")
	}
	_, errOut, code := w.run("", "cookies", "demo")
	if code == 0 || !strings.Contains(errOut, "Allow in the authbridge popup") {
		t.Fatalf("authbridge cookies demo before the grant: exit %d, %q; want non-zero and the allow sentence", code, errOut)
	}
	if status, body := w.apiCall(t, "GET", "/v1/connectors/demo/cookies"); status != http.StatusForbidden || !strings.Contains(string(body), `"access_not_granted"`) || strings.Contains(string(body), sid) {
		t.Errorf("GET cookies before the grant: HTTP %d %s; want 403 access_not_granted", status, body)
	}
	if got := w.nodeCookies(t, "demo"); got != "err access_not_granted 403 allow_access" {
		t.Errorf("Node client before the grant: %q", got)
	}

	popup := w.ff.tab2(t, "default")
	popup.setViewport(t, 400, 760)
	popup.openExtensionPage(t, ffPopupURL)
	ffWaitHealth(t, popup, "demo", "needs_attention")
	shots := outDir(t, "consent")
	popup.screenshot(t, shots, "firefox-awaiting-access")
	if err := popup.tab.Click(popup.ctx30(), rowSel("demo")+` [data-action="allow_access"]`); err != nil {
		t.Fatalf("click allow_access: %v", err)
	}
	eventually(t, 30*time.Second, "the cookies are answered after the grant", func() bool {
		out, _, code := w.run("", "cookies", "demo")
		return code == 0 && strings.Contains(out, `"sid"`)
	})
	if r := w.rowOf(t, "demo"); r.Access != apitype.AccessGranted {
		t.Errorf("row after the grant: access %q, want granted", r.Access)
	}

	events := openDemoStream(t, w.world)
	popup.eval(t, `(document.querySelector('[data-connector-id="demo"] [data-action="remove_access"]').click(), true)`, nil)
	removed := time.Now()
	eventually(t, 10*time.Second, "the next call is refused after remove_access", func() bool {
		_, errOut, code := w.run("", "cookies", "demo")
		return code != 0 && strings.Contains(errOut, "Allow in the authbridge popup")
	})
	t.Logf("Firefox remove_access: refused %v after the click (a CLI run included)", time.Since(removed).Round(time.Millisecond))
	waitStreamEnds(t, events)
	ffWaitHealth(t, popup, "demo", "needs_attention")
	assertNoLeaks(t, w.world, []string{sid})
}
