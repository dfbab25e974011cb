//go:build !windows

package chromeprofile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/verify"
	"github.com/authbridge/authbridge/internal/testtmp"
)

// TestConnectorBrowserRefusals: a profile with no session is not probed,
// and a profile a live process holds (a run) is neither probed nor opened
// for a sign-in; both refusals say why, before any browser starts.
func TestConnectorBrowserRefusals(t *testing.T) {
	def := connector.Definition{ID: "bound", Domains: []string{"bound.test"}, AuthCookies: []string{"sid"},
		LoginURL: "http://bound.test/login", Verify: connector.Verify{URL: "http://bound.test/account", LoggedInSelector: "#a"}}
	w := &ProfileWriter{ExecPath: "/nonexistent/chromium"}
	ctx := context.Background()

	empty := testtmp.Dir(t)
	if _, err := w.ProbeProfile(ctx, def, empty, verify.Options{}); !errors.Is(err, ErrNoProfileSession) {
		t.Errorf("ProbeProfile(no cookie store) = %v, want ErrNoProfileSession", err)
	}

	held := testtmp.Dir(t)
	os.MkdirAll(filepath.Join(held, "Default", "Network"), 0o700)
	os.WriteFile(filepath.Join(held, "Default", "Network", "Cookies"), nil, 0o600)
	holder := exec.Command("sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	host, _ := os.Hostname()
	os.Symlink(fmt.Sprintf("%s-%d", host, holder.Process.Pid), filepath.Join(held, "SingletonLock"))
	if _, err := w.ProbeProfile(ctx, def, held, verify.Options{}); !errors.Is(err, ErrProfileInUse) {
		t.Errorf("ProbeProfile(held) = %v, want ErrProfileInUse", err)
	}
	if err := w.SignIn(ctx, def, held, time.Second); !errors.Is(err, ErrProfileInUse) {
		t.Errorf("SignIn(held) = %v, want ErrProfileInUse", err)
	}
	noLogin := def
	noLogin.LoginURL = ""
	if err := w.SignIn(ctx, noLogin, empty, time.Second); err == nil {
		t.Errorf("SignIn without a login URL = nil, want an error")
	}
}

// TestSignInAlreadySignedIn: in real Chromium, a sign-in inside the
// connector's browser ends when its auth cookie appears; opened again on
// that profile, whose site now skips the login form for the signed-in
// page, it ends as soon as the window shows the connector's signed-in
// element, instead of waiting for a cookie that will not change.
func TestSignInAlreadySignedIn(t *testing.T) {
	exe := chromiumPath(t)
	var homeSeen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, err := r.Cookie("sid")
		switch {
		case r.URL.Path == "/login" && err == nil:
			http.Redirect(w, r, "/home", http.StatusFound)
		case r.URL.Path == "/login":
			// The person's sign-in, as the page's own script.
			fmt.Fprint(w, `<form>sign in</form><script>document.cookie = "sid=signed-in; path=/; max-age=3600"</script>`)
		case r.URL.Path == "/home" && err == nil:
			homeSeen.Add(1)
			fmt.Fprint(w, `<div id="me">you</div>`)
		default:
			http.Redirect(w, r, "/login", http.StatusFound)
		}
	}))
	defer srv.Close()
	def := connector.Definition{ID: "demo", Domains: []string{"127.0.0.1"}, AuthCookies: []string{"sid"},
		LoginURL: srv.URL + "/login", Verify: connector.Verify{URL: srv.URL + "/home", LoggedInSelector: "#me"}}
	w := &ProfileWriter{ExecPath: exe, SignInHeadless: true}
	dir := filepath.Join(testtmp.Dir(t), "demo")
	if err := w.SignIn(t.Context(), def, dir, time.Minute); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	if err := w.SignIn(t.Context(), def, dir, 30*time.Second); err != nil {
		t.Fatalf("sign-in on a profile already signed in: %v", err)
	}
	if homeSeen.Load() == 0 {
		t.Errorf("the second window never reached the signed-in page")
	}
}
