package agent

import (
	"encoding/json"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
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
