// Browser differences, in one place. The same extension folder runs in
// Chromium browsers (service worker, `chrome.*`) and in Firefox (background
// script, `browser.*`, cookie stores per container, first-party isolation).
// Every function takes the extension namespace (or the detected info) as a
// parameter, so node --test covers both browsers with fakes.
//
// Firefox facts this module relies on (MDN, checked in Firefox 153 ESR):
//   - cookie store ids are "firefox-default", "firefox-private" and
//     "firefox-container-N"; Chromium's are "0" (and "1" for incognito);
//   - with privacy.firstparty.isolate on, cookies.getAll throws unless the
//     query has firstPartyDomain; `null` matches every first-party domain and
//     is accepted with isolation off too;
//   - `partitionKey: {}` returns partitioned cookies beside the others (both
//     browsers);
//   - containers are contextualIdentities; their user-visible name maps to a
//     cookieStoreId.

import { CODE } from './protocol.js';

/** The default cookie store of each browser. */
export const DEFAULT_STORE = Object.freeze({ firefox: 'firefox-default', chromium: '0' });

/**
 * pickNamespace returns the extension API namespace of a global object:
 * Firefox's promise-based `browser` when there is one, else `chrome`.
 */
export function pickNamespace(g = globalThis) {
  if (g.browser?.runtime?.id) return g.browser;
  return g.chrome;
}

/**
 * detect tells the browser family from the namespace: Firefox has
 * runtime.getBrowserInfo and moz-extension:// URLs, Chromium has neither.
 */
export function detect(ns) {
  const rt = ns?.runtime ?? {};
  let url = '';
  try {
    url = typeof rt.getURL === 'function' ? rt.getURL('') : '';
  } catch {
    url = '';
  }
  const firefox = typeof rt.getBrowserInfo === 'function' || url.startsWith('moz-extension:');
  const name = firefox ? 'firefox' : 'chromium';
  return Object.freeze({
    name,
    defaultStore: DEFAULT_STORE[name],
    supports: Object.freeze({
      // Chromium 119+ and Firefox both take partitionKey in getAll.
      partitionKey: true,
      firstPartyDomain: firefox,
      containers: firefox && typeof ns?.contextualIdentities?.query === 'function',
      serviceWorker: !firefox,
    }),
  });
}

/**
 * cookieQuery returns the cookies.getAll details for one domain scope in
 * `storeId` (undefined: the browser's default store), with every partition,
 * and on Firefox every first-party domain.
 */
export function cookieQuery(info, domain, storeId) {
  const q = { domain, partitionKey: {} };
  if (info.supports.firstPartyDomain) q.firstPartyDomain = null;
  if (storeId !== undefined && storeId !== null && storeId !== '') q.storeId = storeId;
  return q;
}

/** allCookiesQuery is the getAll details for the whole default store. */
export function allCookiesQuery(info) {
  const q = {};
  if (info.supports.firstPartyDomain) q.firstPartyDomain = null;
  return q;
}

/**
 * isDefaultStore reports whether a cookie (or change) belongs to the
 * default store: the only one the cookie index holds. A cookie without a
 * storeId (older browsers, fakes) counts as the default store's.
 */
export function isDefaultStore(info, storeId) {
  return storeId === undefined || storeId === null || storeId === '' || storeId === info.defaultStore;
}

/**
 * resolveStore turns a connector's source_store (a container's name as the
 * user sees it, or a store id) into a cookie store id. "" and "default" are
 * the default store. It throws an Error with code "store_not_found" when no
 * container has that name, "store_ambiguous" when several have it, and
 * "store_unsupported" where the browser has no containers.
 */
export async function resolveStore(ns, info, name) {
  const want = String(name ?? '').trim();
  if (want === '' || want.toLowerCase() === 'default' || want === info.defaultStore) return info.defaultStore;
  if (/^firefox-(container-\d+|private)$/.test(want) && info.name === 'firefox') return want;
  if (!info.supports.containers) {
    throw Object.assign(new Error(`source_store ${JSON.stringify(want)}: this browser has no containers`), { code: CODE.store_unsupported });
  }
  let found = [];
  try {
    found = (await ns.contextualIdentities.query({ name: want })) ?? [];
  } catch (err) {
    throw Object.assign(new Error(`source_store ${JSON.stringify(want)}: containers are turned off (${err?.message ?? err})`), { code: CODE.store_not_found });
  }
  const exact = found.filter((c) => c.name === want);
  if (exact.length === 0) {
    throw Object.assign(new Error(`source_store ${JSON.stringify(want)}: no container has that name`), { code: CODE.store_not_found });
  }
  if (exact.length > 1) {
    // Firefox lets two containers share a name; guessing would hand out the wrong account's cookies.
    const ids = exact.map((c) => c.cookieStoreId).join(', ');
    throw Object.assign(new Error(`source_store ${JSON.stringify(want)}: ${exact.length} containers have that name (${ids}); rename one, or name the store id`), { code: CODE.store_ambiguous });
  }
  return exact[0].cookieStoreId;
}

/**
 * normalizeCookie makes a browser's cookie look the same everywhere: it drops
 * Firefox's firstPartyDomain when empty (isolation off) and an empty
 * partitionKey object, and keeps everything else as the browser said.
 */
export function normalizeCookie(c) {
  if (!c || typeof c !== 'object') return c;
  const out = { ...c };
  if (out.firstPartyDomain === '' || out.firstPartyDomain === undefined) delete out.firstPartyDomain;
  if (out.partitionKey && typeof out.partitionKey === 'object' && Object.keys(out.partitionKey).length === 0) delete out.partitionKey;
  if (out.partitionKey && out.partitionKey.topLevelSite === undefined && Object.keys(out.partitionKey).every((k) => out.partitionKey[k] === undefined)) delete out.partitionKey;
  return out;
}
