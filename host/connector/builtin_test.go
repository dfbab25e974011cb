package connector

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinsKeyFields pins the fields of each built-in definition that
// decide what a connector receives and where it is probed.
func TestBuiltinsKeyFields(t *testing.T) {
	tests := []struct {
		id, name  string
		domains   []string
		cookies   []string
		loginURL  string
		verifyURL string
		browser   bool
	}{
		{"amazon", "Amazon", []string{"amazon.com"}, []string{"session-id", "at-main", "x-main"}, "https://www.amazon.com/gp/sign-in.html", "https://www.amazon.com/gp/css/homepage.html", false},
		{"github", "GitHub", []string{"github.com"}, []string{"user_session", "__Host-user_session_same_site"}, "https://github.com/login", "https://github.com/settings/profile", false},
		{"google", "Google and YouTube", []string{"google.com", "youtube.com"}, []string{"SID", "__Secure-1PSID"}, "https://accounts.google.com/ServiceLogin", "https://myaccount.google.com/", true},
		{"instagram", "Instagram", []string{"instagram.com"}, []string{"sessionid"}, "https://www.instagram.com/accounts/login/", "https://www.instagram.com/accounts/edit/", true},
		{"linkedin", "LinkedIn", []string{"linkedin.com"}, []string{"li_at"}, "https://www.linkedin.com/login", "https://www.linkedin.com/feed/", true},
		{"reddit", "Reddit", []string{"reddit.com"}, []string{"reddit_session"}, "https://www.reddit.com/login/", "https://old.reddit.com/prefs/", false},
		{"spotify", "Spotify", []string{"spotify.com"}, []string{"sp_dc"}, "https://accounts.spotify.com/login", "https://open.spotify.com/", true},
		{"x", "X (Twitter)", []string{"x.com", "twitter.com"}, []string{"auth_token"}, "https://x.com/i/flow/login", "https://x.com/home", true},
	}
	got := Builtins()
	if len(got) != len(tests) {
		t.Fatalf("Builtins() has %d definitions, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		d := got[i]
		if d.ID != tt.id || d.Name != tt.name || !slices.Equal(d.Domains, tt.domains) || !slices.Equal(d.AuthCookies, tt.cookies) ||
			d.LoginURL != tt.loginURL || d.Verify.URL != tt.verifyURL || d.Verify.Browser != tt.browser {
			t.Errorf("Builtins()[%d] = %+v, want %+v", i, d, tt)
		}
		if d.Kind != KindBuiltin || d.Source != KindBuiltin {
			t.Errorf("Builtins()[%d] Kind, Source = %q, %q; want %q", i, d.Kind, d.Source, KindBuiltin)
		}
		if d.Verify.LoggedInSelector == "" || len(d.Verify.LoginPatterns) == 0 {
			t.Errorf("Builtins()[%d] (%s) has no signed-in selector or login pattern", i, d.ID)
		}
	}
}

// TestBuiltinNotesNameFields checks that every note of builtin.json explains
// a field its definition sets, so that a note cannot outlive its field.
func TestBuiltinNotesNameFields(t *testing.T) {
	var entries []builtinEntry
	if err := json.Unmarshal(builtinJSON, &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		var def map[string]any
		if err := json.Unmarshal(e.Definition, &def); err != nil {
			t.Fatal(err)
		}
		for field, note := range e.Notes {
			var v any = def
			for _, part := range strings.Split(field, ".") {
				m, _ := v.(map[string]any)
				v = m[part]
			}
			if v == nil || note == "" {
				t.Errorf("%s: note on %q, a field the definition does not set (or an empty note)", def["id"], field)
			}
		}
	}
}

// TestParseBuiltinsRefuses checks that built-in data goes through the
// native parser's checks.
func TestParseBuiltinsRefuses(t *testing.T) {
	tests := []struct{ data, want string }{
		{`[{"definition": {"id": "a", "name": "A", "domains": ["a.test"], "verify": {"url": "https://a.test/", "logged_in_selector": "x"}, "colour": 1}}]`, "colour is not a known field"},
		{`[{"definition": {"id": "a", "name": "A", "domains": ["com"], "verify": {"url": "https://a.test/", "logged_in_selector": "x"}}}]`, "public suffix"},
		{`[{"definition": {}, "comment": ""}]`, "comment is not a known field"},
		{`{`, "must hold a list of objects, not object"},
		{`[{"definition": {"id": }}]`, "invalid JSON at line 1, column 24: unexpected character looking for beginning of value"},
	}
	for _, tt := range tests {
		if _, err := parseBuiltins([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseBuiltins(%s) = %v, want an error containing %q", tt.data, err, tt.want)
		}
	}
}
