//go:build !windows

package chromeprofile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/verify"
)

// TestConnectorBrowserRefusals: a profile with no session is not probed,
// and a profile a live process holds (a run) is neither probed nor opened
// for a sign-in; both refusals say why, before any browser starts.
func TestConnectorBrowserRefusals(t *testing.T) {
	def := connector.Definition{ID: "bound", Domains: []string{"bound.test"}, AuthCookies: []string{"sid"},
		LoginURL: "http://bound.test/login", Verify: connector.Verify{URL: "http://bound.test/account", LoggedInSelector: "#a"}}
	w := &ProfileWriter{ExecPath: "/nonexistent/chromium"}
	ctx := context.Background()

	empty := t.TempDir()
	if _, err := w.ProbeProfile(ctx, def, empty, verify.Options{}); !errors.Is(err, ErrNoProfileSession) {
		t.Errorf("ProbeProfile(no cookie store) = %v, want ErrNoProfileSession", err)
	}

	held := t.TempDir()
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
