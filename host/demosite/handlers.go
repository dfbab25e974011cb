package demosite

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Paths the site serves; the protected ones take the failure modes.
const (
	pathAccount    = "/account"
	pathApp        = "/app"
	pathLogin      = "/login"
	pathTwoFactor  = "/two-factor"
	pathCheckpoint = "/checkpoint/verify"
)

func (s *Site) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /account", s.protected(pathAccount, s.account))
	mux.HandleFunc("GET /app", s.protected(pathApp, s.app))
	mux.HandleFunc("GET /api/me", s.me)
	mux.HandleFunc("GET /two-factor", s.twoFactorForm)
	mux.HandleFunc("POST /two-factor", s.twoFactor)
	mux.HandleFunc("GET /checkpoint/verify", s.checkpointPage)
	mux.HandleFunc("POST /checkpoint/verify", s.checkpointConfirm)
	mux.HandleFunc("GET /logout", s.logout)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /bulk-cookies", s.bulkCookies)
	if !s.opts.DisableAdmin {
		s.adminRoutes(mux)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// protected wraps a page that needs a session and obeys the failure modes.
// Server-side failures (error, hang, slow) come first, as a struggling
// server does not look at sessions; then the session; then what the site asks
// of a signed-in user (second factor, checkpoint); then the page itself,
// redesigned or not.
func (s *Site) protected(path string, page func(w http.ResponseWriter, r *http.Request, sess session, redesigned bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		mode, mo, held := s.mode, s.effectiveModeOpts(), s.held
		s.mu.Unlock()
		if held != nil {
			select {
			case <-held:
			case <-r.Context().Done():
				return
			case <-s.closed:
				return
			}
		}

		switch mode {
		case ModeError:
			if mo.Status == http.StatusTooManyRequests || mo.Status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "30")
			}
			s.render(w, mo.Status, errorPage(), pageData{Title: http.StatusText(mo.Status), Status: mo.Status})
			return
		case ModeHang:
			select {
			case <-r.Context().Done():
			case <-s.closed:
			}
			return
		case ModeSlow:
			t := time.NewTimer(mo.Delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			case <-s.closed:
				return
			}
		}

		sess, _, ok := s.lookup(r)
		if !ok {
			http.Redirect(w, r, pathLogin+"?next="+path, http.StatusFound)
			return
		}
		if mode == ModeMFA && !sess.mfaPassed {
			http.Redirect(w, r, pathTwoFactor+"?next="+path, http.StatusFound)
			return
		}
		if mode == ModeCheckpoint && !sess.checkpointPassed {
			http.Redirect(w, r, pathCheckpoint+"?next="+path, http.StatusFound)
			return
		}
		page(w, r, sess, mode == ModeSelectorChanged)
	}
}

func (s *Site) home(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := s.lookup(r)
	d := pageData{Title: "Welcome"}
	if ok {
		d.User = sess.user
	}
	s.render(w, http.StatusOK, homePage(), d)
}

func (s *Site) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, loginPage(), pageData{Title: "Sign in", Next: safeNext(r.FormValue("next"))})
}

func (s *Site) login(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(r.PostFormValue("username"))
	next := safeNext(r.FormValue("next"))
	if !s.checkPassword(user, r.PostFormValue("password")) {
		s.render(w, http.StatusOK, loginPage(), pageData{
			Title: "Sign in", Next: next, Username: user,
			Error: "That user name and password do not match.",
		})
		return
	}
	token := s.CreateSession(user)
	sid := &http.Cookie{
		Name:     "sid",
		Value:    token,
		Domain:   s.cookieDomain(r),
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(s.opts.SessionMaxAge / time.Second),
	}
	if s.opts.SessionCookie {
		sid.MaxAge = 0
	}
	http.SetCookie(w, sid)
	http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark", Path: "/"})
	if s.opts.OnLogin != nil {
		s.opts.OnLogin(user)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Site) account(w http.ResponseWriter, r *http.Request, sess session, redesigned bool) {
	tmpl := accountPage()
	if redesigned {
		tmpl = accountPageV2()
	}
	s.render(w, http.StatusOK, tmpl, pageData{Title: "Your account", User: sess.user})
}

func (s *Site) app(w http.ResponseWriter, r *http.Request, sess session, redesigned bool) {
	d := pageData{Title: "Your account", Variant: "v1"}
	if redesigned {
		d.Variant = "v2"
	}
	s.render(w, http.StatusOK, appPage(), d)
}

func (s *Site) me(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := s.lookup(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "signed_out"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": sess.user})
}

func (s *Site) twoFactorForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.FormValue("next"))
	if _, _, ok := s.lookup(r); !ok {
		http.Redirect(w, r, pathLogin+"?next="+url.QueryEscape(next), http.StatusFound)
		return
	}
	s.render(w, http.StatusOK, twoFactorPage(), pageData{Title: "Two-step verification", Next: next})
}

func (s *Site) twoFactor(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.FormValue("next"))
	_, token, ok := s.lookup(r)
	if !ok {
		http.Redirect(w, r, pathLogin+"?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	if strings.TrimSpace(r.PostFormValue("code")) != MFACode {
		s.render(w, http.StatusOK, twoFactorPage(), pageData{
			Title: "Two-step verification", Next: next, Error: "That code is not right. Try again.",
		})
		return
	}
	s.update(token, func(sess *session) { sess.mfaPassed = true })
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Site) checkpointPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.FormValue("next"))
	if _, _, ok := s.lookup(r); !ok {
		http.Redirect(w, r, pathLogin+"?next="+url.QueryEscape(next), http.StatusFound)
		return
	}
	s.render(w, http.StatusOK, checkpointPage(), pageData{Title: "Security check", Next: next})
}

func (s *Site) checkpointConfirm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.FormValue("next"))
	_, token, ok := s.lookup(r)
	if !ok {
		http.Redirect(w, r, pathLogin+"?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	s.update(token, func(sess *session) { sess.checkpointPassed = true })
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Site) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie("sid"); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{
		Name: "sid", Domain: s.cookieDomain(r), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1,
	})
	http.Redirect(w, r, pathLogin, http.StatusSeeOther)
}

func (s *Site) bulkCookies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 || n > MaxBulkCookies {
		http.Error(w, fmt.Sprintf("n must be a number from 0 to %d", MaxBulkCookies), http.StatusBadRequest)
		return
	}
	prefix := q.Get("prefix")
	if prefix == "" {
		prefix = "bulk"
	}
	path := q.Get("path")
	if path == "" {
		path = "/"
	}
	if path[0] != '/' {
		http.Error(w, "path must start with /", http.StatusBadRequest)
		return
	}
	maxAge := 365 * 24 * 3600
	if v := q.Get("max_age"); v != "" {
		if maxAge, err = strconv.Atoi(v); err != nil || maxAge <= 0 {
			http.Error(w, "max_age must be a positive number of seconds", http.StatusBadRequest)
			return
		}
	}
	domain := q.Get("domain")
	// Check the attributes once: http.SetCookie silently drops a bad name or
	// path and a bad domain, which would make a bench count wrongly.
	probe := &http.Cookie{Name: prefix + "0", Value: "v", Path: path, Domain: domain}
	if err := probe.Valid(); err != nil {
		http.Error(w, "bad cookie attributes: "+err.Error(), http.StatusBadRequest)
		return
	}
	width := len(strconv.Itoa(max(n-1, 0)))
	width = max(width, 5)
	h := w.Header()
	for i := range n {
		c := &http.Cookie{
			Name:   fmt.Sprintf("%s%0*d", prefix, width, i),
			Value:  "v" + strconv.Itoa(i),
			Path:   path,
			Domain: domain,
			MaxAge: maxAge,
		}
		h.Add("Set-Cookie", c.String())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "set %d cookies\n", n)
}

// cookieDomain is the Domain attribute for the sid cookie: the configured
// domain when the request host falls inside it, or none (host-only) when the
// site is reached under another name, such as 127.0.0.1.
func (s *Site) cookieDomain(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	d := s.opts.CookieDomain
	if host == d || strings.HasSuffix(host, "."+d) {
		return d
	}
	return ""
}

// safeNext keeps a redirect target on this site: a path starting with one
// slash, or /account.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return pathAccount
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return pathAccount
	}
	return next
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}
