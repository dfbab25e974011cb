package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/verify"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		id   string
		req  apitype.Request
		want string
	}{
		{"h1", apitype.CookiesGet{Domains: []string{"demo.test"}}, `{"type":"cookies.get","id":"h1","domains":["demo.test"]}`},
		{"h2", apitype.TabsOpen{URL: "http://demo.test/login"}, `{"type":"tabs.open","id":"h2","url":"http://demo.test/login"}`},
		{"", apitype.StatusChanged{Connectors: []apitype.StatusRow{}}, `{"type":"status.changed","connectors":[]}`},
		{"h3", apitype.WatchSet{}, `{"type":"watch.set","id":"h3","connectors":null}`},
	}
	for _, tt := range tests {
		b, err := message(tt.id, tt.req)
		if err != nil {
			t.Fatalf("message(%q, %T): %v", tt.id, tt.req, err)
		}
		if string(b) != tt.want || !json.Valid(b) {
			t.Errorf("message(%q, %T) = %s, want %s", tt.id, tt.req, b, tt.want)
		}
	}
}

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

func TestCapField(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"Mozilla/5.0", 512, "Mozilla/5.0"},
		{strings.Repeat("A", 15<<20), MaxUserAgent, strings.Repeat("A", MaxUserAgent)},
		{"ab\x1b[2Jc\u0085d", 64, "ab[2Jcd"},
		{"ééé", 5, "éé"}, // never half a character
	}
	for _, tt := range tests {
		if got := capField(tt.in, tt.n); got != tt.want {
			t.Errorf("capField(%.20q, %d) = %.20q, want %.20q", tt.in, tt.n, got, tt.want)
		}
	}
}
