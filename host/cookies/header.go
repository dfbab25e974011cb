package cookies

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// ErrBadURL is wrapped by HeaderFor's error for a URL it cannot compute a
// header for.
var ErrBadURL = errors.New("bad request url")

// HeaderFor returns the value of the Cookie header a browser would send with
// a top-level request to rawURL, from the cookies cs, following RFC 6265
// section 5.4 (the same rules as RFC 6265bis):
//
//   - Domain: a host-only cookie only for exactly its host; a domain cookie
//     for its domain and every subdomain of it (a subdomain of an IP address
//     does not exist). Letter case is ignored.
//   - Path: the cookie's path path-matches the URL's path (section 5.1.4).
//   - Secure: a secure cookie only over https (or wss), or to a host that
//     Chrome treats as a secure context over plain http: localhost, any
//     *.localhost name, and loopback addresses (127.0.0.0/8, ::1). The test
//     is on the URL's host name, not on what it resolves to: http://demo.test
//     mapped to 127.0.0.1 is not secure.
//   - Expiry: a persistent cookie that has expired at now is left out.
//   - Partitioned (CHIPS) cookies: the request is a top-level one, so it
//     carries the partition whose key is the URL's own schemeful site (same
//     scheme, same registrable domain) with no cross-site ancestor. A cookie
//     partitioned under another top-level site, or with hasCrossSiteAncestor
//     set (it belongs to frames embedded cross-site), is left out.
//   - Order: longer paths first; equal paths keep their order in cs, which
//     stands in for the creation time that chrome.cookies does not report.
//
// SameSite plays no part: a top-level request from the user is same-site.
// Pairs are "name=value", or just the value for a cookie with an empty name
// (as Chrome sends it), joined by "; ". No cookie gives "".
//
// A cookie that matches but whose name or value cannot be put in a header
// (a ";" or a control character other than tab, or "=" in the name) is an
// error naming the cookie, not a silently shorter header.
func HeaderFor(cs []apitype.Cookie, rawURL string, now time.Time) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	var siteScheme string
	switch scheme {
	case "http", "ws":
		siteScheme = "http"
	case "https", "wss":
		siteScheme = "https"
	default:
		return "", fmt.Errorf("%w: scheme %q is not http, https, ws or wss", ErrBadURL, u.Scheme)
	}
	host := normalizeHost(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("%w: no host", ErrBadURL)
	}
	secure := siteScheme == "https" || trustworthyHost(host)
	reqPath := u.EscapedPath()
	if !strings.HasPrefix(reqPath, "/") {
		reqPath = "/"
	}
	site := siteOf(host)

	var sent []apitype.Cookie
	for _, c := range cs {
		if Expired(c, now) || !domainMatches(c, host) || !pathMatches(reqPath, pathOf(c)) {
			continue
		}
		if c.Secure && !secure {
			continue
		}
		if partitioned(c) && !partitionMatches(c, siteScheme, site) {
			continue
		}
		if err := checkHeader(c); err != nil {
			return "", err
		}
		sent = append(sent, c)
	}
	sort.SliceStable(sent, func(i, j int) bool {
		return len(pathOf(sent[i])) > len(pathOf(sent[j]))
	})
	var b strings.Builder
	for i, c := range sent {
		if i > 0 {
			b.WriteString("; ")
		}
		if c.Name != "" {
			b.WriteString(c.Name)
			b.WriteByte('=')
		}
		b.WriteString(c.Value)
	}
	return b.String(), nil
}

// domainMatches reports whether c is sent to host (normalized): the exact
// host for a host-only cookie, the domain and its subdomains for a domain
// cookie (RFC 6265 section 5.1.3).
func domainMatches(c apitype.Cookie, host string) bool {
	d := normalizeHost(c.Domain)
	if d == "" {
		return false
	}
	if host == d {
		return true
	}
	if c.HostOnly || net.ParseIP(host) != nil {
		return false
	}
	return strings.HasSuffix(host, "."+d)
}

// pathMatches is RFC 6265 section 5.1.4: the cookie path is the request path,
// or a prefix of it that ends with "/" or is followed by "/" in it.
func pathMatches(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// partitionMatches reports whether a partitioned cookie belongs to the
// partition of a top-level request to a URL whose schemeful site is
// (scheme, site).
func partitionMatches(c apitype.Cookie, scheme, site string) bool {
	ps, psite, ok := parseSite(c.PartitionKey.TopLevelSite)
	if !ok || ps != scheme || psite != site {
		return false
	}
	return !crossSiteAncestor(c)
}

// trustworthyHost reports whether Chrome treats plain http to host (already
// normalized) as a secure context for cookies: localhost, *.localhost and
// loopback addresses.
func trustworthyHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkHeader refuses a cookie that would break the header it goes into.
func checkHeader(c apitype.Cookie) error {
	if strings.ContainsAny(c.Name, ";=") || hasControl(c.Name) {
		return cookieErr(c, FormatHeader, `its name holds ";", "=" or a control character`)
	}
	if strings.Contains(c.Value, ";") || hasControl(strings.ReplaceAll(c.Value, "\t", "")) {
		return cookieErr(c, FormatHeader, `its value holds ";" or a control character`)
	}
	return nil
}
