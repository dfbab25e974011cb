package cookies

import (
	"encoding/json"
	"io"

	"github.com/authbridge/authbridge/host/apitype"
)

// StorageState is a Playwright storage state, the JSON that
// browserContext.storageState() writes and browser.newContext({storageState})
// reads.
type StorageState struct {
	Cookies []PlaywrightCookie `json:"cookies"`
	Origins []StorageOrigin    `json:"origins"`
}

// StorageOrigin is the page storage of one origin in a storage state. The
// host hands out cookies only, so its storage states have no origins; the
// type is here so that a state file read back keeps what Playwright wrote.
type StorageOrigin struct {
	Origin       string        `json:"origin"`
	LocalStorage []StorageItem `json:"localStorage"`
	// IndexedDB is kept as Playwright wrote it (storageState({indexedDB})).
	IndexedDB json.RawMessage `json:"indexedDB,omitempty"`
}

// StorageItem is one localStorage entry of a StorageOrigin.
type StorageItem struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxPlaywrightExpires is the largest expiry Playwright's addCookies accepts
// (253402300799, 9999-12-31T23:59:59Z); a larger one fails the whole call.
const MaxPlaywrightExpires = 253402300799

// PlaywrightCookie is one cookie of a storage state, in the shape of
// Playwright's browserContext.addCookies and cookies().
//
// Domain keeps Chrome's convention: a leading dot for a domain cookie, none
// for a host-only cookie. Playwright hands the domain to the browser as is,
// and Chromium's Storage.setCookies makes a cookie whose domain has no
// leading dot host-only: Playwright's own tests set {domain: "localhost"} and
// read back {domain: "localhost"}, and a cookie set by url reads back with the
// bare host (tests/library/browsercontext-add-cookies.spec.ts, "should set a
// cookie with a path", "should set a cookie on a different domain"). So both
// kinds round-trip exactly.
type PlaywrightCookie struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Domain string `json:"domain"`
	Path   string `json:"path"`
	// Expires is in Unix seconds, with the fraction Chrome reported, or -1
	// for a session cookie.
	Expires  float64 `json:"expires"`
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	// SameSite is exactly "Strict", "Lax" or "None".
	SameSite string `json:"sameSite"`
	// PartitionKey is the top-level site of a partitioned (CHIPS) cookie, a
	// plain string as Playwright 1.54 and later read and write it
	// (microsoft/playwright#36168). Older versions drop the field, which
	// turns the cookie into an unpartitioned one.
	PartitionKey string `json:"partitionKey,omitempty"`
	// CrHasCrossSiteAncestor is Playwright's private, Chromium-only
	// companion of PartitionKey. Playwright assumes true when it is absent,
	// so it is always written for a partitioned cookie.
	CrHasCrossSiteAncestor *bool `json:"_crHasCrossSiteAncestor,omitempty"`
}

// PlaywrightSameSite maps a chrome.cookies sameSite to Playwright's:
// no_restriction is None, lax is Lax, strict is Strict. unspecified (and an
// empty value) is Lax, which is what Chrome enforces for a cookie without a
// SameSite attribute (Lax by default) and what Playwright itself reports for
// such a cookie: its Chromium cookies() fills a missing sameSite with "Lax"
// (packages/playwright-core/src/server/chromium/crBrowser.ts, doGetCookies).
// Playwright cannot set "unspecified", so the cookie comes back as an explicit
// Lax cookie; the one difference is Chrome's two-minute "Lax+POST" grace for
// fresh cookies without the attribute, which a connector does not rely on.
func PlaywrightSameSite(sameSite string) string {
	switch sameSite {
	case sameSiteNoRestriction:
		return "None"
	case sameSiteStrict:
		return "Strict"
	default:
		return "Lax"
	}
}

// ToPlaywright converts cs to storage-state cookies, in input order. It fails
// on the first cookie Playwright cannot carry (no domain, an unknown
// sameSite, invalid UTF-8).
func ToPlaywright(cs []apitype.Cookie) ([]PlaywrightCookie, error) {
	out := make([]PlaywrightCookie, 0, len(cs))
	for _, c := range cs {
		if err := checkJSON(c, FormatPlaywright); err != nil {
			return nil, err
		}
		pc := PlaywrightCookie{
			Name:     c.Name,
			Value:    c.Value,
			Domain:   domainAttr(c),
			Path:     pathOf(c),
			Expires:  -1,
			HTTPOnly: c.HttpOnly,
			Secure:   c.Secure,
			SameSite: PlaywrightSameSite(c.SameSite),
		}
		if !c.Session {
			pc.Expires = min(persistentExpiry(c), MaxPlaywrightExpires)
		}
		if partitioned(c) {
			pc.PartitionKey = c.PartitionKey.TopLevelSite
			x := crossSiteAncestor(c)
			pc.CrHasCrossSiteAncestor = &x
		}
		out = append(out, pc)
	}
	return out, nil
}

// WritePlaywright writes cs as an indented Playwright storage state with no
// origins.
func WritePlaywright(w io.Writer, cs []apitype.Cookie) error {
	pcs, err := ToPlaywright(cs)
	if err != nil {
		return err
	}
	return writeJSON(w, StorageState{Cookies: pcs, Origins: []StorageOrigin{}})
}

// writeJSON writes v indented by two spaces, without HTML escaping (the
// output is a file or a pipe, never HTML), with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
