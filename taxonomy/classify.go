package taxonomy

import (
	"fmt"
)

// TransportKind says how a connection failed before any HTTP answer.
type TransportKind string

// Transport error kinds. The empty kind means no transport error.
const (
	TransportDNS         TransportKind = "dns"
	TransportTimeout     TransportKind = "timeout"
	TransportRefused     TransportKind = "refused"
	TransportTLS         TransportKind = "tls"
	TransportReset       TransportKind = "reset"
	TransportUnreachable TransportKind = "unreachable"
	TransportOther       TransportKind = "other"
)

// Hop is one URL a probe visited, in order, with the HTTP status it
// answered (0 when it gave none, for example when the connection failed).
type Hop struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
}

// Patterns are a connector's URL patterns (see the connector package): each
// is a substring of a URL's host and path, or a Go regexp when prefixed
// "re:".
type Patterns struct {
	Login      []string `json:"login,omitempty"`
	MFA        []string `json:"mfa,omitempty"`
	Checkpoint []string `json:"checkpoint,omitempty"`
}

// Evidence is everything a probe observed, without secrets: cookie names
// and never values, URLs, statuses and selector matches.
type Evidence struct {
	// Connector is the connector's display name, used in the prompt.
	Connector string `json:"connector,omitempty"`

	// BrowserNotConnected is true when the cookies could not be read
	// because no browser extension is connected.
	BrowserNotConnected bool `json:"browser_not_connected,omitempty"`

	// Auth cookie names by state, from the preflight.
	CookiesPresent []string `json:"cookies_present,omitempty"`
	CookiesAbsent  []string `json:"cookies_absent,omitempty"`
	CookiesExpired []string `json:"cookies_expired,omitempty"`

	// Hops is the redirect chain: the verify URL first, then every URL the
	// probe was sent to.
	Hops []Hop `json:"hops,omitempty"`
	// FinalURL is where the probe ended (after scripts, in a browser).
	FinalURL string `json:"final_url,omitempty"`
	// Status is the final HTTP status, 0 when there was none.
	Status           int  `json:"status,omitempty"`
	TooManyRedirects bool `json:"too_many_redirects,omitempty"`
	// Transport is set when the connection failed.
	Transport TransportKind `json:"transport,omitempty"`

	// LoggedInMatched is true when the connector's logged-in selector
	// matched the final page; LoginFormMatched when a sign-in form did.
	LoggedInMatched  bool `json:"logged_in_matched"`
	LoginFormMatched bool `json:"login_form_matched"`

	Patterns Patterns `json:"patterns"`
}

// Classify turns evidence into a result, following the precedence in the
// package documentation. It never returns an empty code, and it fills the
// prompt for ev.Connector.
func Classify(ev Evidence) Result {
	code, detail, cookies := classify(ev)
	return NewResult(code, detail, ev.Status, cookies, ev.Connector)
}

func classify(ev Evidence) (Code, string, []string) {
	if ev.BrowserNotConnected {
		return Unknown, DetailBrowserNotConnected, nil
	}
	if len(ev.CookiesAbsent) > 0 {
		return ProfileCookieMissing, DetailCookieAbsent, ev.CookiesAbsent
	}
	if len(ev.CookiesExpired) > 0 {
		return ProfileCookieMissing, DetailCookieExpired, ev.CookiesExpired
	}
	chain := ev.chain()
	if anyMatch(ev.Patterns.Checkpoint, chain) {
		return Checkpoint, DetailCheckpointRedirect, nil
	}
	if anyMatch(ev.Patterns.MFA, chain) {
		return MFARequired, DetailMFARedirect, nil
	}
	if ev.Transport != "" {
		return NetworkOrTimeout, transportDetail(ev.Transport), nil
	}
	if ev.Status == 429 || ev.Status >= 500 && ev.Status <= 599 {
		return NetworkOrTimeout, httpDetail(ev.Status), nil
	}
	if anyMatch(ev.Patterns.Login, chain) {
		return SessionExpired, DetailLoginRedirect, nil
	}
	if ev.Status == 401 {
		return SessionExpired, DetailHTTP401, nil
	}
	if ev.LoggedInMatched && ev.Status < 400 {
		return OK, DetailLoggedIn, nil
	}
	if ev.LoginFormMatched {
		return SessionExpired, DetailLoginForm, nil
	}
	switch {
	case ev.Status == 403:
		return Checkpoint, DetailHTTP403, nil
	case ev.Status == 404 || ev.Status == 410:
		return SelectorChanged, httpDetail(ev.Status), nil
	case ev.Status >= 200 && ev.Status <= 299:
		return SelectorChanged, DetailSelectorMissing, nil
	case ev.TooManyRedirects:
		return Unknown, DetailRedirectLoop, nil
	case ev.Status != 0:
		return Unknown, httpDetail(ev.Status), nil
	}
	return Unknown, DetailNoEvidence, nil
}

// chain returns the URLs that patterns are matched against: every hop after
// the first, and the final URL when it is not the verify URL.
func (ev Evidence) chain() []string {
	if len(ev.Hops) == 0 {
		return nil
	}
	urls := make([]string, 0, len(ev.Hops))
	for _, h := range ev.Hops[1:] {
		urls = append(urls, h.URL)
	}
	last := ev.Hops[len(ev.Hops)-1].URL
	if ev.FinalURL != "" && ev.FinalURL != last && ev.FinalURL != ev.Hops[0].URL {
		urls = append(urls, ev.FinalURL)
	}
	return urls
}

func transportDetail(k TransportKind) string {
	switch k {
	case TransportDNS:
		return DetailDNS
	case TransportTimeout:
		return DetailTimeout
	case TransportRefused:
		return DetailRefused
	case TransportTLS:
		return DetailTLS
	case TransportReset:
		return DetailReset
	case TransportUnreachable:
		return DetailUnreachable
	}
	return DetailTransportError
}

func httpDetail(status int) string { return fmt.Sprintf("http_%d", status) }

func anyMatch(patterns, urls []string) bool {
	for _, u := range urls {
		for _, p := range patterns {
			if MatchPattern(p, u) {
				return true
			}
		}
	}
	return false
}
