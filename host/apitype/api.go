package apitype

import (
	"time"

	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/taxonomy"
)

// StatusRow is one connector's line in the status (PROTOCOL.md, StatusRow).
type StatusRow struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Icon    string   `json:"icon,omitempty"`
	Domains []string `json:"domains"`
	// SignInDomains are the hosts outside Domains the connector may open
	// to sign in (its definition's sign_in_domains).
	SignInDomains          []string        `json:"sign_in_domains,omitempty"`
	Health                 string          `json:"health"`
	HealthKey              taxonomy.Health `json:"health_key"`
	Reason                 string          `json:"reason"`
	Detail                 string          `json:"detail"`
	Prompt                 taxonomy.Prompt `json:"prompt"`
	LoginURL               string          `json:"login_url,omitempty"`
	LastVerifiedAt         *time.Time      `json:"last_verified_at,omitempty"`
	LastHeadlessSuccessAt  *time.Time      `json:"last_headless_success_at,omitempty"`
	LastInteractiveLoginAt *time.Time      `json:"last_interactive_login_at,omitempty"`
	LastFailureAt          *time.Time      `json:"last_failure_at,omitempty"`
	LastFailureReason      string          `json:"last_failure_reason,omitempty"`
	RepairInProgress       bool            `json:"repair_in_progress"`
	AwaitingInteractive    bool            `json:"awaiting_interactive"`
	Source                 string          `json:"source"`
	// SourceStore is the cookie store the connector reads: "default", or the
	// name of the Firefox container its definition names (source_store).
	SourceStore string `json:"source_store"`
	// ProfileDir is the persistent browser profile repair writes the
	// connector's session into, when it has one.
	ProfileDir string `json:"profile_dir,omitempty"`
	// ProfileWait is one sentence saying that repair is waiting for the
	// browser holding ProfileDir to close before writing into it; empty
	// when nothing waits.
	ProfileWait string `json:"profile_wait,omitempty"`
	// ProfileWriting is true while a repair that already reported the
	// session Healthy (verified from the user's live cookies) writes it
	// into ProfileDir.
	ProfileWriting bool `json:"profile_writing,omitempty"`
	// ProfileWrittenAt is when a repair last wrote the session into
	// ProfileDir (since the agent started).
	ProfileWrittenAt *time.Time `json:"profile_written_at,omitempty"`
	// Access is "granted" when the browser serving the connector grants
	// every one of its domains, "not_granted" when it grants not all of
	// them; absent when no browser is connected.
	Access string `json:"access,omitempty"`
	// LastRelease is the last time the connector's cookies left the host,
	// and to whom; absent when they never did.
	LastRelease *LastRelease `json:"last_release,omitempty"`
}

// Access values of a status row.
const (
	AccessGranted    = "granted"
	AccessNotGranted = "not_granted"
)

// LastRelease is a status row's last cookie release.
type LastRelease struct {
	At     time.Time `json:"at"`
	Caller Caller    `json:"caller"`
	Format string    `json:"format"`
}

// Caller is the process that received a connector's cookies, as the host
// saw it on the socket: its pid and uid, and (when the OS says) its
// executable and command line.
type Caller struct {
	PID        int    `json:"pid"`
	UID        int    `json:"uid"`
	Executable string `json:"executable,omitempty"`
	Cmdline    string `json:"cmdline,omitempty"`
	Via        string `json:"via,omitempty"`
}

// AgentInfo is the agent part of GET /v1/status.
type AgentInfo struct {
	PID       int       `json:"pid"`
	Version   string    `json:"version"`
	Socket    string    `json:"socket"`
	Home      string    `json:"home"`
	StartedAt time.Time `json:"started_at"`
}

// Status is the answer of GET /v1/status.
type Status struct {
	Agent      AgentInfo    `json:"agent"`
	Bridges    []BridgeInfo `json:"bridges"`
	Connectors []StatusRow  `json:"connectors"`
}

// BridgeInfo describes one connected browser profile.
type BridgeInfo struct {
	ID               string `json:"id"`
	Origin           string `json:"origin"`
	ExtensionID      string `json:"extension_id,omitempty"`
	ExtensionVersion string `json:"extension_version,omitempty"`
	UserAgent        string `json:"user_agent,omitempty"`
	// AcceptLanguage is the browser's Accept-Language (hello).
	AcceptLanguage string    `json:"accept_language,omitempty"`
	RelayPID       int       `json:"relay_pid"`
	ConnectedAt    time.Time `json:"connected_at"`
	LastActiveAt   time.Time `json:"last_active_at"`
	ProfileDir     string    `json:"profile_dir,omitempty"`
	Binding        string    `json:"binding,omitempty"`
	// BindingDetail says how the profile was found (absent until bound).
	BindingDetail *Binding `json:"binding_detail,omitempty"`
	// Index is the extension's answer to the last watch.set: the time its
	// cookie index took to prime and the cookies it holds (absent until
	// answered, or from an extension that does not report it).
	Index *WatchSetResult `json:"index,omitempty"`
}

// Binding says which on-disk browser profile a bridge serves, and how that
// was established.
type Binding struct {
	ProfileDir  string `json:"profile_dir"`
	UserDataDir string `json:"user_data_dir"`
	CookieStore string `json:"cookie_store"`
	// Method is how the binding was made, e.g. "cookie-match", or
	// "last-used (assumed)" when no evidence decided.
	Method   string `json:"method"`
	Evidence string `json:"evidence"`
	Assumed  bool   `json:"assumed"`
}

// ConnectorInfo is a definition as GET /v1/connectors lists it.
type ConnectorInfo struct {
	connector.Definition
	// Source is the file the definition was read from, or "builtin".
	Source string `json:"source"`
	Kind   string `json:"kind"`
	// InheritsFrom names the built-in definition a manifest was completed
	// from (auth cookies, sign-in patterns), when there is one.
	InheritsFrom string `json:"inherits_from,omitempty"`
	// Shadows are the files defining the same id in places of lower
	// precedence, which this definition hides.
	Shadows []string `json:"shadows,omitempty"`
	// ProfileFrom is "app" when session.profile_dir is the data-export
	// app's profile folder for this manifest, found by its file name.
	ProfileFrom string `json:"profile_from,omitempty"`
}

// Problem is a connector definition file that could not be loaded; Message
// names the field that is wrong.
type Problem struct {
	File    string `json:"file"`
	Message string `json:"message"`
}

// Connectors is the answer of GET /v1/connectors.
type Connectors struct {
	Connectors []ConnectorInfo `json:"connectors"`
	Problems   []Problem       `json:"problems"`
}

// ActionRequest is the optional body of the connector actions.
type ActionRequest struct {
	RunID string `json:"run_id,omitempty"`
	// InConnectorBrowser, on repair, signs in inside the connector's own
	// browser instead of copying the user's browser session: a window on
	// the connector's profile at its login URL, done when its auth cookies
	// appear there (the action of session_not_transferable).
	InConnectorBrowser bool `json:"in_connector_browser,omitempty"`
	// TimeoutMS bounds that sign-in (0: five minutes).
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// ActionResult is the answer of verify and repair.
type ActionResult struct {
	Result taxonomy.Result `json:"result"`
	Probe  string          `json:"probe,omitempty"`
	Row    StatusRow       `json:"row"`
	// Written lists the connector session state repair wrote to.
	Written []string `json:"written,omitempty"`
}

// ClearResult is the answer of clear.
type ClearResult struct {
	Row     StatusRow `json:"row"`
	Cleared []string  `json:"cleared"`
}

// InteractiveResult is the answer of interactive.
type InteractiveResult struct {
	TabID    int       `json:"tab_id"`
	LoginURL string    `json:"login_url"`
	Row      StatusRow `json:"row"`
	// Opened is false when the preflight found the browser's session
	// working and repaired silently: no tab was opened, Row is the repaired
	// (healthy) row and Preflight the repair's result.
	Opened    bool          `json:"opened"`
	Preflight *ActionResult `json:"preflight,omitempty"`
}

// Ping is the answer of GET /v1/ping.
type Ping struct {
	PID     int    `json:"pid"`
	Version string `json:"version"`
}

// LastSeen is the answer of GET /v1/bridges/last-seen.
type LastSeen struct {
	LastSeenAt *time.Time `json:"last_seen_at"`
}

// ErrorBody is the body of an API error answer.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// AccessLog is the answer of GET /v1/access: who received which
// connector's cookies, when, how many times, in which format.
type AccessLog struct {
	Connectors []ConnectorAccess `json:"connectors"`
}

// ConnectorAccess is one connector's part of an AccessLog.
type ConnectorAccess struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Access is the browser's grant, as in a status row.
	Access string `json:"access,omitempty"`
	// Releases counts every release of its cookies.
	Releases int `json:"releases"`
	// Callers are the programs that received them, most recent first.
	Callers []CallerReleases `json:"callers"`
}

// CallerReleases is one program's releases of a connector's cookies in one
// format.
type CallerReleases struct {
	Caller  Caller    `json:"caller"`
	Format  string    `json:"format"`
	Times   int       `json:"times"`
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
	// Cookies is how many cookies the last release held.
	Cookies int `json:"cookies"`
}
