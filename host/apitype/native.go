package apitype

import "encoding/json"

// Native message types (PROTOCOL.md, "Native messaging").
const (
	TypeBridgeHello    = "bridge.hello"
	TypeHello          = "hello"
	TypeAPI            = "api"
	TypeCookiesChanged = "cookies.changed"
	TypeCookiesGet     = "cookies.get"
	TypeCookiesMeta    = "cookies.meta"
	TypeWatchSet       = "watch.set"
	TypeTabsOpen       = "tabs.open"
	TypeStatusChanged  = "status.changed"
	TypePing           = "ping"
	TypeResult         = "result"
	TypeError          = "error"
	TypeChunk          = "chunk"
	// TypeCookiesTouched is the extension's notification that some cookie
	// (any name) of the listed watched connectors changed: it drives the
	// cookie streams (GET /v1/connectors/{id}/cookies/stream).
	TypeCookiesTouched = "cookies.touched"
	// TypeCookiesRefresh asks the extension for one credentialed request
	// from the user's browser to a URL, then the fresh cookies.
	TypeCookiesRefresh = "cookies.refresh"
	// TypeCookiesStale is the extension's notification that the cookies of
	// answers it handed out with Hold changed: the host must not reuse them.
	TypeCookiesStale = "cookies.stale"
	// TypeAccessChanged is the extension's notification that the sites it
	// is granted changed (a grant made or removed in the popup or in the
	// browser's own settings): Origins is the whole new list.
	TypeAccessChanged = "access.changed"
)

// Envelope is the part of every native message the router looks at.
type Envelope struct {
	ID     string          `json:"id,omitempty"`
	Type   string          `json:"type"`
	Error  *Error          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// BridgeHello is the relay's first frame on the bridge socket.
type BridgeHello struct {
	Type     string `json:"type"`
	Origin   string `json:"origin"`
	RelayPID int    `json:"relay_pid"`
	Protocol int    `json:"protocol"`
	// UserDataDir is the browser's --user-data-dir, when the relay saw it.
	UserDataDir string `json:"user_data_dir,omitempty"`
	// Browser is the browser family the relay serves: "chromium" or "firefox".
	Browser string `json:"browser,omitempty"`
}

// Hello is the extension's first request.
type Hello struct {
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version"`
	UserAgent   string `json:"user_agent"`
	// AcceptLanguage is the Accept-Language the browser sends (from its
	// languages), for runs that present the user's browser's identity.
	AcceptLanguage string `json:"accept_language,omitempty"`
	// Origins are the host permissions the browser grants the extension
	// (permissions.getAll's origins) when it says hello; nil from an
	// extension that predates per-site grants.
	Origins []string `json:"origins,omitempty"`
}

// AccessChanged is the access.changed notification: every origin pattern
// the browser grants the extension now.
type AccessChanged struct {
	Origins []string `json:"origins"`
}

// HelloResult answers Hello.
type HelloResult struct {
	AgentVersion string `json:"agent_version"`
	BridgeID     string `json:"bridge_id"`
}

// CookieChange is one entry of a cookies.changed notification.
type CookieChange struct {
	Removed bool       `json:"removed"`
	Cause   string     `json:"cause"`
	Cookie  CookieMeta `json:"cookie"`
	// Connectors are the watched connectors this change concerns.
	Connectors []string `json:"connectors,omitempty"`
}

// CookiesTouched is the cookies.touched notification: ids only, no cookie
// names or values.
type CookiesTouched struct {
	Connectors []string `json:"connectors"`
}

// CookiesChanged is the cookies.changed notification.
type CookiesChanged struct {
	Changes []CookieChange `json:"changes"`
}

// APIRequest is the api message: a local API request from the popup.
type APIRequest struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// APIAnswer answers APIRequest.
type APIAnswer struct {
	Status int `json:"status"`
	Body   any `json:"body"`
}

// CookiesGet is the cookies.get request.
type CookiesGet struct {
	Domains []string `json:"domains"`
	// Store names the cookie store to read (a Firefox container, by the
	// name the user sees); empty means the profile's default store.
	Store string `json:"store,omitempty"`
	// IfVersion is the Version of the host's last full answer for the same
	// store and domains: when none of those cookies changed since, the
	// extension answers Unchanged instead of the cookies.
	IfVersion string `json:"if_version,omitempty"`
	// Hold asks the extension to send cookies.stale for these domains as
	// soon as one of their cookies changes after this answer, so that the
	// host may answer again from it until then.
	Hold bool `json:"hold,omitempty"`
}

// CookiesStale is the cookies.stale notification: the domain lists, as
// the host sent them in cookies.get, whose held answers changed.
type CookiesStale struct {
	Domains [][]string `json:"domains"`
}

// CookiesResult answers CookiesGet.
type CookiesResult struct {
	Cookies []Cookie `json:"cookies"`
	// StoreID is the cookie store the answer came from.
	StoreID string `json:"store_id,omitempty"`
	// Version names this set of cookies (absent from an extension without
	// versions, and for a store read live): it changes whenever one of the
	// cookies of the domains changes.
	Version string `json:"version,omitempty"`
	// Unchanged means the set is still the one of Version, which equals
	// the request's IfVersion; Cookies is then empty.
	Unchanged bool `json:"unchanged,omitempty"`
	// Held says the extension will send cookies.stale for the request's
	// domains when one of their cookies changes (the request had Hold).
	Held bool `json:"held,omitempty"`
}

// CookiesRefresh is the cookies.refresh request: fetch URL (inside
// Domains) once with the browser's credentials, no tab, then read Domains.
type CookiesRefresh struct {
	URL     string   `json:"url"`
	Domains []string `json:"domains"`
}

// CookiesRefreshResult answers CookiesRefresh: the fresh cookies, the
// response's HTTP status (0 when the request failed) and the failure.
type CookiesRefreshResult struct {
	Cookies []Cookie `json:"cookies"`
	Status  int      `json:"status"`
	// Redirected says the URL answered a redirect, which the browser did
	// not follow (Status is then 0: the hop's status is opaque to it).
	Redirected bool   `json:"redirected,omitempty"`
	FetchError string `json:"fetch_error,omitempty"`
}

// CookiesMetaRequest is the cookies.meta request.
type CookiesMetaRequest struct {
	Limit int `json:"limit"`
}

// CookiesMetaResult answers CookiesMetaRequest.
type CookiesMetaResult struct {
	Cookies []CookieMeta `json:"cookies"`
	Total   int          `json:"total"`
}

// WatchedConnector is one connector of watch.set.
type WatchedConnector struct {
	ID          string   `json:"id"`
	Domains     []string `json:"domains"`
	AuthCookies []string `json:"auth_cookies"`
}

// WatchSet is the watch.set request.
type WatchSet struct {
	Connectors []WatchedConnector `json:"connectors"`
}

// WatchSetResult is the extension's answer to watch.set: how long priming
// its cookie index took and how many cookies it now holds (extensions
// before issue 15 answer {}).
type WatchSetResult struct {
	PrimedMS int64 `json:"primed_ms"`
	Indexed  int   `json:"indexed"`
}

// TabsOpen is the tabs.open request.
type TabsOpen struct {
	URL string `json:"url"`
}

// TabsOpenResult answers TabsOpen.
type TabsOpenResult struct {
	TabID int `json:"tab_id"`
}

// StatusChanged is the status.changed notification: rows upserted by id.
type StatusChanged struct {
	Connectors []StatusRow `json:"connectors"`
	Complete   bool        `json:"complete,omitempty"`
}

// Request is a native message the host sends: its type and its body.
type Request interface {
	// MessageType is the message's type field.
	MessageType() string
}

// MessageType implements Request.
func (CookiesGet) MessageType() string { return TypeCookiesGet }

// MessageType implements Request.
func (CookiesRefresh) MessageType() string { return TypeCookiesRefresh }

// MessageType implements Request.
func (CookiesMetaRequest) MessageType() string { return TypeCookiesMeta }

// MessageType implements Request.
func (WatchSet) MessageType() string { return TypeWatchSet }

// MessageType implements Request.
func (TabsOpen) MessageType() string { return TypeTabsOpen }

// MessageType implements Request.
func (StatusChanged) MessageType() string { return TypeStatusChanged }
