// Package verify probes whether a connector's session works and classifies
// the answer with the taxonomy package.
//
// [Verify] runs a preflight first (are the connector's auth cookies among the
// given cookies, and unexpired?) and stops there with PROFILE_COOKIE_MISSING
// without touching the network. Otherwise it probes the connector's verify
// URL with exactly the given cookies: over plain HTTP it follows redirects by
// hand, recording every hop, and matches the logged-in selector and a
// sign-in form in the final HTML; it does the same in headless Chromium for
// connectors whose page is built by JavaScript (verify.browser: true).
//
// Every probe honours $AUTHBRIDGE_RESOLVE (see [Resolver]) and trusts a
// custom CA through the standard $SSL_CERT_FILE. Cookie values only ever go
// into the requests: never into a report, an error or a log line.
package verify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/andybalholm/cascadia"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/taxonomy"
)

// DefaultTimeout bounds one probe when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// DefaultLoginSelector finds a sign-in form when the connector names none.
const DefaultLoginSelector = "form input[type=password]"

// DefaultMaxRedirects is how many redirects a probe follows.
const DefaultMaxRedirects = 10

// DefaultUserAgent is sent when Options.UserAgent is empty. Callers that
// know the user's browser (the extension reports its user agent) should pass
// that instead, since sites answer unfamiliar agents differently.
const DefaultUserAgent = "Mozilla/5.0 (compatible; authbridge-verify/1)"

// ErrInvalidDefinition is wrapped by errors about a connector definition
// that cannot be probed (no verify URL, no logged-in selector, a selector
// that does not parse).
var ErrInvalidDefinition = errors.New("invalid connector definition")

// Options tunes a verification. The zero value is ready to use.
type Options struct {
	// Timeout bounds the probe from the first request to the classified
	// answer (for the browser probe: from navigation on; starting Chromium
	// has its own bound). Zero means DefaultTimeout.
	Timeout time.Duration
	// Resolver maps host names to addresses. Nil means $AUTHBRIDGE_RESOLVE;
	// pass &Resolver{} to ignore the environment.
	Resolver *Resolver
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// MaxRedirects is how many redirects the HTTP probe follows before it
	// reports a redirect loop; zero means DefaultMaxRedirects.
	MaxRedirects int
	// Now returns the time used for cookie expiry; nil means time.Now.
	Now func() time.Time
	// Browser configures the browser probe.
	Browser BrowserOptions
}

// Probe names the step that produced a report.
type Probe string

// The probes.
const (
	ProbePreflight Probe = "preflight"
	ProbeHTTP      Probe = "http"
	ProbeBrowser   Probe = "browser"
	// ProbeProfile is the browser probe on a connector's own persistent
	// profile (BrowserOptions.UserDataDir).
	ProbeProfile Probe = "profile"
)

// Report is what a verification found: the classified result and the
// evidence behind it (names, URLs, statuses; never cookie values). Hop and
// final URLs are recorded without their query and fragment, which can carry
// tokens.
type Report struct {
	Result   taxonomy.Result   `json:"result"`
	Evidence taxonomy.Evidence `json:"evidence"`
	Probe    Probe             `json:"probe"`
	Started  time.Time         `json:"started"`
	// ElapsedMS is how long the probe took, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
}

// Verify checks one connector's session with the given cookies: preflight,
// then the HTTP or browser probe that def.Verify.Browser asks for.
//
// A result about the site (even NETWORK_OR_TIMEOUT) is a Report with a nil
// error. The error is for what is not about the site: an invalid definition
// (ErrInvalidDefinition), a bad $AUTHBRIDGE_RESOLVE, a browser that would
// not start, or ctx ending before the probe's own timeout.
func Verify(ctx context.Context, def connector.Definition, cookies []apitype.Cookie, opts Options) (Report, error) {
	p, err := newProbe(def, cookies, opts)
	if err != nil {
		return Report{}, err
	}
	if r, ok := p.preflight(); ok {
		return r, nil
	}
	if def.Verify.Browser {
		return p.browser(ctx)
	}
	return p.http(ctx)
}

// ProfileProbe checks a connector's own persistent profile,
// opts.Browser.UserDataDir, as it is: headless Chromium on that profile
// reads its cookies for the preflight, then opens the verify URL there,
// whatever def.Verify.Browser says. The caller makes sure no other browser
// holds the profile.
func ProfileProbe(ctx context.Context, def connector.Definition, opts Options) (Report, error) {
	if opts.Browser.UserDataDir == "" {
		return Report{}, errors.New("profile probe: no profile directory")
	}
	p, err := newProbe(def, nil, opts)
	if err != nil {
		return Report{}, err
	}
	return p.browser(ctx)
}

// probe is one verification in progress.
type probe struct {
	def      connector.Definition
	cookies  []apitype.Cookie
	opts     Options
	resolver Resolver
	target   *url.URL
	loggedIn string // CSS selectors, already checked to parse
	login    string
	started  time.Time
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func newProbe(def connector.Definition, cookies []apitype.Cookie, opts Options) (*probe, error) {
	p := &probe{def: def, cookies: cookies, opts: opts.withDefaults(), started: time.Now()}
	u, err := url.Parse(def.Verify.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("connector %s: verify.url %q is not an http or https URL: %w", def.ID, def.Verify.URL, ErrInvalidDefinition)
	}
	p.target = u
	if def.Verify.LoggedInSelector == "" {
		return nil, fmt.Errorf("connector %s: no verify.logged_in_selector: %w", def.ID, ErrInvalidDefinition)
	}
	p.loggedIn = def.Verify.LoggedInSelector
	p.login = def.Verify.LoginSelector
	if p.login == "" {
		p.login = DefaultLoginSelector
	}
	for field, sel := range map[string]string{"logged_in_selector": p.loggedIn, "login_selector": p.login} {
		if _, err := cascadia.ParseGroup(sel); err != nil {
			return nil, fmt.Errorf("connector %s: verify.%s %q: %v: %w", def.ID, field, sel, err, ErrInvalidDefinition)
		}
	}
	if opts.Resolver != nil {
		p.resolver = *opts.Resolver
	} else {
		r, err := ResolverFromEnv()
		if err != nil {
			return nil, err
		}
		p.resolver = r
	}
	return p, nil
}

// evidence starts the evidence of this probe, with the preflight filled in.
func (p *probe) evidence() taxonomy.Evidence {
	present, absent, expired := preflight(p.def.AuthCookies, p.cookies, p.opts.Now())
	name := p.def.Name
	if name == "" {
		name = p.def.ID
	}
	return taxonomy.Evidence{
		Connector:      name,
		CookiesPresent: present,
		CookiesAbsent:  absent,
		CookiesExpired: expired,
		Patterns:       patternsOf(p.def.Verify.LoginPatterns, p.def.Verify.MFAPatterns, p.def.Verify.CheckpointPatterns),
	}
}

// preflight returns a PROFILE_COOKIE_MISSING report and true when an auth
// cookie is absent or expired.
func (p *probe) preflight() (Report, bool) {
	ev := p.evidence()
	if len(ev.CookiesAbsent) == 0 && len(ev.CookiesExpired) == 0 {
		return Report{}, false
	}
	return p.report(ProbePreflight, ev), true
}

func (p *probe) report(kind Probe, ev taxonomy.Evidence) Report {
	return Report{
		Result:    taxonomy.Classify(ev),
		Evidence:  ev,
		Probe:     kind,
		Started:   p.started,
		ElapsedMS: time.Since(p.started).Milliseconds(),
	}
}

// redact drops the query and fragment of a URL for the evidence.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment, c.User = "", false, "", "", nil
	return c.String()
}

// redactString is redact for a URL in text form; text that does not parse
// is dropped rather than recorded as it is.
func redactString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return redact(u)
}
