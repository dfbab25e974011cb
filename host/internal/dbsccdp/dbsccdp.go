// Package dbsccdp reads the Device Bound Session Credentials (DBSC)
// sessions of a Chromium profile over the DevTools protocol
// (Network.enableDeviceBoundSessions, then one
// Network.deviceBoundSessionsAdded event with the stored sessions), and
// gives the flags of a Chromium that runs DBSC. The end-to-end tests use it
// to check what the product reads from the store on disk (host/dbsc); it
// never reads or reports a cookie value.
package dbsccdp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/dbsc"
)

// BoundSession and BoundCookie are host/dbsc's.
type (
	BoundSession = dbsc.BoundSession
	BoundCookie  = dbsc.BoundCookie
)

// Features is the --enable-features entry that turns DBSC on in Chromium
// 156 as chrome://flags' "Enabled - For developers" choice of
// #enable-standard-device-bound-session-credentials does: no origin trial
// token, no refresh quota, no subdomain check.
const Features = "DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false/CheckSubdomainRegistration/false/OriginTrialFeedback/true/SchemaVersion/2"

// SoftwareKeysFeature makes Chromium keep DBSC keys in software instead of
// a TPM (chrome://flags' #enable-bound-session-credentials-software-keys-for-manual-testing).
// Without it, Chromium on Linux has no key provider and ignores DBSC
// entirely. It is for tests: a software key can be copied with the profile.
const SoftwareKeysFeature = "EnableBoundSessionCredentialsSoftwareKeysForManualTesting"

// EnableFeatures is the --enable-features value for a Chromium that runs
// DBSC, with software keys or not.
func EnableFeatures(softwareKeys bool) string {
	if softwareKeys {
		return Features + "," + SoftwareKeysFeature
	}
	return Features
}

// ChromeFlags are the flags (chromium.Options.Flags) of a Chromium that runs
// DBSC. DBSC also needs HTTPS whose certificate verifies: a test site's
// certificate must be trusted (--ignore-certificate-errors-spki-list), not
// waved through (--ignore-certificate-errors), or Chromium ignores the
// site's registration header.
func ChromeFlags(softwareKeys bool) map[string]any {
	return map[string]any{"enable-features": EnableFeatures(softwareKeys)}
}

// ErrNotReported is returned when the browser does not report its
// device-bound sessions: DBSC is off in it (or it has no key provider).
var ErrNotReported = errors.New("the browser reports no device-bound session store (DBSC is off in it)")

// ErrProfileInUse is returned when a running browser holds the profile and
// offers no DevTools port to attach to.
var ErrProfileInUse = errors.New("browser profile is in use by a running browser without a DevTools port")

// FromCDP converts a session as CDP reports it.
func FromCDP(s *network.DeviceBoundSession) BoundSession {
	var b BoundSession
	if s == nil {
		return b
	}
	if s.Key != nil {
		b.Site, b.ID = s.Key.Site, s.Key.ID
	}
	b.RefreshURL = s.RefreshURL
	if s.InclusionRules != nil {
		b.Origin, b.IncludeSite = s.InclusionRules.Origin, s.InclusionRules.IncludeSite
	}
	for _, c := range s.CookieCravings {
		if c != nil {
			b.Cookies = append(b.Cookies, BoundCookie{Name: c.Name, Domain: c.Domain, Path: c.Path, Secure: c.Secure, HTTPOnly: c.HTTPOnly})
		}
	}
	if secs := s.ExpiryDate.Float64(); secs > 0 {
		b.Expires = time.UnixMilli(int64(secs * 1000)).UTC()
	}
	return b
}

// List asks the browser tab behind ctx (a chromedp context) for the
// device-bound sessions of its profile, waiting up to wait for the answer.
// A browser that does not answer within wait has DBSC off: ErrNotReported.
func List(ctx context.Context, wait time.Duration) ([]BoundSession, error) {
	got := make(chan []*network.DeviceBoundSession, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	if err := chromedp.Listen(lctx, func(ev any) {
		if e, ok := ev.(*network.EventDeviceBoundSessionsAdded); ok {
			select {
			case got <- e.Sessions:
			default:
			}
		}
	}); err != nil {
		return nil, fmt.Errorf("list device-bound sessions: %w", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return nil, fmt.Errorf("list device-bound sessions: Network.enable: %w", err)
	}
	if _, err := chromedp.Call(ctx, network.EnableDeviceBoundSessions, network.EnableDeviceBoundSessionsParams{Enable: true}); err != nil {
		return nil, fmt.Errorf("list device-bound sessions: Network.enableDeviceBoundSessions: %w", err)
	}
	defer chromedp.Call(ctx, network.EnableDeviceBoundSessions, network.EnableDeviceBoundSessionsParams{Enable: false})
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case ss := <-got:
		out := make([]BoundSession, 0, len(ss))
		for _, s := range ss {
			out = append(out, FromCDP(s))
		}
		return out, nil
	case <-timer.C:
		return nil, fmt.Errorf("list device-bound sessions: no answer within %v: %w", wait, ErrNotReported)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Reader reports the device-bound sessions of browser profiles. It attaches
// to the browser running on a profile over its DevTools port, or starts a
// headless Chromium on a profile no browser holds (with DBSC on, at
// about:blank: it visits no site, so nothing is refreshed or changed). The
// zero value runs the Chromium that chromium.FindExecutable finds.
type Reader struct {
	// ExecPath is the browser binary; empty finds one.
	ExecPath string
	// NoSandbox runs Chromium without its sandbox; implied as root.
	NoSandbox bool
	// Kind and GOOS pick the launch flags table's row (chromeprofile), as
	// for the profile writer: KindApp and runtime.GOOS when empty.
	Kind, GOOS string
	// SoftwareKeys adds SoftwareKeysFeature to a started browser: the
	// profile's sessions were made by a browser with software keys.
	SoftwareKeys bool
	// Flags are extra command-line flags of a started browser.
	Flags map[string]any
	// Wait bounds the wait for the browser's answer; zero means 10 s.
	Wait time.Duration
	// Timeout bounds the whole read, browser start included; zero means
	// one minute.
	Timeout time.Duration
	// Output receives a started browser's stdout and stderr; nil discards.
	Output io.Writer
}

// BoundSessions returns the device-bound sessions profileDir (a
// user-data-dir) holds for cookies that reach domains. A profile with no
// DBSC store on disk holds none, and no browser is started for it. A
// profile held by a running browser is read through that browser's
// DevTools port (DevToolsActivePort); without one it is ErrProfileInUse.
func (r *Reader) BoundSessions(ctx context.Context, profileDir string, domains []string) ([]BoundSession, error) {
	if len(domains) == 0 {
		return nil, errors.New("device-bound sessions: no domains")
	}
	dir, err := filepath.Abs(profileDir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("device-bound sessions of %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("device-bound sessions of %s: not a directory", dir)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var all []BoundSession
	if busy, why := chromeprofile.InUse(dir); busy {
		ws, err := DevToolsURL(dir)
		if err != nil {
			return nil, fmt.Errorf("device-bound sessions of %s: %w (%s): %v", dir, ErrProfileInUse, why, err)
		}
		all, err = r.attach(ctx, ws)
		if err != nil {
			return nil, fmt.Errorf("device-bound sessions of %s: %w", dir, err)
		}
	} else {
		if !HasStore(dir) {
			return nil, nil
		}
		all, err = r.launch(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("device-bound sessions of %s: %w", dir, err)
		}
	}
	var out []BoundSession
	for _, s := range all {
		if s.Covers(domains) {
			out = append(out, s)
		}
	}
	return out, nil
}

// HasStore reports whether a profile of the user-data-dir has a DBSC store
// on disk.
func HasStore(userDataDir string) bool {
	m, _ := filepath.Glob(filepath.Join(userDataDir, "*", dbsc.StoreName))
	return len(m) > 0
}

// StoredSites is dbsc.ProfileStoredSites over every profile of
// userDataDir.
func StoredSites(userDataDir string, domains []string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(userDataDir, "*", dbsc.StoreName))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		sites, err := dbsc.ProfileStoredSites(filepath.Dir(p), domains)
		if err != nil {
			return nil, err
		}
		for _, s := range sites {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// DevToolsURL returns the browser websocket address that the Chromium
// running on userDataDir wrote to its DevToolsActivePort file (a browser
// started with --remote-debugging-port writes it).
func DevToolsURL(userDataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(userDataDir, "DevToolsActivePort"))
	if err != nil {
		return "", fmt.Errorf("no DevTools port: %w", err)
	}
	return parseActivePort(string(b))
}

// parseActivePort reads DevToolsActivePort: the port, then the browser
// target's path, one a line.
func parseActivePort(s string) (string, error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) < 2 {
		return "", errors.New("DevToolsActivePort: want a port and a path")
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || port <= 0 || port > 65535 {
		return "", fmt.Errorf("DevToolsActivePort: bad port %q", strings.TrimSpace(lines[0]))
	}
	path := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(path, "/devtools/browser/") || strings.ContainsAny(path, " ?#") {
		return "", fmt.Errorf("DevToolsActivePort: bad browser path %q", path)
	}
	return "ws://127.0.0.1:" + strconv.Itoa(port) + path, nil
}

func (r *Reader) wait() time.Duration {
	if r.Wait > 0 {
		return r.Wait
	}
	return 10 * time.Second
}

// attach reads the sessions through the running browser at ws: over one of
// its page tabs, which it leaves open, or a blank tab of its own.
func (r *Reader) attach(ctx context.Context, ws string) ([]BoundSession, error) {
	actx, cancelAlloc := remote.NewAllocator(ctx, ws, remote.NoModifyURL)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	targets, err := chromedp.Targets(bctx)
	if err != nil {
		return nil, fmt.Errorf("attach to %s: %w", ws, err)
	}
	opts := []chromedp.ContextOption{}
	for _, t := range targets {
		if t.Type == "page" && !strings.HasPrefix(t.URL, "chrome-extension://") && !strings.HasPrefix(t.URL, "devtools://") {
			opts = append(opts, chromedp.WithTargetID(t.TargetID), chromedp.WithDetachOnCancel())
			break
		}
	}
	tctx, cancelTab := chromedp.NewContext(bctx, opts...)
	defer cancelTab()
	return List(tctx, r.wait())
}

// launch starts a headless Chromium on dir with DBSC on, reads the
// sessions and closes it gracefully.
func (r *Reader) launch(ctx context.Context, dir string) ([]BoundSession, error) {
	extra := ChromeFlags(r.SoftwareKeys)
	for k, v := range r.Flags {
		extra[k] = v
	}
	o, err := chromeprofile.LaunchOptions(r.Kind, r.GOOS, extra)
	if err != nil {
		return nil, err
	}
	o.ExecPath, o.UserDataDir, o.Output, o.NoSandbox = r.ExecPath, dir, r.Output, r.NoSandbox
	b, err := chromium.Launch(ctx, o)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return List(b.Ctx, r.wait())
}
