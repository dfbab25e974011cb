package verify

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// preflight sorts the definition's auth cookie names into present, absent
// and expired among the given cookies. A cookie with an empty value counts
// as absent (sites sign out by blanking the cookie). Only names are kept.
func preflight(authCookies []string, cookies []apitype.Cookie, now time.Time) (present, absent, expired []string) {
	for _, name := range authCookies {
		state := "absent"
		for _, c := range cookies {
			if c.Name != name || c.Value == "" {
				continue
			}
			if cookieExpired(c, now) {
				state = "expired"
				continue
			}
			state = "present"
			break
		}
		switch state {
		case "present":
			present = append(present, name)
		case "expired":
			expired = append(expired, name)
		default:
			absent = append(absent, name)
		}
	}
	return present, absent, expired
}

func cookieExpired(c apitype.Cookie, now time.Time) bool {
	if c.Session || c.ExpirationDate == 0 {
		return false
	}
	return c.ExpirationDate <= float64(now.UnixNano())/1e9
}

// cookieHeader builds the Cookie header value for one request URL from the
// given cookies, with RFC 6265 domain, path and secure matching; expired
// cookies are left out, and longer paths come first. It returns "" when no
// cookie applies.
//
// TODO: use cookies.HeaderFor once the cookies package exists; it owns this
// logic (and partitioned cookies, which are sent here only when their
// top-level site is the request's site).
func cookieHeader(cookies []apitype.Cookie, u *url.URL, now time.Time) string {
	host := strings.ToLower(u.Hostname())
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var match []apitype.Cookie
	for _, c := range cookies {
		if cookieExpired(c, now) || !domainMatch(c, host) || !pathMatch(c.Path, path) {
			continue
		}
		if c.Secure && u.Scheme != "https" {
			continue
		}
		if c.PartitionKey != nil && !partitionMatch(c.PartitionKey.TopLevelSite, u) {
			continue
		}
		match = append(match, c)
	}
	slices.SortStableFunc(match, func(a, b apitype.Cookie) int { return len(b.Path) - len(a.Path) })
	parts := make([]string, len(match))
	for i, c := range match {
		parts[i] = c.Name + "=" + c.Value
	}
	return strings.Join(parts, "; ")
}

func domainMatch(c apitype.Cookie, host string) bool {
	domain := strings.ToLower(strings.TrimPrefix(c.Domain, "."))
	if domain == "" {
		return false
	}
	if host == domain {
		return true
	}
	return !c.HostOnly && strings.HasSuffix(host, "."+domain)
}

func pathMatch(cookiePath, reqPath string) bool {
	if cookiePath == "" || cookiePath == "/" {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

func partitionMatch(topLevelSite string, u *url.URL) bool {
	site, err := url.Parse(topLevelSite)
	if err != nil || site.Hostname() == "" {
		return false
	}
	h, s := strings.ToLower(u.Hostname()), strings.ToLower(site.Hostname())
	return h == s || strings.HasSuffix(h, "."+s)
}

// patternsOf copies a definition's patterns into the taxonomy's form.
func patternsOf(login, mfa, checkpoint []string) taxonomy.Patterns {
	return taxonomy.Patterns{Login: login, MFA: mfa, Checkpoint: checkpoint}
}
