package cookies

import (
	"slices"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestInScope(t *testing.T) {
	demo := []string{"demo.test"}
	tests := []struct {
		name   string
		domain string
		scopes []string
		want   bool
	}{
		{"exact", "demo.test", demo, true},
		{"leading dot", ".demo.test", demo, true},
		{"subdomain", "sub.demo.test", demo, true},
		{"deep subdomain dot", ".a.b.demo.test", demo, true},
		{"label boundary", "evildemo.test", demo, false},
		{"label boundary dot", ".evildemo.test", demo, false},
		{"suffix only", "demo.test.evil", demo, false},
		{"parent", "test", demo, false},
		{"sibling", "other.test", demo, false},
		{"uppercase cookie", "SUB.Demo.TEST", demo, true},
		{"uppercase scope", "sub.demo.test", []string{"DEMO.Test"}, true},
		{"dotted scope", "sub.demo.test", []string{".demo.test"}, true},
		{"second scope", "x.example.org", []string{"demo.test", "example.org"}, true},
		{"ip exact", "127.0.0.1", []string{"127.0.0.1"}, true},
		{"ip not suffix", "127.0.0.1", []string{"0.0.1"}, false},
		{"ip scope no subdomain", "x.127.0.0.1", []string{"127.0.0.1"}, false},
		{"ip other", "127.0.0.2", []string{"127.0.0.1"}, false},
		{"ipv6 brackets", "[::1]", []string{"::1"}, true},
		{"localhost", "localhost", []string{"localhost"}, true},
		{"sub.localhost", "app.localhost", []string{"localhost"}, true},
		{"public suffix scope com", "example.com", []string{"com"}, false},
		{"public suffix scope co.uk", "example.co.uk", []string{"co.uk"}, false},
		{"private suffix scope", "user.github.io", []string{"github.io"}, false},
		{"under a public suffix", "www.example.co.uk", []string{"example.co.uk"}, true},
		{"empty domain", "", demo, false},
		{"dot only", ".", demo, false},
		{"empty scope", "demo.test", []string{""}, false},
		{"no scopes", "demo.test", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InScope(tt.domain, tt.scopes); got != tt.want {
				t.Errorf("InScope(%q, %q) = %v, want %v", tt.domain, tt.scopes, got, tt.want)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	cs := []apitype.Cookie{
		{Name: "a", Domain: ".demo.test", Session: true},
		{Name: "b", Domain: "evildemo.test", Session: true},
		{Name: "c", Domain: "sub.demo.test", HostOnly: true, ExpirationDate: 100},
		{Name: "d", Domain: "demo.test", HostOnly: true, ExpirationDate: 300},
	}
	names := func(cs []apitype.Cookie) []string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return n
	}
	if got, want := names(Filter(cs, []string{"demo.test"})), []string{"a", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("Filter = %v, want %v", got, want)
	}
	now := time.Unix(200, 0)
	if got, want := names(FilterLive(cs, []string{"demo.test"}, now)), []string{"a", "d"}; !slices.Equal(got, want) {
		t.Errorf("FilterLive = %v, want %v", got, want)
	}
	out := Filter(cs, []string{"demo.test"})
	out[0].Name = "changed"
	if cs[0].Name != "a" {
		t.Error("Filter's result shares memory with its input")
	}
	if got := Filter(nil, []string{"demo.test"}); got == nil || len(got) != 0 {
		t.Errorf("Filter(nil) = %#v, want an empty slice", got)
	}
}

func TestExpired(t *testing.T) {
	now := time.Unix(1000, 500_000_000) // 1000.5
	tests := []struct {
		name string
		c    apitype.Cookie
		want bool
	}{
		{"session", apitype.Cookie{Session: true}, false},
		{"session with a stray date", apitype.Cookie{Session: true, ExpirationDate: 1}, false},
		{"future", apitype.Cookie{ExpirationDate: 1000.75}, false},
		{"exactly now", apitype.Cookie{ExpirationDate: 1000.5}, true},
		{"past fraction", apitype.Cookie{ExpirationDate: 1000.25}, true},
		{"persistent without a date", apitype.Cookie{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expired(tt.c, now); got != tt.want {
				t.Errorf("Expired(%+v) = %v, want %v", tt.c.Meta(), got, tt.want)
			}
		})
	}
}
