package connector

// Definition is one connector in the native schema (see ARCHITECTURE.md,
// "Connectors"). JSON field names are a contract.
type Definition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Domains are cookie scopes: a domain and all its subdomains (or a bare
	// host such as 127.0.0.1). Never a public suffix.
	Domains []string `json:"domains"`
	// AuthCookies are the names of the cookies that carry the session. A
	// session needs every one of them; the connector may still receive the
	// other cookies of its domains. Empty means the connector has no auth
	// cookies: no cookie change heals it automatically, though it is still
	// verified and repaired on request (cookies.IsAuthCookie is the rule).
	AuthCookies []string `json:"auth_cookies,omitempty"`
	// SignInDomains are hosts (and their subdomains) outside Domains whose
	// pages the connector may open to sign in, such as a company's single
	// sign-on host: the popup shows them before any tab opens. They give
	// the connector no cookies.
	SignInDomains []string `json:"sign_in_domains,omitempty"`
	// LoginURL is the page opened for an interactive sign-in: inside
	// Domains or SignInDomains.
	LoginURL string   `json:"login_url,omitempty"`
	Icon     string   `json:"icon,omitempty"`
	Verify   Verify   `json:"verify"`
	Session  *Session `json:"session,omitempty"`
	// SourceProfile is the browser profile directory (absolute) whose
	// cookies this connector takes, when the user has several: requests go
	// to the bridge bound to it. Empty means the most recently active one.
	SourceProfile string `json:"source_profile,omitempty"`
	// SourceStore is the cookie store inside that profile: a Firefox
	// container's name as the user sees it ("Work"), or empty for the
	// profile's default store. Chromium browsers have only the default store.
	SourceStore string `json:"source_store,omitempty"`

	// Source says where the definition came from: "builtin", or the absolute
	// path of the file it was loaded from. Not read from JSON.
	Source string `json:"-"`
	// Kind is KindBuiltin, KindNative or KindDataConnectors. Not read from
	// JSON.
	Kind string `json:"-"`
	// InheritsFrom is the id of the built-in (or native) definition a
	// manifest was completed from; empty when none. Not read from JSON.
	InheritsFrom string `json:"-"`
	// Shadows are the files of the same id, from places of lower
	// precedence, that this definition hides (see LoadPlaces). Not read
	// from JSON.
	Shadows []string `json:"-"`
	// ProfileFromApp is true when Session.ProfileDir is the app's profile
	// folder for this manifest, found by name. Not read from JSON.
	ProfileFromApp bool `json:"-"`
}

// Verify says how to probe whether a connector's session works.
type Verify struct {
	URL              string `json:"url,omitempty"`
	LoggedInSelector string `json:"logged_in_selector,omitempty"`
	// LoginSelector matches a sign-in form on the page (optional).
	LoginSelector      string   `json:"login_selector,omitempty"`
	LoginPatterns      []string `json:"login_patterns,omitempty"`
	MFAPatterns        []string `json:"mfa_patterns,omitempty"`
	CheckpointPatterns []string `json:"checkpoint_patterns,omitempty"`
	// Browser is true when the verify page is built by JavaScript and must be
	// probed in a headless browser rather than with plain HTTP.
	Browser bool `json:"browser,omitempty"`
}

// Session says where a connector's own session lives, which repair keeps
// fresh.
type Session struct {
	StorageState string `json:"storage_state,omitempty"`
	ProfileDir   string `json:"profile_dir,omitempty"`
}
