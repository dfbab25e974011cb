package chromeprofile

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/verify"
)

// ErrNoProfileSession is returned by ProbeProfile for a profile that holds
// no session yet (no cookie store), which there is nothing to probe in.
// Its NoProfileSession method tells the session manager to verify another
// way.
var ErrNoProfileSession error = noSessionError{}

type noSessionError struct{}

func (noSessionError) Error() string          { return "the connector's browser profile holds no session yet" }
func (noSessionError) NoProfileSession() bool { return true }

// ErrSignInTimeout is wrapped by SignIn's error when nobody signed in
// within its time; its SignInTimeout method tells the session manager.
var ErrSignInTimeout error = signInTimeoutError{}

type signInTimeoutError struct{}

func (signInTimeoutError) Error() string       { return "no sign-in in the connector's browser in time" }
func (signInTimeoutError) SignInTimeout() bool { return true }

// ErrSignInClosed is wrapped by SignIn's error when the window was closed
// before the sign-in; its SignInClosed method tells the session manager,
// which then verifies the profile as the person left it.
var ErrSignInClosed error = signInClosedError{}

type signInClosedError struct{}

func (signInClosedError) Error() string {
	return "the connector's browser was closed before the sign-in"
}
func (signInClosedError) SignInClosed() bool { return true }

// ProbeProfile verifies a connector's own persistent profile as it is
// (verify.ProfileProbe), in a headless browser started with the launch
// flags table's row for the profile, so that the browser reads what the
// profile's own browser wrote. A profile held by a running browser (a run)
// is refused with ErrProfileInUse; one without a cookie store with
// ErrNoProfileSession.
func (w *ProfileWriter) ProbeProfile(ctx context.Context, def connector.Definition, profileDir string, opts verify.Options) (verify.Report, error) {
	dir, err := filepath.Abs(profileDir)
	if err != nil {
		return verify.Report{}, err
	}
	if _, err := os.Stat(CookieStorePath(filepath.Join(dir, "Default"))); err != nil {
		return verify.Report{}, fmt.Errorf("%w: %s", ErrNoProfileSession, dir)
	}
	if busy, why := profileInUse(dir); busy {
		return verify.Report{}, fmt.Errorf("%w: %s (%s)", ErrProfileInUse, dir, why)
	}
	o, err := w.browserOptions(dir)
	if err != nil {
		return verify.Report{}, err
	}
	opts.Browser.ExecPath, opts.Browser.NoSandbox, opts.Browser.UserDataDir = o.ExecPath, o.NoSandbox, dir
	opts.Browser.Flags, opts.Browser.Drop = o.Flags, o.Drop
	if opts.Browser.Output == nil {
		opts.Browser.Output = w.Output
	}
	return verify.ProfileProbe(ctx, def, opts)
}

// DefaultSignInTimeout is how long SignIn waits when given no timeout.
const DefaultSignInTimeout = 5 * time.Minute

// SignIn opens a browser window on the connector's own profile at its
// login URL, for a person to sign in there, and returns once one of the
// connector's auth cookies appears or changes in that profile and the page
// that set it has loaded (so that what its script keeps in the page's own
// storage is there too), or once the window shows the connector's
// signed-in element (verify.logged_in_selector) on one of its sites while
// its auth cookies are there: a profile already signed in, whose site
// skips the login form. It then closes the browser gracefully, which
// writes the profile. The window is headed unless w.SignInHeadless is set
// (tests on a machine without a display); its host names resolve as
// $AUTHBRIDGE_RESOLVE says, as for the verify probes. A profile held by a
// running browser is refused with ErrProfileInUse; no sign-in within
// timeout (zero: DefaultSignInTimeout) is ErrSignInTimeout, a window closed
// first ErrSignInClosed.
func (w *ProfileWriter) SignIn(ctx context.Context, def connector.Definition, profileDir string, timeout time.Duration) error {
	if def.LoginURL == "" {
		return fmt.Errorf("connector %s has no login_url to open", def.ID)
	}
	dir, err := filepath.Abs(profileDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("connector browser: %w", err)
	}
	if busy, why := profileInUse(dir); busy {
		return fmt.Errorf("%w: %s (%s); close the browser using it and retry", ErrProfileInUse, dir, why)
	}
	if timeout <= 0 {
		timeout = DefaultSignInTimeout
	}
	bo, err := w.browserOptions(dir)
	if err != nil {
		return err
	}
	bo.Headed = !w.SignInHeadless
	bo.SiteDomains = append(append([]string{}, def.Domains...), def.SignInDomains...)
	res, err := verify.ResolverFromEnv()
	if err != nil {
		return err
	}
	bo.HostResolverRules = res.HostResolverRules()
	aopts, err := chromium.AllocatorOptions(bo)
	if err != nil {
		return fmt.Errorf("connector browser on %s: %w", dir, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, aopts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	watchdog := time.AfterFunc(time.Minute, cancelBrowser)
	err = chromedp.Do(bctx)
	if !watchdog.Stop() && err == nil {
		err = errors.New("no answer within 1m0s")
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("connector browser on %s: start: %w", dir, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		chromedp.Cancel(cctx)
	}()

	wctx, cancel := context.WithTimeout(bctx, timeout)
	defer cancel()
	before, err := authCookieMarks(wctx, def)
	if err != nil {
		return fmt.Errorf("connector browser on %s: %w", dir, err)
	}
	if err := chromedp.Do(wctx, chromedp.Navigate(def.LoginURL)); err != nil && wctx.Err() == nil {
		var le *chromedp.LoadError
		if !errors.As(err, &le) {
			return fmt.Errorf("connector browser: open %s: %w", def.LoginURL, err)
		}
		// A page that fails to load is the person's to retry in the window.
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-wctx.Done():
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case bctx.Err() != nil:
				return fmt.Errorf("%w (%s)", ErrSignInClosed, def.ID)
			}
			return fmt.Errorf("%w: waited %v for a sign-in to %s in the connector's browser on %s", ErrSignInTimeout, timeout, def.ID, dir)
		case <-tick.C:
		}
		now, err := authCookieMarks(wctx, def)
		if err != nil {
			if bctx.Err() != nil {
				return fmt.Errorf("%w (%s)", ErrSignInClosed, def.ID)
			}
			continue
		}
		if !changed(before, now) && (len(now) == 0 || !showsSignedIn(wctx, def)) {
			continue
		}
		// The sign-in set its cookies; let the page that did finish loading,
		// so that its script has run.
		lctx, lcancel := context.WithTimeout(wctx, 10*time.Second)
		chromedp.Run(lctx, chromedp.PollFunction[bool](`() => document.readyState === "complete"`, chromedp.WithPollingInterval(50*time.Millisecond)))
		lcancel()
		return nil
	}
}

// showsSignedIn reports whether the window's page, on one of the
// connector's sites, holds its signed-in element (none named: false).
func showsSignedIn(ctx context.Context, def connector.Definition) bool {
	sel := def.Verify.LoggedInSelector
	if sel == "" {
		return false
	}
	q, _ := json.Marshal(sel)
	js := fmt.Sprintf(`(() => { try { return document.querySelector(%s) ? location.hostname : ""; } catch (e) { return ""; } })()`, q)
	host, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil || host == "" {
		return false
	}
	return cookies.InScope(host, def.Domains)
}

// authCookieMarks are the connector's unexpired auth cookies in the
// browser (any cookie of its domains when it names none), each as a digest
// of its scope and value: enough to see one appear or change, and no value
// kept.
func authCookieMarks(ctx context.Context, def connector.Definition) (map[[sha256.Size]byte]bool, error) {
	got, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		return nil, fmt.Errorf("read cookies: %w", err)
	}
	out := map[[sha256.Size]byte]bool{}
	now := float64(time.Now().Unix())
	for _, c := range got.Cookies {
		if !isAuth(def, c) || (!c.Session && c.Expires > 0 && c.Expires <= now) {
			continue
		}
		out[sha256.Sum256([]byte(c.Name+"\x00"+c.Domain+"\x00"+c.Path+"\x00"+c.Value))] = true
	}
	return out, nil
}

func isAuth(def connector.Definition, c *network.Cookie) bool {
	if !cookies.InScope(c.Domain, def.Domains) {
		return false
	}
	return len(def.AuthCookies) == 0 || cookies.IsAuthCookie(def.Domains, def.AuthCookies, c.Name, c.Domain)
}

// changed reports whether now holds an auth cookie before did not.
func changed(before, now map[[sha256.Size]byte]bool) bool {
	for k := range now {
		if !before[k] {
			return true
		}
	}
	return false
}
