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
	return newScopeSet(scopes).has(cookieDomain)
}

// scopeSet is InScope's scopes with the work that depends only on them
// (normalizing, IP and public-suffix checks) done once, so that filtering a
// connector's cookies costs one pass over the cookie domains.
type scopeSet []scopeEntry

type scopeEntry struct {
	name         string
	ip           bool
	publicSuffix bool
}

func newScopeSet(scopes []string) scopeSet {
	out := make(scopeSet, 0, len(scopes))
	for _, s := range scopes {
		name := normalizeHost(s)
		if name == "" {
			continue
		}
		ip := isIP(name)
		out = append(out, scopeEntry{name: name, ip: ip, publicSuffix: !ip && isPublicSuffix(name)})
	}
	return out
}

// has is InScope(cookieDomain, the scopes).
func (ss scopeSet) has(cookieDomain string) bool {
	host := normalizeHost(cookieDomain)
	if host == "" {
		return false
	}
	hostIsIP := isIP(host)
	for _, s := range ss {
		if host == s.name {
			if s.publicSuffix {
				continue
			}
			return true
		}
		if hostIsIP || s.ip {
			continue
		}
		n := len(host) - len(s.name)
		if n > 0 && host[n-1] == '.' && host[n:] == s.name && !s.publicSuffix {
			return true
		}
	}
	return false
}

// isIP is net.ParseIP(s) != nil, without parsing the names that cannot be
// addresses (any with a letter past f, or a hyphen).
func isIP(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return net.ParseIP(s) != nil
}

// FilterLive returns the cookies of cs whose domain is in scope (see
// InScope) and that have not expired at now (see Expired), in their input
// order. It never returns a slice that shares memory with cs.
func FilterLive(cs []apitype.Cookie, scopes []string, now time.Time) []apitype.Cookie {
	ss := newScopeSet(scopes)
	out := make([]apitype.Cookie, 0, len(cs))
	for _, c := range cs {
		if ss.has(c.Domain) && !Expired(c, now) {
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
