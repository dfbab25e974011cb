package taxonomy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

var demoPatterns = Patterns{
	Login:      []string{"/login"},
	MFA:        []string{"/two-factor"},
	Checkpoint: []string{"/checkpoint", "re:^challenges?\\.demo\\.test/"},
}

func hops(urls ...string) []Hop {
	h := make([]Hop, len(urls))
	for i, u := range urls {
		h[i] = Hop{URL: u, Status: 302}
	}
	h[len(h)-1].Status = 200
	return h
}

func TestClassify(t *testing.T) {
	const account = "https://demo.test/account"
	tests := []struct {
		name   string
		ev     Evidence
		code   Code
		detail string
	}{
		{"healthy", Evidence{Hops: hops(account), Status: 200, LoggedInMatched: true}, OK, DetailLoggedIn},
		{"browser not connected beats everything", Evidence{BrowserNotConnected: true, CookiesAbsent: []string{"sid"}, Transport: TransportDNS}, Unknown, DetailBrowserNotConnected},
		{"cookie absent", Evidence{CookiesAbsent: []string{"sid"}}, ProfileCookieMissing, DetailCookieAbsent},
		{"cookie absent beats expired", Evidence{CookiesAbsent: []string{"a"}, CookiesExpired: []string{"b"}}, ProfileCookieMissing, DetailCookieAbsent},
		{"cookie expired", Evidence{CookiesPresent: []string{"a"}, CookiesExpired: []string{"sid"}}, ProfileCookieMissing, DetailCookieExpired},
		{"checkpoint redirect", Evidence{Hops: hops(account, "https://demo.test/checkpoint/challenge"), Status: 200}, Checkpoint, DetailCheckpointRedirect},
		{"checkpoint by regexp on host", Evidence{Hops: hops(account, "https://challenge.demo.test/x"), Status: 200}, Checkpoint, DetailCheckpointRedirect},
		{"checkpoint beats timeout", Evidence{Hops: []Hop{{account, 302}, {"https://demo.test/checkpoint", 0}}, Transport: TransportTimeout}, Checkpoint, DetailCheckpointRedirect},
		{"checkpoint beats mfa and login", Evidence{Hops: hops(account, "https://demo.test/login", "https://demo.test/two-factor", "https://demo.test/checkpoint")}, Checkpoint, DetailCheckpointRedirect},
		{"mfa redirect", Evidence{Hops: hops(account, "https://demo.test/two-factor"), Status: 200, LoginFormMatched: true}, MFARequired, DetailMFARedirect},
		{"mfa in final url only", Evidence{Hops: hops(account), FinalURL: "https://demo.test/two-factor?x=1", Status: 200}, MFARequired, DetailMFARedirect},
		{"dns", Evidence{Hops: []Hop{{account, 0}}, Transport: TransportDNS}, NetworkOrTimeout, DetailDNS},
		{"timeout", Evidence{Hops: []Hop{{account, 0}}, Transport: TransportTimeout}, NetworkOrTimeout, DetailTimeout},
		{"refused", Evidence{Transport: TransportRefused}, NetworkOrTimeout, DetailRefused},
		{"tls", Evidence{Transport: TransportTLS}, NetworkOrTimeout, DetailTLS},
		{"reset", Evidence{Transport: TransportReset}, NetworkOrTimeout, DetailReset},
		{"unreachable", Evidence{Transport: TransportUnreachable}, NetworkOrTimeout, DetailUnreachable},
		{"other transport", Evidence{Transport: TransportOther}, NetworkOrTimeout, DetailTransportError},
		{"unknown transport string", Evidence{Transport: "weird"}, NetworkOrTimeout, DetailTransportError},
		{"login redirect then timeout is network", Evidence{Hops: []Hop{{account, 302}, {"https://demo.test/login", 0}}, Transport: TransportTimeout}, NetworkOrTimeout, DetailTimeout},
		{"429 is never expired", Evidence{Hops: hops(account, "https://demo.test/login"), Status: 429, LoginFormMatched: true}, NetworkOrTimeout, DetailHTTP429},
		{"503", Evidence{Hops: hops(account), Status: 503}, NetworkOrTimeout, "http_503"},
		{"500 with login form", Evidence{Hops: hops(account), Status: 500, LoginFormMatched: true}, NetworkOrTimeout, "http_500"},
		{"login redirect", Evidence{Hops: hops(account, "https://demo.test/login?next=/account"), Status: 200, LoginFormMatched: true}, SessionExpired, DetailLoginRedirect},
		{"login redirect beats logged-in selector", Evidence{Hops: hops(account, "https://demo.test/login"), Status: 200, LoggedInMatched: true}, SessionExpired, DetailLoginRedirect},
		{"401", Evidence{Hops: hops(account), Status: 401}, SessionExpired, DetailHTTP401},
		{"401 beats logged-in selector", Evidence{Hops: hops(account), Status: 401, LoggedInMatched: true}, SessionExpired, DetailHTTP401},
		{"logged-in beats password-change form", Evidence{Hops: hops(account), Status: 200, LoggedInMatched: true, LoginFormMatched: true}, OK, DetailLoggedIn},
		{"login form", Evidence{Hops: hops(account), Status: 200, LoginFormMatched: true}, SessionExpired, DetailLoginForm},
		{"login form on 403", Evidence{Hops: hops(account), Status: 403, LoginFormMatched: true}, SessionExpired, DetailLoginForm},
		{"logged-in on 403 is not healthy", Evidence{Hops: hops(account), Status: 403, LoggedInMatched: true}, Checkpoint, DetailHTTP403},
		{"403", Evidence{Hops: hops(account), Status: 403}, Checkpoint, DetailHTTP403},
		{"404", Evidence{Hops: hops(account), Status: 404}, SelectorChanged, "http_404"},
		{"410", Evidence{Hops: hops(account), Status: 410}, SelectorChanged, "http_410"},
		{"selector missing", Evidence{Hops: hops(account), Status: 200}, SelectorChanged, DetailSelectorMissing},
		{"verify url matching a login pattern is not a redirect", Evidence{Hops: hops("https://demo.test/login-history"), Status: 200, LoggedInMatched: true, Patterns: Patterns{Login: []string{"/login"}}}, OK, DetailLoggedIn},
		{"redirect loop", Evidence{Hops: hops(account, "https://demo.test/a", "https://demo.test/b"), Status: 302, TooManyRedirects: true}, Unknown, DetailRedirectLoop},
		{"418", Evidence{Hops: hops(account), Status: 418}, Unknown, "http_418"},
		{"302 without location", Evidence{Hops: hops(account), Status: 302}, Unknown, "http_302"},
		{"nothing", Evidence{}, Unknown, DetailNoEvidence},
		{"invalid regexp matches nothing", Evidence{Hops: hops(account, "https://demo.test/x"), Status: 200, Patterns: Patterns{Checkpoint: []string{"re:("}}, LoggedInMatched: true}, OK, DetailLoggedIn},
		{"host is case-insensitive", Evidence{Hops: hops(account, "https://CHALLENGE.Demo.Test/"), Status: 200}, Checkpoint, DetailCheckpointRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			if ev.Patterns.Login == nil && ev.Patterns.MFA == nil && ev.Patterns.Checkpoint == nil {
				ev.Patterns = demoPatterns
			}
			got := Classify(ev)
			if got.Code != tt.code || got.Detail != tt.detail {
				t.Errorf("Classify(%v) = %v/%v, want %v/%v", ev, got.Code, got.Detail, tt.code, tt.detail)
			}
			checkResult(t, got)
		})
	}
}

// checkResult asserts the invariants every result keeps.
func checkResult(t *testing.T, r Result) {
	t.Helper()
	reason, ok := Lookup(r.Code)
	if !ok || r.Code == "" {
		t.Fatalf("result code %q is not a known code", r.Code)
	}
	if r.Detail == "" {
		t.Errorf("result %v has an empty detail", r.Code)
	}
	if r.Health != reason.Health || r.Health == "" {
		t.Errorf("result %v health = %q, want %q", r.Code, r.Health, reason.Health)
	}
	if r.Prompt.What == "" || r.Prompt.Why == "" || r.Prompt.Action.ID == "" || r.Prompt.Action.Label == "" {
		t.Errorf("result %v/%v has an incomplete prompt %+v", r.Code, r.Detail, r.Prompt)
	}
	if want := ActionFor(r.Code, r.Detail); r.Prompt.Action != want {
		t.Errorf("result %v/%v action = %v, want %v", r.Code, r.Detail, r.Prompt.Action, want)
	}
	if _, own := actionByDetail[r.Detail]; !own && r.Prompt.Action != reason.Action {
		t.Errorf("result %v action = %v, want %v", r.Code, r.Prompt.Action, reason.Action)
	}
	for _, s := range []string{r.Prompt.What, r.Prompt.Why} {
		if strings.Contains(s, "%!") {
			t.Errorf("result %v/%v prompt has a formatting error: %q", r.Code, r.Detail, s)
		}
	}
	if r.Code == Checkpoint && r.AutoRetry {
		t.Errorf("checkpoint result %v allows automatic retry", r.Detail)
	}
}

func TestReasons(t *testing.T) {
	want := []Code{OK, SessionExpired, MFARequired, Checkpoint, ProfileCookieMissing, SelectorChanged, NetworkOrTimeout, Unknown}
	var got []Code
	statuses := map[int]Code{}
	for _, r := range Reasons() {
		got = append(got, r.Code)
		if prev, dup := statuses[r.ExitStatus]; dup {
			t.Errorf("exit status %d used by %v and %v", r.ExitStatus, prev, r.Code)
		}
		statuses[r.ExitStatus] = r.Code
		if r.Code != OK && (r.ExitStatus < 10 || r.Health == Healthy) {
			t.Errorf("reason %v: exit status %d, health %v", r.Code, r.ExitStatus, r.Health)
		}
		if r.Meaning == "" || r.Action.ID == "" || r.Action.Label == "" {
			t.Errorf("reason %v is incomplete: %+v", r.Code, r)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Reasons() codes = %v, want %v", got, want)
	}
	// The exit statuses are a contract: changing one breaks scripts.
	contract := map[Code]int{OK: 0, SessionExpired: 10, MFARequired: 11, Checkpoint: 12, ProfileCookieMissing: 13, SelectorChanged: 14, NetworkOrTimeout: 15, Unknown: 16}
	for code, status := range contract {
		if r, _ := Lookup(code); r.ExitStatus != status {
			t.Errorf("Lookup(%v).ExitStatus = %d, want %d", code, r.ExitStatus, status)
		}
	}
	if r, _ := Lookup(Checkpoint); r.AutoRetry {
		t.Errorf("Lookup(%v).AutoRetry = true, want false", Checkpoint)
	}
}

func TestHealthLabel(t *testing.T) {
	for h, want := range map[Health]string{Healthy: "Healthy", NeedsAttention: "Needs Attention", HealthUnknown: "Unknown", "": "Unknown"} {
		if got := h.Label(); got != want {
			t.Errorf("Health(%q).Label() = %q, want %q", h, got, want)
		}
	}
}

func TestRenderNamesSite(t *testing.T) {
	for _, reason := range Reasons() {
		r := NewResult(reason.Code, "", 0, nil, "LinkedIn")
		if !strings.Contains(r.Prompt.What+r.Prompt.Why, "LinkedIn") {
			t.Errorf("Render(%v, LinkedIn) = %+v, want the site named", reason.Code, r.Prompt)
		}
	}
	r := Classify(Evidence{Connector: "GitHub", CookiesAbsent: []string{"user_session", "logged_in"}})
	if want := `"user_session" and "logged_in"`; !strings.Contains(r.Prompt.Why, want) {
		t.Errorf("Render(cookie_absent).Why = %q, want it to name %s", r.Prompt.Why, want)
	}
	r = Classify(Evidence{Hops: hops("https://x.test/"), Status: 503})
	if !strings.HasPrefix(r.Prompt.Why, "This site") || !strings.Contains(r.Prompt.Why, "HTTP 503") {
		t.Errorf("Render(http_503, \"\").Why = %q, want a sentence about this site and HTTP 503", r.Prompt.Why)
	}
	r = NewResult(ProfileCookieMissing, DetailCookieAbsent, 0, nil, "eBay")
	if !strings.HasPrefix(r.Prompt.What, "eBay") {
		t.Errorf("Render(eBay).What = %q, want the name kept as written", r.Prompt.What)
	}
}

func TestNewResult(t *testing.T) {
	r := NewResult("NOT_A_CODE", "something", 0, nil, "Demo")
	if r.Code != Unknown || r.Detail != "something" || r.ExitStatus != 16 {
		t.Errorf("NewResult(NOT_A_CODE) = %v/%v exit %d, want UNKNOWN/something exit 16", r.Code, r.Detail, r.ExitStatus)
	}
	r = Classify(Evidence{BrowserNotConnected: true})
	if r.ExitStatus != ExitBrowserNotConnected {
		t.Errorf("browser_not_connected exit status = %d, want %d", r.ExitStatus, ExitBrowserNotConnected)
	}
	for _, detail := range []string{"", DetailLoggedIn} {
		if r := NewResult(OK, detail, 200, nil, "Demo"); !r.Healthy() || r.ExitStatus != 0 || r.Health != Healthy {
			t.Errorf("NewResult(OK) = %+v, want healthy with exit 0", r)
		}
	}
}

func TestResultJSON(t *testing.T) {
	r := Classify(Evidence{Connector: "Demo", Hops: hops("https://demo.test/account"), Status: 200, LoggedInMatched: true})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"code", "detail", "health", "exit_status", "auto_retry", "prompt"} {
		if _, ok := m[key]; !ok {
			t.Errorf("Result JSON %s lacks %q", b, key)
		}
	}
	if m["health"] != "healthy" || m["code"] != "OK" {
		t.Errorf("Result JSON %s, want code OK and health healthy", b)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, url string
		want         bool
	}{
		{"/login", "https://demo.test:8443/login?next=/", true},
		{"demo.test/login", "https://demo.test:8443/login", true},
		{"/login", "https://demo.test/account?login=1", false},
		{"re:^accounts\\.google\\.com/(v3/)?signin", "https://accounts.google.com/v3/signin/identifier", true},
		{"re:^accounts\\.google\\.com/signin", "https://www.google.com/accounts.google.com/signin", false},
		{"", "https://demo.test/", false},
		{"re:", "https://demo.test/", false},
		{"/x", "not a url /x", false},
		{"/LOGIN", "https://demo.test/login", true},
		{"/login", "demo.test/login", true},
		{"/", "https://demo.test", true},
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.pattern, tt.url); got != tt.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", tt.pattern, tt.url, got, tt.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("Demo", false, "sid", "", "", "https://demo.test/account\nhttps://demo.test/login", "", 200, "", false, false, false, "/login", "/two-factor", "/checkpoint")
	f.Add("", true, "", "a\nb", "c", "", "https://x/", 503, "timeout", true, true, true, "re:(", "re:.*", "")
	f.Add("eBay", false, "", "", "", "https://x.test/\nhttps://x.test/checkpoint", "https://x.test/", 0, "tls", false, true, false, "", "", "re:check")
	f.Fuzz(func(t *testing.T, name string, notConnected bool, present, absent, expired, chain, final string, status int, transport string, loop, loggedIn, loginForm bool, login, mfa, checkpoint string) {
		ev := Evidence{
			Connector:           name,
			BrowserNotConnected: notConnected,
			CookiesPresent:      lines(present),
			CookiesAbsent:       lines(absent),
			CookiesExpired:      lines(expired),
			FinalURL:            final,
			Status:              status,
			TooManyRedirects:    loop,
			Transport:           TransportKind(transport),
			LoggedInMatched:     loggedIn,
			LoginFormMatched:    loginForm,
			Patterns:            Patterns{Login: lines(login), MFA: lines(mfa), Checkpoint: lines(checkpoint)},
		}
		for _, u := range lines(chain) {
			ev.Hops = append(ev.Hops, Hop{URL: u, Status: status})
		}
		checkResult(t, Classify(ev))
	})
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestSessionNotTransferable checks the detail's own prompt: under
// SESSION_EXPIRED, with the one action of signing in inside the
// connector's browser instead of the code's.
func TestSessionNotTransferable(t *testing.T) {
	r := NewResult(SessionExpired, DetailSessionNotTransferable, 0, nil, "Bound Site")
	checkResult(t, r)
	if r.Prompt.Action.ID != ActionSignInConnector || r.Prompt.Action.Label != "Sign in inside the connector's browser" {
		t.Errorf("action = %+v, want %s", r.Prompt.Action, ActionSignInConnector)
	}
	if !strings.Contains(r.Prompt.What, "does not carry over") || !strings.Contains(r.Prompt.Why, "inside the connector's own browser") {
		t.Errorf("prompt = %+v, want what carries over and the one action", r.Prompt)
	}
	if r.ExitStatus != 10 || r.Health != NeedsAttention || r.AutoRetry {
		t.Errorf("exit %d health %s auto_retry %v, want SESSION_EXPIRED's 10, needs_attention, no retry", r.ExitStatus, r.Health, r.AutoRetry)
	}
	if got := NewResult(SessionExpired, DetailLoginRedirect, 0, nil, "x").Prompt.Action.ID; got != ActionInteractive {
		t.Errorf("login_redirect action = %s, want %s", got, ActionInteractive)
	}
}
