//go:build !windows

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// boundSite is the bound test site: a session is a long-lived sid cookie
// plus a short-lived bound cookie (boundLife) that only a request proving
// the session's secret renews. The secret is handed to the page at sign-in
// and kept in the page's own storage (localStorage) of the browser that
// signed in: a copy of the cookies never has it. So a copy works until its
// bound cookie runs out, and a browser that signed in itself renews it
// from its page whenever it opens one.
//
//   - GET /login: the sign-in form. With ?window=connector (the connector's
//     login_url) the page stands in for the person at the window: it signs
//     in as the name the test hands it through personSignsIn.
//   - POST /login: signs in; the answer stores the secret and opens /account.
//   - GET /account (the verify URL): signed in with a valid bound cookie,
//     the account (#account-name), whose script renews every few seconds;
//     with only sid, a page that renews from its stored secret and reloads,
//     or goes to /login when it has none; without sid, a redirect to /login.
//   - POST /renew: body the secret; a fresh bound cookie, and sid's expiry
//     slides (so the user's browser's renewals reach the extension as
//     changes of the auth cookie).
type boundSite struct {
	port string

	mu       sync.Mutex
	sessions map[string]*boundSession // sid -> session
	person   string                   // the name the connector window signs in as
	window   chan struct{}            // closed when the connector window opened the sign-in
}

type boundSession struct {
	user, secret string
	// bound holds every bound cookie issued, with its expiry: each is good
	// for boundLife, renewed or not.
	bound        map[string]time.Time
	boundExpires time.Time // of the latest
	renewals     int
	connector    bool // signed in inside the connector's window
}

const boundLife = 20 * time.Second

func newBoundSite(t *testing.T) *boundSite {
	t.Helper()
	s := &boundSite{sessions: map[string]*boundSession{}, window: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, s.port, _ = net.SplitHostPort(l.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("GET /person", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		name := s.person
		s.person = ""
		s.mu.Unlock()
		if name == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprint(w, name)
	})
	mux.HandleFunc("POST /login", s.signIn)
	mux.HandleFunc("GET /account", s.account)
	mux.HandleFunc("POST /renew", s.renew)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		mux.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func token() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

const loginForm = `<form id="f" method="post" action="/login">
<input id="user" name="user"><input id="password" name="password" type="password">
<input type="hidden" name="window" value="%s"><button id="sign-in">Sign in</button></form>`

// The connector window's stand-in for a person: once told a name, it types
// it and signs in.
const personScript = `<script>
const wait = () => fetch('/person').then((r) => r.status === 200 ? r.text() : '').then((name) => {
  if (!name) return setTimeout(wait, 200);
  document.getElementById('user').value = name;
  document.getElementById('password').value = 'pw';
  document.getElementById('f').submit();
}, () => setTimeout(wait, 200));
wait();
</script>`

func (s *boundSite) loginPage(w http.ResponseWriter, r *http.Request) {
	win := r.URL.Query().Get("window")
	fmt.Fprintf(w, loginForm, html.EscapeString(win))
	if win == "connector" {
		fmt.Fprint(w, personScript)
		s.mu.Lock()
		select {
		case <-s.window:
		default:
			close(s.window)
		}
		s.mu.Unlock()
	}
}

func (s *boundSite) setCookies(w http.ResponseWriter, sid string, ss *boundSession) {
	b := token()
	ss.boundExpires = time.Now().Add(boundLife)
	ss.bound[b] = ss.boundExpires
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", MaxAge: 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: "bound", Value: b, Path: "/", MaxAge: int(boundLife / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *boundSite) signIn(w http.ResponseWriter, r *http.Request) {
	user := r.PostFormValue("user")
	if user == "" {
		http.Error(w, "no user", http.StatusBadRequest)
		return
	}
	sid := token()
	ss := &boundSession{user: user, secret: token(), bound: map[string]time.Time{}, connector: r.PostFormValue("window") == "connector"}
	s.mu.Lock()
	s.sessions[sid] = ss
	s.setCookies(w, sid, ss)
	s.mu.Unlock()
	fmt.Fprintf(w, `<p>Signed in</p><script>localStorage.setItem('bound-secret', %q); location.replace('/account');</script>`, ss.secret)
}

// session returns the session of r's sid, and whether its bound cookie is
// valid too.
func (s *boundSite) session(r *http.Request) (string, *boundSession, bool) {
	c, err := r.Cookie("sid")
	if err != nil {
		return "", nil, false
	}
	ss := s.sessions[c.Value]
	if ss == nil {
		return "", nil, false
	}
	b, err := r.Cookie("bound")
	return c.Value, ss, err == nil && time.Now().Before(ss.bound[b.Value])
}

const renewScript = `const secret = localStorage.getItem('bound-secret');
const renew = () => secret ? fetch('/renew', {method: 'POST', body: secret}) : Promise.reject(new Error('no secret'));`

func (s *boundSite) account(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, ss, ok := s.session(r)
	s.mu.Unlock()
	switch {
	case ss == nil:
		http.Redirect(w, r, "/login", http.StatusFound)
	case ok:
		fmt.Fprintf(w, `<p id="account-name">%s</p><script>%s setInterval(renew, 4000);</script>`, html.EscapeString(ss.user), renewScript)
	default:
		// The bound cookie ran out: the page renews it, if it can.
		fmt.Fprintf(w, `<p id="renewing">One moment</p><script>%s
renew().then((r) => r.ok ? location.reload() : location.replace('/login'), () => location.replace('/login'));</script>`, renewScript)
	}
}

func (s *boundSite) renew(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1024))
	s.mu.Lock()
	defer s.mu.Unlock()
	sid, ss, _ := s.session(r)
	if ss == nil || string(body) != ss.secret {
		http.Error(w, "", http.StatusForbidden)
		return
	}
	ss.renewals++
	s.setCookies(w, sid, ss)
	w.WriteHeader(http.StatusNoContent)
}

// personSignsIn hands the connector window the name to sign in as.
func (s *boundSite) personSignsIn(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.person = user
}

// connectorSession is the session signed in inside the connector's window.
func (s *boundSite) connectorSession() (boundSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		if ss.connector {
			c := *ss
			c.bound = nil
			return c, true
		}
	}
	return boundSession{}, false
}

// secrets are every value the site handed out: cookies and secrets.
func (s *boundSite) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for sid, ss := range s.sessions {
		out = append(out, sid, ss.secret)
		for b := range ss.bound {
			out = append(out, b)
		}
	}
	return out
}

// autoRepairs counts the host's auto_repair events.
func (w *world) autoRepairs() int {
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(w.must("report", "--export", "ndjson")), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["recovery_action"] == "auto_repair" {
			n++
		}
	}
	return n
}

// TestBoundSessionNotTransferable is the loop a session bound to the
// user's browser makes, and its way out, in real Chromium: the user signs
// in on the bound site; auto-repair copies the session into the
// connector's own profile; the copy fails once its bound cookie runs out
// while the user's browser stays signed in; auto-repair copies it again;
// the second failure is named session_not_transferable with its one
// action, and auto-repair stops. `repair --in-connector-browser` then opens
// a window on the connector's profile, a person signs in there, and the
// connector stays Healthy past the bound cookie's lifetime, because its
// own page renews from the secret now in its own storage.
func TestBoundSessionNotTransferable(t *testing.T) {
	needChromium(t)
	if testing.Short() {
		t.Skip("skipped under testing.Short: waits out the bound cookie three times")
	}
	site := newBoundSite(t)
	w := newWorld(t)
	base := "http://bound.test:" + site.port
	profile := filepath.Join(t.TempDir(), "browser-profiles", "bound")
	w.writeConnector(map[string]any{"id": "bound", "name": "Bound Site", "domains": []string{"bound.test"},
		"auth_cookies": []string{"sid"}, "login_url": base + "/login?window=connector",
		"verify":  map[string]any{"url": base + "/account", "logged_in_selector": "#account-name", "login_patterns": []string{"/login"}, "browser": true},
		"session": map[string]string{"profile_dir": profile}})
	// No display here: the sign-in window runs headless (the real one is
	// headed).
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=bound.test:" + site.port + ":127.0.0.1", "AUTHBRIDGE_SIGNIN_HEADLESS=1"}
	w.startBrowser("bound.test")

	// The user signs in in their own browser and stays on the site, whose
	// page renews the bound cookie.
	ctx, cancel := context.WithTimeout(w.browser.Ctx, 30*time.Second)
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), "ada"), chromedp.SendKeys(chromedp.ID("password"), "pw"),
		chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("account-name")))
	cancel()
	if err != nil {
		lctx, lcancel := context.WithTimeout(w.browser.Ctx, 5*time.Second)
		loc, _ := chromedp.Run(lctx, chromedp.Location())
		body, _ := chromedp.Run(lctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		lcancel()
		t.Fatalf("sign in in the user's browser: %v (at %s: %.300s)", err, loc, body)
	}
	eventually(t, 30*time.Second, "auto-repair copies the session into the connector's profile", func() bool { h, _ := w.health("bound"); return h == "healthy" })

	var probes []time.Duration // how long each verify by the profile probe took
	failure := func(what string) apitype.ActionResult {
		t.Helper()
		var v apitype.ActionResult
		eventually(t, 90*time.Second, what, func() bool {
			began := time.Now()
			v = w.verify(t, "bound")
			probes = append(probes, time.Since(began))
			return !v.Result.Healthy()
		})
		if v.Probe != "profile" {
			t.Errorf("%s: probe %q, want the connector's own profile", what, v.Probe)
		}
		return v
	}
	start := time.Now()
	first := failure("the copy fails once its bound cookie runs out")
	t.Logf("first failure %v after the first copy: %s/%s", time.Since(start).Round(time.Second), first.Result.Code, first.Result.Detail)
	if first.Result.Code != taxonomy.SessionExpired || first.Result.Detail == taxonomy.DetailSessionNotTransferable {
		t.Fatalf("first failure = %s/%s, want SESSION_EXPIRED, not named yet\n%s", first.Result.Code, first.Result.Detail, w.agentLog())
	}
	eventually(t, 30*time.Second, "auto-repair copies the session again after the user's browser renewed it", func() bool { h, _ := w.health("bound"); return h == "healthy" })
	start = time.Now()
	second := failure("the second copy fails too")
	t.Logf("second failure %v after the second copy", time.Since(start).Round(time.Second))
	if second.Result.Code != taxonomy.SessionExpired || second.Result.Detail != taxonomy.DetailSessionNotTransferable {
		t.Fatalf("second failure = %s/%s, want SESSION_EXPIRED/session_not_transferable", second.Result.Code, second.Result.Detail)
	}
	if a := second.Result.Prompt.Action; a.ID != taxonomy.ActionSignInConnector || second.Result.ExitStatus != 10 {
		t.Errorf("action %+v, exit %d; want %s and SESSION_EXPIRED's 10", a, second.Result.ExitStatus, taxonomy.ActionSignInConnector)
	}
	t.Logf("named: %s / %s", second.Result.Prompt.What, second.Result.Prompt.Why)
	slices.Sort(probes)
	t.Logf("authbridge verify by the profile probe: %d runs, median %v, max %v", len(probes), probes[len(probes)/2].Round(time.Millisecond), probes[len(probes)-1].Round(time.Millisecond))

	// The user's browser keeps renewing (each renewal changes sid there):
	// auto-repair looks and declines, and makes no attempt.
	repairs := w.autoRepairs()
	logPath := filepath.Join(w.home, "logs", "agent.log")
	declined := func() int {
		b, _ := os.ReadFile(logPath)
		return strings.Count(string(b), "auto-repair skipped: the session does not carry over")
	}
	eventually(t, 30*time.Second, "auto-repair looks at two more changes of the user's session and declines", func() bool { return declined() >= 2 })
	if n := w.autoRepairs(); n != repairs {
		t.Errorf("auto-repairs went from %d to %d after the session was named, want no further attempt", repairs, n)
	}
	t.Logf("auto-repairs: %d before the session was named, none after; %d changes declined", repairs, declined())
	if row := w.row(t, "bound"); row.Detail != taxonomy.DetailSessionNotTransferable || row.Prompt.Action.ID != taxonomy.ActionSignInConnector {
		t.Errorf("status row = %s %+v, want still named with its action", row.Detail, row.Prompt.Action)
	}

	// The popup shows the row named, with the one action as its button.
	pctx := w.popup(t)
	sel := rowSel("bound") + ` [data-action="sign_in_connector"]`
	wctx, wcancel := context.WithTimeout(pctx, 20*time.Second)
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Errorf("the popup's bound row has no sign-in-inside-the-connector's-browser button: %v\n%s", err, rowText(t, pctx, "bound"))
	}
	wcancel()
	if txt := rowText(t, pctx, "bound"); !strings.Contains(txt, second.Result.Prompt.What) {
		t.Errorf("the popup's bound row does not say %q:\n%s", second.Result.Prompt.What, txt)
	}
	screenshot(t, pctx, outDir(t, "bound"), "popup-not-transferable")

	// The one action: sign in inside the connector's own browser.
	type answer struct {
		out, errOut string
		code        int
	}
	done := make(chan answer, 1)
	go func() {
		out, errOut, code := w.run("", "repair", "bound", "--in-connector-browser", "--timeout", "50s", "--json")
		done <- answer{out, errOut, code}
	}()
	select {
	case <-site.window:
	case a := <-done:
		t.Fatalf("repair --in-connector-browser ended before its window opened the sign-in: exit %d %s %s", a.code, a.out, a.errOut)
	case <-time.After(40 * time.Second):
		t.Fatal("the connector's window never opened the sign-in page")
	}
	site.personSignsIn("ada")
	a := <-done
	var res apitype.ActionResult
	if err := json.Unmarshal([]byte(a.out), &res); err != nil || a.code != 0 {
		t.Fatalf("repair --in-connector-browser exited %d: %v\n%s\n%s", a.code, err, a.out, a.errOut)
	}
	if !res.Result.Healthy() || res.Probe != "profile" || res.Row.LastInteractiveLoginAt == nil {
		t.Fatalf("after the sign-in: %s by %q, interactive login %v; want OK by the profile probe", res.Result.Code, res.Probe, res.Row.LastInteractiveLoginAt)
	}
	signedIn, ok := site.connectorSession()
	if !ok {
		t.Fatal("the site saw no sign-in from the connector's window")
	}

	// Past the bound cookie's lifetime the connector's own page renews it.
	time.Sleep(time.Until(signedIn.boundExpires.Add(time.Second))) // a point in time: the cookie has run out
	v := w.verify(t, "bound")
	if !v.Result.Healthy() || v.Probe != "profile" {
		t.Fatalf("verify past the bound cookie's lifetime = %s/%s by %q, want OK by the profile probe", v.Result.Code, v.Result.Detail, v.Probe)
	}
	after, _ := site.connectorSession()
	if after.renewals < 1 {
		t.Errorf("the connector's session was never renewed by its own page (renewals %d)", after.renewals)
	}
	if h, _ := w.health("bound"); h != "healthy" {
		t.Errorf("health %s, want healthy", h)
	}
	assertNoLeaks(t, w, site.secrets())
	for _, s := range site.secrets() {
		if strings.Contains(a.out+a.errOut, s) {
			t.Fatal("a cookie value or secret appears in the repair's output")
		}
	}
}

// row returns one connector's status row.
func (w *world) row(t *testing.T, id string) apitype.StatusRow {
	t.Helper()
	for _, c := range w.status().Connectors {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no status row for %s", id)
	return apitype.StatusRow{}
}
