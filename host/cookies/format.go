package cookies

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authbridge/authbridge/host/apitype"
)

// Format is one of the cookie formats the host hands out.
type Format int

// The formats, by the names `authbridge cookies --format` accepts.
const (
	// FormatPlaywright is a Playwright storage state:
	// {"cookies":[...],"origins":[]}.
	FormatPlaywright Format = iota + 1
	// FormatCDP is a JSON array of CDP Network.CookieParam objects, for
	// Network.setCookies and Storage.setCookies.
	FormatCDP
	// FormatNetscape is a Netscape cookies.txt file (curl, wget, yt-dlp).
	FormatNetscape
	// FormatHeader is the value of a Cookie request header for one URL.
	FormatHeader
	// FormatNetscapeCompat is a cookies.txt file every reader loads:
	// wget and Python's http.cookiejar.MozillaCookieJar included
	// (WriteNetscapeCompat).
	FormatNetscapeCompat
)

// formatNames maps each Format to its name, in the order they are listed.
var formatNames = []struct {
	f    Format
	name string
}{
	{FormatPlaywright, "playwright"},
	{FormatCDP, "cdp"},
	{FormatNetscape, "netscape"},
	{FormatNetscapeCompat, "netscape-compat"},
	{FormatHeader, "header"},
}

// ErrUnknownFormat is returned by ParseFormat for a name that is not a format.
var ErrUnknownFormat = errors.New("unknown cookie format")

// ErrUnrepresentable is wrapped by every CookieError: a cookie that the
// chosen format cannot carry faithfully.
var ErrUnrepresentable = errors.New("cookie cannot be represented")

// FormatNames returns the accepted format names, in a stable order.
func FormatNames() []string {
	names := make([]string, len(formatNames))
	for i, fn := range formatNames {
		names[i] = fn.name
	}
	return names
}

// ParseFormat returns the Format named name ("playwright", "cdp",
// "netscape", "netscape-compat" or "header"; letter case and surrounding spaces are ignored).
func ParseFormat(name string) (Format, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, fn := range formatNames {
		if fn.name == n {
			return fn.f, nil
		}
	}
	return 0, fmt.Errorf("%w %q (accepted: %s)", ErrUnknownFormat, name, strings.Join(FormatNames(), ", "))
}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	for _, fn := range formatNames {
		if fn.f == f {
			return fn.name
		}
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Options are the inputs of Encode beyond the cookies themselves.
type Options struct {
	// URL is the request URL the header format is computed for. The other
	// formats ignore it.
	URL string
	// Now is the instant against which cookies expire; the zero value means
	// time.Now().
	Now time.Time
}

// Encode writes cs to w in format f. Cookies that have expired at opts.Now
// are left out of every format; scope filtering is the caller's job (Filter).
// The header format writes the header value and a newline, and needs
// opts.URL. Nothing is written when a cookie cannot be represented: the
// error, a *CookieError, names it.
func Encode(w io.Writer, f Format, cs []apitype.Cookie, opts Options) error {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	live := liveOnly(cs, now)
	switch f {
	case FormatPlaywright:
		return WritePlaywright(w, live)
	case FormatCDP:
		return WriteCDP(w, live)
	case FormatNetscape:
		return WriteNetscape(w, live)
	case FormatNetscapeCompat:
		return WriteNetscapeCompat(w, live, now)
	case FormatHeader:
		if opts.URL == "" {
			return errors.New("header format needs a URL")
		}
		h, err := HeaderFor(live, opts.URL, now)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, h+"\n")
		return err
	default:
		return fmt.Errorf("%w: %s", ErrUnknownFormat, f)
	}
}

// CookieError says that one cookie cannot be represented in a format. It
// names the cookie by name and domain, never by value.
type CookieError struct {
	// Name is the cookie's name.
	Name string
	// Domain is the cookie's domain as given.
	Domain string
	// Format is the format that cannot carry the cookie.
	Format Format
	// Reason says what is wrong, without quoting the value.
	Reason string
}

// Error implements error.
func (e *CookieError) Error() string {
	return fmt.Sprintf("cookie %q (domain %q) cannot be written as %s: %s", e.Name, e.Domain, e.Format, e.Reason)
}

// Unwrap returns ErrUnrepresentable.
func (e *CookieError) Unwrap() error { return ErrUnrepresentable }

func cookieErr(c apitype.Cookie, f Format, reason string) *CookieError {
	return &CookieError{Name: c.Name, Domain: c.Domain, Format: f, Reason: reason}
}

// checkCommon holds the checks every format needs: a domain to set the
// cookie on and a SameSite value from the chrome.cookies vocabulary.
func checkCommon(c apitype.Cookie, f Format) error {
	if normalizeHost(c.Domain) == "" {
		return cookieErr(c, f, "it has no domain")
	}
	switch c.SameSite {
	case "", sameSiteNoRestriction, sameSiteLax, sameSiteStrict, sameSiteUnspecified:
	default:
		return cookieErr(c, f, fmt.Sprintf("unknown sameSite %q", c.SameSite))
	}
	if c.PartitionKey != nil && c.PartitionKey.TopLevelSite == "" {
		return cookieErr(c, f, "its partitionKey has no topLevelSite")
	}
	if !c.Session && (math.IsNaN(c.ExpirationDate) || math.IsInf(c.ExpirationDate, 0)) {
		return cookieErr(c, f, "its expirationDate is not a finite number")
	}
	return nil
}

// checkJSON adds what the JSON formats need: JSON strings are UTF-8, and
// encoding/json would silently replace invalid bytes with U+FFFD.
func checkJSON(c apitype.Cookie, f Format) error {
	if err := checkCommon(c, f); err != nil {
		return err
	}
	if !utf8.ValidString(c.Name) || !utf8.ValidString(c.Value) || !utf8.ValidString(c.Domain) || !utf8.ValidString(c.Path) {
		return cookieErr(c, f, "it is not valid UTF-8")
	}
	return nil
}

// chrome.cookies.SameSiteStatus values.
const (
	sameSiteNoRestriction = "no_restriction"
	sameSiteLax           = "lax"
	sameSiteStrict        = "strict"
	sameSiteUnspecified   = "unspecified"
)

// hostOf is the cookie's domain without its leading dot, as given (case kept).
func hostOf(c apitype.Cookie) string {
	return strings.TrimPrefix(c.Domain, ".")
}

// domainAttr is the domain written for the cookie in the formats that mark a
// domain cookie with a leading dot: hostOnly decides, whatever the input's
// dot says.
func domainAttr(c apitype.Cookie) string {
	if c.HostOnly {
		return hostOf(c)
	}
	return "." + hostOf(c)
}

// pathOf is the cookie's path, "/" when empty (Chrome never stores an empty
// path; it defaults to "/" or the directory of the URL).
func pathOf(c apitype.Cookie) string {
	if c.Path == "" {
		return "/"
	}
	return c.Path
}

// persistentExpiry is the expiration date of a persistent cookie in seconds.
// A date at or before the epoch becomes 1 (1970-01-01T00:00:01Z), so an
// expired cookie stays expired rather than turning into a session cookie
// where a format reads 0 or "absent" as "session".
func persistentExpiry(c apitype.Cookie) float64 {
	if c.ExpirationDate <= 0 {
		return 1
	}
	return c.ExpirationDate
}
