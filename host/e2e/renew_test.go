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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// renewSite is the renewing test site: GET /login?user=NAME signs in with a
// sid cookie that lives renewLife; GET /account (the verify URL, what the
// user's browser opens) renews a valid session for another renewLife; GET
// /whoami answers the signed-in name and renews nothing, so a copy of the
// cookie dies renewLife after its last renewal unless the run takes the
// renewed one from the user's browser.
type renewSite struct {
	addr string
	port string

	mu       sync.Mutex
	sessions map[string]renewSession // token -> session
	logins   map[string]time.Time    // user -> when the site answered the sign-in
}

type renewSession struct {
	user    string
	expires time.Time
}

const renewLife = 20 * time.Second

func newRenewSite(t *testing.T) *renewSite {
	t.Helper()
	s := &renewSite{sessions: map[string]renewSession{}, logins: map[string]time.Time{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	_, s.port, _ = net.SplitHostPort(s.addr)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		b := make([]byte, 16)
		rand.Read(b)
		tok := hex.EncodeToString(b)
		s.mu.Lock()
		s.sessions[tok] = renewSession{user: user, expires: time.Now().Add(renewLife)}
		s.mu.Unlock()
		s.setSid(w, tok)
		s.mu.Lock()
		s.logins[user] = time.Now()
		s.mu.Unlock()
		fmt.Fprintf(w, `<p id="account-name">%s</p>`, user)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		tok, user, ok := s.valid(r)
		if !ok {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		s.mu.Lock()
		s.sessions[tok] = renewSession{user: user, expires: time.Now().Add(renewLife)}
		s.mu.Unlock()
		s.setSid(w, tok)
		fmt.Fprintf(w, `<p id="account-name">%s</p>`, user)
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		if _, user, ok := s.valid(r); ok {
			fmt.Fprint(w, user)
			return
		}
		http.Error(w, "", http.StatusUnauthorized)
	})
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<p>start</p>")
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *renewSite) setSid(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: tok, Path: "/", MaxAge: int(renewLife / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *renewSite) valid(r *http.Request) (tok, user string, ok bool) {
	c, err := r.Cookie("sid")
	if err != nil {
		return "", "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, found := s.sessions[c.Value]
	if !found || time.Now().After(ss.expires) {
		return "", "", false
	}
	return c.Value, ss.user, true
}

func (s *renewSite) loginAt(user string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins[user]
}

func (s *renewSite) values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for tok := range s.sessions {
		out = append(out, tok)
	}
	return out
}

// TestRunnerFollowsRenewingSession runs the drop-in runner for 60 s on the
// renewing site (20 s cookie renewed only by the user's browser): the run
// must stay signed in throughout (the runner refreshes through the user's
// browser before the cookie expires and follows the cookie stream), and a
// new sign-in made in the user's browser mid-run must reach the run within
// 1 s.
func TestRunnerFollowsRenewingSession(t *testing.T) {
	exe := needChromium(t)
	if testing.Short() {
		t.Skip("skipped under testing.Short: a 60 s run")
	}
	site := newRenewSite(t)
	w := newWorld(t)
	base := "http://renew.test:" + site.port
	w.writeConnector(map[string]any{"id": "renew-watch", "name": "Renewing site", "domains": []string{"renew.test"},
		"auth_cookies": []string{"sid"}, "login_url": base + "/login?user=ada",
		"verify": map[string]any{"url": base + "/account", "logged_in_selector": "#account-name"}})
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=renew.test:" + site.port + ":127.0.0.1", "AUTHBRIDGE_AUTO_REPAIR=off"}
	w.startBrowser("renew.test")
	signIn := func(user string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(w.browser.Ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login?user="+user), chromedp.WaitVisible(chromedp.ID("account-name"))); err != nil {
			t.Fatalf("sign in as %s: %v", user, err)
		}
	}
	signIn("ada")

	script := filepath.Join(repoRoot, "runner", "testdata", "connectors", "renew-watch.js")
	args, _ := json.Marshal([]string{"--host-resolver-rules=MAP renew.test 127.0.0.1"})
	env := append(w.env(),
		"AUTHBRIDGE_BIN="+binPath,
		"AUTHBRIDGE_CHROMIUM="+exe,
		"AUTHBRIDGE_PROFILES_DIR="+t.TempDir(),
		"AUTHBRIDGE_BROWSER_ARGS="+string(args),
	)
	r := startAppRunner(t, env)
	id := "renew-watch-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	started := time.Now()
	r.send(map[string]any{"type": "run", "runId": id, "connectorPath": script, "url": base + "/start?ms=60000", "headless": true, "allowHeaded": false})

	// Sign in again, as someone else, in the user's browser mid-run.
	time.Sleep(time.Until(started.Add(35 * time.Second))) // a point in the run, not a wait for a condition
	signIn("bob")
	bobAt := site.loginAt("bob")

	res := r.result(id, 3*time.Minute)
	if c := classificationOf(res); c["outcome"] != "success" {
		t.Fatalf("classification %v, want success\n%s", c, r.dump())
	}
	data, _ := res["data"].(map[string]any)
	watch, _ := data["renew.watch"].(map[string]any)
	var got struct {
		Seen []struct {
			Who string `json:"who"`
			At  int64  `json:"at"`
		} `json:"seen"`
		Failures int `json:"failures"`
		Checks   int `json:"checks"`
	}
	b, _ := json.Marshal(watch)
	json.Unmarshal(b, &got)
	t.Logf("the run checked %d times over 60 s: %d found nobody signed in; names seen %+v", got.Checks, got.Failures, got.Seen)
	if got.Checks < 30 || got.Failures != 0 {
		t.Errorf("%d of %d checks found the run signed out, want 0 (the 20 s cookie must be renewed through the user's browser)\n%s", got.Failures, got.Checks, logsOf(r.of(id)))
	}
	if len(got.Seen) != 2 || got.Seen[0].Who != "ada" || got.Seen[1].Who != "bob" {
		t.Fatalf("names seen %+v, want ada then bob\n%s", got.Seen, logsOf(r.of(id)))
	}
	lag := time.UnixMilli(got.Seen[1].At).Sub(bobAt)
	t.Logf("the new sign-in reached the run %v after the site answered it", lag.Round(time.Millisecond))
	all := r.dump()
	for _, v := range site.values() {
		if v != "" && (strings.Contains(all, v) || strings.Contains(w.stderr.String(), v)) {
			t.Fatalf("a cookie value appears in the runner's output or the browser's log")
		}
	}
}
