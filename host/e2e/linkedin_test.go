//go:build !windows

package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// linkedin is a LinkedIn-shaped site for the app's real linkedin-playwright.js:
// https://www.linkedin.com on port 443 of a loopback address of its own
// (127.0.0.0/8 is all loopback), with the pages and Voyager API calls the
// script makes. Sessions live server-side, so a test can expire them or flag
// them for a checkpoint.
type linkedin struct {
	addr   string // the loopback address it listens on, port 443
	caFile string
	srv    *http.Server

	mu       sync.Mutex
	sessions map[string]string // li_at value -> "ok", "expired", "checkpoint"
	csrf     map[string]string // li_at value -> JSESSIONID value
	values   []string          // every cookie value the site set
	signIns  int
}

func newLinkedIn(t *testing.T) *linkedin {
	t.Helper()
	cert, caPEM := testCert(t, "linkedin.com", "*.linkedin.com")
	l := &linkedin{sessions: map[string]string{}, csrf: map[string]string{}}
	l.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(l.caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	var err error
	for range 20 {
		l.addr = fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(250), rand.IntN(250), 1+rand.IntN(250))
		if ln, err = net.Listen("tcp", l.addr+":443"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("listen on a loopback address's port 443 (the script's URLs have no port; this needs root or CAP_NET_BIND_SERVICE): %v", err)
	}
	l.srv = &http.Server{Handler: http.HandlerFunc(l.serve), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go l.srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { l.srv.Close() })
	return l
}

// resolverRules maps LinkedIn's names to the site, for Chromium.
func (l *linkedin) resolverRules() string {
	return "MAP *.linkedin.com " + l.addr + ", MAP linkedin.com " + l.addr
}

// setAll marks every session as state ("expired", "checkpoint", "ok").
func (l *linkedin) setAll(state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.sessions {
		l.sessions[k] = state
	}
}

// Values returns every cookie value the site has set.
func (l *linkedin) Values() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.values...)
}

func (l *linkedin) state(r *http.Request) (string, string) {
	c, err := r.Cookie("li_at")
	if err != nil {
		return "", ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sessions[c.Value], l.csrf[c.Value]
}

const linkedinLoginPage = `<!doctype html><html><head><title>LinkedIn Login</title></head><body>
<form method="post" action="/checkpoint/lg/login-submit">
<input id="username" name="session_key" type="text">
<input id="password" name="session_password" type="password">
<button type="submit" class="sign-in">Sign in</button>
</form></body></html>`

const linkedinFeedPage = `<!doctype html><html><head><title>Feed | LinkedIn</title></head><body>
<header class="global-nav"><a class="global-nav__me" href="/in/ada-lovelace/"><img class="global-nav__me-photo" alt="Ada"></a>
<a href="/feed/">Home</a></header>
<main class="scaffold-layout"><div class="feed-identity-module">Ada Lovelace</div></main></body></html>`

const linkedinCheckpointPage = `<!doctype html><html><head><title>Security Verification | LinkedIn</title></head><body>
<h1>Let's do a quick security check</h1><input name="pin" type="text"><button type="submit">Submit</button></body></html>`

func (l *linkedin) serve(w http.ResponseWriter, r *http.Request) {
	state, csrf := l.state(r)
	switch {
	case r.URL.Path == "/login":
		// As on LinkedIn, a signed-in session skips the form, and one held
		// for a security check is sent to the check from here too (the
		// app's manifest probes /login: its connect_url).
		switch state {
		case "ok":
			http.Redirect(w, r, "/feed/", http.StatusFound)
			return
		case "checkpoint":
			http.Redirect(w, r, "/checkpoint/challenge/AgH3x", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, linkedinLoginPage)
	case r.URL.Path == "/checkpoint/lg/login-submit" && r.Method == http.MethodPost:
		if r.FormValue("session_key") != "ada@example.com" || r.FormValue("session_password") != "correct horse" {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		li, js := randValue(16), "ajax:"+randValue(8)
		l.mu.Lock()
		l.sessions[li], l.csrf[li] = "ok", js
		l.values = append(l.values, li, js)
		l.signIns++
		l.mu.Unlock()
		w.Header().Add("Set-Cookie", "li_at="+li+"; Domain=.www.linkedin.com; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=31536000")
		w.Header().Add("Set-Cookie", `JSESSIONID="`+js+`"; Domain=.www.linkedin.com; Path=/; Secure; SameSite=None; Max-Age=31536000`)
		http.Redirect(w, r, "/feed/", http.StatusFound)
	case r.URL.Path == "/feed/" || r.URL.Path == "/feed":
		switch state {
		case "ok":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, linkedinFeedPage)
		case "checkpoint":
			http.Redirect(w, r, "/checkpoint/challenge/AgH3x", http.StatusFound)
		default:
			http.Redirect(w, r, "/login", http.StatusFound)
		}
	case strings.HasPrefix(r.URL.Path, "/checkpoint/challenge/"):
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, linkedinCheckpointPage)
	case strings.HasPrefix(r.URL.Path, "/voyager/api/"):
		if state != "ok" || r.Header.Get("csrf-token") != csrf {
			http.Error(w, `{"status":401}`, http.StatusUnauthorized)
			return
		}
		l.voyager(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (l *linkedin) voyager(w http.ResponseWriter, r *http.Request) {
	var v any
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/voyager/api/me":
		v = map[string]any{"miniProfile": map[string]any{"publicIdentifier": "ada-lovelace", "firstName": "Ada", "lastName": "Lovelace", "occupation": "Analyst"}}
	case r.URL.Path == "/voyager/api/identity/dash/profiles" && q.Get("q") == "memberIdentity":
		v = map[string]any{"elements": []any{map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "headline": "Analyst of engines",
			"summary": "First programmer.",
			"profilePositionGroups": map[string]any{"elements": []any{map[string]any{
				"company": map[string]any{"name": "Analytical Engines"},
				"profilePositionInPositionGroup": map[string]any{"elements": []any{map[string]any{
					"title": "Programmer", "dateRange": map[string]any{"start": map[string]any{"year": 1842}},
				}}},
			}}},
			"profileEducations": map[string]any{"elements": []any{map[string]any{"schoolName": "Home tutoring", "degreeName": "Mathematics"}}},
			"profileSkills":     map[string]any{"elements": []any{map[string]any{"name": "Mathematics", "endorsementCount": 12}}},
			"profileLanguages":  map[string]any{"elements": []any{map[string]any{"name": "English", "proficiency": "NATIVE"}}},
		}}}
	case r.URL.Path == "/voyager/api/relationships/dash/connections":
		els := []any{}
		if q.Get("start") == "0" {
			for i, c := range []string{"A", "B", "C"} {
				els = append(els, map[string]any{"connectedMember": "urn:li:fsd_profile:" + c, "createdAt": 1700000000000 + int64(i)*86400000})
			}
		}
		v = map[string]any{"paging": map[string]any{"total": 3}, "elements": els}
	case r.URL.Path == "/voyager/api/identity/dash/profiles" && strings.HasPrefix(q.Get("ids"), "List("):
		res := map[string]any{}
		for _, urn := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(q.Get("ids"), "List("), ")"), ",") {
			id := strings.TrimPrefix(urn, "urn:li:fsd_profile:")
			res[urn] = map[string]any{"firstName": "Friend", "lastName": id, "headline": "Colleague", "publicIdentifier": "friend-" + strings.ToLower(id)}
		}
		v = map[string]any{"results": res}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
