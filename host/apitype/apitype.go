// Package apitype holds the wire types shared by the native-messaging bridge,
// the local API server, its client and the tests. Every type here is part of a
// documented contract (PROTOCOL.md): fields are added, never renamed.
package apitype

// Cookie is one browser cookie exactly as the extension reads it with
// chrome.cookies (the chrome.cookies.Cookie shape). It is the host's canonical
// cookie model; the cookies package converts it to the formats it hands out.
//
// Value is a secret: it must never reach a log line, an error message, the
// state database or a metric.
type Cookie struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Domain string `json:"domain"` // leading dot for domain cookies, as Chrome reports it
	Path   string `json:"path"`
	// HostOnly is true when the cookie was set without a Domain attribute.
	HostOnly bool `json:"hostOnly"`
	Secure   bool `json:"secure"`
	HttpOnly bool `json:"httpOnly"`
	// SameSite is chrome.cookies.SameSiteStatus: "no_restriction", "lax",
	// "strict" or "unspecified".
	SameSite string `json:"sameSite"`
	// Session is true for a cookie without an expiry; ExpirationDate is then 0.
	Session bool `json:"session"`
	// ExpirationDate is in seconds since the Unix epoch, with a fraction.
	ExpirationDate float64 `json:"expirationDate,omitempty"`
	StoreID        string  `json:"storeId,omitempty"`
	// PartitionKey is set for partitioned (CHIPS) cookies.
	PartitionKey *PartitionKey `json:"partitionKey,omitempty"`
}

// PartitionKey is chrome.cookies.CookiePartitionKey.
type PartitionKey struct {
	TopLevelSite         string `json:"topLevelSite,omitempty"`
	HasCrossSiteAncestor *bool  `json:"hasCrossSiteAncestor,omitempty"`
}

// CookieMeta is a cookie without its value: what may be logged, stored or
// sent in change events.
type CookieMeta struct {
	Name           string        `json:"name"`
	Domain         string        `json:"domain"`
	Path           string        `json:"path"`
	HostOnly       bool          `json:"hostOnly"`
	Secure         bool          `json:"secure"`
	HttpOnly       bool          `json:"httpOnly"`
	SameSite       string        `json:"sameSite"`
	Session        bool          `json:"session"`
	ExpirationDate float64       `json:"expirationDate,omitempty"`
	PartitionKey   *PartitionKey `json:"partitionKey,omitempty"`
}

// Meta returns the cookie without its value.
func (c Cookie) Meta() CookieMeta {
	return CookieMeta{
		Name: c.Name, Domain: c.Domain, Path: c.Path, HostOnly: c.HostOnly,
		Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: c.SameSite,
		Session: c.Session, ExpirationDate: c.ExpirationDate, PartitionKey: c.PartitionKey,
	}
}
