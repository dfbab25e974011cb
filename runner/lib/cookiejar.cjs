'use strict';
// The Cookie header a browser would send to a URL, from Playwright cookies
// (RFC 6265 domain, path, secure and expiry matching).

function domainMatch(host, c) {
  const d = String(c.domain || '').toLowerCase();
  host = host.toLowerCase();
  if (d.startsWith('.')) {
    const bare = d.slice(1);
    return host === bare || host.endsWith(d);
  }
  return host === d;
}

function pathMatch(reqPath, cookiePath) {
  const p = cookiePath || '/';
  if (reqPath === p) return true;
  if (!reqPath.startsWith(p)) return false;
  return p.endsWith('/') || reqPath[p.length] === '/';
}

/** cookieHeader returns the Cookie header value for url, or ''. */
function cookieHeader(cookies, url, now = Date.now() / 1000) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return '';
  }
  const secure = u.protocol === 'https:';
  const list = (cookies || []).filter((c) => domainMatch(u.hostname, c) &&
    pathMatch(u.pathname || '/', c.path) &&
    (!c.secure || secure || u.hostname === '127.0.0.1' || u.hostname === 'localhost') &&
    (c.expires === undefined || c.expires < 0 || c.expires > now));
  // Longer paths first, as browsers send them.
  list.sort((a, b) => (b.path || '/').length - (a.path || '/').length);
  return list.map((c) => `${c.name}=${c.value}`).join('; ');
}

module.exports = { cookieHeader, domainMatch, pathMatch };
