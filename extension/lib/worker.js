// The service worker's wiring: the native bridge, the host's dispatch table,
// the cookie index and change forwarding, the toolbar badge and the popup
// ports. startWorker takes `chrome` as a parameter so the whole worker runs
// under node --test against a fake.

import { NativeBridge, HOST_NAME } from './bridge.js';
import { RpcError } from './rpc.js';
import { CookieIndex, readScope, readStore, normalizeDomain, cookieMeta, isExpired, cookieKey, domainInScope } from './cookieindex.js';
import { ChangeForwarder, normalizeWatch } from './changes.js';
import { TouchForwarder } from './touched.js';
import { HeldAnswers } from './held.js';
import { StatusStore, badgeFor } from './status.js';
import { CODE, TYPES } from './protocol.js';
import { detect, allCookiesQuery, isDefaultStore, resolveStore } from './browsercompat.js';
import { Grants } from './access.js';

export const POPUP_PORT = 'popup';
export const API_TIMEOUT_MS = 120_000; // verify and repair drive a headless browser

const ACTION_PATH = /^\/v1\/[A-Za-z0-9._~%\/-]*$/;

/** badRequest builds the error a handler throws for a malformed field. */
const badRequest = (message) => new RpcError(CODE.bad_request, message);

/**
 * notGranted is the error of a request for domains the user has not
 * allowed: `detail` lists them (space-separated), `connector` names who
 * asked when the host said.
 */
const notGranted = (missing, connector) => new RpcError(CODE.access_not_granted,
  `${connector ? `connector ${connector}: ` : ''}access to ${missing.join(', ')} is not granted in this browser: allow it in the authbridge popup`,
  { detail: missing.join(' ') });

/**
 * startWorker registers every listener synchronously (as MV3 requires for
 * events that wake the worker) and connects to the host.
 */
export function startWorker({
  chrome,
  hostName = HOST_NAME,
  log = console,
  setTimeout: setT = globalThis.setTimeout,
  clearTimeout: clearT = globalThis.clearTimeout,
  now = Date.now,
  random = Math.random,
  userAgent = globalThis.navigator?.userAgent ?? '',
  languages = globalThis.navigator?.languages ?? [],
  connect = true,
  info = detect(chrome),
  fetch: fetchImpl = (...a) => globalThis.fetch(...a),
}) {
  const status = new StatusStore();
  const popups = new Set();
  let watch = [];
  let primedMs = 0; // how long the last watch.set took to prime the index

  // The browser's permission state: the only source of truth for a grant.
  const grants = new Grants({ permissions: chrome.permissions, onChange: (added, removed) => grantsChanged(added, removed), log });
  /** grantedWatch is the watched connectors whose every domain is granted. */
  const grantedWatch = () => watch.filter((c) => c.domains.every((d) => grants.covers(d)));
  // The hello carries the granted origins: it waits for the first read.
  const grantsReady = grants.load().then(() => updateBadge());
  const grantedDomains = () => [...new Set(grantedWatch().flatMap((c) => c.domains.map(normalizeDomain)))];

  // Priming many scopes reads the store once (readStore) and buckets it.
  const index = new CookieIndex({ read: (d) => readScope(chrome.cookies, d, info), readAll: () => readStore(chrome.cookies, info), now });
  const forwarder = new ChangeForwarder({
    send: (changes) => bridge.notify(TYPES.COOKIES_CHANGED, { changes }),
    setTimeout: setT,
    clearTimeout: clearT,
  });

  // Answers the host may give again until one of their cookies changes.
  const held = new HeldAnswers({ send: (lists) => bridge.notify(TYPES.COOKIES_STALE, { domains: lists }) });

  const touched = new TouchForwarder({
    send: (connectors) => bridge.notify(TYPES.COOKIES_TOUCHED, { connectors }),
    setTimeout: setT,
    clearTimeout: clearT,
  });

  const handlers = {
    async [TYPES.COOKIES_GET](msg) {
      const domains = msg.domains;
      if (!Array.isArray(domains) || domains.length === 0 || domains.some((d) => typeof d !== 'string' || normalizeDomain(d) === '')) {
        throw badRequest('domains must be a non-empty array of domain names');
      }
      if (msg.store !== undefined && typeof msg.store !== 'string') throw badRequest('store must be a string');
      let storeId;
      try {
        storeId = await resolveStore(chrome, info, msg.store);
      } catch (err) {
        throw new RpcError(err.code || CODE.store_not_found, err.message);
      }
      if (msg.if_version !== undefined && typeof msg.if_version !== 'string') throw badRequest('if_version must be a string');
      if (msg.hold !== undefined && typeof msg.hold !== 'boolean') throw badRequest('hold must be a boolean');
      const missing = grants.missing(domains);
      if (missing.length > 0) throw notGranted(missing, typeof msg.connector === 'string' ? msg.connector : '');
      if (isDefaultStore(info, storeId)) {
        await index.primeMany(domains);
        // The version, the cookies and the hold are taken together, with no
        // event in between (the reply is posted before any other task runs):
        // "unchanged" is exactly what a full answer would be, and every
        // later change of these domains sends cookies.stale after the reply.
        const version = index.version(domains);
        const out = { store_id: info.defaultStore };
        if (version !== '' && msg.if_version === version) out.unchanged = true;
        else out.cookies = index.lookup(domains);
        if (version !== '') {
          out.version = version;
          if (msg.hold === true) out.held = held.hold(domains);
        }
        return out;
      }
      // Another store (a Firefox container) is read live: the index holds the default store only.
      const t = now();
      const lists = await Promise.all(domains.map((d) => readScope(chrome.cookies, normalizeDomain(d), info, storeId)));
      return { cookies: lists.flat().filter((c) => !isExpired(c, t)), store_id: storeId };
    },

    async [TYPES.WATCH_SET](msg) {
      let next;
      try {
        next = normalizeWatch(msg.connectors);
      } catch (err) {
        throw badRequest(err.message);
      }
      watch = next;
      // Only granted connectors' cookies are indexed, forwarded or touched.
      forwarder.setWatch(grantedWatch());
      touched.setWatch(grantedWatch());
      const domains = grantedDomains();
      index.retain(domains);
      const t0 = now();
      await index.primeMany(domains);
      primedMs = now() - t0;
      log.info?.(`authbridge: watching ${watch.length} connector(s), ${domains.length} domain(s), ${index.size} cookie(s) indexed in ${primedMs} ms`);
      return { primed_ms: primedMs, indexed: index.size };
    },

    // cookies.meta: metadata (never values) of up to `limit` persistent
    // cookies of the granted sites, for the host to find this profile's
    // cookie store on disk.
    async [TYPES.COOKIES_META](msg) {
      const limit = msg.limit === undefined ? 500 : msg.limit;
      if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw badRequest('limit must be a whole number from 1 to 5000');
      const all = await chrome.cookies.getAll(allCookiesQuery(info));
      const t = now();
      const granted = all.filter((c) => grants.coversHost(c.domain));
      const persistent = granted.filter((c) => !c.session && !isExpired(c, t));
      return { cookies: persistent.slice(0, limit).map(cookieMeta), total: granted.length };
    },

    // cookies.refresh: one credentialed request from this browser to the
    // connector's verify URL (no tab), so the browser renews what only it
    // can (a renewing session, a device-bound cookie), then the fresh
    // cookies of the domains, read live (onChanged may lag the response).
    async [TYPES.COOKIES_REFRESH](msg) {
      let url;
      try {
        url = new URL(msg.url);
      } catch {
        throw badRequest('url must be an absolute URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must be http or https');
      const domains = msg.domains;
      if (!Array.isArray(domains) || domains.length === 0 || domains.some((d) => typeof d !== 'string' || normalizeDomain(d) === '')) {
        throw badRequest('domains must be a non-empty array of domain names');
      }
      if (!domains.some((d) => domainInScope(url.hostname, d))) throw badRequest('url must be inside the domains');
      const missing = grants.missing(domains);
      if (missing.length > 0) throw notGranted(missing, typeof msg.connector === 'string' ? msg.connector : '');
      // redirect: 'manual': a redirect is never followed, so the browser's
      // credentials go to the verify URL only, never to wherever it
      // redirects (another site, an intranet host). A redirect comes back
      // as an opaque response (status 0), answered as redirected.
      let status = 0;
      let redirected = false;
      let error = '';
      try {
        const res = await fetchImpl(url.href, { credentials: 'include', cache: 'no-store', redirect: 'manual' });
        if (res.type === 'opaqueredirect') redirected = true;
        else status = res.status;
        await res.arrayBuffer().catch(() => {});
      } catch (err) {
        error = String(err?.message || err);
      }
      const t = now();
      const lists = await Promise.all(domains.map((d) => readScope(chrome.cookies, normalizeDomain(d), info)));
      // The host must not answer these domains again from an older answer.
      held.releaseOverlapping(domains);
      const seen = new Map();
      for (const c of lists.flat()) if (!isExpired(c, t)) seen.set(cookieKey(c), c);
      const out = { cookies: [...seen.values()], status, store_id: info.defaultStore };
      if (redirected) out.redirected = true;
      if (error) out.fetch_error = error;
      return out;
    },

    async [TYPES.TABS_OPEN](msg) {
      let url;
      try {
        url = new URL(msg.url);
      } catch {
        throw badRequest('url must be an absolute URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must be http or https');
      const tab = await chrome.tabs.create({ url: url.href, active: true });
      return { tab_id: tab.id };
    },

    async ping() {
      return {};
    },

    async [TYPES.STATUS_CHANGED](msg) {
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
    },
  };

  const bridge = new NativeBridge({
    runtime: chrome.runtime,
    hostName,
    handlers,
    helloFields: async () => ({
      ...(await grantsReady, {}),
      extension_id: chrome.runtime.id,
      version: chrome.runtime.getManifest?.().version ?? '',
      user_agent: userAgent,
      accept_language: acceptLanguage(languages),
      browser: info.name,
      origins: grants.origins,
    }),
    onState: () => refresh({ source: 'connection' }),
    onConnected: () => loadStatus(),
    onDisconnected: () => {
      held.drop();
      forwarder.drop();
      touched.drop();
    },
    setTimeout: setT,
    clearTimeout: clearT,
    now,
    random,
    log,
  });

  /** loadStatus asks the host for every row (GET /v1/status) and replaces ours. */
  async function loadStatus() {
    try {
      const res = await bridge.request(TYPES.API, { method: 'GET', path: '/v1/status', body: null }, { timeoutMs: 15_000 });
      if (res?.status >= 200 && res.status < 300 && Array.isArray(res.body?.connectors)) {
        status.replace(res.body.connectors);
        refresh({ source: 'status' });
      }
    } catch (err) {
      log.warn?.(`authbridge: could not load status: ${err.code || ''} ${err.message}`);
    }
  }

  /** snapshot is what the popup renders from. */
  function snapshot(extra = {}) {
    return { type: 'state', connection: bridge.state, rows: status.list(), rows_complete: status.complete, access: accessOf(status.list()), ...extra };
  }

  /** accessOf maps each row's id to granted or not_granted, by the browser's grants. */
  function accessOf(rows) {
    const out = {};
    for (const r of rows) {
      if (!r || typeof r.id !== 'string' || !Array.isArray(r.domains) || r.domains.length === 0) continue;
      out[r.id] = r.domains.every((d) => typeof d === 'string' && grants.covers(d)) ? 'granted' : 'not_granted';
    }
    return out;
  }

  /**
   * grantsChanged follows a grant made or removed anywhere (the popup, the
   * browser's extension settings): on a grant the index is primed and the
   * host told (it binds the profile again); on a removal the domains'
   * cookies leave the index, held answers are released and the host is
   * told, which ends the connector's streams and refuses it from then on.
   */
  async function grantsChanged(added, removed) {
    forwarder.setWatch(grantedWatch());
    touched.setWatch(grantedWatch());
    const domains = grantedDomains();
    index.retain(domains);
    held.releaseUnless((d) => grants.covers(d));
    bridge.notify(TYPES.ACCESS_CHANGED, { origins: grants.origins });
    refresh({ source: 'access' });
    if (added.length > 0) {
      try {
        await index.primeMany(domains);
      } catch (err) {
        log.warn?.(`authbridge: priming after a grant failed: ${err?.message || err}`);
      }
    }
  }

  function updateBadge() {
    const b = badgeFor(status.list(), bridge.state, accessOf(status.list()));
    const action = chrome.action;
    if (!action) return;
    const quiet = (p) => p?.catch?.(() => {});
    quiet(action.setBadgeText({ text: b.text }));
    quiet(action.setBadgeBackgroundColor({ color: b.color }));
    if (action.setBadgeTextColor) quiet(action.setBadgeTextColor({ color: b.textColor }));
    quiet(action.setTitle({ title: b.title }));
  }

  function refresh(extra) {
    updateBadge();
    const msg = snapshot(extra);
    for (const p of popups) {
      try {
        p.postMessage(msg);
      } catch {
        popups.delete(p);
      }
    }
  }

  /** onPopupMessage answers one message from a popup port. */
  async function onPopupMessage(port, msg) {
    if (!msg || typeof msg !== 'object') return;
    const reply = (m) => {
      try {
        port.postMessage(m);
      } catch {
        // the popup closed
      }
    };
    switch (msg.type) {
      case 'api': {
        const { id, method, path, body } = msg;
        if (typeof method !== 'string' || typeof path !== 'string' || !ACTION_PATH.test(path)) {
          reply({ id, type: TYPES.ERROR, error: { code: CODE.bad_request, message: 'api needs a method and a /v1/ path' } });
          return;
        }
        try {
          const result = await bridge.request(TYPES.API, { method, path, body: body ?? null }, { timeoutMs: API_TIMEOUT_MS });
          const row = result?.body?.row;
          let ids = [];
          if (row && typeof row.id === 'string') ids = status.upsert([row]);
          if (method === 'GET' && path === '/v1/status' && Array.isArray(result?.body?.connectors)) {
            status.replace(result.body.connectors);
          }
          reply({ id, type: TYPES.RESULT, result });
          if (ids.length > 0 || path === '/v1/status') refresh({ source: 'api', ids });
        } catch (err) {
          const e = err instanceof RpcError ? err.toWire() : { code: CODE.internal, message: String(err?.message || err) };
          if (e.code === CODE.host_unreachable && !e.detail) e.detail = bridge.state.state;
          reply({ id, type: 'error', error: e });
        }
        return;
      }
      case 'reconnect':
        bridge.reconnectNow();
        return;
      case 'refresh':
        if (bridge.connected) await loadStatus();
        else reply(snapshot({ source: 'refresh' }));
        return;
      default:
        reply({ id: msg.id, type: TYPES.ERROR, error: { code: CODE.unknown_type, message: `unknown popup message ${msg.type}` } });
    }
  }

  chrome.runtime.onConnect.addListener((port) => {
    if (port.name !== POPUP_PORT || port.sender?.id !== chrome.runtime.id) return;
    popups.add(port);
    port.onDisconnect.addListener(() => popups.delete(port));
    port.onMessage.addListener((m) => onPopupMessage(port, m));
    port.postMessage(snapshot({ source: 'open' }));
    // A safety net beside permissions.onAdded / onRemoved: the state is
    // read again whenever the popup opens.
    grants.changed();
    if (bridge.connected) loadStatus();
    else if (bridge.retryTimer !== null && bridge.state.state !== 'connecting') bridge.reconnectNow();
  });

  chrome.cookies.onChanged.addListener((change) => {
    // Nothing of a site the user has not allowed is indexed or forwarded.
    if (!grants.coversHost(change?.cookie?.domain ?? '')) return;
    if (isDefaultStore(info, change?.cookie?.storeId)) {
      index.apply(change);
      // In the same handler as the index: the notice leaves before any
      // answer read from the changed index.
      held.onChanged(change);
    }
    forwarder.onChanged(change);
    if (isDefaultStore(info, change?.cookie?.storeId)) touched.onChanged(change);
  });

  // Listening to these makes Chrome start the worker with the browser, so the
  // bridge is up before anyone opens the popup.
  chrome.runtime.onStartup?.addListener(() => {});
  chrome.runtime.onInstalled?.addListener(() => {});

  grants.listen();
  updateBadge();
  if (connect) bridge.connect();

  return { bridge, index, status, forwarder, handlers, popups, info, grants, get watch() { return watch; } };
}

/**
 * acceptLanguage is the Accept-Language header the browser sends, from
 * navigator.languages ("en-GB,en;q=0.9"): the hello reports it so that a
 * run can present the user's browser's identity. At most 10 languages.
 */
export function acceptLanguage(languages) {
  if (!Array.isArray(languages)) return '';
  const langs = languages.filter((l) => typeof l === 'string' && /^[A-Za-z0-9-]{1,35}$/.test(l)).slice(0, 10);
  return langs.map((l, i) => (i === 0 ? l : `${l};q=${Math.max(0.1, 1 - i * 0.1).toFixed(1)}`)).join(',');
}
