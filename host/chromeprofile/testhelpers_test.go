package chromeprofile

import (
	"os"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
)

// Helpers that only the tests use.

// HasCookieStore reports whether the profile's cookie store exists.
func (p Profile) HasCookieStore() bool {
	fi, err := os.Stat(p.CookieStore)
	return err == nil && fi.Mode().IsRegular()
}

// Session reports whether the cookie has no expiry.
func (c StoredCookie) Session() bool { return c.Expires.IsZero() }

// Meta returns the cookie as the host's value-free model.
func (c StoredCookie) Meta() apitype.CookieMeta {
	m := apitype.CookieMeta{
		Name: c.Name, Domain: c.HostKey, Path: c.Path,
		HostOnly: !strings.HasPrefix(c.HostKey, "."),
		Secure:   c.Secure, HttpOnly: c.HTTPOnly, SameSite: c.SameSite,
		Session: c.Expires.IsZero(),
	}
	if !m.Session {
		m.ExpirationDate = float64(c.Expires.UnixMicro()) / 1e6
	}
	if c.TopFrameSiteKey != "" {
		anc := c.HasCrossSiteAncestor
		m.PartitionKey = &apitype.PartitionKey{TopLevelSite: c.TopFrameSiteKey, HasCrossSiteAncestor: &anc}
	}
	return m
}
