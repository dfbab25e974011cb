// The service worker's wiring: the native bridge, the host's dispatch table
// (handlers.js), the cookie index and change forwarding, the toolbar badge
// and the popup ports (popupport.js). startWorker takes `chrome` as a
// parameter so the whole worker runs under node --test against a fake.

import { NativeBridge, HOST_NAME } from './bridge.js';
import { CookieIndex, readScope, readStore } from './cookieindex.js';
import { ChangeForwarder } from './changes.js';
import { TouchForwarder } from './touched.js';
import { HeldAnswers } from './held.js';
import { StatusStore, badgeFor } from './status.js';
import { TYPES } from './protocol.js';
import { detect, isDefaultStore } from './browsercompat.js';
import { Grants } from './access.js';
import { WatchSet } from './watchset.js';
import { makeHandlers } from './handlers.js';
import { POPUP_PORT, API_TIMEOUT_MS, makePopupHandlers, onPopupMessage } from './popupport.js';

export { POPUP_PORT, API_TIMEOUT_MS };

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

  // The browser's permission state: the only source of truth for a grant.
  const grants = new Grants({ permissions: chrome.permissions, onChange: (added, removed) => grantsChanged(added, removed), log });
  // The hello carries the granted origins: it waits for the first read.
  const grantsReady = grants.load().then(() => updateBadge());

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
  const watch = new WatchSet({ grants, forwarder, touched, index });

  const handlers = makeHandlers({ chrome, info, now, fetch: fetchImpl, grants, index, held, watch, status, refresh, log });

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

  const popupHandlers = makePopupHandlers({ bridge, status, refresh, snapshot, loadStatus });

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
    const rows = status.list();
    return { type: 'state', connection: bridge.state, rows, rows_complete: status.complete, access: accessOf(grants, rows), ...extra };
  }

  /**
   * grantsChanged follows a grant made or removed anywhere (the popup, the
   * browser's extension settings): on a grant the index is primed and the
   * host told (it binds the profile again); on a removal the domains'
   * cookies leave the index, held answers are released and the host is
   * told, which ends the connector's streams and refuses it from then on.
   */
  async function grantsChanged(added) {
    const domains = watch.sync();
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
    const rows = status.list();
    setBadge(chrome.action, badgeFor(rows, bridge.state, accessOf(grants, rows)));
  }

  /** refresh updates the badge and sends every open popup the state. */
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

  chrome.runtime.onConnect.addListener((port) => {
    if (port.name !== POPUP_PORT || port.sender?.id !== chrome.runtime.id) return;
    popups.add(port);
    port.onDisconnect.addListener(() => popups.delete(port));
    port.onMessage.addListener((m) => onPopupMessage(popupHandlers, port, m));
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
    const inDefault = isDefaultStore(info, change?.cookie?.storeId);
    if (inDefault) {
      index.apply(change);
      // In the same handler as the index: the notice leaves before any
      // answer read from the changed index.
      held.onChanged(change);
    }
    forwarder.onChanged(change);
    if (inDefault) touched.onChanged(change);
  });

  // Listening to these makes Chrome start the worker with the browser, so the
  // bridge is up before anyone opens the popup.
  chrome.runtime.onStartup?.addListener(() => {});
  chrome.runtime.onInstalled?.addListener(() => {});

  grants.listen();
  updateBadge();
  if (connect) bridge.connect();

  return { bridge, index, status, forwarder, handlers, popups, info, grants, get watch() { return watch.list; } };
}

/** accessOf maps each row's id to granted or not_granted, by the browser's grants. */
export function accessOf(grants, rows) {
  const out = {};
  for (const r of rows) {
    if (!r || typeof r.id !== 'string' || !Array.isArray(r.domains) || r.domains.length === 0) continue;
    out[r.id] = r.domains.every((d) => typeof d === 'string' && grants.covers(d)) ? 'granted' : 'not_granted';
  }
  return out;
}

/** setBadge shows badge b ({text, color, textColor, title}) on the toolbar action, when there is one. */
export function setBadge(action, b) {
  if (!action) return;
  const quiet = (p) => p?.catch?.(() => {});
  quiet(action.setBadgeText({ text: b.text }));
  quiet(action.setBadgeBackgroundColor({ color: b.color }));
  if (action.setBadgeTextColor) quiet(action.setBadgeTextColor({ color: b.textColor }));
  quiet(action.setTitle({ title: b.title }));
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
