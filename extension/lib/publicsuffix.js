// Public suffixes ("com", "co.uk", "github.io"), by the host's list: a scope
// that is one covers no cookie, as in the host's cookies.InScope.
//
// The extension has no dependencies and the list is not written by hand:
// publicsuffix_list.js is generated from golang.org/x/net/publicsuffix, the
// library the host decides with, and a host test (host/cookies,
// TestExtensionSuffixList) fails when it is not that list or when a rule
// reads differently on the two sides. The shared case table
// host/cookies/testdata/auth_cookies.json holds the public-suffix cases both
// sides are tested against.

import { RULES } from './publicsuffix_list.js';

let table = null;

/** rules splits the list into its three kinds, on first use. */
function rules() {
  if (table) return table;
  const exact = new Set();
  const wildcard = new Set(); // "*.ck" is kept as "ck"
  const exception = new Set(); // "!www.ck" is kept as "www.ck"
  for (const r of RULES.split(' ')) {
    if (r.startsWith('!')) exception.add(r.slice(1));
    else if (r.startsWith('*.')) wildcard.add(r.slice(2));
    else if (r !== '') exact.add(r);
  }
  table = { exact, wildcard, exception };
  return table;
}

/**
 * isPublicSuffix reports whether a normalized host name (lower case, no
 * leading dot, not an IP address) is itself a public suffix under an
 * explicit rule of the list, ICANN or private: "com", "co.uk", "github.io",
 * "anything.ck" (rule "*.ck") but not "www.ck" (rule "!www.ck"). A name that
 * only the list's default rule matches ("localhost", "test", "demo.test") is
 * not one, so local names stay usable as scopes.
 */
export function isPublicSuffix(name) {
  const { exact, wildcard, exception } = rules();
  if (exact.has(name)) return true;
  const dot = name.indexOf('.');
  return dot > 0 && wildcard.has(name.slice(dot + 1)) && !exception.has(name);
}
