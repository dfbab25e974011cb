package connector

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// problemsText joins the problems of a loaded set, one per line.
func problemsText(s *Set) string {
	var lines []string
	for _, p := range s.Problems() {
		lines = append(lines, p.Error())
	}
	return strings.Join(lines, "\n")
}

// TestURLsStayInsideTheDomains: login_url (native or a manifest's
// auth.login_url) must lie inside the connector's domains or the sign-in
// domains it declares; a file that breaks this is refused, naming the file
// and the field, and the others load.
func TestURLsStayInsideTheDomains(t *testing.T) {
	tests := []struct {
		name, file, content string
		field               string // "" when the file loads
	}{
		{"native login_url elsewhere", "phish.json",
			`{"id": "phish", "name": "Phish", "domains": ["google.com"], "login_url": "https://accounts-google.evil.test/signin", "verify": {"url": "https://myaccount.google.com/"}}`,
			"login_url"},
		{"manifest auth.login_url elsewhere", "takeout-playwright.json",
			`{"connector_id": "takeout", "connect_url": "https://takeout.google.com/", "connect_selector": "#x", "auth": {"login_url": "https://accounts-google.evil.test/ServiceLogin"}}`,
			"auth.login_url"},
		{"manifest sign-in domain that is a public suffix", "sso-playwright.json",
			`{"connector_id": "sso", "connect_url": "https://app.example.org/", "auth": {"sign_in_domains": ["com"]}}`,
			"auth.sign_in_domains[0]"},
		{"native login_url in a declared sign-in domain", "corp.json",
			`{"id": "corp", "name": "Corp", "domains": ["corp.example"], "sign_in_domains": ["login.sso.example"], "login_url": "https://login.sso.example/corp", "verify": {"url": "https://corp.example/me"}}`,
			""},
		{"native login_url inside the domains", "own.json",
			`{"id": "own", "name": "Own", "domains": ["own.example"], "login_url": "https://www.own.example/login"}`,
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tt.file: tt.content, "ok.json": `{"id": "ok", "name": "OK", "domains": ["ok.example"]}`})
			s, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.Get("ok"); !ok {
				t.Errorf("the other file did not load")
			}
			probs := problemsText(s)
			if tt.field == "" {
				if probs != "" {
					t.Fatalf("refused: %s", probs)
				}
				return
			}
			path := filepath.Join(dir, tt.file)
			if !strings.Contains(probs, path+": "+tt.field+" ") {
				t.Fatalf("problems %q, want one naming %s and %s", probs, path, tt.field)
			}
		})
	}
}

// TestSignInDomainsAreKept: the declared sign-in domains reach the
// definition (normalized) so that the popup can show them before a tab
// opens, and they give the connector no cookies.
func TestSignInDomainsAreKept(t *testing.T) {
	d, err := Parse([]byte(`{"id": "corp", "name": "Corp", "domains": ["corp.example"], "sign_in_domains": [".Login.SSO.example"], "login_url": "https://login.sso.example/corp"}`), "/corp.json")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.SignInDomains, []string{"login.sso.example"}) {
		t.Errorf("SignInDomains = %v", d.SignInDomains)
	}
	if d.Covers("login.sso.example") {
		t.Errorf("a sign-in domain must not be a cookie scope")
	}
	if !d.MayOpen("https://login.sso.example/corp") || d.MayOpen("https://evil.test/") {
		t.Errorf("MayOpen is wrong")
	}
}
