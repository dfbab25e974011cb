package cookies

import "slices"

// IsAuthCookie is the one rule for "is this cookie an auth cookie of this
// connector", used by the agent's live events, the disk watcher and (in
// extension/lib/authcookie.js) the extension: the cookie's domain is inside
// one of the connector's domains (InScope) and its name is one of its
// auth_cookies, compared exactly.
//
// A connector without auth_cookies has no auth cookies: no cookie change
// heals it automatically (it is still verified and repaired on request,
// and still receives every cookie of its domains). The tests share one
// table of cases with the extension: testdata/auth_cookies.json.
func IsAuthCookie(domains, authCookies []string, name, domain string) bool {
	return slices.Contains(authCookies, name) && InScope(domain, domains)
}
