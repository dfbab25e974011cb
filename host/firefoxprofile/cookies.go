package firefoxprofile

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/cookies"
)

// metaColumns are the moz_cookies columns read when present; value is
// deliberately absent.
var metaColumns = []string{"host", "name", "path", "expiry", "creationTime", "lastAccessed", "isSecure",
	"isHttpOnly", "sameSite", "rawSameSite", "originAttributes", "isPartitionedAttributeSet"}

var requiredColumns = []string{"host", "name", "path", "expiry"}

// ReadCookieMeta reads the metadata of the default store's cookies in a
// Firefox cookies.sqlite whose domain falls in one of domains (none: every
// cookie). Cookies of containers (userContextId) and private windows are
// left out: the default store is what a bound bridge serves without a
// source_store, and a container's changes reach the host live. Partitioned
// cookies (Total Cookie Protection, CHIPS) carry their top-level site as
// TopFrameSiteKey. Firefox keeps cookies.sqlite locked; it is read through
// chromeprofile.QuerySnapshot, never in place.
func ReadCookieMeta(path string, domains []string) ([]chromeprofile.StoredCookie, error) {
	var out []chromeprofile.StoredCookie
	err := chromeprofile.QuerySnapshot(path, func(ctx context.Context, conn *sql.Conn) error {
		var err error
		out, err = query(ctx, conn, domains)
		return err
	})
	return out, err
}

func query(ctx context.Context, conn *sql.Conn, domains []string) ([]chromeprofile.StoredCookie, error) {
	rows, err := conn.QueryContext(ctx, "SELECT name FROM pragma_table_info('moz_cookies')")
	if err != nil {
		return nil, err
	}
	present := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		present[n] = true
	}
	rows.Close()
	for _, c := range requiredColumns {
		if !present[c] {
			return nil, fmt.Errorf("%w: no moz_cookies.%s column", chromeprofile.ErrNotCookieStore, c)
		}
	}
	var cols []string
	for _, c := range metaColumns {
		if present[c] {
			cols = append(cols, c)
		}
	}
	rows, err = conn.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM moz_cookies")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chromeprofile.StoredCookie
	strs := make([]sql.NullString, len(cols))
	ints := make([]sql.NullInt64, len(cols))
	dest := make([]any, len(cols))
	for rows.Next() {
		for i, c := range cols {
			switch c {
			case "host", "name", "path", "originAttributes":
				dest[i] = &strs[i]
			default:
				dest[i] = &ints[i]
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		c := chromeprofile.StoredCookie{SameSite: "unspecified", SourceScheme: "unset", SourcePort: -1, Persistent: true}
		var attrs originAttributes
		sameSite, raw, haveRaw := int64(0), int64(0), false
		for i, col := range cols {
			s, n := strs[i].String, ints[i].Int64
			switch col {
			case "host":
				c.HostKey = s
			case "name":
				c.Name = s
			case "path":
				c.Path = s
			case "expiry":
				c.Expires = mozExpiry(n)
			case "creationTime":
				c.Created = time.UnixMicro(n).UTC()
			case "lastAccessed":
				c.LastAccess = time.UnixMicro(n).UTC()
				c.LastUpdate = c.LastAccess
			case "isSecure":
				c.Secure = n != 0
			case "isHttpOnly":
				c.HTTPOnly = n != 0
			case "sameSite":
				sameSite = n
			case "rawSameSite":
				raw, haveRaw = n, ints[i].Valid
			case "originAttributes":
				attrs = parseOriginAttributes(s)
			}
		}
		c.SameSite = sameSiteName(sameSite, raw, haveRaw)
		if attrs.userContextID != "" && attrs.userContextID != "0" || attrs.privateBrowsingID != "" && attrs.privateBrowsingID != "0" {
			continue
		}
		c.TopFrameSiteKey = attrs.partitionSite
		c.HasCrossSiteAncestor = attrs.partitionSite != ""
		if len(domains) > 0 && !cookies.InScope(c.HostKey, domains) {
			continue
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// mozExpiry converts moz_cookies.expiry: seconds since the epoch in older
// Firefox, milliseconds since Firefox switched units (values past the year
// 5000 in seconds are read as milliseconds). Firefox writes session cookies
// to disk only for session restore, with their would-be expiry; they are
// read as persistent here, which only makes the watcher see more.
func mozExpiry(n int64) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	if n > 100_000_000_000 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// sameSiteName maps Firefox's nsICookie SameSite values to chrome.cookies
// names: 0 None, 1 Lax, 2 Strict; a rawSameSite of 0 (no attribute sent)
// is "unspecified", as the cookies API reports it.
func sameSiteName(sameSite, raw int64, haveRaw bool) string {
	if haveRaw && raw == 0 && sameSite != 2 {
		return "unspecified"
	}
	switch sameSite {
	case 1:
		return "lax"
	case 2:
		return "strict"
	case 0:
		return "no_restriction"
	}
	return "unspecified"
}

// originAttributes are the parts of a cookie's origin attributes suffix
// ("^userContextId=2&partitionKey=%28https%2Cnews.test%29") that matter here.
type originAttributes struct {
	userContextID, privateBrowsingID, firstPartyDomain string
	// partitionSite is the partition's top-level site as a schemeful site,
	// "https://news.test"; "" when the cookie is not partitioned.
	partitionSite string
}

func parseOriginAttributes(s string) originAttributes {
	var a originAttributes
	q, err := url.ParseQuery(strings.TrimPrefix(s, "^"))
	if err != nil {
		return a
	}
	a.userContextID = q.Get("userContextId")
	a.privateBrowsingID = q.Get("privateBrowsingId")
	a.firstPartyDomain = q.Get("firstPartyDomain")
	if pk := q.Get("partitionKey"); pk != "" {
		// (scheme,host[,port][,f]) — the trailing f marks a foreign ancestor.
		inner := strings.TrimSuffix(strings.TrimPrefix(pk, "("), ")")
		parts := strings.Split(inner, ",")
		if len(parts) >= 2 && parts[0] != "" && parts[1] != "" {
			a.partitionSite = parts[0] + "://" + parts[1]
		}
	}
	return a
}
