// Package cookies holds the host's cookie helpers: which cookies fall inside
// a connector's scope, which are still live, and the conversions of the
// canonical model (apitype.Cookie, the chrome.cookies shape) into the formats
// the host hands out: a Playwright storage state, CDP CookieParam objects, a
// Netscape cookies.txt file (two dialects) and a Cookie request header.
//
// Cookie values are secrets: nothing in this package puts a value into an
// error message. Errors name a cookie by its name and domain only.
//
// # Choices
//
// These are the places where cookie tools silently break; each is decided
// once here and tested with golden files (testdata/*.golden).
//
//   - Host-only versus domain cookies. apitype.Cookie.HostOnly decides. A
//     domain cookie is written with a leading dot (Playwright, CDP,
//     Netscape with includeSubdomains TRUE); a host-only cookie without one
//     (Netscape FALSE). In CDP a host-only cookie is set through its url and
//     no domain, which Chrome treats like a Set-Cookie without a Domain
//     attribute. In Playwright the bare host is enough: Chromium reads a
//     domain without a leading dot as host-only (checked against Playwright's
//     own tests and against Chromium 156).
//   - SameSite "unspecified". CDP leaves the field out, so Chrome keeps
//     applying its Lax-by-default rule. Playwright has no "unspecified" and
//     gets "Lax", the value Playwright itself reports for such cookies.
//     Netscape and the header have no SameSite.
//   - Expiry. Session cookies: Playwright -1, CDP no expires field (0 would
//     be 1970), Netscape 0. Persistent cookies keep Chrome's fractional
//     seconds in Playwright and CDP and are truncated to whole seconds in
//     Netscape. Encode leaves expired cookies out of every format.
//   - Partitioned (CHIPS) cookies. CDP gets the full partition key.
//     Playwright (1.54 and later) gets partitionKey as the top-level site
//     string plus its private _crHasCrossSiteAncestor. When Chrome did not
//     report hasCrossSiteAncestor, it is inferred: false when the cookie is
//     same-site with the top-level site. Netscape cannot say "partitioned".
//     The header counts a request as top-level: it carries the partition of
//     the URL's own schemeful site with no cross-site ancestor.
//   - Netscape dialects. "netscape" is curl's: httpOnly lines start with
//     #HttpOnly_ and session cookies have expiry 0; curl and yt-dlp read it
//     whole, but wget skips the #HttpOnly_ lines as comments and Python's
//     MozillaCookieJar drops expiry 0 as expired. "netscape-compat"
//     (WriteNetscapeCompat) drops the prefix and dates session cookies
//     CompatSessionLifetime after the write, so every one of them loads the
//     whole file; the httpOnly and session flags are what it loses.
package cookies
