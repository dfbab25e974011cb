//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/demosite"
)

const popupURL = "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/popup.html"

// outDir is where end-to-end tests leave screenshots: $AUTHBRIDGE_E2E_OUT,
// or out/e2e at the top of the repository.
func outDir(t *testing.T, name string) string {
	t.Helper()
	base := os.Getenv("AUTHBRIDGE_E2E_OUT")
	if base == "" {
		base = filepath.Join(repoRoot, "out", "e2e")
	}
	dir := filepath.Join(base, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// docsDir is where a test puts a picture the docs show: the repository's
// folder when AUTHBRIDGE_UPDATE_PICTURES is set (make pictures), else the
// test's output folder, so that a test run leaves the checkout unchanged.
func docsDir(t *testing.T, repoDir, name string) string {
	t.Helper()
	if os.Getenv("AUTHBRIDGE_UPDATE_PICTURES") != "" {
		return filepath.Join(repoRoot, repoDir)
	}
	return outDir(t, name)
}

// demoWorld starts the demo site and a world whose connectors are the demo
// site's, with the verify probes pointed at it.
func demoWorld(t *testing.T, env ...string) (*world, *demosite.Site, string) {
	t.Helper()
	site := demosite.New(demosite.Options{})
	base, err := site.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(site.Close)
	u, _ := url.Parse(base)
	w := newWorld(t)
	w.siteBase = base
	w.extraEnv = append([]string{"AUTHBRIDGE_RESOLVE=*:" + u.Port() + ":127.0.0.1"}, env...)
	def := site.Definition(base)
	w.writeConnector(map[string]any{
		"id": def.ID, "name": def.Name, "domains": def.Domains, "auth_cookies": def.AuthCookies,
		"login_url": def.LoginURL, "verify": def.Verify,
	})
	return w, site, base
}

// popup opens the extension's popup page in its own tab, popup-sized.
func (w *world) popup(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(w.browser.Ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 760), chromedp.Navigate(popupURL)); err != nil {
		t.Fatalf("open the popup: %v", err)
	}
	return ctx
}

func rowSel(id string) string { return fmt.Sprintf(`[data-connector-id=%q]`, id) }

// waitHealth waits until the popup shows the connector's row in a state.
func waitHealth(t *testing.T, ctx context.Context, id, health string) {
	t.Helper()
	sel := fmt.Sprintf(`%s[data-health=%q]`, rowSel(id), health)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.dataset.health || "no row"`, rowSel(id))))
		t.Fatalf("popup row %s did not become %s (it is %s): %v", id, health, got, err)
	}
}

// click clicks one of a row's action buttons once it is enabled. A row can
// already show an action's outcome (pushed by the host as status.changed)
// while that action's own answer is still on its way and the row's buttons
// are still disabled; a click then would be lost.
func click(t *testing.T, ctx context.Context, id, action string) {
	t.Helper()
	sel := fmt.Sprintf(`%s [data-action=%q]:not([disabled])`, rowSel(id), action)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// An action other than the row's primary one is in its "More actions"
	// menu: open it first, as a person would.
	openMenu := fmt.Sprintf(`(() => { const d = document.querySelector(%q)?.closest("details"); if (d && !d.open) d.querySelector("summary").click(); })()`,
		fmt.Sprintf(`%s [data-action=%q]`, rowSel(id), action))
	if _, err := chromedp.Run(cctx, chromedp.Evaluate[any](openMenu)); err != nil {
		t.Fatalf("open the menu of %s: %v", id, err)
	}
	if err := chromedp.Do(cctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s on %s: %v", action, id, err)
	}
}

func rowText(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.innerText || ""`, rowSel(id))))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	// Let the row's transition settle before the picture.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signInTab signs in on the demo site in a tab of the user's browser.
func signInTab(t *testing.T, ctx context.Context, loginURL string, navigate bool) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{}
	if navigate {
		steps = append(steps, chromedp.Navigate(loginURL))
	}
	steps = append(steps,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), demosite.DefaultPassword),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("account-name")),
	)
	if err := chromedp.Do(sctx, steps...); err != nil {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		where, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`location.href + " :: " + document.body.innerText.slice(0, 300)`))
		t.Fatalf("sign in on the demo site: %v (the tab shows %q)", err, where)
	}
}

func TestPopupControlSurface(t *testing.T) {
	// Automatic repair is off here, so each button's effect is its own.
	w, site, base := demoWorld(t, "AUTHBRIDGE_AUTO_REPAIR=off")
	w.startBrowser("demo.test")
	shots := outDir(t, "popup")
	p := w.popup(t)

	waitHealth(t, p, "demo", "unknown")
	screenshot(t, p, shots, "1-unknown")

	// The user signs in on the site in another tab.
	tab, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	signInTab(t, tab, base+"/login", true)

	click(t, p, "demo", "repair")
	waitHealth(t, p, "demo", "healthy")
	screenshot(t, p, shots, "2-repaired-healthy")

	site.ExpireSessions()
	click(t, p, "demo", "verify")
	waitHealth(t, p, "demo", "needs_attention")
	text := rowText(t, p, "demo")
	var st apitype.Status
	json.Unmarshal([]byte(w.must("status", "--json")), &st)
	var prompt string
	for _, c := range st.Connectors {
		if c.ID == "demo" {
			if c.Reason != "SESSION_EXPIRED" {
				t.Errorf("after expiry and verify, reason = %q, want SESSION_EXPIRED", c.Reason)
			}
			prompt = c.Prompt.What
		}
	}
	if prompt == "" || !strings.Contains(text, prompt) {
		t.Errorf("the popup row does not show the host's SESSION_EXPIRED prompt %q; row text:\n%s", prompt, text)
	}
	screenshot(t, p, shots, "3-session-expired")

	// Sign in again: a login tab opens in this browser; signing
	// in there completes the repair with no other click.
	before := pageTargets(t, w)
	click(t, p, "demo", "interactive")
	var loginTab string
	eventually(t, 15*time.Second, "the login tab opens", func() bool {
		for id, u := range pageTargets(t, w) {
			if _, old := before[id]; !old && strings.Contains(u, "/login") {
				loginTab = id
				return true
			}
		}
		return false
	})
	lctx, lcancel := chromedp.NewContext(w.browser.Ctx, chromedp.WithTargetID(targetID(loginTab)))
	defer lcancel()
	signInTab(t, lctx, "", false)
	waitHealth(t, p, "demo", "healthy")
	json.Unmarshal([]byte(w.must("status", "--json")), &st)
	for _, c := range st.Connectors {
		if c.ID == "demo" && c.LastInteractiveLoginAt == nil {
			t.Errorf("the interactive repair did not record the interactive login")
		}
	}
	screenshot(t, p, shots, "4-interactive-healthy")

	// Clear session asks first, then turns the row Unknown.
	click(t, p, "demo", "clear")
	confirm := fmt.Sprintf(`%s [data-action="clear"][data-confirm="true"]`, rowSel("demo"))
	cctx, ccancel := context.WithTimeout(p, 10*time.Second)
	defer ccancel()
	if err := chromedp.Do(cctx, chromedp.WaitVisible(chromedp.CSS(confirm))); err != nil {
		t.Fatalf("clear did not ask for confirmation: %v", err)
	}
	screenshot(t, p, shots, "5-clear-confirm")
	if err := chromedp.Do(cctx, chromedp.Click(chromedp.CSS(confirm))); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, p, "demo", "unknown")
	screenshot(t, p, shots, "6-cleared")
	// The user's own browser cookies are untouched by Clear.
	if c := browserCookies(t, w.browser.Ctx); !hasCookie(c, "sid") {
		t.Errorf("Clear session removed the browser's own sid cookie")
	}
}

func TestPopupTwoConnectorsAndBadge(t *testing.T) {
	w, _, base := demoWorld(t)
	// A second connector on a subdomain: the demo site's session cookie is
	// scoped to demo.test, so it never reaches this one.
	w.writeConnector(map[string]any{
		"id": "demo-shop", "name": "Demo Shop", "domains": []string{"shop.demo.test"}, "auth_cookies": []string{"cart_sid"},
		"login_url": strings.Replace(base, "demo.test", "shop.demo.test", 1) + "/login",
		"verify":    map[string]any{"url": strings.Replace(base, "demo.test", "shop.demo.test", 1) + "/account", "logged_in_selector": "#account-name"},
	})
	w.startBrowser("demo.test")
	p := w.popup(t)
	tab, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	signInTab(t, tab, base+"/login", true)
	// The sign-in heals demo by itself; demo-shop is verified by hand.
	waitHealth(t, p, "demo", "healthy")
	click(t, p, "demo-shop", "verify")
	waitHealth(t, p, "demo-shop", "needs_attention")
	if txt := rowText(t, p, "demo-shop"); !strings.Contains(txt, "Demo Shop") {
		t.Errorf("demo-shop row text lacks its name:\n%s", txt)
	}
	var badge string
	eventually(t, 10*time.Second, "the badge shows 1", func() bool {
		badge, _ = chromedp.Run(p, chromedp.Evaluate[string](`chrome.action.getBadgeText({})`, chromedp.EvalAwaitPromise))
		return badge == "1"
	})
	var st apitype.Status
	json.Unmarshal([]byte(w.must("status", "--json")), &st)
	need := 0
	for _, c := range st.Connectors {
		if c.HealthKey == "needs_attention" {
			need++
		}
	}
	if badge != fmt.Sprint(need) {
		t.Errorf("badge %q, but status has %d connectors needing attention", badge, need)
	}
	screenshot(t, p, outDir(t, "popup"), "7-two-connectors")
	// The picture in the docs: one primary action per row, chosen by its
	// state, the others in a closed menu.
	setMenus := func(open string) {
		t.Helper()
		js := fmt.Sprintf(`document.querySelectorAll("[data-connector-id] details.more").forEach((d) => { const want = d.closest("[data-connector-id]").dataset.connectorId === %q; if (d.open !== want) d.querySelector("summary").click(); })`, open)
		if _, err := chromedp.Run(p, chromedp.Evaluate[any](js)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the menus are set", func() bool {
			n, _ := chromedp.Run(p, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("details.more[open]").length - (%q ? 1 : 0)`, open)))
			return n == 0
		})
	}
	setMenus("")
	screenshot(t, p, docsDir(t, filepath.Join("extension", "docs"), "popup"), "popup")
	if txt := rowText(t, p, "demo") + rowText(t, p, "demo-shop"); regexp.MustCompile(`(?i)headless|interactive|repair from`).MatchString(txt) {
		t.Errorf("the popup shows jargon:\n%s", txt)
	}

	// The dark scheme at 100%, with a menu open: each action says what it does.
	err := chromedp.Do(p, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return chromedp.Void{}, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	setMenus("demo-shop")
	if err := chromedp.Do(p, chromedp.WaitVisible(chromedp.CSS(rowSel("demo-shop")+` .more-items [data-action="clear"]`))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, p, docsDir(t, filepath.Join("extension", "docs"), "popup"), "popup-dark")
	// Every row's menu open, so Tab meets every action.
	if _, err := chromedp.Run(p, chromedp.Evaluate[any](`document.querySelectorAll("details.more:not([open]) > summary").forEach((s) => s.click())`)); err != nil {
		t.Fatal(err)
	}

	// Keyboard: Tab reaches every row's actions, in the rows' order.
	var order []string
	for i := 0; i < 40; i++ {
		if err := chromedp.Do(p, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		got, _ := chromedp.Run(p, chromedp.Evaluate[string](`(() => { const a = document.activeElement; const r = a?.closest("[data-connector-id]"); return r && a.dataset.action ? r.dataset.connectorId + "/" + a.dataset.action : ""; })()`))
		if got != "" && (len(order) == 0 || order[len(order)-1] != got) {
			order = append(order, got)
		}
	}
	for _, want := range []string{"demo/verify", "demo/repair", "demo/interactive", "demo/clear", "demo-shop/verify", "demo-shop/repair", "demo-shop/interactive", "demo-shop/clear"} {
		found := false
		for _, o := range order {
			found = found || o == want
		}
		if !found {
			t.Errorf("Tab never reaches %s; focus order: %v", want, order)
		}
	}

	// 200% zoom and the dark scheme. Chrome caps a popup at 800x600 device
	// pixels, so at 200% it has at most 400x300 CSS pixels: nothing may
	// overflow sideways (the page scrolls down instead).
	err = chromedp.Do(p, chromedp.EmulateViewport(400, 300, chromedp.EmulateScale(2)), chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return chromedp.Void{}, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	overflow, _ := chromedp.Run(p, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`))
	if overflow {
		t.Errorf("at 200%% zoom the popup scrolls sideways")
	}
	dark, _ := chromedp.Run(p, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if dark == "rgb(255, 255, 255)" {
		t.Errorf("in the dark scheme the popup background is still white")
	}
	screenshot(t, p, outDir(t, "popup"), "8-zoom200-dark")
}

func hasCookie(cs []*networkCookie, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// TestInteractiveRepairPreflight is issue 14 item 10: with the browser
// signed in and the connector Needing Attention, Sign in again
// repairs from the live session, opens no tab and turns the row Healthy.
func TestInteractiveRepairPreflight(t *testing.T) {
	w, _, base := demoWorld(t, "AUTHBRIDGE_AUTO_REPAIR=off")
	w.startBrowser("demo.test")
	p := w.popup(t)
	waitHealth(t, p, "demo", "unknown")
	click(t, p, "demo", "verify")
	waitHealth(t, p, "demo", "needs_attention")

	tab, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	signInTab(t, tab, base+"/login", true)
	// Automatic repair is off: the sign-in alone changes nothing.
	if h, _ := w.health("demo"); h != "needs_attention" {
		t.Fatalf("after sign-in with auto-repair off the row is %s, want needs_attention", h)
	}

	before := pageTargets(t, w)
	click(t, p, "demo", "interactive")
	waitHealth(t, p, "demo", "healthy")
	eventually(t, 15*time.Second, "the row says it repaired without a tab", func() bool {
		return strings.Contains(rowText(t, p, "demo"), "without opening a sign-in tab")
	})
	for id, u := range pageTargets(t, w) {
		if _, old := before[id]; !old {
			t.Errorf("Sign in again opened %s although the browser's session works", u)
		}
	}
	var st apitype.Status
	json.Unmarshal([]byte(w.must("status", "--json")), &st)
	for _, c := range st.Connectors {
		if c.ID == "demo" && (c.AwaitingInteractive || c.HealthKey != "healthy") {
			t.Errorf("after the preflight repair: %+v, want healthy and not awaiting a sign-in", c)
		}
	}
}
