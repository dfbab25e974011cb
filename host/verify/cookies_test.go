package verify

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/chromedp/cdproto/network"
)

func TestCookieHeader(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	past := float64(now.Unix() - 10)
	future := float64(now.Unix() + 3600)
	yes := true
	cookies := []apitype.Cookie{
		{Name: "host", Value: "1", Domain: "demo.test", Path: "/", HostOnly: true, Session: true},
		{Name: "dom", Value: "2", Domain: ".demo.test", Path: "/", ExpirationDate: future},
		{Name: "deep", Value: "3", Domain: ".demo.test", Path: "/account", Session: true},
		{Name: "sec", Value: "4", Domain: ".demo.test", Path: "/", Secure: true, Session: true},
		{Name: "old", Value: "5", Domain: ".demo.test", Path: "/", ExpirationDate: past},
		{Name: "other", Value: "6", Domain: "other.test", Path: "/", Session: true},
		{Name: "chips", Value: "7", Domain: ".demo.test", Path: "/", Session: true, PartitionKey: &apitype.PartitionKey{TopLevelSite: "https://demo.test", HasCrossSiteAncestor: &yes}},
		{Name: "chips3p", Value: "8", Domain: ".demo.test", Path: "/", Session: true, PartitionKey: &apitype.PartitionKey{TopLevelSite: "https://elsewhere.test"}},
	}
	tests := []struct {
		url  string
		want string
	}{
		{"http://demo.test/", "host=1; dom=2; chips=7"},
		{"https://demo.test/account/x", "deep=3; host=1; dom=2; sec=4; chips=7"},
		{"http://demo.test/accounts", "host=1; dom=2; chips=7"},
		{"http://www.demo.test/account", "deep=3; dom=2; chips=7"},
		{"http://notdemo.test/", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if got := cookieHeader(cookies, u, now); got != tt.want {
			// Test values are not secrets; real ones never reach a message.
			t.Errorf("cookieHeader(%s) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestPreflight(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cookies := []apitype.Cookie{
		{Name: "a", Value: "x", Session: true},
		{Name: "b", Value: "x", ExpirationDate: float64(now.Unix() - 1)},
		{Name: "b", Value: "x", ExpirationDate: float64(now.Unix() - 100)},
		{Name: "c", Value: "x", ExpirationDate: float64(now.Unix() - 1)},
		{Name: "c", Value: "x", ExpirationDate: float64(now.Unix() + 100)},
		{Name: "d", Value: ""},
	}
	present, absent, expired := preflight([]string{"a", "b", "c", "d", "e"}, cookies, now)
	if !slices.Equal(present, []string{"a", "c"}) || !slices.Equal(absent, []string{"d", "e"}) || !slices.Equal(expired, []string{"b"}) {
		t.Errorf("preflight = present %v, absent %v, expired %v; want [a c], [d e], [b]", present, absent, expired)
	}
}

func TestCookieParams(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	params := cookieParams([]apitype.Cookie{
		{Name: "h", Value: "1", Domain: "demo.test", Path: "/app", HostOnly: true, Secure: true, SameSite: "no_restriction", Session: true},
		{Name: "d", Value: "2", Domain: ".demo.test", SameSite: "unspecified", ExpirationDate: float64(now.Unix() + 60)},
		{Name: "gone", Value: "3", Domain: ".demo.test", ExpirationDate: float64(now.Unix() - 60)},
	}, now)
	if len(params) != 2 {
		t.Fatalf("cookieParams gave %d params, want 2 (the expired one left out)", len(params))
	}
	h, d := params[0], params[1]
	if h.URL != "https://demo.test/app" || h.Domain != "" || h.SameSite != network.CookieSameSiteNone || h.Expires != 0 {
		t.Errorf("host-only cookie param: url %q domain %q sameSite %q expires %v", h.URL, h.Domain, h.SameSite, h.Expires)
	}
	if d.URL != "" || d.Domain != ".demo.test" || d.Path != "/" || d.SameSite != "" || d.Expires.Float64() != float64(now.Unix()+60) {
		t.Errorf("domain cookie param: url %q domain %q path %q sameSite %q expires %v", d.URL, d.Domain, d.Path, d.SameSite, d.Expires)
	}
}
