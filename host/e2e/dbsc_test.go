//go:build !windows

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/dbsc"
	"github.com/authbridge/authbridge/host/internal/dbsccdp"
	"github.com/authbridge/authbridge/host/internal/dbscsite"
	"github.com/authbridge/authbridge/taxonomy"
)

// dbscWorld is the DBSC site on HTTPS and the flags of a Chromium that runs
// real DBSC against it: the DBSC features with software keys, and the
// site's certificate trusted by its key (with --ignore-certificate-errors
// alone Chromium ignores the registration header).
type dbscWorld struct {
	t      *testing.T
	site   *dbscsite.Site
	base   string // https://dbsc.test:<port>
	port   string
	caFile string // the test CA, PEM
	flags  map[string]any
	out    bytes.Buffer // the browsers' output, shown on failure
}

func newDBSCWorld(t *testing.T, boundLifetime time.Duration) *dbscWorld {
	t.Helper()
	w := &dbscWorld{t: t, site: dbscsite.New("dbsc.test", boundLifetime, nil)}
	cert, caPEM := testCert(t, "dbsc.test", "*.dbsc.test")
	w.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(w.caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: w.site.Handler(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	w.port = fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	w.base = "https://dbsc.test:" + w.port
	w.flags = dbsccdp.ChromeFlags(true)
	w.flags["ignore-certificate-errors-spki-list"] = base64.StdEncoding.EncodeToString(spki[:])
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser output:\n%s", w.out.String())
		}
	})
	return w
}

// launch starts a Chromium on udd; withPort gives it a DevTools port (and
// so a DevToolsActivePort file), as a browser a user started with
// --remote-debugging-port has.
func (w *dbscWorld) launch(udd string, withPort bool) *chromium.Browser {
	w.t.Helper()
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir: udd, HostResolverRules: chromium.HostResolverRules("127.0.0.1", "dbsc.test"),
		Flags: w.flags, Output: &w.out, DevToolsPort: withPort,
	})
	if err != nil {
		w.t.Fatalf("launch chromium: %v", err)
	}
	w.t.Cleanup(b.Close)
	return b
}

// signedIn loads the account page and reports whether it is signed in.
func (w *dbscWorld) signedIn(b *chromium.Browser) bool {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(w.base+dbscsite.AccountPath)); err != nil {
		w.t.Fatalf("load the account page: %v", err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("!!document.querySelector(%q)", dbscsite.AccountSelector)))
	if err != nil {
		w.t.Fatalf("read the account page: %v", err)
	}
	return ok
}

// siteCookies is what the browser holds for the site, as the cookie API's
// type (values included: they go straight into the other profile).
func siteCookies(t *testing.T, b *chromium.Browser) []apitype.Cookie {
	t.Helper()
	var out []apitype.Cookie
	for _, c := range browserCookies(t, b.Ctx) {
		if !strings.HasSuffix(strings.TrimPrefix(c.Domain, "."), "dbsc.test") {
			continue
		}
		same := map[network.CookieSameSite]string{network.CookieSameSiteLax: "lax", network.CookieSameSiteStrict: "strict", network.CookieSameSiteNone: "no_restriction"}[c.SameSite]
		if same == "" {
			same = "unspecified"
		}
		out = append(out, apitype.Cookie{
			Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, HostOnly: !strings.HasPrefix(c.Domain, "."),
			Secure: c.Secure, HttpOnly: c.HTTPOnly, SameSite: same, Session: c.Session, ExpirationDate: c.Expires,
		})
	}
	return out
}

// TestDeviceBoundSession runs real DBSC in Chromium: the user's browser
// registers a device-bound session and keeps it by refreshing with its key;
// the same cookies copied into another profile (by the profile writer a
// repair uses) work only until the bound cookie expires; and CDP reports
// the session in the user's profile, and none in the copy.
func TestDeviceBoundSession(t *testing.T) {
	if testing.Short() {
		t.Skip("real Chromium with DBSC; skipped with testing.Short")
	}
	needChromium(t)
	lifetime := 20 * time.Second
	w := newDBSCWorld(t, lifetime)
	userUDD, connUDD := filepath.Join(t.TempDir(), "user"), filepath.Join(t.TempDir(), "connector")
	domains := []string{"dbsc.test"}

	// The user signs in; Chromium registers a session with a new key.
	user := w.launch(userUDD, true)
	ctx, cancel := context.WithTimeout(user.Ctx, 30*time.Second)
	err := chromedp.Do(ctx, chromedp.Navigate(w.base+dbscsite.LoginPath), chromedp.Click(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS("#continue")))
	cancel()
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	eventually(t, 30*time.Second, "the user's browser registers a device-bound session", func() bool {
		return w.site.Stats().Registrations == 1
	})
	signedInAt := time.Now()
	if !w.signedIn(user) {
		t.Fatal("the user's browser is signed out right after registering")
	}

	// A repair copies the user's cookies into the connector's profile.
	// (2) The copy works while the bound cookie lives, then fails: nothing
	// in the connector's browser can renew it. A copy checked only after
	// its bound cookie ran out (the copy and the browser's start outlasted
	// the lifetime on a loaded machine) says nothing: the user's browser
	// renews its cookie with a longer lifetime and it is copied again.
	var conn *chromium.Browser
	for attempt := 1; ; attempt++ {
		cs := siteCookies(t, user)
		var names []string
		var boundExpires time.Time
		for _, c := range cs {
			names = append(names, c.Name)
			if c.Name == dbscsite.BoundCookie {
				boundExpires = time.Unix(int64(c.ExpirationDate), 0)
			}
		}
		slices.Sort(names)
		if want := []string{dbscsite.BoundCookie, dbscsite.SessionCookie}; !slices.Equal(names, want) {
			t.Fatalf("the user's browser holds cookies %v, want %v", names, want)
		}
		// The expiry read is whole seconds, and the site's own is a few
		// milliseconds earlier than the browser's: a second of margin.
		expired := func() bool { return !time.Now().Add(time.Second).Before(boundExpires) }
		rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
		err = (&chromeprofile.ProfileWriter{}).Replace(rctx, connUDD, domains, cs)
		rcancel()
		if err == nil {
			conn = w.launch(connUDD, false)
			if w.signedIn(conn) {
				break
			}
			if !expired() {
				t.Fatalf("the copy is signed out before its bound cookie expired (it expires %s, now %s)", boundExpires.Format(time.TimeOnly), time.Now().Format(time.TimeOnly))
			}
			conn.Close()
		} else if !expired() {
			// (A bound cookie that expired before the write is not set.)
			t.Fatalf("copy the cookies into the connector's profile: %v", err)
		}
		if attempt == 4 {
			t.Fatalf("the copy was checked after its bound cookie expired in %d attempts (the last lifetime %v)", attempt, lifetime)
		}
		lifetime *= 2
		w.site.SetBoundLifetime(lifetime)
		t.Logf("the copy was checked after its bound cookie expired (%s); copying again with a bound cookie of %v", boundExpires.Format(time.TimeOnly), lifetime)
		eventually(t, time.Minute, "the user's browser renews its bound cookie", func() bool {
			if !w.signedIn(user) {
				t.Fatal("the user's browser is signed out after its bound cookie expired")
			}
			for _, c := range siteCookies(t, user) {
				if c.Name == dbscsite.BoundCookie && time.Unix(int64(c.ExpirationDate), 0).After(boundExpires) {
					return true
				}
			}
			return false
		})
	}
	eventually(t, lifetime+15*time.Second, "the copied bound cookie expires in the connector's browser", func() bool {
		for _, c := range browserCookies(t, conn.Ctx) {
			if c.Name == dbscsite.BoundCookie {
				return false
			}
		}
		return true
	})
	if w.signedIn(conn) {
		t.Fatal("the copy is still signed in after its bound cookie expired")
	}

	// (1) The user's browser is past the same lifetime and stays signed in:
	// Chromium renewed the bound cookie with its key (challenge, proof).
	before := w.site.Stats()
	if !w.signedIn(user) {
		t.Fatal("the user's browser is signed out after the bound cookie's lifetime")
	}
	after := w.site.Stats()
	if after.Refreshes <= before.Refreshes {
		t.Fatalf("the user's browser stayed signed in past the bound cookie's lifetime without a refresh: %+v", after)
	}
	if after.Rejected != 0 {
		t.Fatalf("the site refused %d proofs: %+v", after.Rejected, after)
	}
	if after.Registrations != 1 {
		t.Fatalf("the site saw %d registrations, want the user's one (the copy cannot register)", after.Registrations)
	}

	// (3) CDP reports the session: through the running user's browser's
	// DevTools port, and from its profile on disk once it is closed; the
	// copy has none.
	r := &dbsccdp.Reader{SoftwareKeys: true, Flags: w.flags}
	check := func(what string, got []dbsccdp.BoundSession, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: BoundSessions: %v", what, err)
		}
		ids := w.site.SessionIDs()
		if len(got) != 1 || len(ids) != 1 || got[0].ID != ids[0] || got[0].Site != "https://dbsc.test" ||
			got[0].RefreshURL != w.base+dbscsite.RefreshPath || len(got[0].Cookies) != 1 || got[0].Cookies[0].Name != dbscsite.BoundCookie {
			t.Fatalf("%s: BoundSessions = %+v, want the site's session %v binding %s", what, got, ids, dbscsite.BoundCookie)
		}
	}
	rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
	defer rcancel()
	start := time.Now()
	got, err := r.BoundSessions(rctx, userUDD, domains)
	attached := time.Since(start)
	check("the running user's browser", got, err)
	// The store on disk has it too while the browser runs, once Chromium
	// committed it.
	eventually(t, 45*time.Second, "the running browser's DBSC store on disk lists the site", func() bool {
		sites, err := dbsccdp.StoredSites(userUDD, domains)
		return err == nil && slices.Equal(sites, []string{"https://dbsc.test"})
	})
	t.Logf("the store on disk listed the site at most %v after the sign-in", time.Since(signedInAt).Round(time.Second))
	if other, err := r.BoundSessions(rctx, userUDD, []string{"example.test"}); err != nil || len(other) != 0 {
		t.Fatalf("BoundSessions for another domain = %+v, %v, want none", other, err)
	}
	user.Close()
	conn.Close()
	refreshes := w.site.Stats().Refreshes
	start = time.Now()
	got, err = r.BoundSessions(rctx, userUDD, domains)
	t.Logf("BoundSessions took %v attached to the running browser, %v starting one on the closed profile", attached.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	check("the user's closed profile", got, err)
	if none, err := r.BoundSessions(rctx, connUDD, domains); err != nil || len(none) != 0 {
		t.Fatalf("BoundSessions of the copy = %+v, %v, want none", none, err)
	}
	// The stores on disk say the same without a browser.
	if sites, err := dbsccdp.StoredSites(userUDD, domains); err != nil || !slices.Equal(sites, []string{"https://dbsc.test"}) {
		t.Fatalf("StoredSites of the user's profile = %v, %v, want https://dbsc.test", sites, err)
	}
	if sites, err := dbsccdp.StoredSites(connUDD, domains); err != nil || len(sites) != 0 {
		t.Fatalf("StoredSites of the copy = %v, %v, want none", sites, err)
	}
	if n := w.site.Stats().Refreshes; n != refreshes {
		t.Fatalf("reading the profiles made %d refreshes, want none", n-refreshes)
	}

	// Without software keys Chromium on Linux has no DBSC key provider and
	// reports nothing at all.
	if runtime.GOOS == "linux" {
		plain := &dbsccdp.Reader{Flags: map[string]any{}, Wait: 5 * time.Second}
		for k, v := range w.flags {
			if k != "enable-features" {
				plain.Flags[k] = v
			}
		}
		if _, err := plain.BoundSessions(rctx, userUDD, domains); !errors.Is(err, dbsccdp.ErrNotReported) {
			t.Fatalf("BoundSessions without software keys: %v, want ErrNotReported", err)
		}
	}
}

// TestDeviceBoundSessionNamedAtOnce: the user's browser (with the
// extension, running real DBSC) holds a device-bound session for the
// connector's site. A repair carries it into the connector's profile; once
// the copy's bound cookie runs out, the first failed verify is named
// session_not_transferable, because the user's profile holds a
// device-bound session for the site (read from its store on disk).
func TestDeviceBoundSessionNamedAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("real Chromium with DBSC; skipped with testing.Short")
	}
	needChromium(t)
	const lifetime = 20 * time.Second
	d := newDBSCWorld(t, lifetime)
	w := newWorld(t)
	profile := filepath.Join(t.TempDir(), "browser-profiles", "dbsc")
	w.writeConnector(map[string]any{"id": "dbsc", "name": "DBSC Site", "domains": []string{"dbsc.test"},
		"auth_cookies": []string{dbscsite.SessionCookie, dbscsite.BoundCookie}, "login_url": d.base + dbscsite.LoginPath,
		"verify":  map[string]any{"url": d.base + dbscsite.AccountPath, "logged_in_selector": dbscsite.AccountSelector, "login_patterns": []string{dbscsite.LoginPath}, "browser": true},
		"session": map[string]string{"profile_dir": profile}})
	// Repairs are asked for by hand here: the loop auto-repair makes is
	// TestBoundSessionNotTransferable's.
	w.extraEnv = []string{"AUTHBRIDGE_RESOLVE=dbsc.test:" + d.port + ":127.0.0.1", "SSL_CERT_FILE=" + d.caFile, "AUTHBRIDGE_AUTO_REPAIR=off"}
	trustCA(t, w.userDir, d.caFile) // the agent's probe browsers trust the site

	w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir: w.udd, Extension: extension, HostResolverRules: chromium.HostResolverRules("127.0.0.1", "dbsc.test"),
		Env:   append([]string{"AUTHBRIDGE_HOME=" + w.home, "HOME=" + w.userDir}, w.extraEnv...),
		Flags: d.flags, Output: &d.out,
	})
	if err != nil {
		t.Fatalf("launch chromium: %v", err)
	}
	w.browser = b
	t.Cleanup(b.Close)
	w.waitBridge()

	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	err = chromedp.Do(ctx, chromedp.Navigate(d.base+dbscsite.LoginPath), chromedp.Click(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS("#continue")))
	cancel()
	if err != nil {
		t.Fatalf("sign in in the user's browser: %v", err)
	}
	eventually(t, 30*time.Second, "the user's browser registers a device-bound session", func() bool { return d.site.Stats().Registrations == 1 })
	userProfile := filepath.Join(w.udd, "Default")
	eventually(t, 60*time.Second, "the user's profile stores the device-bound session", func() bool {
		sites, err := dbsc.ProfileStoredSites(userProfile, []string{"dbsc.test"})
		return err == nil && len(sites) == 1
	})

	out, errOut, code := w.run("", "repair", "dbsc", "--json")
	var res apitype.ActionResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.Result.Healthy() {
		t.Fatalf("repair exited %d (%v): %s %s", code, err, out, errOut)
	}
	var v apitype.ActionResult
	eventually(t, lifetime+60*time.Second, "the copy in the connector's profile stops working", func() bool {
		v = w.verify(t, "dbsc")
		return !v.Result.Healthy()
	})
	if v.Result.Code != taxonomy.SessionExpired || v.Result.Detail != taxonomy.DetailSessionNotTransferable || v.Result.Prompt.Action.ID != taxonomy.ActionSignInConnector {
		t.Fatalf("first failure = %s/%s (action %s), want SESSION_EXPIRED/session_not_transferable with %s (probe %s, site %+v)\nagent:\n%s", v.Result.Code, v.Result.Detail, v.Result.Prompt.Action.ID, taxonomy.ActionSignInConnector, v.Probe, d.site.Stats(), w.agentLog())
	}
	log, _ := os.ReadFile(filepath.Join(w.home, "logs", "agent.log"))
	var strikes []string
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "a carried-over session failed") {
			strikes = append(strikes, l)
		}
	}
	if len(strikes) != 1 || !strings.Contains(strikes[0], "https://dbsc.test") {
		t.Errorf("want one strike naming the device-bound site, got %d:\n%s", len(strikes), strings.Join(strikes, "\n"))
	}
	var values []string
	for _, c := range siteCookies(t, b) {
		values = append(values, c.Value)
	}
	assertNoLeaks(t, w, values)
}
