//go:build !windows

// The real-Chromium writer test runs where CI has Chromium (Linux); under
// Wine there is none.

package chromeprofile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/internal/testtmp"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// chromiumPath returns the browser for real-browser tests. It skips only
// outside CI: in CI a missing browser fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("AUTHBRIDGE_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (install chromium or set AUTHBRIDGE_CHROMIUM)")
	}
	t.Skip("no Chromium found; with CI set this test fails instead")
	return ""
}

// browserCookies starts a second headless browser on dir and returns the
// cookies it holds, as "domain name path" strings, with their values for
// the test's own comparisons.
func browserCookies(t *testing.T, exe, dir string) map[string]string {
	t.Helper()
	w := &ProfileWriter{ExecPath: exe}
	opts, err := w.allocatorOptions(dir)
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelA := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start second browser: %v", err)
	}
	res, err := chromedp.CallBrowser(bctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range res.Cookies {
		out[fmt.Sprintf("%s %s %s", c.Domain, c.Name, c.Path)] = c.Value
	}
	cctx, cancelC := context.WithTimeout(bctx, 20*time.Second)
	defer cancelC()
	chromedp.Cancel(cctx)
	return out
}

func TestProfileWriterRealChromium(t *testing.T) {
	exe := chromiumPath(t)
	dir := filepath.Join(testtmp.Dir(t), "browser-profiles", "demo")
	w := &ProfileWriter{ExecPath: exe, Timeout: 90 * time.Second}
	exp := float64(time.Now().Add(48 * time.Hour).Unix())

	// An unrelated site's cookie that must survive.
	other := []apitype.Cookie{{Name: "keep", Value: "other-value", Domain: "other.test", Path: "/", HostOnly: true,
		SameSite: "lax", ExpirationDate: exp}}
	if err := w.Replace(t.Context(), dir, []string{"other.test"}, other); err != nil {
		t.Fatalf("Replace(other.test): %v", err)
	}
	stale := []apitype.Cookie{
		{Name: "sid", Value: "stale", Domain: "demo.test", Path: "/", HostOnly: true, SameSite: "lax", ExpirationDate: exp},
		{Name: "old", Value: "stale", Domain: ".demo.test", Path: "/", SameSite: "unspecified", ExpirationDate: exp},
	}
	if err := w.Replace(t.Context(), dir, []string{"demo.test"}, stale); err != nil {
		t.Fatalf("Replace(stale): %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ImportedMarker), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	fresh := []apitype.Cookie{
		{Name: "sid", Value: "fresh", Domain: "demo.test", Path: "/", HostOnly: true, HttpOnly: true, SameSite: "lax", ExpirationDate: exp},
		{Name: "pref", Value: "dark", Domain: ".demo.test", Path: "/", SameSite: "no_restriction", Secure: true, ExpirationDate: exp},
		{Name: "api", Value: "tok", Domain: "api.demo.test", Path: "/v1", HostOnly: true, Secure: true, SameSite: "strict", ExpirationDate: exp},
	}
	start := time.Now()
	if err := w.Replace(t.Context(), dir, []string{"demo.test"}, fresh); err != nil {
		t.Fatalf("Replace(fresh): %v", err)
	}
	t.Logf("Replace took %v", time.Since(start))
	if _, err := os.Stat(filepath.Join(dir, ImportedMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker still there: %v", err)
	}

	// The store on disk, read as metadata.
	stored, err := ReadCookieMeta(CookieStorePath(filepath.Join(dir, "Default")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(stored), []string{".demo.test pref", "api.demo.test api", "demo.test sid", "other.test keep"}; !slices.Equal(got, want) {
		t.Errorf("store holds %v, want %v", got, want)
	}

	// A second browser on the profile sees exactly the new cookies, and
	// the other site's.
	got := browserCookies(t, exe, dir)
	want := map[string]string{
		"demo.test sid /":       "fresh",
		".demo.test pref /":     "dark",
		"api.demo.test api /v1": "tok",
		"other.test keep /":     "other-value",
	}
	if len(got) != len(want) {
		t.Errorf("second browser has %d cookies, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("second browser: cookie %q wrong or missing", k)
		}
	}

	// Clearing removes the connector's cookies only.
	if err := w.Replace(t.Context(), dir, []string{"demo.test"}, nil); err != nil {
		t.Fatalf("Replace(clear): %v", err)
	}
	stored, err = ReadCookieMeta(CookieStorePath(filepath.Join(dir, "Default")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(stored), []string{"other.test keep"}; !slices.Equal(got, want) {
		t.Errorf("after clear the store holds %v, want %v", got, want)
	}
}

// TestProfileWriterSkipsAnExpiredCookie writes a session one of whose
// cookies expired before the write (a short-lived bound cookie read near its
// expiry): the write succeeds with the live cookies, and the profile holds
// no expired one.
func TestProfileWriterSkipsAnExpiredCookie(t *testing.T) {
	exe := chromiumPath(t)
	dir := filepath.Join(testtmp.Dir(t), "browser-profiles", "bound")
	w := &ProfileWriter{ExecPath: exe, Timeout: 90 * time.Second}
	cs := []apitype.Cookie{
		{Name: "sid", Value: "live", Domain: "demo.test", Path: "/", HostOnly: true, SameSite: "lax", ExpirationDate: float64(time.Now().Add(48 * time.Hour).Unix())},
		{Name: "bound", Value: "gone", Domain: ".demo.test", Path: "/", SameSite: "lax", ExpirationDate: float64(time.Now().Add(-time.Second).Unix())},
	}
	if err := w.Replace(t.Context(), dir, []string{"demo.test"}, cs); err != nil {
		t.Fatalf("Replace with an expired cookie: %v", err)
	}
	stored, err := ReadCookieMeta(CookieStorePath(filepath.Join(dir, "Default")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(stored), []string{"demo.test sid"}; !slices.Equal(got, want) {
		t.Errorf("store holds %v, want %v", got, want)
	}
}
