// The host's requests to the extension (PROTOCOL.md, native messages): one
// handler per message type, built from the parts it needs, so each can be
// tested with fakes. The worker (worker.js) builds the table and gives it
// to the native bridge.

import { RpcError } from './rpc.js';
import { readScope, normalizeDomain, cookieMeta, isExpired, cookieKey, domainInScope } from './cookieindex.js';
import { normalizeWatch } from './changes.js';
import { CODE, TYPES } from './protocol.js';
import { allCookiesQuery, isDefaultStore, resolveStore } from './browsercompat.js';
import { badRequest, optional, parseDomains, parseHttpURL, parseLimit, requireGranted } from './parse.js';

/** META_LIMIT is cookies.meta's default and most cookies answered. */
export const META_LIMIT = Object.freeze({ def: 500, max: 5000 });

/**
 * makeHandlers returns {messageType: async (msg) => result} for the host's
 * requests.
 *
 * @param {object} deps
 * @param {object} deps.chrome the extension namespace (cookies, tabs)
 * @param {object} deps.info the browser's traits (browsercompat.detect)
 * @param {() => number} deps.now
 * @param {Function} deps.fetch the browser's fetch (cookies.refresh)
 * @param {object} deps.grants the browser's grants (access.js Grants)
 * @param {object} deps.index the cookie index of the default store (CookieIndex)
 * @param {object} deps.held the held answers (HeldAnswers)
 * @param {object} deps.watch the watched connectors (WatchSet)
 * @param {object} deps.status the status rows (StatusStore)
 * @param {(extra: object) => void} deps.refresh tells the badge and the popups
 * @param {object} [deps.log]
 */
export function makeHandlers(deps) {
  return {
    [TYPES.COOKIES_GET]: (msg) => cookiesGet(deps, msg),
    [TYPES.WATCH_SET]: (msg) => watchSet(deps, msg),
    [TYPES.COOKIES_META]: (msg) => cookiesMeta(deps, msg),
    [TYPES.COOKIES_REFRESH]: (msg) => cookiesRefresh(deps, msg),
    [TYPES.TABS_OPEN]: (msg) => tabsOpen(deps, msg),
    [TYPES.PING]: async () => ({}),
    [TYPES.STATUS_CHANGED]: (msg) => statusChanged(deps, msg),
  };
}

/**
 * cookiesGet answers the cookies of the domains: from the index for the
 * default store (with a version, and held when asked), read live for
 * another store (a Firefox container).
 */
async function cookiesGet({ chrome, info, now, grants, index, held }, msg) {
  const domains = parseDomains(msg.domains);
  const store = optional(msg, 'store', 'string');
  let storeId;
  try {
    storeId = await resolveStore(chrome, info, store);
  } catch (err) {
    throw new RpcError(err.code || CODE.store_not_found, err.message);
  }
  const ifVersion = optional(msg, 'if_version', 'string');
  const hold = optional(msg, 'hold', 'boolean');
  requireGranted(grants, domains, msg);
  if (isDefaultStore(info, storeId)) {
    await index.primeMany(domains);
    // The version, the cookies and the hold are taken together, with no
    // event in between (the reply is posted before any other task runs):
    // "unchanged" is exactly what a full answer would be, and every
    // later change of these domains sends cookies.stale after the reply.
    const version = index.version(domains);
    const out = { store_id: info.defaultStore };
    if (version !== '' && ifVersion === version) out.unchanged = true;
    else out.cookies = index.lookup(domains);
    if (version !== '') {
      out.version = version;
      if (hold === true) out.held = held.hold(domains);
    }
    return out;
  }
  // Another store is read live: the index holds the default store only.
  const t = now();
  const lists = await Promise.all(domains.map((d) => readScope(chrome.cookies, normalizeDomain(d), info, storeId)));
  return { cookies: lists.flat().filter((c) => !isExpired(c, t)), store_id: storeId };
}

/** watchSet replaces the watched connectors and primes the index with the granted ones' domains. */
async function watchSet({ now, index, watch, log }, msg) {
  let next;
  try {
    next = normalizeWatch(msg.connectors);
  } catch (err) {
    throw badRequest(err.message);
  }
  const domains = watch.set(next);
  const t0 = now();
  await index.primeMany(domains);
  const primedMs = now() - t0;
  log?.info?.(`authbridge: watching ${next.length} connector(s), ${domains.length} domain(s), ${index.size} cookie(s) indexed in ${primedMs} ms`);
  return { primed_ms: primedMs, indexed: index.size };
}

/**
 * cookiesMeta answers the metadata (never values) of up to `limit`
 * persistent cookies of the granted sites, for the host to find this
 * profile's cookie store on disk.
 */
async function cookiesMeta({ chrome, info, now, grants }, msg) {
  const limit = parseLimit(msg.limit, META_LIMIT.def, META_LIMIT.max);
  const all = await chrome.cookies.getAll(allCookiesQuery(info));
  const t = now();
  const granted = all.filter((c) => grants.coversHost(c.domain));
  const persistent = granted.filter((c) => !c.session && !isExpired(c, t));
  return { cookies: persistent.slice(0, limit).map(cookieMeta), total: granted.length };
}

/**
 * cookiesRefresh sends one credentialed request from this browser to the
 * connector's verify URL (no tab), so the browser renews what only it can
 * (a renewing session, a device-bound cookie), then answers the fresh
 * cookies of the domains, read live (onChanged may lag the response).
 */
async function cookiesRefresh({ chrome, info, now, fetch, grants, held }, msg) {
  const url = parseHttpURL(msg.url);
  const domains = parseDomains(msg.domains);
  if (!domains.some((d) => domainInScope(url.hostname, d))) throw badRequest('url must be inside the domains');
  requireGranted(grants, domains, msg);
  const fetched = await fetchOnce(fetch, url);
  const t = now();
  const lists = await Promise.all(domains.map((d) => readScope(chrome.cookies, normalizeDomain(d), info)));
  // The host must not answer these domains again from an older answer.
  held.releaseOverlapping(domains);
  const seen = new Map();
  for (const c of lists.flat()) if (!isExpired(c, t)) seen.set(cookieKey(c), c);
  const out = { cookies: [...seen.values()], status: fetched.status, store_id: info.defaultStore };
  if (fetched.redirected) out.redirected = true;
  if (fetched.error) out.fetch_error = fetched.error;
  return out;
}

/**
 * fetchOnce requests url with the browser's credentials and answers
 * {status, redirected, error}. redirect: 'manual': a redirect is never
 * followed, so the credentials go to this URL only, never to wherever it
 * redirects (another site, an intranet host); a redirect comes back as an
 * opaque response (status 0), answered as redirected.
 */
export async function fetchOnce(fetch, url) {
  const out = { status: 0, redirected: false, error: '' };
  try {
    const res = await fetch(url.href, { credentials: 'include', cache: 'no-store', redirect: 'manual' });
    if (res.type === 'opaqueredirect') out.redirected = true;
    else out.status = res.status;
    await res.arrayBuffer().catch(() => {});
  } catch (err) {
    out.error = String(err?.message || err);
  }
  return out;
}

/** tabsOpen opens an http(s) URL in a new active tab and answers its id. */
async function tabsOpen({ chrome }, msg) {
  const url = parseHttpURL(msg.url);
  const tab = await chrome.tabs.create({ url: url.href, active: true });
  return { tab_id: tab.id };
}

/** statusChanged takes the host's rows (all of them when complete) and tells the popups which changed. */
async function statusChanged({ status, refresh }, msg) {
  if (!Array.isArray(msg.connectors)) throw badRequest('connectors must be an array');
  let ids;
  if (msg.complete === true) {
    status.replace(msg.connectors);
    ids = msg.connectors.map((r) => r?.id).filter(Boolean);
  } else {
    ids = status.upsert(msg.connectors);
  }
  refresh({ source: 'status.changed', ids });
  return {};
}
