package cookies

import (
	"net"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/authbridge/authbridge/host/apitype"
)

// InScope reports whether a cookie whose domain is cookieDomain belongs to one
// of scopes. A scope is a domain, which covers itself and every subdomain on a
// label boundary (scope "demo.test" covers "demo.test", ".demo.test" and
// "sub.demo.test", never "evildemo.test"), or an IP address, which covers only
// itself. Leading dots, letter case and IPv6 brackets are ignored on both
// sides.
//
// As a second line of defence behind the connector loader, a scope that is
// itself a public suffix ("com", "co.uk", "github.io") matches nothing. A
// single-label name that is not on the public suffix list ("localhost",
// "test") is allowed.
func InScope(cookieDomain string, scopes []string) bool {
	host := normalizeHost(cookieDomain)
	if host == "" {
		return false
	}
	hostIsIP := net.ParseIP(host) != nil
	for _, s := range scopes {
		scope := normalizeHost(s)
		if scope == "" {
			continue
		}
		if host == scope {
			if isPublicSuffix(scope) {
				continue
			}
			return true
		}
		if hostIsIP || net.ParseIP(scope) != nil {
			continue
		}
		if strings.HasSuffix(host, "."+scope) && !isPublicSuffix(scope) {
			return true
		}
	}
	return false
}

// Filter returns the cookies of cs whose domain is in scope (see InScope), in
// their input order. It never returns a slice that shares memory with cs.
func Filter(cs []apitype.Cookie, scopes []string) []apitype.Cookie {
	out := make([]apitype.Cookie, 0, len(cs))
	for _, c := range cs {
		if InScope(c.Domain, scopes) {
			out = append(out, c)
		}
	}
	return out
}

// FilterLive is Filter that also drops the cookies that have expired at now
// (see Expired).
func FilterLive(cs []apitype.Cookie, scopes []string, now time.Time) []apitype.Cookie {
	out := make([]apitype.Cookie, 0, len(cs))
	for _, c := range cs {
		if InScope(c.Domain, scopes) && !Expired(c, now) {
			out = append(out, c)
		}
	}
	return out
}

// Expired reports whether c is a persistent cookie whose expiration date is at
// or before now. A session cookie never expires here: it lives as long as the
// browser session that holds it.
func Expired(c apitype.Cookie, now time.Time) bool {
	if c.Session {
		return false
	}
	return c.ExpirationDate <= unixSeconds(now)
}

// liveOnly returns the cookies of cs that have not expired at now.
func liveOnly(cs []apitype.Cookie, now time.Time) []apitype.Cookie {
	out := make([]apitype.Cookie, 0, len(cs))
	for _, c := range cs {
		if !Expired(c, now) {
			out = append(out, c)
		}
	}
	return out
}

// unixSeconds is t in seconds since the Unix epoch with a fraction, without
// the overflow of UnixNano past the year 2262.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// normalizeHost turns a cookie domain, a scope or a URL host into the form
// used for comparisons: no leading dot, lower case, no IPv6 brackets.
func normalizeHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, ".")
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	return s
}

// isPublicSuffix reports whether name is a public suffix under an explicit
// rule of the public suffix list, ICANN or private. Names that only match the
// list's default rule ("*") count when they have more than one label, so that
// "localhost" and "test" stay usable as scopes.
func isPublicSuffix(name string) bool {
	if net.ParseIP(name) != nil {
		return false
	}
	ps, icann := publicsuffix.PublicSuffix(name)
	if ps != name {
		return false
	}
	return icann || strings.Contains(name, ".")
}

// siteOf returns the registrable domain (eTLD+1) of a normalized host: the
// "site" of same-site comparisons. An IP address, a single-label host and a
// host that has no registrable domain are their own site.
func siteOf(host string) string {
	if host == "" || net.ParseIP(host) != nil {
		return host
	}
	s, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return s
}
