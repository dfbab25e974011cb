package chromeprofile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/cookies"
)

// ErrProfileInUse is returned by ProfileWriter.Replace when a running
// browser holds the profile directory. It has a ProfileBusy method, by which
// the session manager knows to wait (session.ProfileWaiter).
var ErrProfileInUse error = profileBusyError{}

type profileBusyError struct{}

func (profileBusyError) Error() string     { return "browser profile is in use by a running browser" }
func (profileBusyError) ProfileBusy() bool { return true }

// ImportedMarker is the marker file the data-export app's one-time cookie
// import leaves in a profile directory. Replace removes it: the profile's
// cookies are kept fresh from now on, not imported once.
const ImportedMarker = ".cookies-imported"

// ProfileWriter replaces a connector's cookies in a persistent browser
// profile directory by starting a headless Chromium on it, so that the
// browser encrypts the values itself with whatever key store it uses. It
// implements the agent's ProfileWriter interface. The zero value runs the
// Chromium or Chrome that chromedp finds.
type ProfileWriter struct {
	// ExecPath is the browser binary; empty lets chromedp look for one.
	ExecPath string
	// NoSandbox runs Chromium without its sandbox; implied as root.
	NoSandbox bool
	// Kind is the kind of profile written, a row of the launch flags table
	// (launchflags.json): KindApp when empty. The browser is started with
	// that row's flags for the OS, because the profile's own browser must
	// decrypt what is written here: on macOS the data-export app runs
	// system Chrome with the real Keychain, elsewhere Playwright's defaults
	// (--password-store=basic, --use-mock-keychain).
	Kind string
	// GOOS picks the table's row; empty means runtime.GOOS.
	GOOS string
	// Flags are extra command-line flags, which replace the table's and
	// the defaults of the same name.
	Flags map[string]any
	// Timeout bounds the whole replacement, browser start included;
	// zero means one minute.
	Timeout time.Duration
	// Output receives the browser's stdout and stderr; nil discards them.
	Output io.Writer
	// SignInHeadless runs SignIn's browser headless. The real sign-in is
	// headed (a person signs in there); tests on a machine without a
	// display set it ($AUTHBRIDGE_SIGNIN_HEADLESS=1 for the agent).
	SignInHeadless bool
}

// browserOptions are how the writer starts its browser on dir: the launch
// flags table's row for the profile's kind and OS, then w.Flags.
func (w *ProfileWriter) browserOptions(dir string) (chromium.Options, error) {
	o, err := LaunchOptions(w.Kind, w.GOOS, w.Flags)
	if err != nil {
		return chromium.Options{}, err
	}
	o.ExecPath, o.UserDataDir, o.Output, o.NoSandbox = w.ExecPath, dir, w.Output, w.NoSandbox
	return o, nil
}

func (w *ProfileWriter) allocatorOptions(dir string) ([]chromedp.ExecAllocatorOption, error) {
	o, err := w.browserOptions(dir)
	if err != nil {
		return nil, err
	}
	return chromium.AllocatorOptions(o)
}

// WaitFree returns once no live process holds profileDir (its SingletonLock
// is gone or names a dead process), or when ctx ends. It watches the
// profile folder for the lock's removal and also checks every second, since
// a browser that is killed leaves its lock behind.
func (w *ProfileWriter) WaitFree(ctx context.Context, profileDir string) error {
	dir, err := filepath.Abs(profileDir)
	if err != nil {
		return err
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch profile %s: %w", dir, err)
	}
	defer fw.Close()
	fw.Add(dir)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if busy, _ := profileInUse(dir); !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-fw.Events:
		case <-fw.Errors:
		case <-tick.C:
		}
	}
}

// Replace makes the cookies of profileDir (used as the browser's
// --user-data-dir) within domains exactly cs: it deletes every cookie in
// the domains' scopes, one by one, sets cs, closes the browser gracefully
// (Chrome writes its cookie store on shutdown) and checks that the store on
// disk holds cs's persistent cookies. Cookies of every other domain are not
// touched. An empty cs clears the connector's cookies. A cookie of cs
// outside domains is refused. The ".cookies-imported" marker is removed.
//
// A profile held by a running browser is refused with ErrProfileInUse.
func (w *ProfileWriter) Replace(ctx context.Context, profileDir string, domains []string, cs []apitype.Cookie) error {
	if len(domains) == 0 {
		return errors.New("replace profile cookies: no domains")
	}
	for _, c := range cs {
		if !cookies.InScope(c.Domain, domains) {
			return fmt.Errorf("replace profile cookies: cookie %q of %s is outside the connector's domains", c.Name, c.Domain)
		}
	}
	dir, err := filepath.Abs(profileDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("replace profile cookies: %w", err)
	}
	if busy, why := profileInUse(dir); busy {
		return fmt.Errorf("%w: %s (%s); close the browser using it and retry", ErrProfileInUse, dir, why)
	}

	timeout := w.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	deadline := time.Now().Add(timeout)

	aopts, err := w.allocatorOptions(dir)
	if err != nil {
		return fmt.Errorf("replace profile cookies in %s: %w", dir, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, aopts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// The first call's context owns the browser, so it has no timeout; a
	// watchdog bounds the start instead.
	watchdog := time.AfterFunc(timeout, cancelBrowser)
	err = chromedp.Do(bctx)
	if !watchdog.Stop() && err == nil {
		err = fmt.Errorf("no answer within %v", timeout)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A run can start its browser on the profile between the check
		// above and this one's start: Chromium then refuses the profile.
		if busy, why := profileInUse(dir); busy {
			return fmt.Errorf("%w: %s (%s, taken as the writer started); close the browser using it and retry", ErrProfileInUse, dir, why)
		}
		return fmt.Errorf("replace profile cookies in %s: start browser: %w", dir, err)
	}

	stepCtx, cancelStep := context.WithDeadline(bctx, deadline)
	defer cancelStep()
	if err := replaceCookies(stepCtx, domains, cs); err != nil {
		return fmt.Errorf("replace profile cookies in %s: %w", dir, err)
	}

	// Close gracefully and wait for the process to exit, so that Chrome
	// commits its cookie store.
	closeCtx, cancelClose := context.WithTimeout(bctx, 20*time.Second)
	defer cancelClose()
	if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("replace profile cookies in %s: close browser: %w", dir, err)
	}
	if err := checkStored(dir, domains, cs); err != nil {
		return fmt.Errorf("replace profile cookies in %s: %w", dir, err)
	}
	for _, m := range []string{filepath.Join(dir, ImportedMarker), filepath.Join(dir, "Default", ImportedMarker)} {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replace profile cookies: remove marker: %w", err)
		}
	}
	return nil
}

// replaceCookies deletes the cookies in the domains' scopes and sets cs.
func replaceCookies(ctx context.Context, domains []string, cs []apitype.Cookie) error {
	got, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		return fmt.Errorf("read cookies: %w", err)
	}
	for _, c := range got.Cookies {
		if !cookies.InScope(c.Domain, domains) {
			continue
		}
		p := network.DeleteCookiesParams{Name: c.Name, Domain: c.Domain, Path: c.Path, PartitionKey: c.PartitionKey}
		if _, err := chromedp.Call(ctx, network.DeleteCookies, p); err != nil {
			return fmt.Errorf("delete cookie %q of %s: %w", c.Name, c.Domain, err)
		}
	}
	if len(cs) > 0 {
		if _, err := chromedp.CallBrowser(ctx, storage.SetCookies, storage.SetCookiesParams{Cookies: cookies.ToCDP(cs)}); err != nil {
			return fmt.Errorf("set %d cookies: %w", len(cs), err)
		}
	}
	// Check what the browser now holds in scope: exactly cs.
	got, err = chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		return fmt.Errorf("read cookies: %w", err)
	}
	have := map[[3]string]bool{}
	n := 0
	for _, c := range got.Cookies {
		if cookies.InScope(c.Domain, domains) {
			have[[3]string{c.Name, c.Domain, c.Path}] = true
			n++
		}
	}
	now := time.Now()
	for i, p := range cookies.ToCDP(cs) {
		// A cookie whose expiry passed meanwhile (a short-lived bound
		// cookie) is gone from any browser: not setting it is no failure.
		if !have[[3]string{p.Name, paramDomain(p), p.Path}] && !cookies.Expired(cs[i], now) {
			return fmt.Errorf("cookie %q of %s was not set", p.Name, paramDomain(p))
		}
	}
	if n > len(cs) {
		return fmt.Errorf("%d cookies in scope after replacing, want %d", n, len(cs))
	}
	return nil
}

// paramDomain is the domain Chrome reports for a cookie set from p.
func paramDomain(p *network.CookieParam) string {
	if p.Domain != "" {
		return p.Domain
	}
	u := p.URL
	if i := len("https://"); len(u) > i && u[:i] == "https://" {
		u = u[i:]
	} else if i := len("http://"); len(u) > i && u[:i] == "http://" {
		u = u[i:]
	}
	for i := 0; i < len(u); i++ {
		if u[i] == '/' {
			return u[:i]
		}
	}
	return u
}

// checkStored verifies that the closed profile's cookie store holds cs's
// persistent cookies (session cookies are not written to disk).
func checkStored(dir string, domains []string, cs []apitype.Cookie) error {
	var persistent int
	for _, c := range cs {
		if !c.Session {
			persistent++
		}
	}
	store := CookieStorePath(filepath.Join(dir, "Default"))
	stored, err := ReadCookieMeta(store, domains)
	if err != nil {
		if persistent == 0 && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("check cookie store: %w", err)
	}
	have := map[[3]string]bool{}
	for _, s := range stored {
		have[[3]string{s.Name, s.HostKey, s.Path}] = true
	}
	now := time.Now()
	for i, p := range cookies.ToCDP(cs) {
		if cs[i].Session || cookies.Expired(cs[i], now) {
			continue
		}
		if !have[[3]string{p.Name, paramDomain(p), p.Path}] {
			return fmt.Errorf("cookie %q of %s is missing from %s after the browser closed", p.Name, paramDomain(p), store)
		}
	}
	if len(stored) > len(cs) {
		return fmt.Errorf("%s holds %d cookies in scope after the browser closed, want at most %d", store, len(stored), len(cs))
	}
	return nil
}
