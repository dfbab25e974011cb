package cookies

import (
	"io"
	"net/url"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"

	"github.com/authbridge/authbridge/host/apitype"
)

// CDPSameSite maps a chrome.cookies sameSite to CDP's CookieSameSite:
// no_restriction is None, lax is Lax, strict is Strict, and unspecified (or
// empty, or unknown) is "", which leaves the field out so that Chrome stores
// the cookie without a SameSite attribute and applies its Lax-by-default
// rule to it, exactly as for the original.
func CDPSameSite(sameSite string) network.CookieSameSite {
	switch sameSite {
	case sameSiteNoRestriction:
		return network.CookieSameSiteNone
	case sameSiteLax:
		return network.CookieSameSiteLax
	case sameSiteStrict:
		return network.CookieSameSiteStrict
	default:
		return ""
	}
}

// ToCDP converts cs to CDP Network.CookieParam values for Network.setCookies
// or Storage.setCookies, in input order.
//
//   - A domain cookie gets Domain with its leading dot.
//   - A host-only cookie gets no Domain but a URL
//     (https://host/path when secure, else http://host/path): CookieParam.url
//     is the request URL the cookie is set "from", and without a domain
//     Chrome scopes the cookie to that URL's host only, as for a Set-Cookie
//     header without a Domain attribute. (A domain without a leading dot is
//     also read as host-only by Chromium, but the URL says it without
//     relying on that.) Having no domain is also what a "__Host-" cookie
//     must have. The URL also gives Chrome the cookie's source scheme.
//   - Expires is left out for a session cookie: the field is optional, and a
//     present 0 would be 1970, an expired cookie. A persistent cookie keeps
//     the fractional seconds Chrome reported.
//   - SameSite follows CDPSameSite.
//   - A partitioned cookie gets its PartitionKey, with hasCrossSiteAncestor
//     as reported or inferred (see crossSiteAncestor).
//
// ToCDP does not validate; WriteCDP and Encode do. A cookie with no domain
// gives a CookieParam that Chrome refuses.
func ToCDP(cs []apitype.Cookie) []*network.CookieParam {
	out := make([]*network.CookieParam, 0, len(cs))
	for _, c := range cs {
		p := &network.CookieParam{
			Name:     c.Name,
			Value:    c.Value,
			Path:     pathOf(c),
			Secure:   c.Secure,
			HTTPOnly: c.HttpOnly,
			SameSite: CDPSameSite(c.SameSite),
		}
		if c.HostOnly {
			p.URL = hostOnlyURL(c)
		} else {
			p.Domain = domainAttr(c)
		}
		if !c.Session {
			p.Expires = cdp.TimeSinceEpoch(persistentExpiry(c))
		}
		if partitioned(c) {
			p.PartitionKey = &network.CookiePartitionKey{
				TopLevelSite:         c.PartitionKey.TopLevelSite,
				HasCrossSiteAncestor: crossSiteAncestor(c),
			}
		}
		out = append(out, p)
	}
	return out
}

// hostOnlyURL is the URL a host-only cookie is set from: its scheme follows
// Secure, its host is the cookie's host and its path the cookie's path.
func hostOnlyURL(c apitype.Cookie) string {
	scheme := "http"
	if c.Secure {
		scheme = "https"
	}
	host := hostOf(c)
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // an IPv6 literal
	}
	u := url.URL{Scheme: scheme, Host: host, Path: pathOf(c)}
	return u.String()
}

// WriteCDP writes cs as an indented JSON array of CDP CookieParam objects.
func WriteCDP(w io.Writer, cs []apitype.Cookie) error {
	for _, c := range cs {
		if err := checkJSON(c, FormatCDP); err != nil {
			return err
		}
	}
	return writeJSON(w, ToCDP(cs))
}
