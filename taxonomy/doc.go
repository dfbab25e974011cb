// Package taxonomy names why a connector's session works or fails, says what
// to do about it, and classifies probe evidence into one of those reasons.
//
// It is pure: evidence in, result out, no I/O. Every user-facing sentence
// about a session (what failed, why, the one next action) lives here, so the
// CLI, the local API, the extension popup and the metrics all show the same
// words.
//
// # Codes
//
// A [Result] always has a non-empty [Code]. [OK] means the session works;
// every other code is one of the seven stable failure reasons of
// ARCHITECTURE.md. New situations add a [Result.Detail], never a new code.
//
// # Precedence
//
// [Classify] looks at the evidence in this order and stops at the first rule
// that applies. It reads URLs, status codes, cookie names and selector
// matches only; it never reads page text (feeds mention "checkpoint" too).
// "The chain" is the URLs the probe visited after the verify URL itself
// (redirect hops, script navigations and the final URL); the verify URL is not
// matched against patterns, so a sloppy pattern cannot condemn every probe.
//
//  1. browser not connected: UNKNOWN / browser_not_connected (no cookies could
//     be read, so nothing else is evidence; the CLI exits 3 for it).
//  2. an auth cookie absent, else one expired: PROFILE_COOKIE_MISSING /
//     cookie_absent or cookie_expired (preflight, before any network).
//  3. a checkpoint pattern in the chain: CHECKPOINT_OR_SUSPICIOUS_LOGIN /
//     checkpoint_redirect.
//  4. an MFA pattern in the chain: MFA_OR_CHALLENGE_REQUIRED / mfa_redirect.
//  5. a transport error: NETWORK_OR_TIMEOUT / dns, timeout, refused, tls,
//     reset, unreachable or transport_error.
//  6. final status 429 or 5xx: NETWORK_OR_TIMEOUT / http_429, http_500 ...
//     (never an expired session).
//  7. a login pattern in the chain: SESSION_EXPIRED / login_redirect.
//  8. final status 401: SESSION_EXPIRED / http_401.
//  9. the logged-in selector matched and the final status is below 400:
//     OK / logged_in.
//  10. the login form matched: SESSION_EXPIRED / login_form.
//  11. final status 403: CHECKPOINT_OR_SUSPICIOUS_LOGIN / http_403 (bot walls
//     and captchas answer 403).
//  12. final status 404 or 410: CONNECTOR_AUTH_SELECTOR_CHANGED / http_404 or
//     http_410 (the verify page is gone).
//  13. final status 2xx with neither selector: CONNECTOR_AUTH_SELECTOR_CHANGED /
//     selector_missing.
//  14. too many redirects: UNKNOWN / redirect_loop.
//  15. anything else: UNKNOWN / http_<status>, or no_evidence.
//
// Checkpoint and MFA come before transport errors because they must never be
// retried automatically: a probe that was sent to a checkpoint whose page then
// timed out is still a checkpoint. The logged-in selector beats the login
// form (but not a login redirect or a 401) because the default login form
// selector also matches password-change forms on signed-in settings pages.
package taxonomy
