// The native-messaging contract as the extension sees it (PROTOCOL.md): the
// message types and the error codes with the HTTP status the host answers
// each with. host/apitype holds the same tables; its TestExtensionProtocol
// reads this file and fails when the two disagree.

/** Message types. */
export const TYPES = Object.freeze({
  BRIDGE_HELLO: 'bridge.hello',
  HELLO: 'hello',
  API: 'api',
  COOKIES_CHANGED: 'cookies.changed',
  COOKIES_GET: 'cookies.get',
  COOKIES_META: 'cookies.meta',
  WATCH_SET: 'watch.set',
  TABS_OPEN: 'tabs.open',
  STATUS_CHANGED: 'status.changed',
  PING: 'ping',
  RESULT: 'result',
  ERROR: 'error',
  CHUNK: 'chunk',
  COOKIES_TOUCHED: 'cookies.touched',
  COOKIES_REFRESH: 'cookies.refresh',
  COOKIES_STALE: 'cookies.stale',
  ACCESS_CHANGED: 'access.changed',
});

/** Error codes and their HTTP statuses. */
export const CODES = Object.freeze({
  bad_request: 400,
  unknown_type: 400,
  not_found: 404,
  internal: 500,
  timeout: 504,
  frame_too_large: 413,
  origin_not_allowed: 403,
  browser_not_connected: 503,
  host_unreachable: 503,
  busy: 409,
  forbidden: 403,
  store_not_found: 404,
  store_ambiguous: 409,
  store_unsupported: 400,
  agent_unavailable: 503,
  access_not_granted: 403,
});

/** CODE names each error code, so code is written as CODE.bad_request. */
export const CODE = Object.freeze(Object.fromEntries(Object.keys(CODES).map((k) => [k, k])));
