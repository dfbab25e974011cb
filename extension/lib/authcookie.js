// The one rule for "is this cookie an auth cookie of this connector", the
// same as the host's cookies.IsAuthCookie: the cookie's domain is inside one
// of the connector's domains (label boundary) and its name is one of its
// auth_cookies, compared exactly. A connector without auth_cookies has no
// auth cookies, so no change of its cookies is forwarded. Both sides are
// tested against host/cookies/testdata/auth_cookies.json.

import { domainInScope } from './cookieindex.js';

/** isAuthCookie reports whether cookie {name, domain} is an auth cookie of connector {domains, auth_cookies}. */
export function isAuthCookie(connector, cookie) {
  const names = connector.auth_cookies ?? [];
  if (!names.includes(cookie.name)) return false;
  return (connector.domains ?? []).some((d) => domainInScope(cookie.domain, d));
}
