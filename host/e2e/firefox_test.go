//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"

	"github.com/authbridge/authbridge/host/demosite"
	gecko "github.com/authbridge/authbridge/host/internal/firefox"
)

// ffWorld is a world whose browser is a real Firefox ESR with the extension
// installed as a temporary add-on and the host registered the way `authbridge
// install --browser firefox` does it (in $HOME/.mozilla/native-messaging-hosts).
type ffWorld struct {
	*world
	ff         *firefox
	extraPrefs []string // user.js lines
	// ext is the extension folder to install; empty: the development copy
	// every test loads (extension).
	ext string
}

func newFirefoxWorld(t *testing.T) *ffWorld {
	t.Helper()
	needFirefox(t)
	base := t.TempDir()
	w := &world{t: t, home: filepath.Join(base, "ab"), userDir: filepath.Join(base, "user"), udd: filepath.Join(base, "profile")}
	for _, d := range []string{w.home, w.userDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(w.stopAgent)
	return &ffWorld{world: w}
}

// start registers the host for Firefox, starts Firefox with hosts mapped to
// 127.0.0.1, installs the extension and waits for its bridge.
func (w *ffWorld) start(hosts ...string) {
	w.t.Helper()
	w.must("install", "--browser", "firefox")
	w.ff = launchFirefox(w.t, firefoxOptions{
		Profile:      w.udd,
		Env:          append([]string{"HOME=" + w.userDir, "AUTHBRIDGE_HOME=" + w.home}, w.extraEnv...),
		Hosts:        hosts,
		Prefs:        w.extraPrefs,
		SystemAccess: true,
		Output:       &w.stderr,
	})
	ext := extension
	if w.ext != "" {
		ext = w.ext
	}
	if id := w.ff.installExtension(w.t, ext); id != geckoID {
		w.t.Fatalf("webExtension.install returned id %q, want %q", id, geckoID)
	}
	w.waitBridge()
}

func TestFirefoxBridgeConnects(t *testing.T) {
	w := newFirefoxWorld(t)
	w.start()
	st := w.status()
	t.Logf("bridges: %+v", st.Bridges)
}

// ffSignIn signs in on the shop in Firefox like a user would.
func ffSignIn(t *testing.T, f *firefox, s *shop) {
	t.Helper()
	f.navigate(t, s.URL("shop.test", "/login"))
	f.eval(t, `(document.getElementById('password').value = 'hunter2', document.getElementById('login-form').submit(), true)`, nil)
	eventually(t, 20*time.Second, "the shop shows the account page", func() bool {
		var path string
		return f.evalErr(`document.getElementById('account-name') ? location.pathname : ''`, &path) == nil && path == "/account"
	})
}

// ffSetAllCookies visits the pages that set the other cookies; the widget's
// partitioned cookie arrives with news.test's iframe.
func ffSetAllCookies(t *testing.T, f *firefox, s *shop) {
	t.Helper()
	for _, u := range []string{s.URL("shop.test", "/set-all"), s.URL("www.shop.test", "/set-www"), s.URL("news.test", "/")} {
		f.navigate(t, u)
	}
	eventually(t, 10*time.Second, "the partitioned cookie is set", func() bool {
		for _, c := range f.cookies(t, "default", "https://news.test") {
			if c.Name == "chip" {
				return true
			}
		}
		return false
	})
}

// ffRef is one cookie as Firefox holds it, read through BiDi.
type ffRef struct {
	bidiCookie
	Session bool
	Expires float64 // seconds; 0 for session cookies
}

// firefoxHolds returns the cookies Firefox holds in a user context, by key.
// BiDi's storage.getCookies without a source origin returns the cookies of
// every partition; a cookie that also shows up when reading news.test's
// partition while its domain is not news.test's is a partitioned
// third-party cookie (Total Cookie Protection and CHIPS keep those under
// the top-level site).
func firefoxHolds(t *testing.T, f *firefox, userContext string) map[string]ffRef {
	t.Helper()
	const news = "https://news.test"
	partitioned := map[string]bool{}
	for _, c := range f.cookies(t, userContext, news) {
		if c.Partition != "" && !inNews(c.Domain) {
			partitioned[c.Name+"|"+c.Domain+"|"+c.Path] = true
		}
	}
	out := map[string]ffRef{}
	for _, c := range f.cookies(t, userContext) {
		r := ffRef{bidiCookie: c, Session: c.Expiry == nil}
		if c.Expiry != nil {
			r.Expires = *c.Expiry
		}
		if partitioned[c.Name+"|"+c.Domain+"|"+c.Path] {
			r.Partition = news
		}
		out[key(r.Name, r.Domain, r.Path, r.Partition)] = r
	}
	return out
}

func inNews(domain string) bool {
	d := strings.TrimPrefix(domain, ".")
	return d == "news.test" || strings.HasSuffix(d, ".news.test")
}

// cdpFromBiDi is CDP's spelling; "default" (no SameSite attribute) leaves
// the field out, and Playwright's spelling of it is then Lax, what the
// Chromium target applies to such a cookie (cookies.PlaywrightSameSite).
func cdpFromBiDi(s string) network.CookieSameSite {
	switch s {
	case "strict":
		return network.CookieSameSiteStrict
	case "lax":
		return network.CookieSameSiteLax
	case "none":
		return network.CookieSameSiteNone
	}
	return ""
}

// TestFirefoxCookiesMatchTheBrowserInEveryFormat is the Chromium cookie test
// in real Firefox ESR: every cookie kind the shop sets comes out of
// `authbridge cookies` exactly as Firefox holds it, attribute by attribute,
// in every format, and nothing of news.test.
func TestFirefoxCookiesMatchTheBrowserInEveryFormat(t *testing.T) {
	firefoxCookiesMatch(t, nil)
}

// TestFirefoxCookiesWithFirstPartyIsolation is the same with
// privacy.firstparty.isolate on: Firefox then refuses a cookie query without
// firstPartyDomain, and keeps one cookie jar per first-party site.
func TestFirefoxCookiesWithFirstPartyIsolation(t *testing.T) {
	firefoxCookiesMatch(t, []string{`user_pref("privacy.firstparty.isolate", true);`})
}

func firefoxCookiesMatch(t *testing.T, prefs []string) {
	s := newShop(t)
	w := newFirefoxWorld(t)
	w.extraPrefs = prefs
	w.writeConnector(s.connector())
	w.start("shop.test", "www.shop.test", "widget.shop.test", "news.test")
	ffSignIn(t, w.ff, s)
	ffSetAllCookies(t, w.ff, s)

	all := firefoxHolds(t, w.ff, "default")
	want := map[string]ffRef{}
	for k, c := range all {
		if inShop(c.Domain) {
			want[k] = c
		}
	}
	kinds := map[string]bool{"sid": true, "hostonly": true, "sess": true, "sec": true, "strict": true, "lax": true, "big": true, "wwwonly": true, "chip": true}
	for _, c := range want {
		delete(kinds, c.Name)
		if c.Name == "chip" && c.Partition == "" {
			t.Errorf("Firefox holds chip unpartitioned; the test site meant a partitioned cookie")
		}
	}
	if len(kinds) > 0 {
		t.Fatalf("Firefox lacks test cookies %v: the test site did not set them", kinds)
	}

	// BiDi reports whole seconds; the cookies API keeps Firefox's
	// milliseconds.
	refs := map[string]refCookie{}
	for k, c := range want {
		refs[k] = refCookie{Name: c.Name, Value: c.Value.Value, Domain: c.Domain, Path: c.Path, Partition: c.Partition,
			Secure: c.Secure, HTTPOnly: c.HTTPOnly, Session: c.Session, SameSite: cdpFromBiDi(c.SameSite), Expires: c.Expires}
	}
	checkFormats(t, w.world, "shop", "Firefox", refs, 0.999)

	t.Run("header", func(t *testing.T) {
		// What Firefox itself sends to that URL is the reference.
		for _, u := range []struct{ host, path string }{{"shop.test", "/account"}, {"www.shop.test", "/echo"}} {
			target := s.URL(u.host, u.path)
			w.ff.navigate(t, target)
			sent := s.LastCookieHeader(u.path)
			got := strings.TrimSpace(w.must("cookies", "shop", "--format", "header", "--url", target))
			if !sameCookieSet(got, sent) {
				t.Errorf("header for %s differs from what Firefox sent (%d vs %d cookies)", target, len(splitHeader(got)), len(splitHeader(sent)))
			}
		}
	})

	t.Run("no unrelated cookies", func(t *testing.T) {
		for _, f := range []string{"playwright", "cdp", "netscape", "header"} {
			args := []string{"cookies", "shop", "--format", f}
			if f == "header" {
				args = append(args, "--url", s.URL("shop.test", "/"))
			}
			out := w.must(args...)
			if v := s.Value("newsid"); v == "" || strings.Contains(out, v) || strings.Contains(out, "newsid") {
				t.Errorf("%s output holds the unrelated news.test cookie", f)
			}
		}
	})

	t.Run("status names the Firefox bridge and the store", func(t *testing.T) {
		var st struct {
			Bridges []struct {
				Origin string `json:"origin"`
			} `json:"bridges"`
			Connectors []struct {
				ID          string `json:"id"`
				SourceStore string `json:"source_store"`
			} `json:"connectors"`
		}
		if err := json.Unmarshal([]byte(w.must("status", "--json")), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Bridges) != 1 || st.Bridges[0].Origin != geckoID {
			t.Errorf("bridges = %+v, want one from %s", st.Bridges, geckoID)
		}
		for _, c := range st.Connectors {
			if c.ID == "shop" && c.SourceStore != "default" {
				t.Errorf("shop reads store %q, want default", c.SourceStore)
			}
		}
	})

	t.Run("no cookie value leaks", func(t *testing.T) {
		assertNoLeaks(t, w.world, s.Values())
	})
}

// ffPopupURL is the extension's popup page in the Firefox test profile.
const ffPopupURL = gecko.PopupURL

// TestFirefoxContainerIsASource: a cookie set in a container is returned
// only for a connector whose source_store names that container, and status
// shows which store each connector reads.
func TestFirefoxContainerIsASource(t *testing.T) {
	s := newShop(t)
	w := newFirefoxWorld(t)
	shopDef := s.connector()
	w.writeConnector(shopDef)
	work := s.connector()
	work["id"], work["name"], work["source_store"] = "shop-work", "Shop (Client A container)", "Client A"
	w.writeConnector(work)
	missing := s.connector()
	missing["id"], missing["source_store"] = "shop-gone", "Old Client"
	w.writeConnector(missing)
	w.start("shop.test", "www.shop.test", "widget.shop.test", "news.test")

	ffSignIn(t, w.ff, s)
	defaultSID := s.Value("sid")

	// The user makes a container (as about:preferences#containers does; a new
	// profile already has Personal, Work, Banking and Shopping) and signs in
	// there too, as someone else.
	before := map[string]bool{}
	for _, u := range w.ff.userContexts(t) {
		before[u] = true
	}
	w.ff.openExtensionPage(t, ffPopupURL)
	var created struct {
		CookieStoreID string `json:"cookieStoreId"`
	}
	w.ff.eval(t, `browser.contextualIdentities.create({name: 'Client A', color: 'blue', icon: 'briefcase'})`, &created)
	if !strings.HasPrefix(created.CookieStoreID, "firefox-container-") {
		t.Fatalf("container store id = %q", created.CookieStoreID)
	}
	var workContext string
	for _, u := range w.ff.userContexts(t) {
		if !before[u] {
			workContext = u
		}
	}
	if workContext == "" {
		t.Fatal("BiDi lists no user context for the new container")
	}
	tab := w.ff.tab2(t, workContext)
	ffSignIn(t, tab, s)
	workSID := s.Value("sid")
	if workSID == defaultSID {
		t.Fatal("the container sign-in did not get its own session")
	}

	held := func(userContext string) string {
		for _, c := range w.ff.cookies(t, userContext) {
			if c.Name == "sid" {
				return c.Value.Value
			}
		}
		return ""
	}
	if held("default") != defaultSID || held(workContext) != workSID {
		t.Fatal("Firefox does not hold one sid per container as the test expects")
	}

	sidOf := func(id string) []string {
		var st struct {
			Cookies []struct{ Name, Value string } `json:"cookies"`
		}
		if err := json.Unmarshal([]byte(w.must("cookies", id, "--format", "playwright")), &st); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range st.Cookies {
			if c.Name == "sid" {
				out = append(out, c.Value)
			}
		}
		return out
	}
	if got := sidOf("shop"); len(got) != 1 || got[0] != defaultSID {
		t.Errorf("shop (default store) got %d sid cookies, the container's: %v; want only the default store's", len(got), len(got) == 1 && got[0] == workSID)
	}
	if got := sidOf("shop-work"); len(got) != 1 || got[0] != workSID {
		t.Errorf("shop-work (source_store Client A) got %d sid cookies, the default store's: %v; want only the container's", len(got), len(got) == 1 && got[0] == defaultSID)
	}
	_, errOut, code := w.run("", "cookies", "shop-gone", "--format", "playwright")
	if code == 0 || !strings.Contains(errOut, "Old Client") {
		t.Errorf("cookies for a connector naming a missing container: exit %d, stderr %q; want a failure naming the container", code, errOut)
	}

	var st struct {
		Connectors []struct {
			ID          string `json:"id"`
			SourceStore string `json:"source_store"`
		} `json:"connectors"`
	}
	if err := json.Unmarshal([]byte(w.must("status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	stores := map[string]string{}
	for _, c := range st.Connectors {
		stores[c.ID] = c.SourceStore
	}
	if stores["shop"] != "default" || stores["shop-work"] != "Client A" {
		t.Errorf("status stores = %v, want shop default and shop-work Client A", stores)
	}
	if text := w.must("status"); !strings.Contains(text, "Client A") {
		t.Errorf("status text does not show the Client A store:\n%s", text)
	}
	assertNoLeaks(t, w.world, s.Values())
}

// ffDemoWorld is demoWorld with Firefox as the user's browser: the demo site
// runs, its connector is defined, and the host's probes resolve demo.test.
func ffDemoWorld(t *testing.T, session bool, env ...string) (w *ffWorld, site *demosite.Site, state, profile string) {
	t.Helper()
	site = demosite.New(demosite.Options{})
	base, err := site.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(site.Close)
	u, _ := url.Parse(base)
	w = newFirefoxWorld(t)
	w.siteBase = base
	w.extraEnv = append([]string{"AUTHBRIDGE_RESOLVE=*:" + u.Port() + ":127.0.0.1"}, env...)
	def := site.Definition(base)
	c := map[string]any{
		"id": def.ID, "name": def.Name, "domains": def.Domains, "auth_cookies": def.AuthCookies,
		"login_url": def.LoginURL, "verify": def.Verify,
	}
	if session {
		dir := t.TempDir()
		state = filepath.Join(dir, "state", "demo.json")
		profile = filepath.Join(dir, "browser-profiles", "demo")
		if err := os.MkdirAll(profile, 0o700); err != nil {
			t.Fatal(err)
		}
		c["session"] = map[string]string{"storage_state": state, "profile_dir": profile}
	}
	w.writeConnector(c)
	return w, site, state, profile
}

// ffSignInDemo signs in on the demo site in a Firefox tab.
func ffSignInDemo(t *testing.T, f *firefox, loginURL string) {
	t.Helper()
	f.navigate(t, loginURL)
	f.eval(t, `(document.getElementById('username').value = 'ada', document.getElementById('password').value = `+jsString(demosite.DefaultPassword)+`, document.getElementById('sign-in').click(), true)`, nil)
	eventually(t, 20*time.Second, "the demo site shows the account page", func() bool {
		var ok bool
		return f.evalErr(`!!document.getElementById('account-name')`, &ok) == nil && ok
	})
}

func (w *ffWorld) sid() string {
	for _, c := range w.ff.cookies(w.t, "default") {
		if c.Name == "sid" {
			return c.Value.Value
		}
	}
	return ""
}

// TestFirefoxSignInHealsAnExpiredConnector: the session expires on the
// site, the user signs in again in Firefox, and the connector is healthy
// again with its own session state rewritten, with no command and no click.
func TestFirefoxSignInHealsAnExpiredConnector(t *testing.T) {
	w, site, state, profile := ffDemoWorld(t, true)
	w.start("demo.test")
	def := site.Definition(w.siteBase)

	ffSignInDemo(t, w.ff, def.LoginURL)
	eventually(t, 15*time.Second, "the first sign-in makes demo Healthy", func() bool { h, _ := w.health("demo"); return h == "healthy" })
	if got := storedSID(t, state); got == "" || got != w.sid() {
		t.Fatalf("the storage state does not hold Firefox's session")
	}

	site.ExpireSessions()
	if v := w.verify(t, "demo"); v.Result.Code != "SESSION_EXPIRED" {
		t.Fatalf("verify after expiry = %s, want SESSION_EXPIRED", v.Result.Code)
	}
	if h, _ := w.health("demo"); h != "needs_attention" {
		t.Fatalf("demo is %s after the expiry, want needs_attention", h)
	}
	old := storedSID(t, state)

	start := time.Now()
	ffSignInDemo(t, w.ff, def.LoginURL)
	signedIn := time.Since(start)
	eventually(t, 15*time.Second, "demo heals", func() bool { h, _ := w.health("demo"); return h == "healthy" })
	t.Logf("healed %v after the Firefox sign-in began (the sign-in itself took %v)", time.Since(start).Round(time.Millisecond), signedIn.Round(time.Millisecond))
	now := storedSID(t, state)
	if now == "" || now == old || now != w.sid() {
		t.Errorf("the storage state does not hold the new Firefox session")
	}
	w.world.waitProfileWritten(t, "demo", start)
	if needChromium(t) != "" && !profileSignedIn(t, profile, def.Verify.URL) {
		t.Errorf("a browser on the connector's persistent profile is not signed in after the heal from Firefox")
	}
	assertNoLeaks(t, w.world, []string{now, old})
}

// TestFirefoxPopupShowsConnectorRows opens the popup page in Firefox and
// checks it renders the host's rows and that its buttons reach the host.
func TestFirefoxPopupShowsConnectorRows(t *testing.T) {
	w, site, _, _ := ffDemoWorld(t, false, "AUTHBRIDGE_AUTO_REPAIR=off")
	w.start("demo.test")
	shots := outDir(t, "firefox-popup")

	popup := w.ff.tab2(t, "default")
	popup.setViewport(t, 400, 760)
	popup.openExtensionPage(t, ffPopupURL)
	ffWaitHealth(t, popup, "demo", "unknown")
	popup.screenshot(t, shots, "1-unknown")
	// The host's own prompt names Firefox too (the CLI and the API show it).
	if v := w.verify(t, "demo"); v.Result.Prompt.Action.ID != "repair" || v.Result.Prompt.Action.Label != "Use your Firefox sign-in" || v.Row.Prompt.Action.Label != "Use your Firefox sign-in" {
		t.Errorf("the host's prompt with Firefox connected: result %+v, row %+v; want Use your Firefox sign-in", v.Result.Prompt.Action, v.Row.Prompt.Action)
	}

	ffSignInDemo(t, w.ff, site.Definition(w.siteBase).LoginURL)
	// The user presses Repair in the popup.
	popup.eval(t, `(document.querySelector('[data-connector-id="demo"] [data-action="repair"]').click(), true)`, nil)
	ffWaitHealth(t, popup, "demo", "healthy")
	popup.screenshot(t, shots, "2-repaired-healthy")
	var text string
	// textContent: the repair button sits in the row's closed "More actions" menu.
	popup.eval(t, `document.querySelector('[data-connector-id="demo"]').textContent`, &text)
	if !strings.Contains(text, "Demo Site") || !strings.Contains(text, "Use your Firefox sign-in") || strings.Contains(text, "Chrome") {
		t.Errorf("the popup row in Firefox should name the connector and repair from the Firefox session: %q", text)
	}
}

// ffWaitHealth waits until the popup shows the connector's row in a state.
func ffWaitHealth(t *testing.T, f *firefox, id, health string) {
	t.Helper()
	sel := rowSel(id)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got string
		err := f.evalErr(`document.querySelector(`+jsString(sel)+`)?.dataset.health || 'no row'`, &got)
		if err == nil && got == health {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("popup row %s did not become %s (it is %s, %v)", id, health, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFirefoxHealThroughTheDiskWatcherAlone: with live cookie events off,
// the bridge is bound to its Firefox profile on disk (by matching the live
// cookies' metadata against cookies.sqlite), and a sign-in heals the
// connector through the watcher reading cookies.sqlite.
func TestFirefoxHealThroughTheDiskWatcherAlone(t *testing.T) {
	w, site, state, _ := ffDemoWorld(t, true, "AUTHBRIDGE_LIVE_EVENTS=off")
	w.start("demo.test")
	def := site.Definition(w.siteBase)
	eventually(t, 20*time.Second, "the Firefox bridge is bound to its profile", func() bool {
		st := w.status()
		return len(st.Bridges) > 0 && st.Bridges[0].ProfileDir == w.udd
	})
	t.Logf("binding: %s", w.status().Bridges[0].Binding)
	start := time.Now()
	ffSignInDemo(t, w.ff, def.LoginURL)
	eventually(t, 60*time.Second, "the watcher heals demo", func() bool { h, _ := w.health("demo"); return h == "healthy" })
	t.Logf("healed through the cookies.sqlite watcher %v after the sign-in", time.Since(start).Round(time.Millisecond))
	if got := storedSID(t, state); got == "" || got != w.sid() {
		t.Errorf("the storage state does not hold Firefox's session")
	}
	assertNoLeaks(t, w.world, []string{w.sid()})
}

// TestFirefoxRelayRefusesAnUnknownID starts the real binary the way Firefox
// does (manifest path, then extension id) for an id that is not allowed.
func TestFirefoxRelayRefusesAnUnknownID(t *testing.T) {
	base := t.TempDir()
	w := &world{t: t, home: filepath.Join(base, "ab"), userDir: filepath.Join(base, "user")}
	manifestPath := filepath.Join(w.userDir, ".mozilla", "native-messaging-hosts", "com.authbridge.host.json")
	_, errOut, code := w.run("", manifestPath, "evil@example.org")
	if code == 0 || !strings.Contains(errOut, `"evil@example.org"`) {
		t.Errorf("relay for evil@example.org: exit %d, stderr %q; want a refusal naming the id", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(w.home, "run", "api.sock")); err == nil {
		t.Errorf("a refused relay started the agent")
	}
}
