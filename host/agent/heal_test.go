package agent

import (
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/taxonomy"
)

func TestNeedsHealing(t *testing.T) {
	h := func(health taxonomy.Health, reason taxonomy.Code) store.Health {
		r := string(reason)
		if reason == taxonomy.OK {
			r = ""
		}
		return store.Health{Health: string(health), Reason: r}
	}
	tests := []struct {
		name     string
		h        store.Health
		recorded bool
		want     bool
	}{
		{"never checked", store.Health{}, false, true},
		{"unknown", h(taxonomy.HealthUnknown, ""), true, true},
		{"expired", h(taxonomy.NeedsAttention, taxonomy.SessionExpired), true, true},
		{"cookie missing", h(taxonomy.NeedsAttention, taxonomy.ProfileCookieMissing), true, true},
		{"checkpoint is never repaired automatically", h(taxonomy.NeedsAttention, taxonomy.Checkpoint), true, false},
		{"mfa needs a person", h(taxonomy.NeedsAttention, taxonomy.MFARequired), true, false},
		{"selector changed needs an update", h(taxonomy.NeedsAttention, taxonomy.SelectorChanged), true, false},
		{"healthy", h(taxonomy.Healthy, taxonomy.OK), true, false},
	}
	for _, tt := range tests {
		if got := needsHealing(tt.h, tt.recorded); got != tt.want {
			t.Errorf("needsHealing(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHealBackoff(t *testing.T) {
	if healBackoff(0) != 0 {
		t.Errorf("healBackoff(0) = %v, want 0", healBackoff(0))
	}
	prev := time.Duration(0)
	for n := 1; n < 20; n++ {
		d := healBackoff(n)
		if d < prev || d > 5*time.Minute {
			t.Fatalf("healBackoff(%d) = %v after %v: want non-decreasing, at most 5m", n, d, prev)
		}
		prev = d
	}
}

func TestTouchesAuth(t *testing.T) {
	def := connector.Definition{ID: "demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}}
	ch := func(name, domain string, removed bool) []cookieChange {
		return []cookieChange{{Removed: removed, Cookie: apitype.CookieMeta{Name: name, Domain: domain}}}
	}
	tests := []struct {
		name    string
		changes []cookieChange
		want    bool
	}{
		{"auth cookie set", ch("sid", ".demo.test", false), true},
		{"on a subdomain", ch("sid", "app.demo.test", false), true},
		{"removed only", ch("sid", ".demo.test", true), false},
		{"another cookie", ch("theme", "demo.test", false), false},
		{"another site", ch("sid", "evildemo.test", false), false},
	}
	for _, tt := range tests {
		if got := touchesAuth(def, tt.changes); got != tt.want {
			t.Errorf("touchesAuth(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
