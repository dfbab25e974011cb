package taxonomy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds every sentence a person reads about a session. Keep the
// words plain: one or two sentences for why, naming the site, and never a
// cookie value (only names reach this file).

// defaultSite names the site when the connector has no name.
const defaultSite = "this site"

// what is the headline per code; %[1]s is the site.
var what = map[Code]string{
	OK:                   "%[1]s session works",
	SessionExpired:       "Signed out of %[1]s",
	MFARequired:          "%[1]s wants a second sign-in step",
	Checkpoint:           "%[1]s flagged the sign-in",
	ProfileCookieMissing: "%[1]s sign-in cookie missing",
	SelectorChanged:      "%[1]s page not recognised",
	NetworkOrTimeout:     "Could not reach %[1]s",
	Unknown:              "Could not check %[1]s",
}

// whatByDetail overrides the headline for a few details.
var whatByDetail = map[string]string{
	DetailCookieExpired:          "%[1]s sign-in cookie expired",
	DetailBrowserNotConnected:    "No browser connected for %[1]s",
	DetailSessionNotTransferable: "%[1]s session does not carry over from your browser",
}

// whyByDetail explains a detail; %[1]s is the site, %[2]d the HTTP status
// and %[3]s the cookie names.
var whyByDetail = map[string]string{
	DetailLoggedIn: "%[1]s opened with the saved session and showed you signed in.",

	DetailLoginRedirect: "%[1]s sent the check to its sign-in page, so it no longer accepts the saved session. Sign in to %[1]s again in your browser.",
	DetailHTTP401:       "%[1]s refused the saved session (HTTP 401), so it treats you as signed out. Sign in to %[1]s again in your browser.",
	DetailLoginForm:     "%[1]s showed its sign-in form instead of your account, so the saved session has ended. Sign in to %[1]s again in your browser.",

	DetailMFARedirect: "%[1]s asks for a code, an approval or another second factor before it lets the connector in. Only you can answer it, in your browser.",

	DetailCheckpointRedirect: "%[1]s sent the check to a security checkpoint (a lock, captcha or suspicious sign-in check). It will not be retried on its own; clear it in your browser.",
	DetailHTTP403:            "%[1]s blocked the request (HTTP 403), which usually means a security check or captcha. It will not be retried on its own; open %[1]s in your browser.",

	DetailCookieAbsent:  "The %[1]s sign-in cookie %[3]s is not in the connector's session. Repair copies it from your browser, where you need to be signed in to %[1]s.",
	DetailCookieExpired: "The %[1]s sign-in cookie %[3]s has expired, so %[1]s would treat you as signed out. Repair copies a fresh one from your browser.",

	DetailSelectorMissing: "%[1]s answered, but its page showed neither the signed-in marker nor a sign-in form that the connector looks for. %[1]s has probably changed its page, so the connector needs an update.",

	DetailDNS:            "The address of %[1]s could not be looked up. Check your internet connection.",
	DetailTimeout:        "%[1]s did not answer in time. Your session may be fine.",
	DetailRefused:        "The server of %[1]s refused the connection. Your session may be fine.",
	DetailTLS:            "The secure connection to %[1]s failed because its certificate was not trusted.",
	DetailReset:          "The connection to %[1]s was cut before it answered. Your session may be fine.",
	DetailUnreachable:    "The network has no route to %[1]s. Check your internet connection.",
	DetailTransportError: "The connection to %[1]s failed. Your session may be fine.",
	DetailHTTP429:        "%[1]s asked to slow down (HTTP 429). Your session may be fine; try again later.",

	DetailBrowserNotConnected: "The cookies for %[1]s come from your browser, and no browser with the authbridge extension is connected. Open your browser, then retry.",
	DetailRedirectLoop:        "%[1]s kept redirecting and never showed a page. Your session may be fine.",
	DetailNoEvidence:          "The check of %[1]s ended without an answer to tell whether you are signed in.",

	DetailSessionNotTransferable: "%[1]s ties its session to the browser you signed in with: a copy taken from your browser stopped working soon after, while your browser stayed signed in. Copying it again would only fail again, so authbridge stops trying; sign in to %[1]s once inside the connector's own browser.",
}

// whyByCode is the fallback for details without their own sentence, and
// whyByStatus the fallback when the result also has an HTTP status.
var whyByCode = map[Code]string{
	OK:                   "%[1]s showed you signed in.",
	SessionExpired:       "%[1]s treats the saved session as signed out. Sign in to %[1]s again in your browser.",
	MFARequired:          "%[1]s asks for a second sign-in step that only you can answer, in your browser.",
	Checkpoint:           "%[1]s flagged the sign-in. It will not be retried on its own; clear it in your browser.",
	ProfileCookieMissing: "The sign-in cookies of %[1]s are missing or expired. Repair copies them from your browser.",
	SelectorChanged:      "%[1]s answered with a page the connector does not recognise. The connector probably needs an update.",
	NetworkOrTimeout:     "%[1]s could not be reached in time. Your session may be fine.",
	Unknown:              "The check of %[1]s gave no answer that says signed in or signed out.",
}

var whyByStatus = map[Code]string{
	SelectorChanged:  "%[1]s no longer has the page the connector checks (HTTP %[2]d). The connector probably needs an update.",
	NetworkOrTimeout: "%[1]s had a server error (HTTP %[2]d). Your session may be fine; try again in a few minutes.",
	Unknown:          "%[1]s answered with HTTP %[2]d, which says neither signed in nor signed out.",
}

// Render returns the prompt for a result: what failed, why (naming the
// connector), and the reason's one action. An empty connectorName reads as
// "this site".
func Render(r Result, connectorName string) Prompt {
	site := strings.TrimSpace(connectorName)
	if site == "" {
		site = defaultSite
	}
	reason, ok := Lookup(r.Code)
	code := r.Code
	if !ok {
		code = Unknown
	}
	why, ok := whyByDetail[r.Detail]
	if !ok {
		why, ok = whyByStatus[code]
		if !ok || r.Status == 0 {
			why = whyByCode[code]
		}
	}
	headline, ok := whatByDetail[r.Detail]
	if !ok {
		headline = what[code]
	}
	names := quoteList(r.Cookies)
	if names == "" {
		names = "it needs"
	}
	return Prompt{
		What:   capitalize(fmt.Sprintf(headline, site)),
		Why:    capitalize(fmt.Sprintf(why, site, r.Status, names)),
		Action: ActionFor(reason.Code, r.Detail),
	}
}

// quoteList joins names as "a", "a and b" or "a, b and c", each quoted.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// capitalize upper-cases the first letter of a sentence ("this site ..."
// becomes "This site ..."), but leaves names such as "eBay" alone.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsLower(r) {
		return s
	}
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
