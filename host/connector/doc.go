// Package connector holds connector definitions: which cookies a connector may
// have, how to tell whether its session works, and where its own session
// state lives. It knows a few sites as built-in definitions and loads native
// definition files and the data-export app's *-playwright.json manifests.
//
// # Loading
//
// LoadPlaces starts from the built-in definitions and reads every *.json
// file (dot files excepted) of the places it is given, in order, each
// folder's files by name; each place has its own precedence (the agent's:
// $AUTHBRIDGE_HOME/connectors, then the data-export app's homes). A
// recursive place also reads its subfolders (the app's company subfolders;
// dot folders skipped, at most four levels) and ignores its JSON files that
// are not manifests; a place with a Profiles folder gives a manifest the
// profile folder named after its file, when that exists, as its
// session.profile_dir. When places of different precedence define one id,
// the first wins and lists the others
// in Definition.Shadows. A file is a data-export manifest when
// its top-level object has a "connector_id" or a "runtime" field, and a native
// definition otherwise. Native files are read before manifests, so that a
// manifest inherits from a native file that redefines a built-in (see below).
//
// A file overrides the built-in definition of the same id. Two files of one
// place with the same id are a problem: the first in load order (native files first) is kept
// and the other refused. A refused file never stops the others from loading;
// Set.Problems lists every refusal as a *FileError, whose message names the
// file and the field, for example
//
//	/home/me/.authbridge/connectors/bad.json: domains[0] "co.uk" is a public suffix
//
// # Patterns
//
// The verify patterns (login_patterns, mfa_patterns, checkpoint_patterns)
// recognise a sign-in wall by the URL a probe ends on. A pattern is matched
// against the URL's host name, lowercased and without port, followed by its
// path, decoded: "www.linkedin.com/uas/login" for
// https://www.linkedin.com/uas/login?session_redirect=x. The query and the
// fragment are not part of it.
//
//   - A plain pattern matches when it occurs anywhere in that string, ignoring
//     case: "/ap/signin", "accounts.google.com/ServiceLogin".
//   - A pattern that starts with "re:" is a Go regular expression (RE2
//     syntax) searched in that string, case-sensitively unless it says
//     (?i): "re:^github\.com/(?:login|session)/?$".
//
// Verify.Match tries the MFA patterns first, then the checkpoint patterns,
// then the login patterns, so a specific page inside a sign-in flow (Google's
// accounts.google.com/v3/signin/challenge/totp) is not taken for the sign-in
// page that contains it (accounts.google.com/v3/signin/).
//
// # Data-export manifests
//
// A *-playwright.json manifest maps to a Definition as follows:
//
//   - connector_id is the id, kept as the app spells it (github-playwright);
//     the app's legacy camelCase duplicates ("id", "connectURL",
//     "connectSelector", "iconURL") stand in for missing snake_case fields.
//   - name is the name, else consumer_metadata.display_name, else the id.
//   - domains are the registrable domains (eTLD+1) of connect_url's host and
//     of consumer_metadata.brand_domain, both kept when they differ, plus
//     auth.domains.
//   - connect_url is the login URL and the verify URL; connect_selector is the
//     logged-in selector, verbatim. The app decides it is connected by opening
//     connect_url and waiting for connect_selector, and the probe does the
//     same: a signed-in session is redirected away from a sign-in page that
//     connect_url may name, while a signed-out one stays on it and matches a
//     login pattern.
//   - verify.browser is true: the selector is meant for the page Playwright
//     renders.
//   - icon is kept verbatim.
//
// An optional "auth" block in the manifest uses the native field names
// (domains, auth_cookies, login_url, verify, session) and adds what the
// manifest lacks. Its fields win over everything else: auth.verify.url,
// auth.login_url and auth.verify.logged_in_selector replace connect_url and
// connect_selector in their roles, and auth.verify.browser may be false.
// Unknown fields in the auth block are refused.
//
// Inheritance: when a built-in definition (or a native file that overrides
// one) covers connect_url's host, or else the manifest's brand domain
// (consumer_metadata.brand_domain), the manifest inherits that definition's domains (added to its own),
// auth_cookies, verify.login_selector and its login, MFA and checkpoint
// patterns. Any of these that the auth block sets, even to an empty list,
// replaces the inherited value instead. The verify URL, the logged-in
// selector and session are never inherited, since they belong to the
// manifest's own page. The site connect_url signs in on comes first: a shop
// branded shop.example whose connect_url is on amazon.com inherits Amazon's
// auth cookies. The first matching definition by id is used, and recorded
// in Definition.InheritsFrom. Only built-ins are bases: a native file of
// another id never is, and a native file overriding a built-in gives only
// its domains that lie inside the built-in's own (it can narrow, never
// widen, what a manifest inherits).
//
// Every URL a connector opens or probes lies inside its domains: verify.url
// always, login_url inside its domains or the sign-in hosts it declares in
// sign_in_domains (auth.sign_in_domains in a manifest; never inherited),
// which give it no cookies and which the popup shows.
//
// For example github-playwright (brand domain github.com) inherits the
// built-in github's user_session cookies and its /sessions/two-factor MFA
// pattern, and youtube-playwright (brand domain youtube.com) inherits the
// built-in google, and with it the google.com domain where Google signs in.
package connector
