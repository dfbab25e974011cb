// Package dbsc reports the sites for which a Chromium profile holds Device
// Bound Session Credentials (DBSC) sessions, from the profile's store on
// disk. chrome.cookies says nothing about them. A connector whose site
// keeps a device-bound session in the user's browser cannot be carried over
// by copying cookies: the short-lived bound cookie only renews with the
// device key that browser holds. This package is the evidence for that (the
// session detail session_not_transferable); it never reads or reports a
// cookie value or a key.
package dbsc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/cookies"
)

// BoundCookie is a cookie a session keeps bound (Chromium's "cookie
// craving"): its name and scope, never a value.
type BoundCookie struct {
	Name     string `json:"name"`
	Domain   string `json:"domain"`
	Path     string `json:"path"`
	Secure   bool   `json:"secure"`
	HTTPOnly bool   `json:"http_only"`
}

// BoundSession is one device-bound session a profile holds.
type BoundSession struct {
	// Site is the schemeful site the session belongs to, e.g.
	// "https://google.com".
	Site string `json:"site"`
	// ID is the site's session identifier.
	ID string `json:"id"`
	// RefreshURL is where the browser renews the bound cookies with its key.
	RefreshURL string `json:"refresh_url"`
	// Origin and IncludeSite are the session's scope: the origin, and
	// whether the whole site is in it.
	Origin      string `json:"origin,omitempty"`
	IncludeSite bool   `json:"include_site"`
	// Cookies are the bound cookies.
	Cookies []BoundCookie `json:"cookies"`
	// Expires is when the session ends unless it is used.
	Expires time.Time `json:"expires,omitzero"`
}

// Covers reports whether the session binds cookies that reach one of
// domains: a bound cookie's domain is in the domains' scope, or a domain
// gets the bound cookie (mail.example.com gets a cookie of .example.com). A
// session without bound cookies is judged by its site.
func (s BoundSession) Covers(domains []string) bool {
	var hosts []string
	for _, c := range s.Cookies {
		hosts = append(hosts, c.Domain)
	}
	if len(hosts) == 0 {
		if u, err := url.Parse(s.Site); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	for _, h := range hosts {
		if cookies.InScope(h, domains) {
			return true
		}
		for _, d := range domains {
			if cookies.InScope(d, []string{h}) {
				return true
			}
		}
	}
	return false
}

// StoreName is the file in which Chromium keeps a profile's device-bound
// sessions, in the profile's folder (Default, "Profile 1", ...).
const StoreName = "Device Bound Sessions"

// ProfileStoredSites returns the sites (e.g. "https://google.com") that
// have device-bound sessions in the DBSC store of one profile folder (the
// user-data-dir's Default, "Profile 1", ...) and whose host reaches one of
// domains; a profile without a store has none. It reads the store on disk
// without a browser, from a snapshot as the cookie store is read, so it
// works while the browser runs; a running browser can commit a new session
// to disk some time after registering it. Only the store's site keys are
// read, never its session records (they hold the wrapped device keys).
func ProfileStoredSites(profileDir string, domains []string) ([]string, error) {
	p := filepath.Join(profileDir, StoreName)
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("device-bound session store: %w", err)
	}
	var out []string
	err := chromeprofile.QuerySnapshot(p, func(ctx context.Context, conn *sql.Conn) error {
		rows, err := conn.QueryContext(ctx, "SELECT key FROM dbsc_session_tbl")
		if err != nil {
			return fmt.Errorf("not a DBSC store: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var site string
			if err := rows.Scan(&site); err != nil {
				return err
			}
			if (BoundSession{Site: site}).Covers(domains) && !slices.Contains(out, site) {
				out = append(out, site)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("device-bound session store: %w", err)
	}
	return out, nil
}
