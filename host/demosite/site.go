// Package demosite is the demo connector site: a small web site with a real
// sign-in form and server-side sessions, used by `authbridge demo`, the
// end-to-end tests and `make bench`. It runs on loopback and is reached by
// browsers under realistic names (demo.test, www.demo.test, api.demo.test)
// through Chromium's --host-resolver-rules, or by the host's probes through
// AUTHBRIDGE_RESOLVE.
//
// Besides behaving like an ordinary site, it can fail on purpose, in each of
// the ways the taxonomy names: a session expired on the server, a second
// factor demanded, a checkpoint, a redesigned page whose logged-in selector
// no longer matches, a slow answer, no answer, and a 5xx or 429. Go callers
// use the methods of *Site; a test driving the site in another process uses
// the admin endpoints.
//
// # Routes
//
//	GET  /                    home page
//	GET  /login               sign-in form (#username, #password, #sign-in)
//	POST /login               sign in; sets sid (Domain=demo.test) and theme (host-only)
//	GET  /account             the verify page: <span id="account-name">USER</span>
//	GET  /app                 the same, built by JavaScript after load (for browser probes)
//	GET  /api/me              {"user":"..."} or 401 {"error":"signed_out"}
//	GET  /two-factor          second-factor form (#code, #verify-code); code 123456
//	POST /two-factor          check the code
//	GET  /checkpoint/verify   "we noticed unusual activity" page (#confirm-identity)
//	POST /checkpoint/verify   confirm it was the user
//	GET|POST /logout          sign out: drop the session, clear sid
//	GET  /bulk-cookies        n Set-Cookie headers (see below)
//
// # Admin endpoints
//
// Every admin endpoint but /_admin/state takes POST; parameters come from the
// query string, a form body or a JSON object body. Each answers the site's
// state as JSON (see [State]); a bad parameter is a 400 with {"error":"..."}.
//
//	POST /_admin/mode             mode=normal|mfa|checkpoint|selector_changed|slow|hang|error
//	                              delay=3s or delay_ms=3000 (slow)  status=503 (error; 400-599)
//	POST /_admin/expire-sessions  invalidate every session on the server
//	POST /_admin/reset            back to normal mode
//	POST /_admin/reset-hits       zero the request counters
//	GET  /_admin/state            mode, delay, status, session count and hits per path
//
// Options.DisableAdmin removes them. They are not protected: the site is
// meant for loopback only.
//
// # Bulk cookies
//
// GET /bulk-cookies?n=N&prefix=p&domain=D&path=P&max_age=S answers with N
// Set-Cookie headers named p00000, p00001, ... (distinct names, Path=P or /,
// Max-Age=S or one year), with Domain=D when D is given (the browser keeps
// them only when the request host falls inside D). It lets a bench fill a
// browser through real Set-Cookie responses, which Chromium treats as
// accessed, unlike cookies set through CDP. Chromium keeps about 180 cookies
// per site and rejects response headers larger than 256 KiB, so spread large
// numbers over several hosts and requests; n is capped at [MaxBulkCookies].
package demosite

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/connector"
)

// Domain is the cookie domain and host name the demo site is reached under.
const Domain = "demo.test"

// DefaultPassword signs in any non-empty user name when Options.Users is nil.
const DefaultPassword = "demo"

// MFACode is the second-factor code /two-factor accepts.
const MFACode = "123456"

// Modes of the protected pages (/account and /app). Pass them to SetMode.
const (
	ModeNormal          = "normal"           // behave normally
	ModeMFA             = "mfa"              // redirect to /two-factor until the session passes it
	ModeCheckpoint      = "checkpoint"       // redirect to /checkpoint/verify until confirmed
	ModeSelectorChanged = "selector_changed" // a redesigned page without #account-name
	ModeSlow            = "slow"             // answer after a delay
	ModeHang            = "hang"             // never answer; wait for the client to give up
	ModeError           = "error"            // answer with an HTTP error status
)

// Defaults for Options and ModeOptions fields left zero.
const (
	DefaultSlowDelay     = 3 * time.Second
	DefaultErrorStatus   = http.StatusInternalServerError
	DefaultSessionMaxAge = 24 * time.Hour
)

// MaxBulkCookies caps n in /bulk-cookies.
const MaxBulkCookies = 10000

// ErrUnknownMode is returned by SetMode for a mode it does not know.
var ErrUnknownMode = errors.New("unknown mode")

var modes = map[string]bool{
	ModeNormal: true, ModeMFA: true, ModeCheckpoint: true, ModeSelectorChanged: true,
	ModeSlow: true, ModeHang: true, ModeError: true,
}

// Options configure a Site. The zero value is a working demo site.
type Options struct {
	// Users maps user names to passwords. When nil, any non-empty user name
	// signs in with DefaultPassword.
	Users map[string]string
	// CookieDomain is the Domain attribute of the sid cookie (default
	// Domain). A request whose host is outside it gets a host-only sid, so
	// the site also works when reached as 127.0.0.1 or localhost.
	CookieDomain string
	// SessionMaxAge is how long a session lives, on the server and in the
	// cookie's Max-Age (default DefaultSessionMaxAge).
	SessionMaxAge time.Duration
	// SessionCookie makes sid a session cookie (no Max-Age: the browser
	// drops it when it closes); the server still ends the session after
	// SessionMaxAge.
	SessionCookie bool
	// SlowDelay is the delay of ModeSlow when SetMode gets none.
	SlowDelay time.Duration
	// ErrorStatus is the status of ModeError when SetMode gets none.
	ErrorStatus int
	// OnLogin, when set, is called after each successful sign-in.
	OnLogin func(user string)
	// DisableAdmin removes the /_admin/ endpoints.
	DisableAdmin bool
}

// ModeOptions tune a mode. Zero fields take the Options defaults.
type ModeOptions struct {
	Delay  time.Duration // ModeSlow: how long to wait before answering
	Status int           // ModeError: the status to answer (400-599)
}

// Site is the demo site. Its methods are safe for concurrent use.
type Site struct {
	opts    Options
	handler http.Handler

	mu       sync.Mutex
	sessions map[string]*session
	mode     string
	modeOpts ModeOptions
	hits     map[string]int
	servers  []*http.Server

	held chan struct{} // non-nil while Hold holds the protected pages

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: releases slow and hanging requests
}

// Hold holds every request for a protected page (the account page a probe
// opens) until release is called, the client gives up, or the site closes:
// a test sees an action that probes the site under way for as long as it
// needs. release is safe to call more than once.
func (s *Site) Hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.held = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.held == ch {
				s.held = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}

type session struct {
	user             string
	created          time.Time
	mfaPassed        bool
	checkpointPassed bool
}

// New returns a demo site in normal mode with no sessions.
func New(opts Options) *Site {
	if opts.CookieDomain == "" {
		opts.CookieDomain = Domain
	}
	if opts.SessionMaxAge <= 0 {
		opts.SessionMaxAge = DefaultSessionMaxAge
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = DefaultSlowDelay
	}
	if opts.ErrorStatus == 0 {
		opts.ErrorStatus = DefaultErrorStatus
	}
	s := &Site{
		opts:     opts,
		sessions: make(map[string]*session),
		mode:     ModeNormal,
		hits:     make(map[string]int),
		closed:   make(chan struct{}),
	}
	s.handler = s.routes()
	return s
}

// Start listens on addr (default "127.0.0.1:0", a random loopback port) and
// serves the site in the background until ctx is done or Close is called. It
// returns the base URL, http://demo.test:PORT.
func (s *Site) Start(ctx context.Context, addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("demo site: listen on %s: %w", addr, err)
	}
	base := s.Serve(l)
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.closed:
		}
	}()
	return base, nil
}

// Serve serves the site on l in the background until Close is called, and
// returns the base URL: http://demo.test:PORT for a TCP listener.
func (s *Site) Serve(l net.Listener) string {
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		l.Close()
		return BaseURL(l.Addr())
	default:
	}
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	go srv.Serve(l) //nolint:errcheck // always ErrServerClosed after Close
	return BaseURL(l.Addr())
}

// BaseURL is the site's base URL for a listener address: the port of addr
// under the name demo.test, or the address itself when it is not TCP.
func BaseURL(addr net.Addr) string {
	if a, ok := addr.(*net.TCPAddr); ok {
		return "http://" + Domain + ":" + strconv.Itoa(a.Port)
	}
	return "http://" + addr.String()
}

// Close stops the servers started by Start and Serve and releases requests
// held by ModeSlow and ModeHang. It is safe to call more than once.
func (s *Site) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	for _, srv := range servers {
		srv.Close()
	}
}

// Definition returns the demo connector for a site at baseURL (for example
// http://demo.test:PORT): its auth cookie, sign-in URL and verify probe.
// Source and Kind are left for the caller to set.
func (s *Site) Definition(baseURL string) connector.Definition {
	return Definition(baseURL)
}

// Definition returns the demo connector for a site at baseURL; see
// (*Site).Definition.
func Definition(baseURL string) connector.Definition {
	base := strings.TrimRight(baseURL, "/")
	return connector.Definition{
		ID:          "demo",
		Name:        "Demo Site",
		Domains:     []string{Domain},
		AuthCookies: []string{"sid"},
		LoginURL:    base + "/login",
		Verify: connector.Verify{
			URL:                base + "/account",
			LoggedInSelector:   "#account-name",
			LoginSelector:      "#login-form",
			LoginPatterns:      []string{"/login"},
			MFAPatterns:        []string{"/two-factor"},
			CheckpointPatterns: []string{"/checkpoint"},
		},
	}
}

// JSDefinition returns a connector for the JavaScript variant of the verify
// page (/app), whose logged-in element exists only after scripts run: id
// demo-js, Verify.Browser set.
func JSDefinition(baseURL string) connector.Definition {
	d := Definition(baseURL)
	d.ID = "demo-js"
	d.Name = "Demo Site (JavaScript)"
	d.Verify.URL = strings.TrimRight(baseURL, "/") + "/app"
	d.Verify.Browser = true
	return d
}

// SetMode switches the protected pages (/account, /app) to mode. Entering
// ModeMFA or ModeCheckpoint makes every existing session face the demand
// again. It returns ErrUnknownMode for a mode it does not know and an error
// for a status outside 400-599 or a negative delay.
func (s *Site) SetMode(mode string, opts ModeOptions) error {
	if mode == "" {
		mode = ModeNormal
	}
	if !modes[mode] {
		return fmt.Errorf("%w %q", ErrUnknownMode, mode)
	}
	if opts.Delay < 0 {
		return fmt.Errorf("negative delay %v", opts.Delay)
	}
	if opts.Status != 0 && (opts.Status < 400 || opts.Status > 599) {
		return fmt.Errorf("error status %d outside 400-599", opts.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.modeOpts = mode, opts
	for _, sess := range s.sessions {
		switch mode {
		case ModeMFA:
			sess.mfaPassed = false
		case ModeCheckpoint:
			sess.checkpointPassed = false
		}
	}
	return nil
}

// Mode returns the current mode and its options, with defaults filled in.
func (s *Site) Mode() (string, ModeOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode, s.effectiveModeOpts()
}

// effectiveModeOpts fills zero mode options with the defaults. s.mu is held.
func (s *Site) effectiveModeOpts() ModeOptions {
	o := s.modeOpts
	if o.Delay == 0 {
		o.Delay = s.opts.SlowDelay
	}
	if o.Status == 0 {
		o.Status = s.opts.ErrorStatus
	}
	return o
}

// Reset puts the site back in normal mode. Sessions and hit counters stay.
func (s *Site) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.modeOpts = ModeNormal, ModeOptions{}
}

// ExpireSessions invalidates every session on the server, as a site does when
// it signs a user out remotely: browsers keep their sid cookie, but the site
// treats it as signed out. It returns how many sessions it ended.
func (s *Site) ExpireSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions)
	clear(s.sessions)
	return n
}

// Sessions returns the number of live sessions.
func (s *Site) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	now := time.Now()
	for _, sess := range s.sessions {
		if s.live(sess, now) {
			n++
		}
	}
	return n
}

// CreateSession signs user in without the form and returns the session
// token, the value of a sid cookie. Tests use it to give a browser a session
// directly. The token is a secret: do not log it.
func (s *Site) CreateSession(user string) string {
	token := rand.Text()
	s.mu.Lock()
	s.sessions[token] = &session{user: user, created: time.Now()}
	s.mu.Unlock()
	return token
}

// Hits returns how many requests reached path (the URL path, without query).
func (s *Site) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// ResetHits zeroes the request counters.
func (s *Site) ResetHits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.hits)
}

func (s *Site) live(sess *session, now time.Time) bool {
	return now.Sub(sess.created) < s.opts.SessionMaxAge
}

// lookup returns a copy of the live session named by the request's sid
// cookie, and its token.
func (s *Site) lookup(r *http.Request) (session, string, bool) {
	c, err := r.Cookie("sid")
	if err != nil || c.Value == "" {
		return session{}, "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok {
		return session{}, "", false
	}
	if !s.live(sess, time.Now()) {
		delete(s.sessions, c.Value)
		return session{}, "", false
	}
	return *sess, c.Value, true
}

// update changes the session named token, if it still exists.
func (s *Site) update(token string, f func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[token]; ok {
		f(sess)
	}
}

func (s *Site) checkPassword(user, password string) bool {
	if user == "" {
		return false
	}
	if s.opts.Users == nil {
		return password == DefaultPassword
	}
	want, ok := s.opts.Users[user]
	return ok && password == want
}
