package verify

import (
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/taxonomy"
)

func TestSignedOut(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	def := connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}}
	tests := []struct {
		name      string
		cookies   []apitype.Cookie
		code      taxonomy.Code
		detail    string
		wantNamed []string
	}{
		{"no cookies", nil, taxonomy.ProfileCookieMissing, taxonomy.DetailCookieAbsent, []string{"sid"}},
		{"another cookie only", []apitype.Cookie{{Name: "lang", Value: "v", Domain: "demo.test", Path: "/", Session: true}}, taxonomy.ProfileCookieMissing, taxonomy.DetailCookieAbsent, []string{"sid"}},
		{"expired", []apitype.Cookie{{Name: "sid", Value: "v", Domain: ".demo.test", Path: "/", ExpirationDate: float64(now.Add(-time.Hour).Unix())}}, taxonomy.ProfileCookieMissing, taxonomy.DetailCookieExpired, []string{"sid"}},
		{"empty value", []apitype.Cookie{{Name: "sid", Domain: ".demo.test", Path: "/", Session: true}}, taxonomy.ProfileCookieMissing, taxonomy.DetailCookieAbsent, []string{"sid"}},
		{"there and refused", []apitype.Cookie{{Name: "sid", Value: "v", Domain: ".demo.test", Path: "/", Session: true}}, taxonomy.SessionExpired, taxonomy.DetailLoginForm, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := SignedOut(def, tt.cookies, Options{Now: func() time.Time { return now }})
			if r.Code != tt.code || r.Detail != tt.detail || len(r.Cookies) != len(tt.wantNamed) {
				t.Errorf("SignedOut = %s/%s %q, want %s/%s %q", r.Code, r.Detail, r.Cookies, tt.code, tt.detail, tt.wantNamed)
			}
			if r.Prompt.What == "" {
				t.Errorf("SignedOut = %+v: no prompt", r)
			}
		})
	}
}
