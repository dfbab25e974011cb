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
	exe := needChromium(t)
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

	dir := t.TempDir()
	script := filepath.Join(dir, "ua-bound.js")
	src, err := os.ReadFile(filepath.Join(repoRoot, "runner", "testdata", "connectors", "account-probe.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, src, 0o600); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal([]string{"--host-resolver-rules=MAP ua.test 127.0.0.1"})
	env := append(w.env(), "AUTHBRIDGE_BIN="+binPath, "AUTHBRIDGE_CHROMIUM="+exe,
		"AUTHBRIDGE_PROFILES_DIR="+filepath.Join(dir, "profiles"), "AUTHBRIDGE_BROWSER_ARGS="+string(args))
	r := startAppRunner(t, env)
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
	exe := needChromium(t)
	site := newUASite(t)
	w := newWorld(t)
	base := "http://ua.test:" + site.port
	w.writeConnector(map[string]any{"id": "ua-bound", "name": "UA-bound site", "domains": []string{"ua.test"},
		"auth_cookies": []string{"sid"}, "login_url": base + "/login?user=ada",
		"verify": map[string]any{"url": base + "/account", "logged_in_selector": "#account-name"}})
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=ua.test:" + site.port + ":127.0.0.1"}
	w.startBrowserAs(userBrowserUA, "en-GB", "ua.test")
	signIn := func(user string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(w.browser.Ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login?user="+user), chromedp.WaitVisible(chromedp.ID("account-name"))); err != nil {
			t.Fatalf("sign in in the user's browser: %v", err)
		}
	}
	signIn("ada")
	eventually(t, 20*time.Second, "the sign-in heals ua-bound", func() bool { h, _ := w.health("ua-bound"); return h == "healthy" })

	dir := t.TempDir()
	script := filepath.Join(dir, "ua-bound.js")
	src, err := os.ReadFile(filepath.Join(repoRoot, "runner", "testdata", "connectors", "account-escalate.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, src, 0o600); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal([]string{"--host-resolver-rules=MAP ua.test 127.0.0.1"})
	env := append(w.env(), "AUTHBRIDGE_BIN="+binPath, "AUTHBRIDGE_CHROMIUM="+exe, "AUTHBRIDGE_RUNNER_USER_AGENT=off",
		"AUTHBRIDGE_PROFILES_DIR="+filepath.Join(dir, "profiles"), "AUTHBRIDGE_BROWSER_ARGS="+string(args))
	r := startAppRunner(t, env)
	defer r.close()
	run := func(n int) map[string]any {
		t.Helper()
		id := "ua-off-" + strconv.Itoa(n) + "-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
		r.send(map[string]any{"type": "run", "runId": id, "connectorPath": script, "url": base + "/account", "headless": true, "allowHeaded": false})
		res := r.result(id, 3*time.Minute)
		if c := classificationOf(res); c["outcome"] == "success" {
			t.Fatalf("run %d succeeded: the site did not bind its session to the user agent\n%s", n, r.dump())
		}
		return res
	}
	run(1)
	if row := w.connectorRow("ua-bound"); row.Detail == "session_not_transferable" {
		t.Fatalf("named after the first failure, want the second")
	}
	run(2)
	row := w.connectorRow("ua-bound")
	if row.Detail != "session_not_transferable" || row.Prompt.Action.ID != taxonomy.ActionSignInConnector {
		t.Fatalf("after the second failure the row is %s/%s (action %s), want session_not_transferable with the sign-in inside the connector's browser\n%s\n%s",
			row.Reason, row.Detail, row.Prompt.Action.ID, r.dump(), w.agentLog())
	}
	if out := r.dump(); !strings.Contains(out, "session_not_transferable") {
		t.Errorf("the second run does not name session_not_transferable:\n%s", out)
	}
	// Auto-repair stops: the user's next sign-in is looked at and declined.
	logFile := filepath.Join(w.home, "logs", "agent.log")
	signIn("ada")
	eventually(t, 30*time.Second, "auto-repair declines the next sign-in", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "auto-repair skipped: the session does not carry over")
	})
	if row := w.connectorRow("ua-bound"); row.Detail != "session_not_transferable" {
		t.Errorf("after the next sign-in the row is %s/%s, want still session_not_transferable", row.Reason, row.Detail)
	}
	all := r.dump()
	for _, v := range site.values() {
		if strings.Contains(all, v) {
			t.Fatalf("a cookie value appears in the runner's output")
		}
	}
}
