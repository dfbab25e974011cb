package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/verify"
)

func TestTouchesAuth(t *testing.T) {
	def := connector.Definition{ID: "demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}}
	ch := func(name, domain string, removed bool) []apitype.CookieChange {
		return []apitype.CookieChange{{Removed: removed, Cookie: apitype.CookieMeta{Name: name, Domain: domain}}}
	}
	tests := []struct {
		name    string
		def     connector.Definition
		changes []apitype.CookieChange
		want    bool
	}{
		{"auth cookie set", def, ch("sid", ".demo.test", false), true},
		{"removed only", def, ch("sid", ".demo.test", true), false},
		{"another cookie", def, ch("theme", "demo.test", false), false},
		{"no auth_cookies: no auth cookie", connector.Definition{ID: "x", Domains: []string{"demo.test"}}, ch("sid", "demo.test", false), false},
	}
	for _, tt := range tests {
		if got := touchesAuth(tt.def, tt.changes); got != tt.want {
			t.Errorf("touchesAuth(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNewRemovesStaleVerifyProfiles is issue 14 item 8: a verify browser's
// temp profile left by an agent that crashed mid-probe stayed in /tmp for
// good. Probes now use a folder of the agent's home, cleaned at start.
func TestNewRemovesStaleVerifyProfiles(t *testing.T) {
	home := t.TempDir()
	p, err := paths.Resolve(paths.WithHome(home, nil))
	if err != nil {
		t.Fatal(err)
	}
	root := VerifyProfileRoot(p)
	stale := filepath.Join(root, verify.ProfilePrefix+"123", "Default")
	other := filepath.Join(root, "keep-me")
	for _, d := range []string{stale, other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(stale, "Cookies"), []byte("x"), 0o600)
	a, err := New(context.Background(), Config{Paths: p})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Store().Close()
	if _, err := os.Stat(filepath.Dir(stale)); !os.IsNotExist(err) {
		t.Errorf("the stale verify profile is still there (%v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a directory that is not a verify profile was removed: %v", err)
	}
}
