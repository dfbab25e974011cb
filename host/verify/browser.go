package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/taxonomy"
)

// DefaultStartTimeout bounds starting the browser when
// BrowserOptions.StartTimeout is zero.
const DefaultStartTimeout = 30 * time.Second

// ErrBrowserStart is wrapped by the error of a browser probe whose browser
// did not start.
var ErrBrowserStart = errors.New("start browser")

// BrowserOptions configures the browser probe. The zero value finds
// Chromium or Chrome where chromedp looks (chromium, chromium-browser,
// google-chrome, ... on $PATH and the usual install paths).
type BrowserOptions struct {
	// ExecPath is the browser binary to run.
	ExecPath string
	// StartTimeout bounds starting the browser, which does not count against
	// Options.Timeout; zero means DefaultStartTimeout.
	StartTimeout time.Duration
	// NoSandbox runs Chromium without its sandbox. It is implied when the
	// host runs as root, where Chromium does not start otherwise.
	NoSandbox bool
	// Output receives the browser's stdout and stderr; nil discards them.
	Output io.Writer
	// ProfileRoot is the directory each probe's throw-away profile is made
	// in (as ProfilePrefix*); empty means the system's temp directory. An
	// agent gives its own, and removes what a crash left there with
	// RemoveStaleProfiles when it starts.
	ProfileRoot string
	// UserDataDir, when set, is a persistent profile to probe as it is (a
	// connector's own browser profile): the probe runs on it instead of a
	// throw-away one, sets no cookies, reads the profile's own for the
	// preflight, and leaves it in place. What the site's page does there
	// (renew a short-lived cookie with a secret in its own storage) happens
	// as it would in a run. See ProfileProbe.
	UserDataDir string
	// Flags and Drop are added to and removed from the browser's flags (the
	// launch flags table's row of the profile's kind).
	Flags map[string]any
	Drop  []string
}

// ProfilePrefix starts the name of every probe profile directory.
const ProfilePrefix = "verify-"

// RemoveStaleProfiles removes the probe profiles left in root by a process
// that died during a probe, and returns how many. Only the process that owns
// root (the agent, under its lock) may call it.
func RemoveStaleProfiles(root string) (int, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ProfilePrefix) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// browserFlags are authbridge's Chromium flags (host/chromium) with the
// probe's host mapping. Each probe gets a fresh --user-data-dir, removed
// afterwards.
func (p *probe) browserFlags(dir string) ([]chromedp.ExecAllocatorOption, error) {
	b := p.opts.Browser
	return chromium.AllocatorOptions(chromium.Options{
		ExecPath: b.ExecPath, UserDataDir: dir, HostResolverRules: p.resolver.HostResolverRules(),
		Output: b.Output, NoSandbox: b.NoSandbox, Flags: b.Flags, Drop: b.Drop,
		SiteDomains: p.def.Domains,
	})
}

// browser runs the browser probe: a fresh headless Chromium gets exactly the
// given cookies, opens the verify URL, and waits (within the probe's
// timeout) for the logged-in selector or a sign-in form to appear. The site
// may set cookies during the probe, as it would for the connector's own
// browser.
func (p *probe) browser(ctx context.Context) (Report, error) {
	own := p.opts.Browser.UserDataDir
	dir := own
	if own == "" {
		var err error
		if dir, err = makeProfileDir(p.opts.Browser.ProfileRoot); err != nil {
			return Report{}, fmt.Errorf("%w: user data dir: %w", ErrBrowserStart, err)
		}
		defer removeAllRetry(dir)
	}

	flags, err := p.browserFlags(dir)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrBrowserStart, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, flags...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// The context of the first run owns the browser, so it has no timeout;
	// a watchdog bounds the start instead.
	startTimeout := p.opts.Browser.StartTimeout
	if startTimeout <= 0 {
		startTimeout = DefaultStartTimeout
	}
	watchdog := time.AfterFunc(startTimeout, cancelBrowser)
	err = chromedp.Do(bctx)
	if !watchdog.Stop() && err == nil {
		err = fmt.Errorf("no answer within %v", startTimeout)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Report{}, ctx.Err()
		}
		return Report{}, fmt.Errorf("%w: %w", ErrBrowserStart, err)
	}

	pctx, cancel := context.WithTimeout(bctx, p.opts.Timeout)
	defer cancel()
	deadline, _ := pctx.Deadline()

	if own != "" {
		// The profile's own cookies are the session: the preflight reads
		// them, and the browser already holds them.
		got, err := chromedp.CallBrowser(pctx, storage.GetCookies, storage.GetCookiesParams{})
		if err != nil {
			return Report{}, fmt.Errorf("profile probe: read the profile's cookies: %w", err)
		}
		p.cookies = profileCookies(got.Cookies, p.def.Domains)
		if r, failed := p.preflight(); failed {
			p.close(bctx)
			return r, nil
		}
	}
	ev := p.evidence()
	if params := cookies.ToCDP(live(p.cookies, p.opts.Now())); own == "" && len(params) > 0 {
		if _, err := chromedp.CallBrowser(pctx, storage.SetCookies, storage.SetCookiesParams{Cookies: params}); err != nil {
			return Report{}, fmt.Errorf("browser probe: set %d cookies: %w", len(params), err)
		}
	}
	tree, err := chromedp.Call(pctx, page.GetFrameTree, cdp.Empty{})
	if err != nil || tree.FrameTree == nil || tree.FrameTree.Frame == nil {
		return Report{}, fmt.Errorf("browser probe: frame tree: %w", errors.Join(err, errors.New("no main frame")))
	}
	rec := &chainRecorder{frame: tree.FrameTree.Frame.ID}
	if err := chromedp.Listen(pctx, rec.handle); err != nil {
		return Report{}, fmt.Errorf("browser probe: listen: %w", err)
	}

	navErr := chromedp.Do(pctx, chromedp.Navigate(p.target.String()))
	var loadErr *chromedp.LoadError
	switch {
	case navErr == nil:
	case ctx.Err() != nil:
		return Report{}, ctx.Err()
	case errors.As(navErr, &loadErr):
		switch name := strings.TrimPrefix(loadErr.ErrorText, "net::"); name {
		case "ERR_HTTP_RESPONSE_CODE_FAILURE":
			// An error status with an empty body: the status is recorded.
		case "ERR_TOO_MANY_REDIRECTS":
			ev.TooManyRedirects = true
		default:
			ev.Transport = chromeErrorKind(name)
		}
	case pctx.Err() != nil:
		ev.Transport = taxonomy.TransportTimeout
	default:
		return Report{}, fmt.Errorf("browser probe: navigate: %w", navErr)
	}

	ev.Hops, ev.Status = rec.chain()
	if ev.Transport == "" && !ev.TooManyRedirects && selectorsMatter(ev) {
		ev.LoggedInMatched, ev.LoginFormMatched = p.waitSelectors(pctx, deadline)
		ev.Hops, ev.Status = rec.chain()
	}
	if ev.Transport == "" {
		lctx, lcancel := context.WithTimeout(bctx, 2*time.Second)
		// Chromium's own error pages (chrome-error://) are not the site's.
		if loc, err := chromedp.Run(lctx, chromedp.Location()); err == nil && (strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")) {
			ev.FinalURL = redactString(loc)
		}
		lcancel()
	}
	if ctx.Err() != nil {
		return Report{}, ctx.Err()
	}
	kind := ProbeBrowser
	if own != "" {
		kind = ProbeProfile
		// Close gracefully, so that what the page renewed (its cookies,
		// its storage) is written to the profile for the next run.
		p.close(bctx)
	}
	return p.report(kind, ev), nil
}

// close closes a probe browser on a persistent profile gracefully and waits
// for it to exit, so that the profile is written and free again.
func (p *probe) close(bctx context.Context) {
	cctx, cancel := context.WithTimeout(bctx, 20*time.Second)
	defer cancel()
	chromedp.Cancel(cctx)
}

// profileCookies are the cookies of a profile within domains, in the host's
// model (names, scopes and expiry are what the preflight reads).
func profileCookies(cs []*network.Cookie, domains []string) []apitype.Cookie {
	var out []apitype.Cookie
	for _, c := range cs {
		if c == nil || !cookies.InScope(c.Domain, domains) {
			continue
		}
		out = append(out, apitype.Cookie{
			Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			HostOnly: !strings.HasPrefix(c.Domain, "."), Secure: c.Secure, HttpOnly: c.HTTPOnly,
			Session: c.Session, ExpirationDate: c.Expires,
		})
	}
	return out
}

// selectorsMatter reports whether the selectors can still change the
// result: when the chain or status already decides it (a checkpoint, a
// login redirect, a 5xx ...), there is nothing to wait for.
func selectorsMatter(ev taxonomy.Evidence) bool {
	none := taxonomy.Classify(ev)
	ev.LoggedInMatched = true
	in := taxonomy.Classify(ev)
	ev.LoggedInMatched, ev.LoginFormMatched = false, true
	form := taxonomy.Classify(ev)
	return none.Code != in.Code || none.Code != form.Code || none.Detail != in.Detail || none.Detail != form.Detail
}

// pollSelectors answers which selector the page has: "logged_in" first,
// then "login_form", else false (keep polling).
const pollSelectors = `(loggedIn, login) => document.querySelector(loggedIn) ? "logged_in" : (document.querySelector(login) ? "login_form" : false)`

// waitSelectors polls the page for the logged-in selector or a sign-in form
// until one appears or the deadline is near. A navigation during the poll
// (a script redirect) restarts it on the new page.
func (p *probe) waitSelectors(ctx context.Context, deadline time.Time) (loggedIn, loginForm bool) {
	const margin = 200 * time.Millisecond
	for {
		left := time.Until(deadline) - margin
		if left <= 0 || ctx.Err() != nil {
			return false, false
		}
		got, err := chromedp.Run(ctx, chromedp.PollFunction[string](pollSelectors,
			chromedp.WithPollingArgs(p.loggedIn, p.login),
			chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(left),
		))
		switch {
		case err == nil:
			return got == "logged_in", got == "login_form"
		case errors.Is(err, chromedp.ErrPollingTimeout):
			return false, false
		}
		// The page navigated away under the poll; try again on the new one.
		select {
		case <-ctx.Done():
			return false, false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// chainRecorder records the main frame's document requests: redirect hops,
// script navigations and their statuses. Its handle method runs on
// chromedp's event goroutine, so it only appends under a lock.
type chainRecorder struct {
	frame cdp.FrameID

	mu   sync.Mutex
	hops []taxonomy.Hop
	ids  []network.RequestID
}

func (r *chainRecorder) handle(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Type != network.ResourceTypeDocument || ev.FrameID != r.frame || ev.Request == nil {
			return
		}
		if ev.RedirectResponse != nil {
			r.setStatus(ev.RequestID, int(ev.RedirectResponse.Status))
		}
		r.hops = append(r.hops, taxonomy.Hop{URL: redactString(ev.Request.URL)})
		r.ids = append(r.ids, ev.RequestID)
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument && ev.FrameID == r.frame && ev.Response != nil {
			r.setStatus(ev.RequestID, int(ev.Response.Status))
		}
	}
}

// setStatus sets the status of the latest hop of a request (a redirected
// request keeps its ID across hops).
func (r *chainRecorder) setStatus(id network.RequestID, status int) {
	for i := len(r.ids) - 1; i >= 0; i-- {
		if r.ids[i] == id {
			r.hops[i].Status = status
			return
		}
	}
}

// chain returns a copy of the hops and the status of the last one.
func (r *chainRecorder) chain() ([]taxonomy.Hop, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hops := append([]taxonomy.Hop(nil), r.hops...)
	if len(hops) == 0 {
		return nil, 0
	}
	return hops, hops[len(hops)-1].Status
}

// live returns the cookies that have not expired: an expired cookie set
// through CDP would only delete itself.
func live(cs []apitype.Cookie, now time.Time) []apitype.Cookie {
	var out []apitype.Cookie
	for _, c := range cs {
		if !cookies.Expired(c, now) {
			out = append(out, c)
		}
	}
	return out
}

// makeProfileDir makes a fresh probe profile directory in root.
func makeProfileDir(root string) (string, error) {
	if root == "" {
		return os.MkdirTemp("", "authbridge-"+ProfilePrefix)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	return os.MkdirTemp(root, ProfilePrefix)
}

// removeAllRetry removes the browser's user data dir. The browser's child
// processes can still write there for a moment after it stops.
func removeAllRetry(dir string) {
	for range 50 {
		if err := os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
