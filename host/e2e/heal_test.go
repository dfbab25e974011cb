//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/demosite"
)

// healWorld is a world whose demo connector keeps its own session in a
// Playwright storage-state file and a persistent Chromium profile.
func healWorld(t *testing.T, env ...string) (*world, *demoSite, string, string) {
	t.Helper()
	w, site, base := demoWorld(t, env...)
	dir := t.TempDir()
	state := filepath.Join(dir, "state", "demo.json")
	profile := filepath.Join(dir, "browser-profiles", "demo")
	if err := os.MkdirAll(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	// The data-export app's old one-time import leaves this marker.
	os.WriteFile(filepath.Join(profile, ".cookies-imported"), nil, 0o600)
	def := site.Definition(base)
	w.writeConnector(map[string]any{
		"id": def.ID, "name": def.Name, "domains": def.Domains, "auth_cookies": def.AuthCookies,
		"login_url": def.LoginURL, "verify": def.Verify,
		"session": map[string]string{"storage_state": state, "profile_dir": profile},
	})
	return w, site, state, profile
}

type demoSite = demosite.Site

// waitProfileWritten waits until the connector's row says a repair wrote
// its session into its profile after since.
func (w *world) waitProfileWritten(t *testing.T, id string, since time.Time) {
	t.Helper()
	eventually(t, 60*time.Second, id+"'s row says its profile was written", func() bool {
		for _, c := range w.status().Connectors {
			if c.ID == id {
				return !c.ProfileWriting && c.ProfileWrittenAt != nil && c.ProfileWrittenAt.After(since)
			}
		}
		return false
	})
}

// storedSID reads the sid value from a storage-state file.
func storedSID(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var st struct {
		Cookies []struct{ Name, Value string } `json:"cookies"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("storage state %s: %v", path, err)
	}
	for _, c := range st.Cookies {
		if c.Name == "sid" {
			return c.Value
		}
	}
	return ""
}

func browserSID(t *testing.T, ctx context.Context) string {
	for _, c := range browserCookies(t, ctx) {
		if c.Name == "sid" {
			return c.Value
		}
	}
	return ""
}

// profileSignedIn starts a headless browser on the connector's persistent
// profile and reports whether the demo site shows it signed in.
func profileSignedIn(t *testing.T, profile, accountURL string) bool {
	t.Helper()
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir: profile, HostResolverRules: chromium.HostResolverRules("127.0.0.1", "demo.test"),
	})
	if err != nil {
		t.Fatalf("start a browser on the connector profile: %v", err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(accountURL)); err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("#account-name")`))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (w *world) health(id string) (string, string) {
	for _, c := range w.status().Connectors {
		if c.ID == id {
			return string(c.HealthKey), c.Reason
		}
	}
	return "", ""
}

func TestAutoHealAfterSignInAgain(t *testing.T) {
	w, site, state, profile := healWorld(t)
	w.startBrowser("demo.test")
	def := site.Definition(w.siteBase)
	tab := w.browser.Ctx

	signInTab(t, tab, def.LoginURL, true)
	eventually(t, 10*time.Second, "the first sign-in makes demo Healthy", func() bool { h, _ := w.health("demo"); return h == "healthy" })
	w.waitProfileWritten(t, "demo", time.Time{})
	if got := storedSID(t, state); got == "" || got != browserSID(t, w.browser.Ctx) {
		t.Fatalf("the storage state does not hold the browser's session")
	}
	if _, err := os.Stat(filepath.Join(profile, ".cookies-imported")); err == nil {
		t.Errorf("the .cookies-imported marker is still in the connector profile")
	}

	site.ExpireSessions()
	if v := w.verify(t, "demo"); v.Result.Code != "SESSION_EXPIRED" {
		t.Fatalf("verify after expiry = %s, want SESSION_EXPIRED", v.Result.Code)
	}
	old := storedSID(t, state)

	// The user signs in again in the same browser: no command, no click in
	// the popup.
	start := time.Now()
	signInTab(t, tab, def.LoginURL, true)
	signedIn := time.Since(start)
	eventually(t, 10*time.Second, "demo heals", func() bool { h, _ := w.health("demo"); return h == "healthy" })
	healed := time.Since(start)
	t.Logf("healed %v after the sign-in began (the sign-in itself took %v)", healed.Round(time.Millisecond), signedIn.Round(time.Millisecond))
	// Healthy comes from the live cookies; the profile write follows.
	w.waitProfileWritten(t, "demo", start)
	now := storedSID(t, state)
	if now == "" || now == old || now != browserSID(t, w.browser.Ctx) {
		t.Errorf("the storage state does not hold the new session")
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("storage state mode: %v %v, want 0600", fi.Mode().Perm(), err)
	}
	if !profileSignedIn(t, profile, def.Verify.URL) {
		t.Errorf("a browser on the connector's persistent profile is not signed in after the heal")
	}
	// The heal is recorded as a dogfood event.
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(w.must("report", "--export", "ndjson")), "\n") {
		var e map[string]any
		json.Unmarshal([]byte(line), &e)
		if e["recovery_action"] == "auto_repair" {
			last = e
		}
	}
	if last == nil || last["recovery_success"] != true || last["source"] != "host" || last["type"] != "recovery_attempted" {
		t.Errorf("the last auto_repair event is %v, want a successful recovery_attempted from the host", last)
	}
	assertNoLeaks(t, w, []string{now, old})
}

func TestHealThroughTheDiskWatcherAlone(t *testing.T) {
	w, site, state, _ := healWorld(t, "AUTHBRIDGE_LIVE_EVENTS=off")
	w.startBrowser("demo.test")
	def := site.Definition(w.siteBase)
	eventually(t, 20*time.Second, "the bridge is bound to its profile", func() bool {
		st := w.status()
		return len(st.Bridges) > 0 && st.Bridges[0].ProfileDir != ""
	})
	start := time.Now()
	signInTab(t, w.browser.Ctx, def.LoginURL, true)
	// Chrome writes its cookie store on its own schedule (up to 30 s).
	eventually(t, 90*time.Second, "the watcher heals demo", func() bool { h, _ := w.health("demo"); return h == "healthy" })
	t.Logf("healed through the disk watcher %v after the sign-in", time.Since(start).Round(time.Millisecond))
	if storedSID(t, state) == "" {
		t.Errorf("the storage state was not written")
	}
	w.waitProfileWritten(t, "demo", start)
}
