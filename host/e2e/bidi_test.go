//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	gecko "github.com/authbridge/authbridge/host/internal/firefox"
)

// Firefox is driven with WebDriver BiDi through host/firefox; these are its
// calls with the test's failure handling.

const (
	firefoxUUID = gecko.ExtensionUUID
	geckoID     = gecko.GeckoID
)

// needFirefox fails (in CI) or skips (elsewhere) when there is no Firefox.
func needFirefox(t testing.TB) string {
	t.Helper()
	exe, err := gecko.FindExecutable()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %v", err)
		}
		t.Skipf("%v; with CI set this test fails instead of skipping", err)
	}
	return exe
}

// firefox is one tab of a test's Firefox.
type firefox struct {
	b   *gecko.Browser
	tab *gecko.Tab
}

type firefoxOptions struct {
	Profile      string
	Env          []string
	Hosts        []string
	Prefs        []string
	SystemAccess bool
	Output       io.Writer
}

func launchFirefox(t *testing.T, o firefoxOptions) *firefox {
	t.Helper()
	exe := needFirefox(t)
	b, err := gecko.Launch(context.Background(), gecko.Options{ExecPath: exe, Profile: o.Profile, Env: o.Env, Hosts: o.Hosts,
		Prefs: o.Prefs, SystemAccess: o.SystemAccess, Output: o.Output})
	if err != nil {
		t.Fatalf("launch firefox: %v", err)
	}
	t.Cleanup(b.Close)
	return &firefox{b: b, tab: b.Tab}
}

func (f *firefox) ctx30() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	go func() { <-ctx.Done(); cancel() }()
	return ctx
}

func (f *firefox) installExtension(t *testing.T, dir string) string {
	t.Helper()
	id, err := f.b.InstallExtension(f.ctx30(), dir)
	if err != nil {
		t.Fatalf("webExtension.install %s: %v", dir, err)
	}
	return id
}

func (f *firefox) navigate(t *testing.T, url string) {
	t.Helper()
	if err := f.tab.Navigate(f.ctx30(), url); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

func (f *firefox) eval(t *testing.T, expr string, out any) {
	t.Helper()
	if err := f.evalErr(expr, out); err != nil {
		t.Fatalf("evaluate %q: %v", expr, err)
	}
}

func (f *firefox) evalErr(expr string, out any) error { return f.tab.Eval(f.ctx30(), expr, out) }

// screenshot saves the tab as dir/name.png.
func (f *firefox) screenshot(t *testing.T, dir, name string) string {
	t.Helper()
	png, err := f.tab.Screenshot(f.ctx30())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	return p
}

func (f *firefox) setViewport(t *testing.T, w, h int) {
	t.Helper()
	if err := f.tab.SetViewport(f.ctx30(), w, h); err != nil {
		t.Fatalf("setViewport: %v", err)
	}
}

// bidiCookie is a BiDi cookie with the partition it was read from.
type bidiCookie struct {
	gecko.Cookie
	// Partition is the top-level site whose partition read returned it
	// ("" for the read of every partition).
	Partition string
}

// cookies returns the cookies of a user context (every partition), plus
// those a page of each given top-level site sees, marked with that site.
func (f *firefox) cookies(t *testing.T, userContext string, topLevelSites ...string) []bidiCookie {
	t.Helper()
	var out []bidiCookie
	for _, site := range append([]string{""}, topLevelSites...) {
		cs, err := f.b.Cookies(f.ctx30(), userContext, site)
		if err != nil {
			t.Fatalf("storage.getCookies %s %s: %v", userContext, site, err)
		}
		for _, c := range cs {
			out = append(out, bidiCookie{Cookie: c, Partition: site})
		}
	}
	return out
}

// tab opens a new tab in a user context.
func (f *firefox) tab2(t *testing.T, userContext string) *firefox {
	t.Helper()
	tab, err := f.b.NewTab(f.ctx30(), userContext)
	if err != nil {
		t.Fatalf("browsingContext.create in %s: %v", userContext, err)
	}
	return &firefox{b: f.b, tab: tab}
}

func (f *firefox) userContexts(t *testing.T) []string {
	t.Helper()
	us, err := f.b.UserContexts(f.ctx30())
	if err != nil {
		t.Fatalf("browser.getUserContexts: %v", err)
	}
	return us
}

func (f *firefox) openExtensionPage(t *testing.T, url string) {
	t.Helper()
	if err := f.tab.OpenExtensionPage(f.ctx30(), url); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
