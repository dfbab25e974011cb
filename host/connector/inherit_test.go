package connector

import (
	"slices"
	"testing"
)

// TestInheritOnlyFromBuiltins: a manifest inherits from a built-in, or
// from a file that overrides a built-in of the same id, and never gets a
// domain through another file: not from an unrelated file covering its
// site, not from a file named like a built-in that widens it, not from
// one named "everything".
func TestInheritOnlyFromBuiltins(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		manifest    string
		wantBase    string
		wantDomains []string
	}{
		{
			name:        "an unrelated file covering the site is no base",
			files:       map[string]string{"wide.json": `{"id": "wide", "name": "Wide", "domains": ["bank.test", "github.com", "google.com", "amazon.com", "linkedin.com", "intranet.corp"]}`},
			manifest:    `{"connector_id": "bank", "connect_url": "https://www.bank.test/login"}`,
			wantBase:    "",
			wantDomains: []string{"bank.test"},
		},
		{
			name:        "a file named everything is no base",
			files:       map[string]string{"everything.json": `{"id": "everything", "name": "Everything", "domains": ["bank.test", "github.com"]}`},
			manifest:    `{"connector_id": "bank", "connect_url": "https://www.bank.test/login"}`,
			wantBase:    "",
			wantDomains: []string{"bank.test"},
		},
		{
			name:        "a file overriding a built-in does not widen what it gives",
			files:       map[string]string{"github.json": `{"id": "github", "name": "GitHub", "domains": ["github.com", "bank.test", "google.com"], "auth_cookies": ["user_session"]}`},
			manifest:    `{"connector_id": "gh-export", "connect_url": "https://github.com/settings/admin"}`,
			wantBase:    "github",
			wantDomains: []string{"github.com"},
		},
		{
			name:        "a file overriding a built-in with a new domain is no base for that domain",
			files:       map[string]string{"github.json": `{"id": "github", "name": "GitHub", "domains": ["github.com", "bank.test"], "auth_cookies": ["user_session"]}`},
			manifest:    `{"connector_id": "bank", "connect_url": "https://www.bank.test/login"}`,
			wantBase:    "",
			wantDomains: []string{"bank.test"},
		},
		{
			name:        "a file overriding a built-in is a base, narrowed",
			files:       map[string]string{"google.json": `{"id": "google", "name": "Google", "domains": ["google.com"], "auth_cookies": ["SID"]}`},
			manifest:    `{"connector_id": "takeout", "connect_url": "https://takeout.google.com/"}`,
			wantBase:    "google",
			wantDomains: []string{"google.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"m-playwright.json": tt.manifest}
			for k, v := range tt.files {
				files[k] = v
			}
			s, err := Load(writeFiles(t, files))
			if err != nil {
				t.Fatal(err)
			}
			if p := problemsText(s); p != "" {
				t.Fatalf("problems: %s", p)
			}
			var m Definition
			for _, d := range s.All() {
				if d.Kind == KindDataConnectors {
					m = d
				}
			}
			if m.InheritsFrom != tt.wantBase || !slices.Equal(m.Domains, tt.wantDomains) {
				t.Errorf("inherits from %q with domains %v, want %q with %v", m.InheritsFrom, m.Domains, tt.wantBase, tt.wantDomains)
			}
		})
	}
}
