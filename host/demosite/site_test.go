package demosite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// mappedTransport sends every host name to 127.0.0.1, as Chromium's
// --host-resolver-rules "MAP *.demo.test 127.0.0.1" does.
func mappedTransport() *http.Transport {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		DisableKeepAlives: true,
	}
}

// fixture is a demo site behind httptest, with a browser-like client: a
// cookie jar, redirects not followed so each hop can be checked.
type fixture struct {
	site   *Site
	srv    *httptest.Server
	base   string // http://demo.test:PORT
	port   string
	jar    *cookiejar.Jar
	client *http.Client
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	site := New(opts)
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(func() {
		site.Close()
		srv.Close()
	})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		site: site, srv: srv, port: port, jar: jar,
		base: BaseURL(srv.Listener.Addr()),
		client: &http.Client{
			Jar:       jar,
			Transport: mappedTransport(),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
			Timeout: 10 * time.Second,
		},
	}
}

// url returns the address of path on host (demo.test, www.demo.test, ...).
func (f *fixture) url(host, path string) string {
	return "http://" + host + ":" + f.port + path
}

type response struct {
	status  int
	header  http.Header
	cookies []*http.Cookie
	body    string
}

func (f *fixture) do(t *testing.T, method, rawURL string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, rawURL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), body: string(b)}
}

func (f *fixture) get(t *testing.T, path string) response {
	t.Helper()
	return f.do(t, http.MethodGet, f.base+path, nil)
}

func (f *fixture) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	return f.do(t, http.MethodPost, f.base+path, form)
}

func (f *fixture) signIn(t *testing.T, user string) {
	t.Helper()
	r := f.post(t, "/login", url.Values{"username": {user}, "password": {DefaultPassword}, "next": {"/account"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /login as %q: status %d, want 303", user, r.status)
	}
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// describe prints a cookie's attributes without its value, which is a secret.
func describe(c *http.Cookie) string {
	if c == nil {
		return "<none>"
	}
	return fmt.Sprintf("%s Domain=%q Path=%q MaxAge=%d HttpOnly=%v SameSite=%v",
		c.Name, c.Domain, c.Path, c.MaxAge, c.HttpOnly, c.SameSite)
}

func wantRedirect(t *testing.T, what string, r response, status int, location string) {
	t.Helper()
	if r.status != status || r.header.Get("Location") != location {
		t.Errorf("%s = %d Location %q, want %d Location %q", what, r.status, r.header.Get("Location"), status, location)
	}
}

func TestSignInFlow(t *testing.T) {
	var (
		mu     sync.Mutex
		logins []string
	)
	f := newFixture(t, Options{OnLogin: func(u string) {
		mu.Lock()
		logins = append(logins, u)
		mu.Unlock()
	}})

	wantRedirect(t, "GET /account signed out", f.get(t, "/account"), http.StatusFound, "/login?next=/account")

	form := f.get(t, "/login?next=/account")
	if form.status != http.StatusOK {
		t.Fatalf("GET /login = %d, want 200", form.status)
	}
	for _, id := range []string{`id="username"`, `id="password"`, `id="sign-in"`, `name="next" value="/account"`} {
		if !strings.Contains(form.body, id) {
			t.Errorf("GET /login body lacks %s", id)
		}
	}

	r := f.post(t, "/login", url.Values{"username": {"alice"}, "password": {"demo"}, "next": {"/account"}})
	wantRedirect(t, "POST /login", r, http.StatusSeeOther, "/account")
	sid := findCookie(r.cookies, "sid")
	if sid == nil || sid.Value == "" || sid.Domain != "demo.test" || sid.Path != "/" || !sid.HttpOnly ||
		sid.SameSite != http.SameSiteLaxMode || sid.MaxAge != 86400 {
		t.Errorf("POST /login sid cookie = %s, want Domain=demo.test Path=/ MaxAge=86400 HttpOnly SameSite=Lax", describe(sid))
	}
	theme := findCookie(r.cookies, "theme")
	if theme == nil || theme.Value != "dark" || theme.Domain != "" || theme.Path != "/" || theme.HttpOnly {
		t.Errorf("POST /login theme cookie = %s, want host-only theme=dark Path=/", describe(theme))
	}
	if f.site.Sessions() != 1 {
		t.Errorf("Sessions() = %d, want 1", f.site.Sessions())
	}
	mu.Lock()
	if len(logins) != 1 || logins[0] != "alice" {
		t.Errorf("OnLogin calls = %q, want [alice]", logins)
	}
	mu.Unlock()

	acct := f.get(t, "/account")
	if acct.status != http.StatusOK || !strings.Contains(acct.body, `<span id="account-name">alice</span>`) {
		t.Errorf("GET /account signed in = %d, want 200 with #account-name alice", acct.status)
	}
	if !strings.Contains(acct.body, `action="/logout"`) {
		t.Error("GET /account has no sign-out form")
	}

	// sid is a domain cookie: a subdomain gets it; theme is host-only.
	www := f.do(t, http.MethodGet, f.url("www.demo.test", "/account"), nil)
	if www.status != http.StatusOK {
		t.Errorf("GET www.demo.test/account = %d, want 200 (domain cookie)", www.status)
	}
	u, _ := url.Parse(f.url("www.demo.test", "/"))
	if findCookie(f.jar.Cookies(u), "theme") != nil {
		t.Error("theme cookie sent to www.demo.test, want host-only")
	}

	wantRedirect(t, "POST /logout", f.post(t, "/logout", url.Values{}), http.StatusSeeOther, "/login")
	if f.site.Sessions() != 0 {
		t.Errorf("Sessions() after logout = %d, want 0", f.site.Sessions())
	}
	wantRedirect(t, "GET /account after logout", f.get(t, "/account"), http.StatusFound, "/login?next=/account")
}

func TestSignInRejects(t *testing.T) {
	tests := []struct {
		name           string
		users          map[string]string
		user, password string
		ok             bool
	}{
		{"any user, demo password", nil, "zoe", "demo", true},
		{"any user, wrong password", nil, "zoe", "nope", false},
		{"empty user", nil, "", "demo", false},
		{"blank user", nil, "   ", "demo", false},
		{"table user", map[string]string{"bob": "hunter2"}, "bob", "hunter2", true},
		{"table user, demo password", map[string]string{"bob": "hunter2"}, "bob", "demo", false},
		{"user not in table", map[string]string{"bob": "hunter2"}, "alice", "demo", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{Users: tc.users})
			r := f.post(t, "/login", url.Values{"username": {tc.user}, "password": {tc.password}})
			gotOK := r.status == http.StatusSeeOther && findCookie(r.cookies, "sid") != nil
			if gotOK != tc.ok {
				t.Fatalf("sign in %q = status %d, signed in %v, want %v", tc.user, r.status, gotOK, tc.ok)
			}
			if !tc.ok && (r.status != http.StatusOK || !strings.Contains(r.body, `id="login-error"`)) {
				t.Errorf("failed sign in = %d, want 200 with #login-error", r.status)
			}
		})
	}
}

func TestHostOnlyOutsideCookieDomain(t *testing.T) {
	f := newFixture(t, Options{})
	r := f.do(t, http.MethodPost, f.srv.URL+"/login", url.Values{"username": {"a"}, "password": {"demo"}})
	if sid := findCookie(r.cookies, "sid"); sid == nil || sid.Domain != "" {
		t.Errorf("sid via 127.0.0.1 = %s, want host-only", describe(sid))
	}
	if got := f.do(t, http.MethodGet, f.srv.URL+"/account", nil); got.status != http.StatusOK {
		t.Errorf("GET 127.0.0.1/account signed in = %d, want 200", got.status)
	}
}

func TestNextIsKeptOnSite(t *testing.T) {
	tests := map[string]string{
		"":                     "/account",
		"/app":                 "/app",
		"/account?tab=export":  "/account?tab=export",
		"//evil.example/":      "/account",
		"https://evil.example": "/account",
		"/\\evil.example":      "/account",
		"account":              "/account",
		"/a\r\nSet-Cookie: x":  "/account",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"", "/account", "//x", "/\\x", "http://x/", "/a?b=c#d", "/%2F%2Fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Errorf("safeNext(%q) = %q, leaves the site", next, got)
		}
	})
}

func TestModes(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		opts       ModeOptions
		path       string
		status     int
		location   string
		contains   []string
		lacks      []string
		retryAfter bool
	}{
		{name: "normal", mode: ModeNormal, path: "/account", status: 200, contains: []string{`id="account-name"`}},
		{name: "mfa", mode: ModeMFA, path: "/account", status: 302, location: "/two-factor?next=/account"},
		{name: "mfa app", mode: ModeMFA, path: "/app", status: 302, location: "/two-factor?next=/app"},
		{name: "checkpoint", mode: ModeCheckpoint, path: "/account", status: 302, location: "/checkpoint/verify?next=/account"},
		{name: "selector changed", mode: ModeSelectorChanged, path: "/account", status: 200,
			contains: []string{`<span class="user-name-v2">carol</span>`}, lacks: []string{"account-name"}},
		{name: "selector changed app", mode: ModeSelectorChanged, path: "/app", status: 200,
			contains: []string{`data-variant="v2"`}},
		{name: "error default", mode: ModeError, path: "/account", status: 500, lacks: []string{"account-name"}},
		{name: "error 503", mode: ModeError, opts: ModeOptions{Status: 503}, path: "/account", status: 503, retryAfter: true},
		{name: "error 429", mode: ModeError, opts: ModeOptions{Status: 429}, path: "/app", status: 429, retryAfter: true},
		{name: "slow", mode: ModeSlow, opts: ModeOptions{Delay: 50 * time.Millisecond}, path: "/account", status: 200,
			contains: []string{`id="account-name"`}},
		{name: "app", mode: ModeNormal, path: "/app", status: 200,
			contains: []string{`data-variant="v1"`, "/api/me"}, lacks: []string{`id="account-name"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			f.signIn(t, "carol")
			if err := f.site.SetMode(tc.mode, tc.opts); err != nil {
				t.Fatalf("SetMode(%q, %+v) = %v", tc.mode, tc.opts, err)
			}
			start := time.Now()
			r := f.get(t, tc.path)
			if r.status != tc.status || r.header.Get("Location") != tc.location {
				t.Errorf("GET %s = %d Location %q, want %d Location %q", tc.path, r.status, r.header.Get("Location"), tc.status, tc.location)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("GET %s body lacks %s", tc.path, s)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(r.body, s) {
					t.Errorf("GET %s body has %s", tc.path, s)
				}
			}
			if got := r.header.Get("Retry-After") != ""; got != tc.retryAfter {
				t.Errorf("GET %s Retry-After present = %v, want %v", tc.path, got, tc.retryAfter)
			}
			if tc.opts.Delay > 0 && time.Since(start) < tc.opts.Delay {
				t.Errorf("GET %s answered before its %v delay had passed", tc.path, tc.opts.Delay)
			}
		})
	}
}

func TestModeSignedOutStillRedirectsToLogin(t *testing.T) {
	for _, mode := range []string{ModeMFA, ModeCheckpoint, ModeSelectorChanged} {
		f := newFixture(t, Options{})
		if err := f.site.SetMode(mode, ModeOptions{}); err != nil {
			t.Fatal(err)
		}
		wantRedirect(t, "GET /account signed out in "+mode, f.get(t, "/account"), http.StatusFound, "/login?next=/account")
	}
}

func TestSetModeRejects(t *testing.T) {
	s := New(Options{})
	if err := s.SetMode("sideways", ModeOptions{}); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("SetMode(sideways) = %v, want ErrUnknownMode", err)
	}
	if err := s.SetMode(ModeError, ModeOptions{Status: 200}); err == nil {
		t.Error("SetMode(error, 200) = nil, want an error")
	}
	if err := s.SetMode(ModeSlow, ModeOptions{Delay: -time.Second}); err == nil {
		t.Error("SetMode(slow, -1s) = nil, want an error")
	}
	if mode, _ := s.Mode(); mode != ModeNormal {
		t.Errorf("Mode() after rejected SetMode = %q, want normal", mode)
	}
	if err := s.SetMode(ModeSlow, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, mo := s.Mode(); mo.Delay != DefaultSlowDelay || mo.Status != DefaultErrorStatus {
		t.Errorf("Mode() options = %+v, want defaults", mo)
	}
	s.Reset()
	if mode, _ := s.Mode(); mode != ModeNormal {
		t.Errorf("Mode() after Reset = %q, want normal", mode)
	}
}

func TestTwoFactor(t *testing.T) {
	f := newFixture(t, Options{})
	f.signIn(t, "dave")
	if err := f.site.SetMode(ModeMFA, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	page := f.get(t, "/two-factor?next=/account")
	if page.status != 200 || !strings.Contains(page.body, `id="code"`) || !strings.Contains(page.body, `id="verify-code"`) {
		t.Fatalf("GET /two-factor = %d, want 200 with #code and #verify-code", page.status)
	}
	wrong := f.post(t, "/two-factor", url.Values{"code": {"000000"}, "next": {"/account"}})
	if wrong.status != 200 || !strings.Contains(wrong.body, `id="code-error"`) {
		t.Errorf("POST /two-factor wrong code = %d, want 200 with #code-error", wrong.status)
	}
	wantRedirect(t, "GET /account before code", f.get(t, "/account"), 302, "/two-factor?next=/account")
	wantRedirect(t, "POST /two-factor", f.post(t, "/two-factor", url.Values{"code": {MFACode}, "next": {"/account"}}), 303, "/account")
	if r := f.get(t, "/account"); r.status != 200 {
		t.Errorf("GET /account after code = %d, want 200", r.status)
	}

	// Another session still faces the demand.
	other := newClientOn(f)
	r := f.doWith(t, other, http.MethodPost, f.base+"/login", url.Values{"username": {"erin"}, "password": {"demo"}})
	if r.status != 303 {
		t.Fatalf("second sign in = %d", r.status)
	}
	if r := f.doWith(t, other, http.MethodGet, f.base+"/account", nil); r.header.Get("Location") != "/two-factor?next=/account" {
		t.Errorf("second session GET /account Location %q, want /two-factor?next=/account", r.header.Get("Location"))
	}

	// Entering the mode again asks everyone again.
	if err := f.site.SetMode(ModeMFA, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, "GET /account after mfa again", f.get(t, "/account"), 302, "/two-factor?next=/account")

	signedOut := newClientOn(f)
	if r := f.doWith(t, signedOut, http.MethodGet, f.base+"/two-factor", nil); r.status != 302 ||
		!strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("GET /two-factor signed out = %d Location %q, want 302 to /login", r.status, r.header.Get("Location"))
	}
}

func TestCheckpoint(t *testing.T) {
	f := newFixture(t, Options{})
	f.signIn(t, "frank")
	if err := f.site.SetMode(ModeCheckpoint, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	page := f.get(t, "/checkpoint/verify?next=/account")
	if page.status != 200 || !strings.Contains(page.body, "unusual activity") || !strings.Contains(page.body, `id="confirm-identity"`) {
		t.Fatalf("GET /checkpoint/verify = %d, want 200 with the unusual-activity page", page.status)
	}
	wantRedirect(t, "POST /checkpoint/verify", f.post(t, "/checkpoint/verify", url.Values{"next": {"/account"}}), 303, "/account")
	if r := f.get(t, "/account"); r.status != 200 {
		t.Errorf("GET /account after confirming = %d, want 200", r.status)
	}
}

func newClientOn(f *fixture) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: mappedTransport(), Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (f *fixture) doWith(t *testing.T, c *http.Client, method, rawURL string, form url.Values) response {
	t.Helper()
	saved := f.client
	f.client = c
	defer func() { f.client = saved }()
	return f.do(t, method, rawURL, form)
}

func TestExpireSessions(t *testing.T) {
	f := newFixture(t, Options{})
	f.signIn(t, "gina")
	if n := f.site.ExpireSessions(); n != 1 {
		t.Errorf("ExpireSessions() = %d, want 1", n)
	}
	if f.site.Sessions() != 0 {
		t.Errorf("Sessions() after expiry = %d, want 0", f.site.Sessions())
	}
	u, _ := url.Parse(f.base + "/account")
	if findCookie(f.jar.Cookies(u), "sid") == nil {
		t.Fatal("client lost its sid cookie; expiry must be server-side only")
	}
	wantRedirect(t, "GET /account after expiry", f.get(t, "/account"), http.StatusFound, "/login?next=/account")
	if r := f.get(t, "/api/me"); r.status != http.StatusUnauthorized {
		t.Errorf("GET /api/me after expiry = %d, want 401", r.status)
	}
	f.signIn(t, "gina")
	if r := f.get(t, "/account"); r.status != 200 {
		t.Errorf("GET /account after signing in again = %d, want 200", r.status)
	}
}

func TestSessionMaxAge(t *testing.T) {
	f := newFixture(t, Options{SessionMaxAge: 50 * time.Millisecond})
	f.signIn(t, "hal")
	// The jar drops the cookie after Max-Age too; send it by hand to see the
	// server side refuse it.
	tok := f.site.CreateSession("hal")
	time.Sleep(60 * time.Millisecond)
	req, _ := http.NewRequest(http.MethodGet, f.base+"/api/me", nil)
	req.AddCookie(&http.Cookie{Name: "sid", Value: tok})
	resp, err := (&http.Client{Transport: mappedTransport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/me with an old session = %d, want 401", resp.StatusCode)
	}
	if f.site.Sessions() != 0 {
		t.Errorf("Sessions() after max age = %d, want 0", f.site.Sessions())
	}
}

func TestAPIMe(t *testing.T) {
	f := newFixture(t, Options{})
	if r := f.get(t, "/api/me"); r.status != http.StatusUnauthorized {
		t.Errorf("GET /api/me signed out = %d, want 401", r.status)
	}
	f.signIn(t, "ivy")
	r := f.do(t, http.MethodGet, f.url("api.demo.test", "/api/me"), nil)
	var me struct{ User string }
	if r.status != 200 || json.Unmarshal([]byte(r.body), &me) != nil || me.User != "ivy" {
		t.Errorf("GET api.demo.test/api/me = %d %q, want 200 user ivy", r.status, r.body)
	}
}

func TestHangStopsWhenClientGivesUp(t *testing.T) {
	f := newFixture(t, Options{})
	f.signIn(t, "jay")
	if err := f.site.SetMode(ModeHang, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	f.client.Timeout = 100 * time.Millisecond
	if _, err := f.client.Get(f.base + "/account"); err == nil {
		t.Fatal("GET /account in hang mode answered, want a client timeout")
	}
	// httptest's Close waits for every handler: it returns only if the
	// hanging handler noticed the client leave.
	closed := make(chan struct{})
	go func() { f.srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("server did not close: the hanging handler ignores the request context")
	}
}

func TestSlowStopsWhenClientGivesUp(t *testing.T) {
	f := newFixture(t, Options{SlowDelay: time.Hour})
	f.signIn(t, "kim")
	if err := f.site.SetMode(ModeSlow, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	f.client.Timeout = 100 * time.Millisecond
	if _, err := f.client.Get(f.base + "/account"); err == nil {
		t.Fatal("GET /account in slow mode (1h) answered, want a client timeout")
	}
	closed := make(chan struct{})
	go func() { f.srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("server did not close: the slow handler ignores the request context")
	}
}

func TestStartAndCloseReleasesHang(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	site := New(Options{})
	base, err := site.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^http://demo\.test:\d+$`).MatchString(base) {
		t.Fatalf("Start base URL = %q, want http://demo.test:PORT", base)
	}
	client := &http.Client{Transport: mappedTransport(), Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /login = %d, want 200", resp.StatusCode)
	}

	if err := site.SetMode(ModeHang, ModeOptions{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := client.Get(base + "/account")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); site.Hits("/account") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the hanging request never reached the site")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel() // Start's context ends: the site closes and releases the hang
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("hanging request not released after the Start context ended")
	}
	// The listener closes as the site shuts down, which may finish just
	// after the hang is released.
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, err := client.Get(base + "/login")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("GET after close still answered 5s later, want connection refused")
		}
		time.Sleep(10 * time.Millisecond)
	}
	site.Close() // twice is fine
}

func TestBulkCookies(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		query  string
		n      int
		domain string
		path   string
	}{
		{"n=0", 0, "", "/"},
		{"n=1", 1, "", "/"},
		{"n=1200&prefix=b", 1200, "", "/"},
		{"n=20&prefix=d&domain=demo.test", 20, "demo.test", "/"},
		{"n=10&prefix=p&path=/export", 10, "", "/export"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := f.get(t, "/bulk-cookies?"+tc.query)
			if r.status != 200 {
				t.Fatalf("GET /bulk-cookies?%s = %d, want 200", tc.query, r.status)
			}
			if got := len(r.header.Values("Set-Cookie")); got != tc.n {
				t.Errorf("GET /bulk-cookies?%s sent %d Set-Cookie headers, want %d", tc.query, got, tc.n)
			}
			names := map[string]bool{}
			for _, c := range r.cookies {
				if names[c.Name] {
					t.Errorf("cookie name %q repeated", c.Name)
				}
				names[c.Name] = true
				if c.Domain != tc.domain || c.Path != tc.path || c.MaxAge < 86400 {
					t.Errorf("bulk cookie %s, want Domain=%q Path=%q and a long Max-Age", describe(c), tc.domain, tc.path)
					break
				}
			}
			if len(names) != tc.n {
				t.Errorf("%d distinct names, want %d", len(names), tc.n)
			}
		})
	}

	// A domain cookie set through www reaches api: what a bench spreading
	// cookies over subdomains relies on.
	f.do(t, http.MethodGet, f.url("www.demo.test", "/bulk-cookies?n=30&prefix=s&domain=demo.test"), nil)
	u, _ := url.Parse(f.url("api.demo.test", "/"))
	got := 0
	for _, c := range f.jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "s") {
			got++
		}
	}
	if got != 30 {
		t.Errorf("api.demo.test has %d cookies after a domain bulk set via www, want 30", got)
	}

	for _, q := range []string{"", "n=-1", "n=x", "n=" + strconv.Itoa(MaxBulkCookies+1), "n=2&prefix=a%20b", "n=2&path=nope", "n=2&max_age=0"} {
		if r := f.get(t, "/bulk-cookies?"+q); r.status != http.StatusBadRequest {
			t.Errorf("GET /bulk-cookies?%s = %d, want 400", q, r.status)
		}
	}
}

func adminPost(t *testing.T, f *fixture, path, contentType, body string) (int, State, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st State
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("POST %s: decode state: %v", path, err)
		}
	}
	return resp.StatusCode, st, string(b)
}

func TestAdminEndpoints(t *testing.T) {
	f := newFixture(t, Options{})
	f.signIn(t, "lee")
	form := "application/x-www-form-urlencoded"

	code, st, _ := adminPost(t, f, "/_admin/mode", form, "mode=checkpoint")
	if code != 200 || st.Mode != ModeCheckpoint || st.Sessions != 1 {
		t.Errorf("POST /_admin/mode checkpoint = %d %+v, want 200 mode checkpoint, 1 session", code, st)
	}
	wantRedirect(t, "GET /account in checkpoint", f.get(t, "/account"), 302, "/checkpoint/verify?next=/account")

	code, st, _ = adminPost(t, f, "/_admin/mode", "application/json", `{"mode":"slow","delay":"20ms"}`)
	if code != 200 || st.Mode != ModeSlow || st.DelayMS != 20 {
		t.Errorf("POST /_admin/mode slow JSON = %d %+v, want slow 20ms", code, st)
	}
	code, st, _ = adminPost(t, f, "/_admin/mode?mode=slow&delay_ms=30", "", "")
	if code != 200 || st.DelayMS != 30 {
		t.Errorf("POST /_admin/mode?delay_ms=30 = %d %+v, want 30ms", code, st)
	}
	code, st, _ = adminPost(t, f, "/_admin/mode", form, "mode=error&status=503")
	if code != 200 || st.Mode != ModeError || st.Status != 503 {
		t.Errorf("POST /_admin/mode error 503 = %d %+v", code, st)
	}
	if r := f.get(t, "/account"); r.status != 503 {
		t.Errorf("GET /account after admin error 503 = %d, want 503", r.status)
	}

	for _, body := range []string{"mode=bogus", "mode=error&status=200", "mode=slow&delay=soon", "mode=error&status=x"} {
		if code, _, msg := adminPost(t, f, "/_admin/mode", form, body); code != 400 || !strings.Contains(msg, `"error"`) {
			t.Errorf("POST /_admin/mode %s = %d %s, want 400 with an error", body, code, msg)
		}
	}
	if code, _, _ := adminPost(t, f, "/_admin/mode", "application/json", `{"mode":"mfa","extra":1}`); code != 400 {
		t.Errorf("POST /_admin/mode with an unknown JSON field = %d, want 400", code)
	}
	if r := f.get(t, "/_admin/mode"); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /_admin/mode = %d, want 405", r.status)
	}

	code, st, _ = adminPost(t, f, "/_admin/reset", "", "")
	if code != 200 || st.Mode != ModeNormal {
		t.Errorf("POST /_admin/reset = %d %+v, want normal", code, st)
	}
	code, st, _ = adminPost(t, f, "/_admin/expire-sessions", "", "")
	if code != 200 || st.Expired != 1 || st.Sessions != 0 {
		t.Errorf("POST /_admin/expire-sessions = %d %+v, want expired 1, sessions 0", code, st)
	}
	wantRedirect(t, "GET /account after admin expiry", f.get(t, "/account"), 302, "/login?next=/account")

	r := f.get(t, "/_admin/state")
	var state State
	if r.status != 200 || json.Unmarshal([]byte(r.body), &state) != nil || state.Hits["/account"] != 3 {
		t.Errorf("GET /_admin/state = %d %q, want 200 with 3 hits on /account", r.status, r.body)
	}
	code, st, _ = adminPost(t, f, "/_admin/reset-hits", "", "")
	if code != 200 || len(st.Hits) != 0 {
		t.Errorf("POST /_admin/reset-hits = %d hits %v, want none", code, st.Hits)
	}

	off := newFixture(t, Options{DisableAdmin: true})
	if code, _, _ := adminPost(t, off, "/_admin/reset", "", ""); code != http.StatusNotFound {
		t.Errorf("POST /_admin/reset with DisableAdmin = %d, want 404", code)
	}
}

func TestHits(t *testing.T) {
	f := newFixture(t, Options{})
	if got := f.site.Hits("/account"); got != 0 {
		t.Errorf("Hits(/account) before any request = %d, want 0", got)
	}
	for range 3 {
		f.get(t, "/account?x=1")
	}
	f.get(t, "/login")
	if got := f.site.Hits("/account"); got != 3 {
		t.Errorf("Hits(/account) = %d, want 3", got)
	}
	if got := f.site.Hits("/login"); got != 1 {
		t.Errorf("Hits(/login) = %d, want 1", got)
	}
	f.site.ResetHits()
	if got := f.site.Hits("/account"); got != 0 {
		t.Errorf("Hits(/account) after ResetHits = %d, want 0", got)
	}
}

func TestDefinition(t *testing.T) {
	d := Definition("http://demo.test:4321/")
	if d.ID != "demo" || d.Name != "Demo Site" || len(d.Domains) != 1 || d.Domains[0] != "demo.test" ||
		len(d.AuthCookies) != 1 || d.AuthCookies[0] != "sid" || d.LoginURL != "http://demo.test:4321/login" {
		t.Errorf("Definition = %+v", d)
	}
	v := d.Verify
	if v.URL != "http://demo.test:4321/account" || v.LoggedInSelector != "#account-name" ||
		strings.Join(v.LoginPatterns, ",") != "/login" || strings.Join(v.MFAPatterns, ",") != "/two-factor" ||
		strings.Join(v.CheckpointPatterns, ",") != "/checkpoint" || v.Browser {
		t.Errorf("Definition.Verify = %+v", v)
	}
	if got := New(Options{}).Definition("http://demo.test:4321"); got.Verify.URL != v.URL {
		t.Errorf("(*Site).Definition Verify.URL = %q, want %q", got.Verify.URL, v.URL)
	}
	js := JSDefinition("http://demo.test:4321")
	if js.ID != "demo-js" || js.Verify.URL != "http://demo.test:4321/app" || !js.Verify.Browser {
		t.Errorf("JSDefinition = %+v", js)
	}
}

func TestPagesRender(t *testing.T) {
	f := newFixture(t, Options{})
	for _, p := range []string{"/", "/login"} {
		r := f.get(t, p)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "<style>") {
			t.Errorf("GET %s = %d %q, want a styled HTML page", p, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := f.get(t, "/nope"); r.status != 404 {
		t.Errorf("GET /nope = %d, want 404", r.status)
	}
	// A user name is escaped, not interpreted.
	f.signIn(t, `<b>x</b>`)
	if r := f.get(t, "/account"); !strings.Contains(r.body, `<span id="account-name">&lt;b&gt;x&lt;/b&gt;</span>`) {
		t.Error("GET /account does not escape the user name")
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, Options{})
	modes := []string{ModeNormal, ModeMFA, ModeCheckpoint, ModeSelectorChanged, ModeError}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := newClientOn(f)
			for j := range 10 {
				req, _ := http.NewRequest(http.MethodPost, f.base+"/login",
					strings.NewReader(url.Values{"username": {fmt.Sprintf("u%d", i)}, "password": {"demo"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if resp, err := c.Do(req); err == nil {
					resp.Body.Close()
				} else {
					t.Errorf("POST /login: %v", err)
				}
				if resp, err := c.Get(f.base + "/account"); err == nil {
					resp.Body.Close()
				} else {
					t.Errorf("GET /account: %v", err)
				}
				_ = f.site.SetMode(modes[(i+j)%len(modes)], ModeOptions{})
				if j%4 == 0 {
					f.site.ExpireSessions()
				}
				_ = f.site.Sessions()
				_ = f.site.Hits("/account")
				_ = f.site.State()
				f.site.CreateSession("direct")
			}
		})
	}
	wg.Wait()
	f.site.Reset()
	if got := f.site.Hits("/login"); got != 80 {
		t.Errorf("Hits(/login) = %d, want 80", got)
	}
}
