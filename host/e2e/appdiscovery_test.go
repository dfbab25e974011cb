//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/demosite"
)

// fixtureDir finds the data-export app's fixture manifests: AUTHBRIDGE_FIXTURES,
// else ../shared/fixtures/data-connectors next to the repository. Missing, it
// fails with CI set and skips otherwise.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dirs := []string{filepath.Join(repoRoot, "..", "shared", "fixtures", "data-connectors")}
	if env := os.Getenv("AUTHBRIDGE_FIXTURES"); env != "" {
		dirs = append([]string{env, filepath.Join(env, "data-connectors")}, dirs...)
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "linkedin", "linkedin-playwright.json")); err == nil {
			return d
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("data-connectors fixtures not found in %v (set AUTHBRIDGE_FIXTURES)", dirs)
	}
	t.Skipf("data-connectors fixtures not found in %v (set AUTHBRIDGE_FIXTURES); with CI set this test fails instead", dirs)
	return ""
}

// copyFile copies a file, creating the folders it goes in.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, b)
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (w *world) connectorList() map[string]apitype.ConnectorInfo {
	w.t.Helper()
	var ans apitype.Connectors
	if err := json.Unmarshal([]byte(w.must("connectors", "--json")), &ans); err != nil {
		w.t.Fatalf("connectors --json: %v", err)
	}
	out := map[string]apitype.ConnectorInfo{}
	for _, c := range ans.Connectors {
		out[c.ID] = c
	}
	for _, p := range ans.Problems {
		w.t.Errorf("connectors --json lists a problem: %s", p.Message)
	}
	return out
}

// The shop is branded shop.example but signs in on amazon.com.
const shopManifest = `{
  "version": "1.0.0",
  "connector_id": "shopexample-playwright",
  "name": "Shop Example",
  "runtime": "playwright",
  "connect_url": "https://www.amazon.com/ap/signin?openid.return_to=https%3A%2F%2Fshop.example%2F",
  "connect_selector": "#nav-link-accountList",
  "consumer_metadata": {"display_name": "Shop Example", "brand_domain": "shop.example"}
}`

// TestAppLayoutDiscovery lays out three of the data-export app's homes in a fake
// HOME (manifests in company subfolders, profile folders for some) and
// checks what `connectors --json` and `status` make of it, with no setup.
func TestAppLayoutDiscovery(t *testing.T) {
	w := newWorld(t)
	fx := fixtureDir(t)
	dc := filepath.Join(w.userDir, ".dataconnect")
	pdp := filepath.Join(w.userDir, ".pdp-connect")
	vana := filepath.Join(w.userDir, ".vana", "desktop")
	ms, _ := filepath.Glob(filepath.Join(fx, "*-playwright.json"))
	if len(ms) < 5 {
		t.Fatalf("fixture manifests: %v", ms)
	}
	// A third of the manifests in each home, by company subfolder; LinkedIn's
	// own folder in both (the renamed app's copy takes precedence).
	wantFile := map[string]string{}
	for i, m := range ms {
		name := filepath.Base(m)
		company := strings.TrimSuffix(name, "-playwright.json")
		home := []string{dc, pdp, vana}[i%3]
		if company == "linkedin" {
			continue
		}
		to := filepath.Join(home, "connectors", company, name)
		copyFile(t, m, to)
		wantFile[strings.TrimSuffix(name, ".json")] = to
	}
	for _, home := range []string{dc, pdp} {
		copyFile(t, filepath.Join(fx, "linkedin", "linkedin-playwright.json"), filepath.Join(home, "connectors", "linkedin", "linkedin-playwright.json"))
		copyFile(t, filepath.Join(fx, "linkedin", "linkedin-playwright.js"), filepath.Join(home, "connectors", "linkedin", "linkedin-playwright.js"))
	}
	wantFile["linkedin-playwright"] = filepath.Join(pdp, "connectors", "linkedin", "linkedin-playwright.json")
	writeFile(t, filepath.Join(dc, "connectors", "shopexample", "shopexample-playwright.json"), []byte(shopManifest))
	wantFile["shopexample-playwright"] = filepath.Join(dc, "connectors", "shopexample", "shopexample-playwright.json")

	// Profile folders: linkedin's in both homes (the winning home's is
	// used), github's where github's manifest is.
	wantProfile := map[string]string{
		"linkedin-playwright": filepath.Join(pdp, "browser-profiles", "linkedin-playwright"),
		"github-playwright":   filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(wantFile["github-playwright"]))), "browser-profiles", "github-playwright"),
	}
	for _, p := range append(slices.Collect(func(yield func(string) bool) {
		for _, p := range wantProfile {
			yield(p)
		}
	}), filepath.Join(dc, "browser-profiles", "linkedin-playwright")) {
		if err := os.MkdirAll(filepath.Join(p, "Default"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	wantInherits := map[string]string{
		"amazon-playwright": "amazon", "github-playwright": "github", "instagram-playwright": "instagram",
		"linkedin-playwright": "linkedin", "spotify-playwright": "spotify", "youtube-playwright": "google",
		"chatgpt-playwright": "", "shopexample-playwright": "amazon",
	}

	got := w.connectorList()
	for id, file := range wantFile {
		c, ok := got[id]
		if !ok {
			t.Errorf("%s (%s) is not listed", id, file)
			continue
		}
		if c.Source != file || c.Kind != "data-connectors" {
			t.Errorf("%s: source %q kind %q, want %q data-connectors", id, c.Source, c.Kind, file)
		}
		if want, ok := wantInherits[id]; ok && c.InheritsFrom != want {
			t.Errorf("%s inherits from %q, want %q", id, c.InheritsFrom, want)
		}
		var profile string
		if c.Session != nil {
			profile = c.Session.ProfileDir
		}
		if profile != wantProfile[id] || (profile != "") != (c.ProfileFrom == "app") {
			t.Errorf("%s: session profile %q (from %q), want %q", id, profile, c.ProfileFrom, wantProfile[id])
		}
	}
	if sh := got["linkedin-playwright"].Shadows; !slices.Equal(sh, []string{filepath.Join(dc, "connectors", "linkedin", "linkedin-playwright.json")}) {
		t.Errorf("linkedin-playwright shadows %q, want the older app's copy", sh)
	}
	shop := got["shopexample-playwright"]
	for _, want := range []string{"at-main", "x-main"} {
		if !slices.Contains(shop.AuthCookies, want) {
			t.Errorf("the shop signing in on amazon.com has auth cookies %q, want Amazon's %s", shop.AuthCookies, want)
		}
	}
	if !slices.Contains(shop.Domains, "amazon.com") || !slices.Contains(shop.Domains, "shop.example") {
		t.Errorf("shop domains %q, want amazon.com and shop.example", shop.Domains)
	}
	for _, b := range []string{"linkedin", "github", "amazon", "google", "instagram", "spotify"} {
		if _, ok := got[b]; ok {
			t.Errorf("the built-in %s is listed beside the app's connector that inherits it", b)
		}
	}

	// One site, one row: status --all lists the app's LinkedIn, not the
	// built-in beside it, and shows its profile.
	var st apitype.Status
	if err := json.Unmarshal([]byte(w.must("status", "--all", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	rows := map[string]apitype.StatusRow{}
	for _, r := range st.Connectors {
		rows[r.ID] = r
	}
	if _, ok := rows["linkedin"]; ok {
		t.Error("status --all shows the built-in linkedin beside linkedin-playwright")
	}
	if r, ok := rows["linkedin-playwright"]; !ok || r.ProfileDir != wantProfile["linkedin-playwright"] {
		t.Errorf("status row of linkedin-playwright = %+v, want profile %s", r, wantProfile["linkedin-playwright"])
	}
	if _, ok := rows["x"]; !ok {
		t.Error("status --all lost the built-in x, which no app connector inherits")
	}
	text := w.must("connectors")
	if !strings.Contains(text, "shadows "+filepath.Join(dc, "connectors", "linkedin", "linkedin-playwright.json")) {
		t.Errorf("`connectors` does not say what linkedin-playwright shadows:\n%s", text)
	}
}

// TestAppManifestInstalledLater copies a manifest into a new company
// subfolder of an AUTHBRIDGE_APP_HOMES home while the agent runs.
func TestAppManifestInstalledLater(t *testing.T) {
	w := newWorld(t)
	app := filepath.Join(t.TempDir(), "apphome")
	if err := os.MkdirAll(filepath.Join(app, "connectors"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.extraEnv = append(w.extraEnv, "AUTHBRIDGE_APP_HOMES="+app)
	if _, ok := w.connectorList()["github-playwright"]; ok {
		t.Fatal("github-playwright listed before it is installed")
	}
	start := time.Now()
	copyFile(t, filepath.Join(fixtureDir(t), "github-playwright.json"), filepath.Join(app, "connectors", "github", "github-playwright.json"))
	eventually(t, time.Second, "the manifest copied into the app home is listed", func() bool {
		_, ok := w.connectorList()["github-playwright"]
		return ok
	})
	t.Logf("listed %v after the copy", time.Since(start).Round(time.Millisecond))
	// Its profile folder, created later too, becomes its session.
	profile := filepath.Join(app, "browser-profiles", "github-playwright")
	if err := os.MkdirAll(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "the profile folder created later is the session profile", func() bool {
		c := w.connectorList()["github-playwright"]
		return c.Session != nil && c.Session.ProfileDir == profile
	})
}

// TestRepairIntoAppProfile signs in on the demo site in the user's browser
// and has repair write the session into the app's profile folder for an
// app-layout manifest: first while the app's browser holds the profile
// (repair waits and says so), then once it has closed.
func TestRepairIntoAppProfile(t *testing.T) {
	site := demosite.New(demosite.Options{})
	base, err := site.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(site.Close)
	u, _ := url.Parse(base)
	w := newWorld(t)
	w.siteBase = base
	app := filepath.Join(t.TempDir(), "apphome")
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=*:" + u.Port() + ":127.0.0.1", "AUTHBRIDGE_APP_HOMES=" + app}
	def := site.Definition(base)
	manifest := map[string]any{
		"connector_id": "demo-playwright", "name": "Demo (app)", "runtime": "playwright",
		"connect_url": def.Verify.URL, "connect_selector": def.Verify.LoggedInSelector,
		"auth": map[string]any{
			"auth_cookies": def.AuthCookies, "login_url": def.LoginURL,
			"verify": map[string]any{"login_patterns": def.Verify.LoginPatterns, "login_selector": def.Verify.LoginSelector, "browser": false},
		},
	}
	b, _ := json.MarshalIndent(manifest, "", "  ")
	writeFile(t, filepath.Join(app, "connectors", "demo", "demo-playwright.json"), b)
	profile := filepath.Join(app, "browser-profiles", "demo-playwright")
	if err := os.MkdirAll(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	if c := w.connectorList()["demo-playwright"]; c.Session == nil || c.Session.ProfileDir != profile {
		t.Fatalf("demo-playwright session = %+v, want the app profile %s", c.Session, profile)
	}

	// The app's browser holds the profile.
	held, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir: profile, HostResolverRules: chromium.HostResolverRules("127.0.0.1", demosite.Domain), Output: &w.stderr,
	})
	if err != nil {
		t.Fatalf("start the app's browser on its profile: %v", err)
	}
	defer held.Close()

	w.startBrowser(demosite.Domain)
	signInTab(t, w.browser.Ctx, def.LoginURL, true)
	out, errOut, code := w.run("", "repair", "demo-playwright")
	if code != 0 {
		t.Fatalf("repair exited %d: %s %s", code, out, errOut)
	}
	var row apitype.StatusRow
	for _, r := range w.status().Connectors {
		if r.ID == "demo-playwright" {
			row = r
		}
	}
	if row.ProfileWait == "" || !strings.Contains(row.ProfileWait, profile) || strings.Count(row.ProfileWait, ". ") > 0 {
		t.Errorf("status row while the profile is held: profile_wait %q, want one sentence naming %s", row.ProfileWait, profile)
	}
	if !strings.Contains(out, row.ProfileWait) || strings.Contains(out, "wrote session state: "+profile) {
		t.Errorf("repair output does not say it waits for the profile:\n%s", out)
	}
	if st := w.must("status"); !strings.Contains(st, row.ProfileWait) {
		t.Errorf("status does not say the repair waits:\n%s", st)
	}
	// The popup's row says it too.
	pctx, pcancel := context.WithTimeout(w.popup(t), 20*time.Second)
	shown, err := chromedp.Run(pctx, chromedp.Text(`[data-profile-wait]`))
	if err != nil {
		t.Errorf("the popup does not show the wait: %v", err)
	} else if shown != row.ProfileWait {
		t.Errorf("the popup shows %q, want %q", shown, row.ProfileWait)
	}
	pcancel()
	// Repair did not touch the held profile: its browser has no session.
	hctx, hcancel := context.WithTimeout(held.Ctx, 20*time.Second)
	if err := chromedp.Do(hctx, chromedp.Navigate(def.Verify.URL)); err != nil {
		t.Fatal(err)
	}
	signedIn, _ := chromedp.Run(hctx, chromedp.Evaluate[bool](`!!document.querySelector("#account-name")`))
	hcancel()
	if signedIn {
		t.Fatal("the app's browser is signed in while it held the profile: repair wrote into it")
	}

	// The app's browser closes: the write happens by itself.
	held.Close()
	eventually(t, 60*time.Second, "the waiting write completes once the profile is free", func() bool {
		for _, r := range w.status().Connectors {
			if r.ID == "demo-playwright" {
				return r.ProfileWait == ""
			}
		}
		return false
	})
	if !profileSignedIn(t, profile, def.Verify.URL) {
		t.Fatal("a browser on the app profile is not signed in after the profile was freed")
	}

	// With the profile free, repair writes into it at once.
	var res apitype.ActionResult
	out = w.must("repair", "demo-playwright", "--json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Written, profile) || res.Row.ProfileWait != "" {
		t.Errorf("repair of a free profile wrote %q (wait %q), want %s", res.Written, res.Row.ProfileWait, profile)
	}
	if !profileSignedIn(t, profile, def.Verify.URL) {
		t.Error("a browser on the app profile is not signed in after repair")
	}
	assertNoLeaks(t, w, siteValues(t, w.browser.Ctx), app)
}

// siteValues are the demo site's cookie values in the user's browser.
func siteValues(t *testing.T, ctx context.Context) []string {
	var vs []string
	for _, c := range browserCookies(t, ctx) {
		vs = append(vs, c.Value)
	}
	return vs
}
