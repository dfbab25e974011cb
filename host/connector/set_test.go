package connector

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

// fixturesDir finds the data-export app's manifests kept next to the
// repository, or in $AUTHBRIDGE_FIXTURES.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dirs := []string{filepath.Join("..", "..", "..", "shared", "fixtures", "data-connectors")}
	if env := os.Getenv("AUTHBRIDGE_FIXTURES"); env != "" {
		dirs = append([]string{env, filepath.Join(env, "data-connectors")}, dirs...)
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "github-playwright.json")); err == nil {
			abs, err := filepath.Abs(d)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("data-connectors fixtures not found in %v (set AUTHBRIDGE_FIXTURES)", dirs)
	}
	t.Skipf("data-connectors fixtures not found in %v (set AUTHBRIDGE_FIXTURES); with CI set this test fails instead", dirs)
	return ""
}

// writeFiles writes name -> content into a fresh directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := testtmp.Dir(t)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ids(defs []Definition) []string {
	var out []string
	for _, d := range defs {
		out = append(out, d.ID)
	}
	return out
}

func TestLoadFixtures(t *testing.T) {
	dir := fixturesDir(t)
	s, err := Load(testtmp.Dir(t), dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p := s.Problems(); len(p) != 0 {
		t.Fatalf("Problems() = %v, want none", p)
	}
	tests := []struct {
		id, name    string
		domains     []string
		cookies     []string
		url         string
		selector    string
		mfaInherits bool
	}{
		{"amazon-playwright", "Amazon", []string{"amazon.com"}, []string{"session-id", "at-main", "x-main"},
			"https://www.amazon.com", "#nav-link-accountList span.nav-line-1", true},
		{"chatgpt-playwright", "ChatGPT", []string{"chatgpt.com"}, nil,
			"https://chatgpt.com/", "nav a[href^='/c/']", false},
		{"github-playwright", "GitHub", []string{"github.com"}, []string{"user_session", "__Host-user_session_same_site"},
			"https://github.com/login", "meta[name='user-login'][content], summary[aria-label*='View profile and more']", true},
		{"instagram-playwright", "Instagram", []string{"instagram.com"}, []string{"sessionid"},
			"https://www.instagram.com/accounts/login/", "svg[aria-label='Home'], a[href='/direct/inbox/']", true},
		{"linkedin-playwright", "LinkedIn", []string{"linkedin.com"}, []string{"li_at"},
			"https://www.linkedin.com/login", "a[href*='/feed/'], .feed-identity-module, .global-nav__me", false},
		{"spotify-playwright", "Spotify", []string{"spotify.com"}, []string{"sp_dc"},
			"https://open.spotify.com/", "button[data-testid='user-widget-link']", false},
		{"youtube-playwright", "YouTube", []string{"youtube.com", "google.com"}, []string{"SID", "__Secure-1PSID"},
			"https://www.youtube.com/", "button#avatar-btn, ytd-topbar-menu-button-renderer button#avatar-btn", true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d, ok := s.Get(tt.id)
			if !ok {
				t.Fatalf("Get(%q) found nothing; have %v", tt.id, ids(s.All()))
			}
			if d.Kind != KindDataConnectors {
				t.Errorf("Kind = %q, want %q", d.Kind, KindDataConnectors)
			}
			if want := filepath.Join(dir, tt.id+".json"); d.Source != want {
				t.Errorf("Source = %q, want %q", d.Source, want)
			}
			if d.Name != tt.name {
				t.Errorf("Name = %q, want %q", d.Name, tt.name)
			}
			if !slices.Equal(d.Domains, tt.domains) {
				t.Errorf("Domains = %q, want %q", d.Domains, tt.domains)
			}
			if !slices.Equal(d.AuthCookies, tt.cookies) {
				t.Errorf("AuthCookies = %q, want %q", d.AuthCookies, tt.cookies)
			}
			if d.LoginURL != tt.url || d.Verify.URL != tt.url {
				t.Errorf("LoginURL, Verify.URL = %q, %q, want %q", d.LoginURL, d.Verify.URL, tt.url)
			}
			if d.Verify.LoggedInSelector != tt.selector {
				t.Errorf("LoggedInSelector = %q, want %q", d.Verify.LoggedInSelector, tt.selector)
			}
			if !d.Verify.Browser {
				t.Errorf("Verify.Browser = false, want true")
			}
			if got := len(d.Verify.MFAPatterns) > 0; got != tt.mfaInherits {
				t.Errorf("has MFA patterns = %v, want %v", got, tt.mfaInherits)
			}
			if err := Validate(d); err != nil {
				t.Errorf("Validate = %v", err)
			}
		})
	}
	// The manifests sit beside the built-ins, not in their place.
	for _, id := range []string{"github", "google", "linkedin"} {
		if d, ok := s.Get(id); !ok || d.Kind != KindBuiltin {
			t.Errorf("Get(%q) = %+v, %v, want the built-in", id, d, ok)
		}
	}
}

func TestParseFileFixtures(t *testing.T) {
	dir := fixturesDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*-playwright.json"))
	if err != nil || len(paths) != 7 {
		t.Fatalf("Glob = %v, %v, want 7 manifests", paths, err)
	}
	for _, p := range paths {
		d, err := ParseFile(p)
		if err != nil {
			t.Errorf("ParseFile(%q): %v", p, err)
			continue
		}
		if d.Source != p || d.Kind != KindDataConnectors {
			t.Errorf("ParseFile(%q) Source, Kind = %q, %q", p, d.Source, d.Kind)
		}
	}
}

const goodNative = `{"id": "good", "name": "Good", "domains": ["good.example"], "auth_cookies": ["sid"],
  "login_url": "https://good.example/login",
  "verify": {"url": "https://www.good.example/account", "logged_in_selector": "#me",
    "login_patterns": ["/login"], "mfa_patterns": ["re:/two-?factor"], "checkpoint_patterns": ["/checkpoint"]}}`

// TestLoadRefusesMalformed loads each bad file next to a good one: the bad
// file is refused with a message naming the file and the field, and the good
// one loads anyway.
func TestLoadRefusesMalformed(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the problem, after the file name
	}{
		{"bad-json", `{"id": "x", "domains": ["x.example"],`, []string{"invalid JSON", "line 1"}},
		{"bad-json-line", "{\n  \"id\": \"x\"\n  \"domains\": []\n}", []string{"invalid JSON at line 3, column 3"}},
		{"empty", ``, []string{"invalid JSON"}},
		{"not-object", `["x.example"]`, []string{"must hold a JSON object"}},
		{"null", `null`, []string{"must hold a JSON object"}},
		{"trailing", `{"id": "x", "domains": ["x.example"]} {}`, []string{"invalid JSON"}},
		{"unknown-field", `{"id": "x", "domains": ["x.example"], "colour": "red"}`, []string{`colour is not a known field`}},
		{"unknown-nested", `{"id": "x", "domains": ["x.example"], "verify": {"urll": "https://x.example/"}}`,
			[]string{`verify.urll is not a known field`}},
		{"unknown-source", `{"id": "x", "domains": ["x.example"], "Source": "builtin"}`, []string{`Source is not a known field`}},
		{"wrong-type", `{"id": "x", "domains": "x.example"}`, []string{`domains must be a list of strings, not string`}},
		{"wrong-type-nested", `{"id": "x", "domains": ["x.example"], "verify": {"browser": "yes"}}`,
			[]string{`verify.browser must be true or false, not string`}},
		{"missing-id", `{"domains": ["x.example"]}`, []string{`id is missing`}},
		{"bad-id", `{"id": "My Connector", "domains": ["x.example"]}`, []string{`id "My Connector" must be`}},
		{"missing-domains", `{"id": "x"}`, []string{`domains is missing`}},
		{"empty-domains", `{"id": "x", "domains": []}`, []string{`domains is missing`}},
		{"suffix-com", `{"id": "x", "domains": ["com"]}`, []string{`domains[0] "com" is a public suffix`}},
		{"suffix-co-uk", `{"id": "x", "domains": ["x.example", "co.uk"]}`, []string{`domains[1] "co.uk" is a public suffix`}},
		{"suffix-github-io", `{"id": "x", "domains": ["github.io"]}`, []string{`domains[0] "github.io" is a public suffix`}},
		{"suffix-dot", `{"id": "x", "domains": [".co.uk"]}`, []string{`domains[0] ".co.uk" is a public suffix`}},
		{"domain-url", `{"id": "x", "domains": ["https://x.example/"]}`, []string{`domains[0] "https://x.example/" must be a host name, not a URL`}},
		{"domain-port", `{"id": "x", "domains": ["x.example:8080"]}`, []string{`domains[0] "x.example:8080" must be a host name without a port`}},
		{"domain-empty", `{"id": "x", "domains": [""]}`, []string{`domains[0] "" is empty`}},
		{"domain-twice", `{"id": "x", "domains": ["x.example", ".X.example"]}`, []string{`domains[1] ".X.example" repeats domains[0]`}},
		{"bad-cookie", `{"id": "x", "domains": ["x.example"], "auth_cookies": ["a b"]}`, []string{`auth_cookies[0] "a b" is not a valid cookie name`}},
		{"bad-login-url", `{"id": "x", "domains": ["x.example"], "login_url": "x.example/login"}`,
			[]string{`login_url "x.example/login" must be an absolute http or https URL`}},
		{"bad-login-url-parse", `{"id": "x", "domains": ["x.example"], "login_url": "http://x .example/%zz"}`,
			[]string{`login_url "http://x .example/%zz" is not a valid URL`}},
		{"bad-verify-url", `{"id": "x", "domains": ["x.example"], "verify": {"url": "ftp://x.example/"}}`,
			[]string{`verify.url "ftp://x.example/" must be an absolute http or https URL`}},
		{"verify-url-outside", `{"id": "x", "domains": ["x.example"], "verify": {"url": "https://notx.example/"}}`,
			[]string{`verify.url "https://notx.example/" is outside the connector's domains`}},
		{"bad-regexp", `{"id": "x", "domains": ["x.example"], "verify": {"login_patterns": ["/login", "re:("]}}`,
			[]string{`verify.login_patterns[1] "re:(" is not a valid regular expression`}},
		{"empty-pattern", `{"id": "x", "domains": ["x.example"], "verify": {"checkpoint_patterns": [" "]}}`,
			[]string{`verify.checkpoint_patterns[0] is empty`}},
		{"relative-session", `{"id": "x", "domains": ["x.example"], "session": {"storage_state": "state.json"}}`,
			[]string{`session.storage_state "state.json" must be an absolute path`}},
		{"two-problems", `{"id": "x", "domains": ["com"], "login_url": "nope"}`,
			[]string{`domains[0] "com" is a public suffix`, `login_url "nope"`}},

		{"manifest-no-id", `{"runtime": "playwright", "connect_url": "https://x.example/"}`, []string{`connector_id is missing`}},
		{"manifest-no-url", `{"connector_id": "x-playwright"}`, []string{`connect_url is missing`}},
		{"manifest-bad-url", `{"connector_id": "x-playwright", "connect_url": "x.example"}`,
			[]string{`connect_url "x.example" must be an absolute http or https URL`}},
		{"manifest-url-type", `{"connector_id": "x-playwright", "connect_url": 7}`, []string{`connect_url must be a string, not number`}},
		{"manifest-url-suffix", `{"connector_id": "x-playwright", "connect_url": "https://github.io/"}`,
			[]string{`connect_url "github.io" is a public suffix`}},
		{"manifest-brand-suffix", `{"connector_id": "x-playwright", "connect_url": "https://x.example/",
			"consumer_metadata": {"brand_domain": "co.uk"}}`,
			[]string{`consumer_metadata.brand_domain "co.uk" is a public suffix`}},
		{"manifest-bad-id", `{"connector_id": "X Playwright", "connect_url": "https://x.example/"}`,
			[]string{`connector_id "X Playwright" must be`}},
		{"manifest-auth-unknown", `{"connector_id": "x-playwright", "connect_url": "https://x.example/",
			"auth": {"verify": {"login_pattern": ["/login"]}}}`, []string{`auth.verify.login_pattern is not a known field`}},
		{"manifest-auth-type", `{"connector_id": "x-playwright", "connect_url": "https://x.example/", "auth": {"auth_cookies": "sid"}}`,
			[]string{`auth.auth_cookies must be a list of strings, not string`}},
		{"manifest-auth-not-object", `{"connector_id": "x-playwright", "connect_url": "https://x.example/", "auth": []}`,
			[]string{`auth must be an object, not array`}},
		{"manifest-auth-domain", `{"connector_id": "x-playwright", "connect_url": "https://x.example/", "auth": {"domains": ["com"]}}`,
			[]string{`auth.domains[0] "com" is a public suffix`}},
		{"manifest-auth-pattern", `{"connector_id": "x-playwright", "connect_url": "https://x.example/",
			"auth": {"verify": {"mfa_patterns": ["re:[" ]}}}`, []string{`auth.verify.mfa_patterns[0] "re:[" is not a valid regular expression`}},
		{"manifest-auth-verify-url", `{"connector_id": "x-playwright", "connect_url": "https://x.example/",
			"auth": {"verify": {"url": "https://elsewhere.example/"}}}`,
			[]string{`auth.verify.url "https://elsewhere.example/" is outside the connector's domains`}},
		{"manifest-auth-session", `{"connector_id": "x-playwright", "connect_url": "https://x.example/",
			"auth": {"session": {"profile_dir": "profiles/x"}}}`, []string{`auth.session.profile_dir "profiles/x" must be an absolute path`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tt.name + ".json": tt.content, "good.json": goodNative})
			s, err := Load(dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if _, ok := s.Get("good"); !ok {
				t.Errorf("good.json did not load next to %s.json", tt.name)
			}
			problems := s.Problems()
			if len(problems) != 1 {
				t.Fatalf("Problems() = %v, want one", problems)
			}
			var fe *FileError
			if !errors.As(problems[0], &fe) {
				t.Fatalf("problem %v is %T, want *FileError", problems[0], problems[0])
			}
			path := filepath.Join(dir, tt.name+".json")
			if fe.Path != path {
				t.Errorf("FileError.Path = %q, want %q", fe.Path, path)
			}
			msg := problems[0].Error()
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, path+": ") {
					t.Errorf("problem line %q does not start with the file name", line)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("problem = %q, want it to contain %q", msg, w)
				}
			}
			for _, d := range s.All() {
				if d.Source == path {
					t.Errorf("refused file still defines %q", d.ID)
				}
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	dir := writeFiles(t, map[string]string{"bad.json": `{"id": "bad", "domains": ["co.uk"]}`})
	_, err := ParseFile(filepath.Join(dir, "bad.json"))
	want := filepath.Join(dir, "bad.json") + `: domains[0] "co.uk" is a public suffix`
	if err == nil || err.Error() != want {
		t.Errorf("ParseFile error = %v, want %q", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "domains[0]" {
		t.Errorf("errors.As(FieldError) = %+v, want Field domains[0]", fe)
	}
}

func TestValidateDomains(t *testing.T) {
	tests := []struct {
		domain string
		ok     bool
	}{
		{"127.0.0.1", true},
		{"localhost", true},
		{"demo.test", true},
		{"sub.demo.test", true},
		{"github.com", true},
		{"user.github.io", true},
		{"bbc.co.uk", true},
		{".linkedin.com", true},
		{"::1", true},
		{"[::1]", true},
		{"com", false},
		{"uk", false},
		{"co.uk", false},
		{"github.io", false},
		{"blogspot.com", false},
		{"", false},
		{"exa mple.com", false},
		{"-x.example", false},
		{"bücher.example", false},
		{"xn--bcher-kva.example", true},
	}
	for _, tt := range tests {
		d := Definition{ID: "x", Domains: []string{tt.domain}}
		err := Validate(d)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(domains %q) = %v, want ok %v", tt.domain, err, tt.ok)
		}
	}
}

func TestValidateLoopbackConnector(t *testing.T) {
	d := Definition{
		ID:          "demo",
		Domains:     []string{"127.0.0.1", "localhost"},
		AuthCookies: []string{"sid"},
		LoginURL:    "http://127.0.0.1:5555/login",
		Verify:      Verify{URL: "http://localhost:5555/account", LoggedInSelector: "#account-name"},
		Session:     &Session{StorageState: filepath.Join(testtmp.Dir(t), "demo.json")},
	}
	if err := Validate(d); err != nil {
		t.Errorf("Validate = %v, want nil", err)
	}
}

func TestLoadDuplicateIDs(t *testing.T) {
	home := writeFiles(t, map[string]string{
		"a.json":            `{"id": "dup", "domains": ["a.example"]}`,
		"b.json":            `{"id": "dup", "domains": ["b.example"]}`,
		"dup-manifest.json": `{"connector_id": "dup", "connect_url": "https://c.example/"}`,
	})
	extra := writeFiles(t, map[string]string{
		"a.json": `{"id": "dup", "domains": ["d.example"]}`,
	})
	s, err := Load(home, extra)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Get("dup")
	if d.Source != filepath.Join(home, "a.json") {
		t.Errorf("dup from %q, want the first file", d.Source)
	}
	problems := s.Problems()
	if len(problems) != 3 {
		t.Fatalf("Problems() = %v, want 3", problems)
	}
	wants := []string{
		filepath.Join(home, "b.json") + `: id "dup" is already defined by ` + filepath.Join(home, "a.json"),
		filepath.Join(extra, "a.json") + `: id "dup" is already defined by ` + filepath.Join(home, "a.json"),
		filepath.Join(home, "dup-manifest.json") + `: connector_id "dup" is already defined by ` + filepath.Join(home, "a.json"),
	}
	for i, w := range wants {
		if problems[i].Error() != w {
			t.Errorf("problem %d = %q, want %q", i, problems[i], w)
		}
	}
}

func TestLoadTooLarge(t *testing.T) {
	big := `{"id": "big", "domains": ["big.example"], "name": "` + strings.Repeat("x", maxFileSize) + `"}`
	dir := writeFiles(t, map[string]string{"big.json": big})
	s, _ := Load(dir)
	if p := s.Problems(); len(p) != 1 || !strings.Contains(p[0].Error(), "big.json: file is larger than") {
		t.Errorf("Problems() = %v", p)
	}
}

func TestSetAdd(t *testing.T) {
	s := NewSet()
	demo := Definition{
		ID: "demo", Name: "Demo Site", Domains: []string{".Demo.Test"}, AuthCookies: []string{"sid"},
		LoginURL: "http://demo.test:8080/login",
		Verify:   Verify{URL: "http://demo.test:8080/account", LoginPatterns: []string{"/login"}},
	}
	if err := s.Add(demo); err != nil {
		t.Fatalf("Add(demo) = %v", err)
	}
	got, ok := s.Get("demo")
	if !ok || got.Kind != KindBuiltin || got.Source != "builtin" || got.Domains[0] != "demo.test" {
		t.Errorf("Get(demo) = %+v, %v", got, ok)
	}
	if err := s.Add(demo); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Add(demo) twice = %v, want ErrDuplicate", err)
	}
	if err := s.Add(Definition{ID: "bad", Domains: []string{"co.uk"}}); err == nil || !strings.Contains(err.Error(), `domains[0] "co.uk" is a public suffix`) {
		t.Errorf("Add(public suffix) = %v", err)
	}
	if _, ok := s.Get("bad"); ok {
		t.Errorf("invalid definition was added")
	}

	// A file keeps precedence over a built-in added after loading.
	dir := writeFiles(t, map[string]string{"demo.json": `{"id": "demo", "domains": ["127.0.0.1"]}`})
	s, _ = Load(dir)
	if err := s.Add(demo); err != nil {
		t.Errorf("Add(demo) over a file = %v, want nil", err)
	}
	if got, _ := s.Get("demo"); got.Kind != KindNative {
		t.Errorf("demo Kind = %q, want the file's", got.Kind)
	}

	// Returned definitions are copies.
	got, _ = s.Get("demo")
	got.Domains[0] = "changed"
	if again, _ := s.Get("demo"); again.Domains[0] == "changed" {
		t.Errorf("Get shares its slices with the set")
	}
}

func TestCovers(t *testing.T) {
	d := Definition{Domains: []string{"google.com", "youtube.com", "127.0.0.1"}}
	tests := []struct {
		host string
		want bool
	}{
		{"google.com", true},
		{".google.com", true},
		{"accounts.google.com", true},
		{"www.youtube.com", true},
		{"127.0.0.1", true},
		{"notgoogle.com", false},
		{"com", false},
		{"google.co.uk", false},
		{"127.0.0.2", false},
	}
	for _, tt := range tests {
		if got := d.Covers(tt.host); got != tt.want {
			t.Errorf("Covers(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	sub := Definition{Domains: []string{"accounts.example.com"}}
	if sub.Covers("example.com") {
		t.Errorf("Covers(parent domain) = true, want false")
	}
}

func TestValidateSourceStore(t *testing.T) {
	tests := []struct {
		store string
		ok    bool
	}{
		{"", true},
		{"Work", true},
		{"Personal Banking", true},
		{" Work", false},
		{"Work\n", false},
		{"a\x00b", false},
		{strings.Repeat("x", 101), false},
	}
	for _, tt := range tests {
		d := Definition{ID: "shop", Domains: []string{"shop.test"}, AuthCookies: []string{"sid"}, SourceStore: tt.store,
			Verify: Verify{URL: "https://shop.test/account", LoggedInSelector: "#a"}}
		err := Validate(d)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(source_store %q) = %v, want ok %v", tt.store, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "source_store") {
			t.Errorf("Validate(source_store %q) error %q does not name the field", tt.store, err)
		}
	}
}

func TestLoadEncodingAndNames(t *testing.T) {
	tests := []struct {
		name, content string
		wantID        string // loaded, or "" when refused
		wantProblem   string
	}{
		{"utf-8 BOM is skipped", "\xef\xbb\xbf" + `{"id":"bom","domains":["bom.test"]}`, "bom", ""},
		{"utf-16 BOM is named", "\xff\xfe{\x00}\x00", "", "UTF-16 byte-order mark"},
		{"invalid UTF-8 is named", `{"id":"bad","name":"caf` + "\xe9" + `","domains":["bad.test"]}`, "", "not valid UTF-8 (line 1, column 24)"},
		{"control characters in a name", `{"id":"esc","name":"a\u001b[31mred","domains":["esc.test"]}`, "", "name holds the control character U+001B"},
		{"bidi override in a name", `{"id":"bidi","name":"a` + "\u202e" + `b","domains":["bidi.test"]}`, "", "name holds the control character U+202E"},
		{"syntax error does not quote the byte", `{"id": Xyz}`, "", "unexpected character looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := Load(writeFiles(t, map[string]string{"f.json": tt.content}))
			if tt.wantID != "" {
				if _, ok := s.Get(tt.wantID); !ok {
					t.Fatalf("%s not loaded; problems %v", tt.wantID, s.Problems())
				}
				return
			}
			probs := s.Problems()
			if len(probs) != 1 || !strings.Contains(probs[0].Error(), tt.wantProblem) {
				t.Fatalf("problems %v, want one saying %q", probs, tt.wantProblem)
			}
			if strings.Contains(probs[0].Error(), "'X'") {
				t.Errorf("the problem quotes the file's content: %v", probs[0])
			}
		})
	}
}
