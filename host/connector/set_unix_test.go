//go:build !windows

package connector

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

func TestOverridePrecedence(t *testing.T) {
	home := writeFiles(t, map[string]string{
		// A native file redefines the built-in github with another cookie.
		"github.json": `{"id": "github", "name": "GitHub (mine)", "domains": ["github.com"],
			"auth_cookies": ["my_session"],
			"verify": {"url": "https://github.com/settings", "login_patterns": ["/login"], "mfa_patterns": ["/sessions/two-factor"]}}`,
		// A manifest inherits from that file, not from the built-in.
		"github-playwright.json": `{"connector_id": "github-playwright", "runtime": "playwright",
			"connect_url": "https://github.com/login", "connect_selector": "meta[name='user-login']",
			"consumer_metadata": {"brand_domain": "github.com"}}`,
		// The auth block overrides inheritance, even with an empty list.
		"linkedin-playwright.json": `{"connector_id": "linkedin-playwright", "runtime": "playwright",
			"connect_url": "https://www.linkedin.com/login", "connect_selector": ".global-nav__me",
			"consumer_metadata": {"brand_domain": "linkedin.com"},
			"auth": {"auth_cookies": ["li_at", "JSESSIONID"], "verify": {"checkpoint_patterns": [], "browser": false,
			  "url": "https://www.linkedin.com/feed/"},
			  "session": {"storage_state": "/home/me/.dataconnect/state/linkedin.json"}}}`,
		// connect_url and brand domain on different sites: both are kept.
		"chat-playwright.json": `{"connector_id": "chat-playwright", "runtime": "playwright",
			"connect_url": "https://chat.openai.com/auth/login", "connect_selector": "nav",
			"consumer_metadata": {"brand_domain": "www.chatgpt.com"}, "auth": {"domains": ["auth.openai.com", "oaistatic.com"]}}`,
		// Legacy camelCase fields stand in for missing snake_case ones.
		"legacy-playwright.json": `{"id": "legacy-playwright", "runtime": "playwright",
			"connectURL": "https://open.spotify.com/", "connectSelector": "#me"}`,
	})
	s, err := Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); len(p) != 0 {
		t.Fatalf("Problems() = %v", p)
	}

	gh, _ := s.Get("github")
	if gh.Kind != KindNative || gh.Source != filepath.Join(home, "github.json") || gh.Name != "GitHub (mine)" {
		t.Errorf("github = %q from %q (%s), want the native file", gh.Name, gh.Source, gh.Kind)
	}
	ghp, _ := s.Get("github-playwright")
	if !slices.Equal(ghp.AuthCookies, []string{"my_session"}) {
		t.Errorf("github-playwright AuthCookies = %q, want the override's [my_session]", ghp.AuthCookies)
	}
	if ghp.Verify.Match("https://github.com/sessions/two-factor/app") != WallMFA {
		t.Errorf("github-playwright did not inherit the MFA pattern: %+v", ghp.Verify)
	}
	if ghp.Verify.URL != "https://github.com/login" || ghp.Verify.LoggedInSelector != "meta[name='user-login']" {
		t.Errorf("github-playwright verify = %+v, want its own URL and selector", ghp.Verify)
	}

	li, _ := s.Get("linkedin-playwright")
	if !slices.Equal(li.AuthCookies, []string{"li_at", "JSESSIONID"}) {
		t.Errorf("linkedin-playwright AuthCookies = %q", li.AuthCookies)
	}
	if li.Verify.CheckpointPatterns == nil || len(li.Verify.CheckpointPatterns) != 0 {
		t.Errorf("CheckpointPatterns = %#v, want the auth block's empty list", li.Verify.CheckpointPatterns)
	}
	if len(li.Verify.LoginPatterns) == 0 {
		t.Errorf("LoginPatterns not inherited from the built-in linkedin")
	}
	if li.Verify.Browser || li.Verify.URL != "https://www.linkedin.com/feed/" || li.LoginURL != "https://www.linkedin.com/login" {
		t.Errorf("verify = %+v, login_url %q: want browser false, the auth block's URL, connect_url as login", li.Verify, li.LoginURL)
	}
	if li.Session == nil || li.Session.StorageState != "/home/me/.dataconnect/state/linkedin.json" {
		t.Errorf("Session = %+v", li.Session)
	}

	chat, _ := s.Get("chat-playwright")
	if want := []string{"openai.com", "chatgpt.com", "auth.openai.com", "oaistatic.com"}; !slices.Equal(chat.Domains, want) {
		t.Errorf("chat-playwright Domains = %q, want %q", chat.Domains, want)
	}
	if len(chat.AuthCookies) != 0 {
		t.Errorf("chat-playwright inherited cookies %q from nowhere", chat.AuthCookies)
	}

	legacy, _ := s.Get("legacy-playwright")
	if legacy.Verify.URL != "https://open.spotify.com/" || legacy.Verify.LoggedInSelector != "#me" ||
		!slices.Equal(legacy.AuthCookies, []string{"sp_dc"}) || legacy.Name != "legacy-playwright" {
		t.Errorf("legacy-playwright = %+v", legacy)
	}

	// Built-ins not overridden stay, and All is sorted by id.
	all := ids(s.All())
	if !slices.IsSorted(all) {
		t.Errorf("All() ids = %q, not sorted", all)
	}
	if x, _ := s.Get("x"); x.Kind != KindBuiltin {
		t.Errorf("built-in x missing: %v", all)
	}
}

func TestLoadDirectories(t *testing.T) {
	s, err := Load(filepath.Join(testtmp.Dir(t), "missing"))
	if err != nil || len(s.Problems()) != 0 || len(s.All()) != len(Builtins()) {
		t.Errorf("Load(missing dir) = %d defs, %v, %v; want the built-ins alone", len(s.All()), s.Problems(), err)
	}

	file := filepath.Join(testtmp.Dir(t), "connectors")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := writeFiles(t, map[string]string{"good.json": goodNative})
	s, err = Load(file, good)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Load(a file as dir) error = %v, want one naming %s", err, file)
	}
	if s == nil || len(s.Problems()) != 1 {
		t.Fatalf("Load(a file as dir) set = %v", s)
	}
	if _, ok := s.Get("good"); !ok {
		t.Errorf("the other directory did not load")
	}

	// Only *.json files, no dot files, no subdirectories.
	dir := writeFiles(t, map[string]string{
		"good.json":      goodNative,
		".hidden.json":   `{`,
		"notes.txt":      `{`,
		"good.json~":     `{`,
		"backup.json.gz": `{`,
	})
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err = Load(dir)
	if err != nil || len(s.Problems()) != 0 {
		t.Errorf("Load = %v, %v; want no problem", s.Problems(), err)
	}
	if _, ok := s.Get("good"); !ok {
		t.Errorf("good.json not loaded")
	}
	if _, err := Load(""); err != nil {
		t.Errorf("Load(\"\") = %v", err)
	}
}
