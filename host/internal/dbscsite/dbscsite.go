// Package dbscsite is a minimal Device Bound Session Credentials (DBSC)
// site for the end-to-end tests: a sign-in that asks the browser to register
// a device-bound session, the registration and refresh endpoints that check
// the browser's ES256 proofs of its device key, and an account page that
// wants both the long-lived session cookie and the short-lived bound cookie.
// It speaks the protocol as Chromium 156 does (PROTOCOL.md, "Device-bound
// sessions"); it is served over HTTPS by its caller.
package dbscsite

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The site's cookies and endpoints.
const (
	// SessionCookie is the long-lived session cookie the sign-in sets.
	SessionCookie = "dbsc_sid"
	// BoundCookie is the short-lived cookie only the registered device key
	// can renew.
	BoundCookie = "dbsc_bound"
	// RegisterPath is the registration endpoint the sign-in names.
	RegisterPath = "/dbsc/register"
	// RefreshPath is the refresh endpoint the session config names.
	RefreshPath = "/dbsc/refresh"
	// LoginPath serves the sign-in form (GET) and signs in (POST).
	LoginPath = "/login"
	// AccountPath is the page that needs both cookies.
	AccountPath = "/account"
	// AccountSelector is the element the account page shows when signed in.
	AccountSelector = "#account-name"
)

// Stats counts what the site saw. It holds no cookie value or key.
type Stats struct {
	SignIns       int // POST /login
	Registrations int // sessions registered with a valid proof
	Challenges    int // refreshes answered 403 with a fresh challenge
	Refreshes     int // bound cookies renewed with a valid proof
	Rejected      int // registrations or refreshes refused (bad proof, unknown session, no session cookie)
	SignedIn      int // account pages served signed in
	SignedOut     int // account pages redirected to the sign-in
}

// Site is one DBSC site. The zero value is not usable: use New.
type Site struct {
	host          string
	boundLifetime time.Duration
	now           func() time.Time

	mu       sync.Mutex
	users    map[string]bool            // session cookie value -> signed in
	pending  map[string]string          // registration challenge -> session cookie value
	sessions map[string]*session        // DBSC session id -> session
	bound    map[string]boundCookie     // bound cookie value -> its session and expiry
	refresh  map[string]map[string]bool // DBSC session id -> outstanding refresh challenges
	stats    Stats
}

type session struct {
	id  string
	sid string // the session cookie value it belongs to
	key *ecdsa.PublicKey
}

type boundCookie struct {
	session string
	expires time.Time
}

// New returns a site for host (e.g. "dbsc.test") whose bound cookie lives
// boundLifetime; now is the clock (nil: time.Now).
func New(host string, boundLifetime time.Duration, now func() time.Time) *Site {
	if now == nil {
		now = time.Now
	}
	return &Site{
		host: host, boundLifetime: boundLifetime, now: now,
		users: map[string]bool{}, pending: map[string]string{}, sessions: map[string]*session{},
		bound: map[string]boundCookie{}, refresh: map[string]map[string]bool{},
	}
}

// SetBoundLifetime makes the bound cookies issued from now on live d; those
// issued before keep their expiry.
func (s *Site) SetBoundLifetime(d time.Duration) {
	s.mu.Lock()
	s.boundLifetime = d
	s.mu.Unlock()
}

// Stats returns the counts so far.
func (s *Site) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// SessionIDs returns the ids of the registered DBSC sessions.
func (s *Site) SessionIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.sessions))
	for id := range s.sessions {
		ids = append(ids, id)
	}
	return ids
}

// Handler serves the site.
func (s *Site) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LoginPath, s.loginForm)
	mux.HandleFunc("POST "+LoginPath, s.signIn)
	mux.HandleFunc("POST "+RegisterPath, s.register)
	mux.HandleFunc("POST "+RefreshPath, s.refreshBound)
	mux.HandleFunc("GET "+AccountPath, s.account)
	return mux
}

func token() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Site) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Sign in</title><form method="post" action="%s"><button id="sign-in" type="submit">Sign in</button></form>`, LoginPath)
}

// signIn sets the long-lived session cookie and asks the browser to
// register a device-bound session with a one-time challenge.
func (s *Site) signIn(w http.ResponseWriter, r *http.Request) {
	sid, challenge := token(), token()
	s.mu.Lock()
	s.users[sid] = true
	s.pending[challenge] = sid
	s.stats.SignIns++
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sid, Path: "/", MaxAge: 24 * 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Secure-Session-Registration",
		fmt.Sprintf(`(ES256);path=%q;challenge=%q`, RegisterPath, challenge))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Signed in</title><a id="continue" href="%s">Continue</a>`, AccountPath)
}

// register checks the browser's proof (a JWT over the sign-in's challenge,
// signed by the new key it carries) and starts the session.
func (s *Site) register(w http.ResponseWriter, r *http.Request) {
	p, err := parseProof(r.Header.Get("Secure-Session-Response"), nil)
	sid := cookieValue(r, SessionCookie)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		if owner, ok := s.pending[p.JTI]; !ok {
			err = fmt.Errorf("registration challenge is unknown or used")
		} else if owner != sid {
			err = fmt.Errorf("registration challenge was issued to another sign-in")
		} else if p.Key == nil {
			err = fmt.Errorf("registration proof carries no key")
		}
	}
	if err != nil {
		s.stats.Rejected++
		http.Error(w, "dbsc registration: "+err.Error(), http.StatusBadRequest)
		return
	}
	delete(s.pending, p.JTI)
	sess := &session{id: token(), sid: sid, key: p.Key}
	s.sessions[sess.id] = sess
	s.stats.Registrations++
	s.issueLocked(w, sess)
}

// refreshBound answers a refresh: a fresh challenge (403) when the request
// has no proof, else a new bound cookie for a valid proof over one of the
// session's outstanding challenges.
func (s *Site) refreshBound(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("Sec-Secure-Session-Id")
	proof := r.Header.Get("Secure-Session-Response")
	sid := cookieValue(r, SessionCookie)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok || !s.users[sess.sid] || sess.sid != sid {
		s.stats.Rejected++
		http.Error(w, "dbsc refresh: unknown session or no session cookie", http.StatusUnauthorized)
		return
	}
	if proof == "" {
		c := token()
		if s.refresh[id] == nil {
			s.refresh[id] = map[string]bool{}
		}
		s.refresh[id][c] = true
		s.stats.Challenges++
		w.Header().Set("Secure-Session-Challenge", fmt.Sprintf(`%q;id=%q`, c, id))
		w.WriteHeader(http.StatusForbidden)
		return
	}
	p, err := parseProof(proof, sess.key)
	if err == nil && !s.refresh[id][p.JTI] {
		err = fmt.Errorf("refresh challenge is unknown or used")
	}
	if err != nil {
		s.stats.Rejected++
		http.Error(w, "dbsc refresh: "+err.Error(), http.StatusUnauthorized)
		return
	}
	delete(s.refresh[id], p.JTI)
	s.stats.Refreshes++
	s.issueLocked(w, sess)
}

// issueLocked sets a new bound cookie for sess and answers the session
// config. s.mu is held.
func (s *Site) issueLocked(w http.ResponseWriter, sess *session) {
	v := token()
	s.bound[v] = boundCookie{session: sess.id, expires: s.now().Add(s.boundLifetime)}
	attrs := "Domain=" + s.host + "; Path=/; Secure; HttpOnly; SameSite=Lax"
	w.Header().Add("Set-Cookie", BoundCookie+"="+v+"; Max-Age="+strconv.Itoa(int(s.boundLifetime/time.Second))+"; "+attrs)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(sessionConfig(sess.id, s.host, attrs))
}

// sessionConfig is the session's instructions as the DBSC explainer names
// them: its id, refresh endpoint, scope and bound cookie.
func sessionConfig(id, host, attrs string) map[string]any {
	return map[string]any{
		"session_identifier": id,
		"refresh_url":        RefreshPath,
		"scope": map[string]any{
			"include_site": true,
			"scope_specification": []any{
				map[string]any{"type": "exclude", "domain": host, "path": LoginPath},
			},
		},
		"credentials": []any{
			map[string]any{"type": "cookie", "name": BoundCookie, "attributes": attrs},
		},
	}
}

// account is signed in with a known session cookie and an unexpired bound
// cookie of that sign-in's session; otherwise it redirects to the sign-in.
func (s *Site) account(w http.ResponseWriter, r *http.Request) {
	sid, bv := cookieValue(r, SessionCookie), cookieValue(r, BoundCookie)
	s.mu.Lock()
	b, ok := s.bound[bv]
	signedIn := s.users[sid] && ok && s.now().Before(b.expires) && s.sessions[b.session] != nil && s.sessions[b.session].sid == sid
	if signedIn {
		s.stats.SignedIn++
	} else {
		s.stats.SignedOut++
	}
	s.mu.Unlock()
	if !signedIn {
		http.Redirect(w, r, LoginPath, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, `<!doctype html><title>Account</title><h1 id="account-name">%s</h1>`, html.EscapeString("Device-bound user"))
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
