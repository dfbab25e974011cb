package cookies

import (
	"net/url"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
)

// partitioned reports whether c is a partitioned (CHIPS) cookie: one that
// Chrome keys on a top-level site besides its domain.
func partitioned(c apitype.Cookie) bool {
	return c.PartitionKey != nil && c.PartitionKey.TopLevelSite != ""
}

// crossSiteAncestor is the hasCrossSiteAncestor bit of a partitioned cookie's
// key. Chrome 130 and later always report it; when it is missing, it is
// inferred the way the WebExtensions proposal that added it says browsers
// populate it: false when the cookie's domain is same-site with the
// top-level site, true otherwise
// (https://github.com/w3c/webextensions/blob/main/proposals/hasCrossSiteAncestor.md).
// The bit is part of the key: a cookie set back with the other value is a
// different cookie that a top-level page of the site does not see.
func crossSiteAncestor(c apitype.Cookie) bool {
	if c.PartitionKey.HasCrossSiteAncestor != nil {
		return *c.PartitionKey.HasCrossSiteAncestor
	}
	_, site, ok := parseSite(c.PartitionKey.TopLevelSite)
	if !ok {
		return true
	}
	return siteOf(normalizeHost(c.Domain)) != site
}

// parseSite splits a schemeful site or URL ("https://demo.test",
// "http://sub.demo.test:8080/x") into its lower-case scheme and its site
// (registrable domain, or the host itself where it has none).
func parseSite(s string) (scheme, site string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "", "", false
	}
	host := normalizeHost(u.Hostname())
	if host == "" {
		return "", "", false
	}
	return strings.ToLower(u.Scheme), siteOf(host), true
}
