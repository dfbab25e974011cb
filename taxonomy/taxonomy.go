package taxonomy

// Code is a stable top-level reason. Codes are a contract shared by prompts,
// the local API, exit statuses and metrics: they are never renamed or reused.
type Code string

// The healthy outcome and the seven failure reasons.
const (
	// OK means the session works. It is the only healthy code.
	OK                   Code = "OK"
	SessionExpired       Code = "SESSION_EXPIRED"
	MFARequired          Code = "MFA_OR_CHALLENGE_REQUIRED"
	Checkpoint           Code = "CHECKPOINT_OR_SUSPICIOUS_LOGIN"
	ProfileCookieMissing Code = "PROFILE_COOKIE_MISSING"
	SelectorChanged      Code = "CONNECTOR_AUTH_SELECTOR_CHANGED"
	NetworkOrTimeout     Code = "NETWORK_OR_TIMEOUT"
	Unknown              Code = "UNKNOWN"
)

// Health is the effect a result has on a connector's health. Its value is
// the lower-case form used in JSON and as a data hook (data-health="..."); use
// [Health.Label] for the words a person reads.
type Health string

// The three health states.
const (
	Healthy        Health = "healthy"
	NeedsAttention Health = "needs_attention"
	HealthUnknown  Health = "unknown"
)

// Label returns the health as a person reads it: "Healthy", "Needs
// Attention" or "Unknown".
func (h Health) Label() string {
	switch h {
	case Healthy:
		return "Healthy"
	case NeedsAttention:
		return "Needs Attention"
	default:
		return "Unknown"
	}
}

// ActionID names the one next action a result offers. IDs are a contract:
// the popup and the app dispatch on them.
type ActionID string

// The primary actions.
const (
	// ActionRepair copies the connector's cookies again from the live browser
	// session and verifies.
	ActionRepair ActionID = "repair"
	// ActionInteractive opens the site's sign-in page in the user's browser so
	// the person can sign in, answer a second factor or clear a checkpoint;
	// the host repairs when the browser's cookies change.
	ActionInteractive ActionID = "interactive"
	// ActionRetry runs the same verification again.
	ActionRetry ActionID = "retry"
	// ActionUpdateConnector asks for a newer connector definition.
	ActionUpdateConnector ActionID = "update_connector"
	// ActionVerify verifies the session again; offered when it is healthy.
	ActionVerify ActionID = "verify"
	// ActionSignInConnector opens a browser window on the connector's own
	// profile at the site's sign-in page, so the person signs in there
	// (`authbridge repair --in-connector-browser`): for a session that
	// does not carry over from the user's browser.
	ActionSignInConnector ActionID = "sign_in_connector_browser"
	// ActionAllowAccess asks the person to allow the connector's sites in
	// the authbridge popup (the browser's own permission prompt): the
	// connector's cookies leave the browser only once they did.
	ActionAllowAccess ActionID = "allow_access"
)

// Action is one next action: a stable ID and the button label.
type Action struct {
	ID    ActionID `json:"id"`
	Label string   `json:"label"`
}

// Exit statuses that are not reasons. 0 is [OK]; 10 and up are reasons.
const (
	ExitOK                  = 0
	ExitError               = 1
	ExitUsage               = 2
	ExitBrowserNotConnected = 3
)

// Reason is a code with its fixed metadata: the row of the README table and
// what the popup needs to draw a code it has not seen in a result yet.
type Reason struct {
	Code Code `json:"code"`
	// Meaning is one plain line about the reason, for tables and docs.
	Meaning string `json:"meaning"`
	Health  Health `json:"health"`
	Action  Action `json:"action"`
	// ExitStatus is what `authbridge verify` exits with for this reason.
	ExitStatus int `json:"exit_status"`
	// AutoRetry says whether the host may run the same check again later
	// without anyone doing anything. It is false for everything a person
	// must act on, and never true for a checkpoint.
	AutoRetry bool `json:"auto_retry"`
}

// The actions, with their labels. Labels are user-facing text and live here
// with the rest of it.
var (
	actionRepair      = Action{ActionRepair, "Use your Chrome sign-in"}
	actionInteractive = Action{ActionInteractive, "Sign in again"}
	actionRetry       = Action{ActionRetry, "Retry"}
	actionUpdate      = Action{ActionUpdateConnector, "Update connector"}
	actionVerify      = Action{ActionVerify, "Verify session"}
	actionSignIn      = Action{ActionSignInConnector, "Sign in inside the connector's browser"}
	actionAllowAccess = Action{ActionAllowAccess, "Allow in the authbridge popup"}
)

// actionByDetail is the one action of a detail that needs another action
// than its code's.
var actionByDetail = map[string]Action{
	DetailSessionNotTransferable: actionSignIn,
	DetailAccessNotGranted:       actionAllowAccess,
}

// ActionFor is the one next action of a code and detail: the detail's own
// when it has one, else the code's.
func ActionFor(c Code, detail string) Action {
	if a, ok := actionByDetail[detail]; ok {
		return a
	}
	r, _ := Lookup(c)
	return r.Action
}

// reasons is the table every other function reads, in documented order.
var reasons = []Reason{
	{OK, "the site recognises the session as signed in", Healthy, actionVerify, 0, false},
	{SessionExpired, "auth cookies are there, but the site treats the session as signed out", NeedsAttention, actionInteractive, 10, false},
	{MFARequired, "the site asks for a code, approval or other second factor", NeedsAttention, actionInteractive, 11, false},
	{Checkpoint, "the site flagged the sign-in (checkpoint, lock, captcha)", NeedsAttention, actionInteractive, 12, false},
	{ProfileCookieMissing, "the auth cookies the connector needs are absent or expired", NeedsAttention, actionRepair, 13, false},
	{SelectorChanged, "neither signed in nor signed out can be recognised: the site changed", NeedsAttention, actionUpdate, 14, false},
	{NetworkOrTimeout, "the site could not be reached in time", HealthUnknown, actionRetry, 15, true},
	{Unknown, "none of the above; always recorded, never silently dropped", HealthUnknown, actionRetry, 16, true},
}

// Reasons returns every code with its metadata, [OK] first and then the seven
// failure reasons in the order of ARCHITECTURE.md. The slice is a copy.
func Reasons() []Reason {
	return append([]Reason(nil), reasons...)
}

// Lookup returns the metadata of a code. ok is false for a code this
// version does not know; the returned reason is then [Unknown]'s.
func Lookup(c Code) (r Reason, ok bool) {
	for _, r := range reasons {
		if r.Code == c {
			return r, true
		}
	}
	return reasons[len(reasons)-1], false
}

// Details. A detail refines a code for machines (metrics, tests, branching);
// new situations add details, never codes. HTTP statuses that are not listed
// here appear as "http_<status>", for example "http_503".
const (
	DetailLoggedIn            = "logged_in"
	DetailBrowserNotConnected = "browser_not_connected"
	DetailCookieAbsent        = "cookie_absent"
	DetailCookieExpired       = "cookie_expired"
	DetailCheckpointRedirect  = "checkpoint_redirect"
	DetailMFARedirect         = "mfa_redirect"
	DetailLoginRedirect       = "login_redirect"
	DetailLoginForm           = "login_form"
	DetailHTTP401             = "http_401"
	DetailHTTP403             = "http_403"
	DetailHTTP429             = "http_429"
	DetailSelectorMissing     = "selector_missing"
	DetailRedirectLoop        = "redirect_loop"
	DetailNoEvidence          = "no_evidence"
	DetailDNS                 = "dns"
	DetailTimeout             = "timeout"
	DetailRefused             = "refused"
	DetailTLS                 = "tls"
	DetailReset               = "reset"
	DetailUnreachable         = "unreachable"
	DetailTransportError      = "transport_error"
	// DetailSessionNotTransferable (under SESSION_EXPIRED) means the
	// session does not carry over from the user's browser: a copy freshly
	// repaired from it failed, while the same session kept working in the
	// user's browser, twice in a row. The site ties its session to the
	// browser that signed in (a device-bound session, a secret in the
	// page's own storage). Auto-repair stops for such a connector; its one
	// action is signing in inside the connector's own browser.
	DetailSessionNotTransferable = "session_not_transferable"
	// DetailAccessNotGranted means the browser does not grant the
	// extension (all of) the connector's domains: nothing of them leaves
	// the browser until the person allows them in the popup.
	DetailAccessNotGranted = "access_not_granted"
)

// Prompt is the rendered text of a result: what failed, why (naming the
// site), and the one next action.
type Prompt struct {
	What   string `json:"what"`
	Why    string `json:"why"`
	Action Action `json:"action"`
}

// Result is the outcome of classifying one probe. Code is never empty.
type Result struct {
	Code Code `json:"code"`
	// Detail is machine-readable, for example "login_redirect" or "http_503".
	Detail string `json:"detail"`
	Health Health `json:"health"`
	// Status is the final HTTP status, when there was one.
	Status int `json:"status,omitempty"`
	// Cookies names the auth cookies a PROFILE_COOKIE_MISSING result is
	// about. Names only: values never enter a result.
	Cookies []string `json:"cookies,omitempty"`
	// ExitStatus is what `authbridge verify` exits with: the reason's status,
	// or 3 for browser_not_connected.
	ExitStatus int    `json:"exit_status"`
	AutoRetry  bool   `json:"auto_retry"`
	Prompt     Prompt `json:"prompt"`
}

// Healthy reports whether the result means the session works.
func (r Result) Healthy() bool { return r.Code == OK }

// NewResult builds a complete result from a code and a detail, for example
// when the state store reloads a stored reason. An unknown code becomes
// [Unknown] with the detail kept. status and cookies feed the prompt's
// wording and may be zero.
func NewResult(code Code, detail string, status int, cookies []string, connectorName string) Result {
	reason, ok := Lookup(code)
	if !ok {
		code = Unknown
	}
	r := Result{
		Code:       code,
		Detail:     detail,
		Health:     reason.Health,
		Status:     status,
		Cookies:    cookies,
		ExitStatus: reason.ExitStatus,
		AutoRetry:  reason.AutoRetry,
	}
	if detail == DetailBrowserNotConnected {
		r.ExitStatus = ExitBrowserNotConnected
	}
	r.Prompt = Render(r, connectorName)
	return r
}
