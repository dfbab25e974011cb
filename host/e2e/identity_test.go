//go:build !windows

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/taxonomy"
)

// uaSite is a test site whose session works only with the user agent it
// was signed in with: GET /login?user=NAME signs in (a sid cookie), GET
// /account shows the name for a known sid sent with that same user agent
// and otherwise redirects to /login.
type uaSite struct {
	port string

	mu       sync.Mutex
	sessions map[string]uaSession // token -> session
	agents   []string             // user agents /account was asked with
}

type uaSession struct{ user, userAgent string }

func newUASite(t *testing.T) *uaSite {
	t.Helper()
	s := &uaSite{sessions: map[string]uaSession{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, s.port, _ = net.SplitHostPort(l.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" {
			fmt.Fprint(w, `<form><input id="user" name="user"></form>`)
			return
		}
		b := make([]byte, 16)
		rand.Read(b)
		tok := hex.EncodeToString(b)
		s.mu.Lock()
		s.sessions[tok] = uaSession{user: user, userAgent: r.UserAgent()}
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: tok, Path: "/", MaxAge: 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		fmt.Fprintf(w, `<p id="account-name">%s</p>`, user)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.agents = append(s.agents, r.UserAgent())
		var ss uaSession
		var ok bool
		if c, err := r.Cookie("sid"); err == nil {
			ss, ok = s.sessions[c.Value]
		}
		s.mu.Unlock()
		if !ok || ss.userAgent != r.UserAgent() {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		fmt.Fprintf(w, `<p id="account-name">%s</p>`, ss.user)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *uaSite) values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for tok := range s.sessions {
		out = append(out, tok)
	}
	return out
}

// userBrowserUA is the user agent of the user's browser in these tests: not
// the one the runner's Chromium presents by itself.
const userBrowserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36 authbridge-e2e-user"

// startBrowserAs is startBrowser with the browser presenting userAgent and
// the languages langs.
func (w *world) startBrowserAs(userAgent, langs string, domains ...string) {
	w.t.Helper()
	w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir:       w.udd,
		Extension:         extension,
		HostResolverRules: chromium.HostResolverRules("127.0.0.1", domains...),
		Env:               append([]string{"AUTHBRIDGE_HOME=" + w.home}, w.extraEnv...),
		Flags:             map[string]any{"ignore-certificate-errors": true, "user-agent": userAgent, "accept-lang": langs},
		Output:            &w.stderr,
	})
	if err != nil {
		w.t.Fatalf("launch chromium: %v", err)
	}
	w.browser = b
	w.t.Cleanup(b.Close)
	w.waitBridge()
}

// TestRunnerPresentsTheUsersBrowser signs in, in the user's browser, on a
// site whose session works only with the user agent it was made with, and
// runs the drop-in runner on it: the run presents the user's browser's user
// agent (reported in the extension's hello), so the session carries over.
func TestRunnerPresentsTheUsersBrowser(t *testing.T) {
	needChromium(t)
	site := newUASite(t)
	w := newWorld(t)
	base := "http://ua.test:" + site.port
	w.writeConnector(map[string]any{"id": "ua-bound", "name": "UA-bound site", "domains": []string{"ua.test"},
		"auth_cookies": []string{"sid"}, "login_url": base + "/login?user=ada",
		"verify": map[string]any{"url": base + "/account", "logged_in_selector": "#account-name"}})
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=ua.test:" + site.port + ":127.0.0.1"}
	w.startBrowserAs(userBrowserUA, "en-GB", "ua.test")
	ctx, cancel := context.WithTimeout(w.browser.Ctx, 30*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login?user=ada"), chromedp.WaitVisible(chromedp.ID("account-name"))); err != nil {
		t.Fatalf("sign in in the user's browser: %v", err)
	}
	cancel()
	var bridgeUA, bridgeLang string
	eventually(t, 20*time.Second, "the status lists the browser's user agent and languages", func() bool {
		st := w.status()
		if len(st.Bridges) == 0 {
			return false
		}
		bridgeUA, bridgeLang = st.Bridges[0].UserAgent, st.Bridges[0].AcceptLanguage
		return bridgeUA == userBrowserUA && bridgeLang != ""
	})
	if !strings.HasPrefix(bridgeLang, "en-GB") {
		t.Errorf("accept_language %q, want the browser's en-GB first", bridgeLang)
	}

	r, script := runnerOnTestScript(t, w, "account-probe.js", "ua-bound", "ua.test")
	defer r.close()
	id := "ua-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	r.send(map[string]any{"type": "run", "runId": id, "connectorPath": script, "url": base + "/account", "headless": true, "allowHeaded": false})
	res := r.result(id, 3*time.Minute)
	if c := classificationOf(res); c["outcome"] != "success" {
		t.Fatalf("classification %v, want success: the run did not stay signed in\n%s", c, r.dump())
	}
	data, _ := res["data"].(map[string]any)
	probe, _ := data["account.probe"].(map[string]any)
	if probe["userAgent"] != userBrowserUA {
		t.Errorf("the run's page saw user agent %v, want the user's browser's", probe["userAgent"])
	}
	all := r.dump()
	for _, v := range site.values() {
		if strings.Contains(all, v) {
			t.Fatalf("a cookie value appears in the runner's output")
		}
	}
}

// TestUserAgentBoundNotTransferable runs the drop-in runner on the
// user-agent-bound site without presenting the user's browser
// (AUTHBRIDGE_RUNNER_USER_AGENT=off): each run's copy of the session fails
// while the user's browser holds the same session and it verifies there,
// so the second run is told session_not_transferable, the status row names
// it, and auto-repair declines the user's next sign-in.
func TestUserAgentBoundNotTransferable(t *testing.T) {
	site := newUASite(t)
	base := "http://ua.test:" + site.port
	notTransferableThroughRunner(t, "ua-bound", "ua.test", site.port, base, map[string]any{"url": base + "/account", "logged_in_selector": "#account-name"},
		[]string{"AUTHBRIDGE_RUNNER_USER_AGENT=off"}, site.values)
}

// notTransferableThroughRunner signs in on a bound site (id, served at
// domain:port) in the user's browser and runs the drop-in runner on it
// twice with runnerEnv: each run's copy fails while the user's browser
// holds the same session and it verifies there, so the first failure names
// nothing, the second names session_not_transferable (the runner says so,
// the status row shows it with the sign-in inside the connector's browser),
// and auto-repair declines the user's next sign-in.
func notTransferableThroughRunner(t *testing.T, id, domain, port, base string, verify map[string]any, runnerEnv []string, secrets func() []string) {
	t.Helper()
	needChromium(t)
	w := newWorld(t)
	w.writeConnector(map[string]any{"id": id, "name": id + " site", "domains": []string{domain},
		"auth_cookies": []string{"sid"}, "login_url": base + "/login?user=ada", "verify": verify})
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=" + domain + ":" + port + ":127.0.0.1"}
	w.startBrowserAs(userBrowserUA, "en-GB", domain)
	signIn := func(user string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(w.browser.Ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login?user="+user), chromedp.WaitVisible(chromedp.ID("account-name"))); err != nil {
			t.Fatalf("sign in in the user's browser: %v", err)
		}
	}
	signIn("ada")
	eventually(t, 20*time.Second, "the sign-in heals "+id, func() bool { h, _ := w.health(id); return h == "healthy" })

	r, script := runnerOnTestScript(t, w, "account-escalate.js", id, domain, runnerEnv...)
	defer r.close()
	run := func(n int) {
		t.Helper()
		runID := id + "-" + strconv.Itoa(n) + "-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
		r.send(map[string]any{"type": "run", "runId": runID, "connectorPath": script, "url": base + "/account", "headless": true, "allowHeaded": false})
		res := r.result(runID, 3*time.Minute)
		if c := classificationOf(res); c["outcome"] == "success" {
			t.Fatalf("run %d succeeded: the site did not bind its session\n%s", n, r.dump())
		}
	}
	run(1)
	if row := w.connectorRow(id); row.Detail == taxonomy.DetailSessionNotTransferable {
		t.Fatalf("named after the first failure, want the second")
	}
	run(2)
	row := w.connectorRow(id)
	if row.Detail != taxonomy.DetailSessionNotTransferable || row.Prompt.Action.ID != taxonomy.ActionSignInConnector {
		t.Fatalf("after the second failure the row is %s/%s (action %s), want session_not_transferable with the sign-in inside the connector's browser\n%s\n%s",
			row.Reason, row.Detail, row.Prompt.Action.ID, r.dump(), w.agentLog())
	}
	if out := r.dump(); !strings.Contains(out, taxonomy.DetailSessionNotTransferable) {
		t.Errorf("the second run does not name session_not_transferable:\n%s", out)
	}
	// Auto-repair stops: the user's next sign-in is looked at and declined.
	logFile := filepath.Join(w.home, "logs", "agent.log")
	signIn("ada")
	eventually(t, 30*time.Second, "auto-repair declines the next sign-in", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "auto-repair skipped: the session does not carry over")
	})
	if row := w.connectorRow(id); row.Detail != taxonomy.DetailSessionNotTransferable {
		t.Errorf("after the next sign-in the row is %s/%s, want still session_not_transferable", row.Reason, row.Detail)
	}
	all := r.dump()
	for _, v := range secrets() {
		if strings.Contains(all, v) {
			t.Fatalf("a session secret appears in the runner's output")
		}
	}
}

// storageSite is a test site whose session is bound to a value kept in the
// page's storage: GET /login?user=NAME signs in (a sid cookie) and puts a
// proof into the page's localStorage; GET /account is a shell for a known
// sid (#account-shell) whose script asks GET /api/me with that proof and
// draws the name (#account-name) only when it matches. A copy of the
// cookies reaches the shell, never the name.
type storageSite struct {
	port string

	mu       sync.Mutex
	sessions map[string]storageSession // sid -> session
}

type storageSession struct{ user, proof string }

func newStorageSite(t *testing.T) *storageSite {
	t.Helper()
	s := &storageSite{sessions: map[string]storageSession{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, s.port, _ = net.SplitHostPort(l.Addr().String())
	token := func() string {
		b := make([]byte, 16)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	session := func(r *http.Request) (storageSession, bool) {
		c, err := r.Cookie("sid")
		if err != nil {
			return storageSession{}, false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		ss, ok := s.sessions[c.Value]
		return ss, ok
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" {
			fmt.Fprint(w, `<form><input id="user" name="user"></form>`)
			return
		}
		sid, proof := token(), token()
		s.mu.Lock()
		s.sessions[sid] = storageSession{user: user, proof: proof}
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", MaxAge: 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		fmt.Fprintf(w, `<script>localStorage.setItem('proof', %q); location.replace('/account');</script>`, proof)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := session(r); !ok {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		fmt.Fprint(w, `<div id="account-shell"></div><script>
fetch('/api/me', { headers: { 'X-Proof': localStorage.getItem('proof') || '' } })
  .then((r) => (r.ok ? r.text() : ''))
  .then((name) => { if (name) { const p = document.createElement('p'); p.id = 'account-name'; p.textContent = name; document.body.append(p); } });
</script>`)
	})
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		ss, ok := session(r)
		if !ok || r.Header.Get("X-Proof") != ss.proof {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, ss.user)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *storageSite) values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for sid, ss := range s.sessions {
		out = append(out, sid, ss.proof)
	}
	return out
}

// TestStorageBoundNotTransferable runs the drop-in runner, presenting the
// user's browser, on the storage-bound site: the session's cookies carry
// over but its proof in the page's storage does not, so the second run is
// told session_not_transferable and auto-repair declines the next sign-in.
func TestStorageBoundNotTransferable(t *testing.T) {
	site := newStorageSite(t)
	base := "http://store.test:" + site.port
	notTransferableThroughRunner(t, "store-bound", "store.test", site.port, base, map[string]any{"url": base + "/account", "logged_in_selector": "#account-shell"}, nil, site.values)
}

// runnerOnTestScript copies one of the runner's test connector scripts as
// <id>.js (the runner takes the connector id from the script's name) and
// starts the drop-in runner against w, its browser resolving domain to
// loopback. It returns the runner and the copied script's path.
func runnerOnTestScript(t *testing.T, w *world, testScript, id, domain string, extraEnv ...string) (*appRunner, string) {
	t.Helper()
	exe := needChromium(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot, "runner", "testdata", "connectors", testScript))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, id+".js")
	if err := os.WriteFile(script, src, 0o600); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal([]string{"--host-resolver-rules=MAP " + domain + " 127.0.0.1"})
	env := append(w.env(), "AUTHBRIDGE_BIN="+binPath, "AUTHBRIDGE_CHROMIUM="+exe,
		"AUTHBRIDGE_PROFILES_DIR="+filepath.Join(dir, "profiles"), "AUTHBRIDGE_BROWSER_ARGS="+string(args))
	return startAppRunner(t, append(env, extraEnv...)), script
}
