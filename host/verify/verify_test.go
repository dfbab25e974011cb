package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/taxonomy"
)

// secret is the test session cookie's value. No report, error or failure
// message may contain it.
const secret = "s3cret-session-value"

// demoSite is a small connector site: /account shows #account-name with the
// right sid cookie and redirects to /login without it; other paths act out
// the failure modes.
type demoSite struct {
	requests atomic.Int64
}

func (d *demoSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.requests.Add(1)
	signedIn := false
	if c, err := r.Cookie("sid"); err == nil && c.Value == secret {
		signedIn = true
	}
	page := func(status int, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!doctype html><html><body>%s</body></html>", body)
	}
	switch r.URL.Path {
	case "/account":
		if !signedIn {
			http.Redirect(w, r, "/login?next=/account", http.StatusFound)
			return
		}
		page(200, `<header><span id="account-name">Ada</span></header><p>Your checkpoint feed mentions login and two-factor.</p>`)
	case "/login":
		page(200, `<form action="/login" method="post"><input name="user"><input type="password" name="pw"></form>`)
	case "/mfa-account":
		http.Redirect(w, r, "/two-factor", http.StatusSeeOther)
	case "/two-factor":
		page(200, `<form><input name="code" inputmode="numeric"></form>`)
	case "/checkpoint-account":
		http.Redirect(w, r, "/hop", http.StatusFound)
	case "/hop":
		http.Redirect(w, r, "/checkpoint/challenge", http.StatusTemporaryRedirect)
	case "/checkpoint/challenge":
		page(200, `<p>Confirm it is you.</p>`)
	case "/changed":
		page(200, `<header><span class="user-name-v2">Ada</span></header>`)
	case "/unauthorized":
		page(401, `<p>Sign in.</p>`)
	case "/unavailable":
		page(503, `<p>Down for maintenance. <form><input type="password"></form></p>`)
	case "/slow-down":
		page(429, ``)
	case "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func demoDef(verifyURL string) connector.Definition {
	return connector.Definition{
		ID:          "demo",
		Name:        "Demo Site",
		Domains:     []string{"demo.test", "127.0.0.1"},
		AuthCookies: []string{"sid"},
		Verify: connector.Verify{
			URL:                verifyURL,
			LoggedInSelector:   "#account-name",
			LoginPatterns:      []string{"/login"},
			MFAPatterns:        []string{"/two-factor"},
			CheckpointPatterns: []string{"/checkpoint"},
		},
	}
}

func sidCookie(domain string, hostOnly bool) apitype.Cookie {
	return apitype.Cookie{Name: "sid", Value: secret, Domain: domain, Path: "/", HostOnly: hostOnly, Session: true, SameSite: "lax"}
}

// noEnv ignores $AUTHBRIDGE_RESOLVE so tests do not depend on it.
var noEnv = &Resolver{}

// checkNoSecret fails when the report's JSON holds the cookie value.
func checkNoSecret(t *testing.T, r Report) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) {
		t.Errorf("report JSON holds the cookie value")
	}
}

func TestVerifyHTTP(t *testing.T) {
	site := &demoSite{}
	srv := httptest.NewServer(site)
	defer srv.Close()

	tests := []struct {
		path    string
		cookies []apitype.Cookie
		code    taxonomy.Code
		detail  string
		hops    int
	}{
		{"/account", nil, taxonomy.OK, taxonomy.DetailLoggedIn, 1},
		{"/account", []apitype.Cookie{{Name: "sid", Value: "stale", Domain: "127.0.0.1", Path: "/", HostOnly: true, Session: true}}, taxonomy.SessionExpired, taxonomy.DetailLoginRedirect, 2},
		{"/unauthorized", nil, taxonomy.SessionExpired, taxonomy.DetailHTTP401, 1},
		{"/mfa-account", nil, taxonomy.MFARequired, taxonomy.DetailMFARedirect, 2},
		{"/checkpoint-account", nil, taxonomy.Checkpoint, taxonomy.DetailCheckpointRedirect, 3},
		{"/changed", nil, taxonomy.SelectorChanged, taxonomy.DetailSelectorMissing, 1},
		{"/gone", nil, taxonomy.SelectorChanged, "http_404", 1},
		{"/unavailable", nil, taxonomy.NetworkOrTimeout, "http_503", 1},
		{"/slow-down", nil, taxonomy.NetworkOrTimeout, taxonomy.DetailHTTP429, 1},
		{"/loop", nil, taxonomy.Unknown, taxonomy.DetailRedirectLoop, DefaultMaxRedirects + 1},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			cookies := tt.cookies
			if cookies == nil {
				cookies = []apitype.Cookie{sidCookie("127.0.0.1", true)}
			}
			def := demoDef(srv.URL + tt.path)
			r, err := Verify(context.Background(), def, cookies, Options{Resolver: noEnv, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("Verify(%s) error: %v", tt.path, err)
			}
			if r.Result.Code != tt.code || r.Result.Detail != tt.detail {
				t.Errorf("Verify(%s) = %v/%v, want %v/%v (evidence %+v)", tt.path, r.Result.Code, r.Result.Detail, tt.code, tt.detail, r.Evidence)
			}
			if len(r.Evidence.Hops) != tt.hops {
				t.Errorf("Verify(%s) recorded %d hops %v, want %d", tt.path, len(r.Evidence.Hops), r.Evidence.Hops, tt.hops)
			}
			if r.Probe != ProbeHTTP {
				t.Errorf("Verify(%s).Probe = %v, want %v", tt.path, r.Probe, ProbeHTTP)
			}
			if !strings.Contains(r.Result.Prompt.Why+r.Result.Prompt.What, "Demo Site") {
				t.Errorf("Verify(%s) prompt %+v does not name the site", tt.path, r.Result.Prompt)
			}
			for _, h := range r.Evidence.Hops {
				if strings.Contains(h.URL, "?") {
					t.Errorf("hop %q keeps its query", h.URL)
				}
			}
			checkNoSecret(t, r)
		})
	}
}

func TestVerifyPreflightTouchesNoNetwork(t *testing.T) {
	site := &demoSite{}
	srv := httptest.NewServer(site)
	defer srv.Close()
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		cookies []apitype.Cookie
		detail  string
	}{
		{"none", nil, taxonomy.DetailCookieAbsent},
		{"other name", []apitype.Cookie{{Name: "theme", Value: "dark", Domain: "127.0.0.1", Session: true}}, taxonomy.DetailCookieAbsent},
		{"blank value", []apitype.Cookie{{Name: "sid", Value: "", Domain: "127.0.0.1", Session: true}}, taxonomy.DetailCookieAbsent},
		{"expired", []apitype.Cookie{{Name: "sid", Value: secret, Domain: "127.0.0.1", ExpirationDate: float64(now.Unix() - 1)}}, taxonomy.DetailCookieExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, browser := range []bool{false, true} {
				def := demoDef(srv.URL + "/account")
				def.Verify.Browser = browser
				r, err := Verify(context.Background(), def, tt.cookies, Options{Resolver: noEnv, Now: func() time.Time { return now }})
				if err != nil {
					t.Fatalf("Verify error: %v", err)
				}
				if r.Result.Code != taxonomy.ProfileCookieMissing || r.Result.Detail != tt.detail || r.Probe != ProbePreflight {
					t.Errorf("Verify(browser=%v) = %v/%v by %v, want %v/%v by preflight", browser, r.Result.Code, r.Result.Detail, r.Probe, taxonomy.ProfileCookieMissing, tt.detail)
				}
				if got := r.Result.Cookies; len(got) != 1 || got[0] != "sid" {
					t.Errorf("Verify(browser=%v).Result.Cookies = %v, want [sid]", browser, got)
				}
				checkNoSecret(t, r)
			}
		})
	}
	if n := site.requests.Load(); n != 0 {
		t.Errorf("preflight failures sent %d requests, want 0", n)
	}
}

func TestVerifyHangingServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accept, read nothing, answer nothing
		}
	}()
	defer func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	}()

	// The outer context is a generous bound: the probe must end on its own
	// timeout, well before it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	def := demoDef("http://" + ln.Addr().String() + "/account")
	r, err := Verify(ctx, def, []apitype.Cookie{sidCookie("127.0.0.1", true)}, Options{Resolver: noEnv, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Verify ended only with the outer context")
	}
	if r.Result.Code != taxonomy.NetworkOrTimeout || r.Result.Detail != taxonomy.DetailTimeout {
		t.Errorf("Verify(hanging) = %v/%v, want %v/%v", r.Result.Code, r.Result.Detail, taxonomy.NetworkOrTimeout, taxonomy.DetailTimeout)
	}
	if !r.Result.AutoRetry || r.Result.Health != taxonomy.HealthUnknown {
		t.Errorf("Verify(hanging) auto retry %v, health %v; want true, unknown", r.Result.AutoRetry, r.Result.Health)
	}
}

func TestVerifyConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, err := Verify(context.Background(), demoDef("http://"+addr+"/account"), []apitype.Cookie{sidCookie("127.0.0.1", true)}, Options{Resolver: noEnv, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if r.Result.Code != taxonomy.NetworkOrTimeout || r.Result.Detail != taxonomy.DetailRefused {
		t.Errorf("Verify(refused) = %v/%v, want %v/%v", r.Result.Code, r.Result.Detail, taxonomy.NetworkOrTimeout, taxonomy.DetailRefused)
	}
}

func TestVerifyDNSFailure(t *testing.T) {
	r, err := Verify(context.Background(), demoDef("http://no-such-host.invalid/account"), []apitype.Cookie{sidCookie(".invalid", false)}, Options{Resolver: noEnv, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if r.Result.Code != taxonomy.NetworkOrTimeout || (r.Result.Detail != taxonomy.DetailDNS && r.Result.Detail != taxonomy.DetailTimeout) {
		t.Errorf("Verify(.invalid) = %v/%v, want %v/dns", r.Result.Code, r.Result.Detail, taxonomy.NetworkOrTimeout)
	}
}

func TestVerifyCallerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv := httptest.NewServer(&demoSite{})
	defer srv.Close()
	_, err := Verify(ctx, demoDef(srv.URL+"/account"), []apitype.Cookie{sidCookie("127.0.0.1", true)}, Options{Resolver: noEnv})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(canceled ctx) error = %v, want context.Canceled", err)
	}
}

func TestVerifyResolveDomainCookie(t *testing.T) {
	srv := httptest.NewServer(&demoSite{})
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	res, err := ParseResolve("demo.test:" + port + ":127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	def := demoDef("http://www.demo.test:" + port + "/account")
	r, err := Verify(context.Background(), def, []apitype.Cookie{sidCookie(".demo.test", false)}, Options{Resolver: &res})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	// www.demo.test is not mapped: only demo.test is, as curl would do.
	if r.Result.Code != taxonomy.NetworkOrTimeout {
		t.Errorf("Verify(www.demo.test unmapped) = %v/%v, want %v", r.Result.Code, r.Result.Detail, taxonomy.NetworkOrTimeout)
	}

	def = demoDef("http://demo.test:" + port + "/account")
	r, err = Verify(context.Background(), def, []apitype.Cookie{sidCookie(".demo.test", false)}, Options{Resolver: &res})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if r.Result.Code != taxonomy.OK {
		t.Errorf("Verify(demo.test mapped) = %v/%v, want OK (evidence %+v)", r.Result.Code, r.Result.Detail, r.Evidence)
	}
}

func TestVerifyInvalidDefinition(t *testing.T) {
	for name, mutate := range map[string]func(*connector.Definition){
		"no url":          func(d *connector.Definition) { d.Verify.URL = "" },
		"ftp url":         func(d *connector.Definition) { d.Verify.URL = "ftp://demo.test/" },
		"no selector":     func(d *connector.Definition) { d.Verify.LoggedInSelector = "" },
		"bad selector":    func(d *connector.Definition) { d.Verify.LoggedInSelector = "div[" },
		"bad login field": func(d *connector.Definition) { d.Verify.LoginSelector = ":::" },
	} {
		def := demoDef("http://demo.test/account")
		mutate(&def)
		_, err := Verify(context.Background(), def, []apitype.Cookie{sidCookie("demo.test", true)}, Options{Resolver: noEnv})
		if !errors.Is(err, ErrInvalidDefinition) {
			t.Errorf("Verify(%s) error = %v, want ErrInvalidDefinition", name, err)
		}
	}
}

func TestVerifyBadResolveEnv(t *testing.T) {
	t.Setenv(ResolveEnv, "demo.test:80:not-an-ip")
	_, err := Verify(context.Background(), demoDef("http://demo.test/account"), []apitype.Cookie{sidCookie("demo.test", true)}, Options{})
	if err == nil || !strings.Contains(err.Error(), "demo.test:80:not-an-ip") {
		t.Errorf("Verify with bad %s error = %v, want one naming the entry", ResolveEnv, err)
	}
}

func BenchmarkVerifyHTTP(b *testing.B) {
	srv := httptest.NewServer(&demoSite{})
	defer srv.Close()
	def := demoDef(srv.URL + "/account")
	cookies := []apitype.Cookie{sidCookie("127.0.0.1", true)}
	for b.Loop() {
		r, err := Verify(context.Background(), def, cookies, Options{Resolver: noEnv})
		if err != nil || r.Result.Code != taxonomy.OK {
			b.Fatalf("Verify = %v, %v", r.Result.Code, err)
		}
	}
}
