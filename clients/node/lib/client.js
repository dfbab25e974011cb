'use strict';

const http = require('node:http');
const { resolvePaths } = require('./paths');
const { AuthbridgeError, ClientCodes } = require('./errors');
const { deadline, stopped, sleep, request, startAgent } = require('./transport');
const { cookieStream } = require('./stream');

// Default bounds, in milliseconds. verify and repair may drive a headless
// browser, so they get as long as the extension gives the popup's calls.
const DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  actionTimeoutMs: 120_000,
  eventsTimeoutMs: 60_000,
  interactiveWaitMs: 300_000,
  startTimeoutMs: 15_000,
  pollMs: 250,
});

function checkID(id, what) {
  if (typeof id !== 'string' || id === '') {
    throw new AuthbridgeError(`${what}: the connector id must be a non-empty string`, { code: 'bad_request' });
  }
  return encodeURIComponent(id);
}

/** guard turns a synchronous throw of f into a rejection. */
async function guard(f) {
  return f();
}

/**
 * withoutValues keeps of Playwright cookies what the signed-out route reads:
 * name, domain, path, expiry, and whether the value is empty; never a value.
 */
function withoutValues(cookies = []) {
  return cookies.map((c) => ({
    name: String(c.name || ''), domain: String(c.domain || ''), path: String(c.path || '/'),
    expires: typeof c.expires === 'number' ? c.expires : -1, ...(c.value === '' ? { empty: true } : {}),
  }));
}

/**
 * Client calls the authbridge agent's local API over its Unix socket, and
 * starts the agent (`authbridge serve`) when nothing answers, as the CLI does.
 */
class Client {
  /**
   * @param {object} [opts]
   * @param {string} [opts.socket] the API socket (default: AUTHBRIDGE_SOCKET, else from the home)
   * @param {string} [opts.home] AUTHBRIDGE_HOME (default: the environment's, else the OS default)
   * @param {string} [opts.bin] the authbridge executable (default: AUTHBRIDGE_BIN, else `authbridge` on PATH)
   * @param {boolean} [opts.autoStart=true] start the agent when nothing answers
   * @param {object} [opts.env] the environment to read (default: process.env)
   * @param {number} [opts.timeoutMs] default bound of the quick calls
   * @param {number} [opts.startTimeoutMs] bound of starting the agent
   */
  constructor(opts = {}) {
    const env = opts.env || process.env;
    const p = resolvePaths({ env, home: opts.home, socket: opts.socket });
    this.socket = p.socket;
    this.home = p.home;
    this._env = opts.home ? { ...env, AUTHBRIDGE_HOME: p.home } : env;
    this._bin = opts.bin || env.AUTHBRIDGE_BIN || 'authbridge';
    this._autoStart = opts.autoStart !== false;
    this._timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this._startTimeoutMs = opts.startTimeoutMs ?? DEFAULTS.startTimeoutMs;
    this._agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    this._starting = null;
  }

  /** close drops the kept-alive connections. The client stays usable. */
  close() {
    this._agent.destroy();
    this._agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** ping answers {pid, version} of the running agent. */
  ping(opts = {}) {
    return this._call('GET', '/v1/ping', opts);
  }

  /** status answers {agent, bridges, connectors: StatusRow[]}; all: every built-in too. */
  status(opts = {}) {
    return this._call('GET', opts.all ? '/v1/status?all=1' : '/v1/status', opts);
  }

  /** connectors answers {connectors, problems}. */
  connectors(opts = {}) {
    return this._call('GET', '/v1/connectors', opts);
  }

  /**
   * cookies answers the connector's live cookies: a storage state object for
   * format playwright (the default), an array for cdp, a string for
   * netscape, netscape-compat and header (header needs url). When the browser
   * holds none of the connector's auth cookies (signed out), the answer is
   * still the (empty) set, and the object or array has a non-enumerable
   * `notice` field: {code: 'no_auth_cookie', message}; for the string
   * formats opts.onNotice(notice) is called instead.
   */
  cookies(id, opts = {}) {
    return guard(() => {
      const q = new URLSearchParams({ format: opts.format || 'playwright' });
      if (opts.url) q.set('url', opts.url);
      return this._call('GET', `/v1/connectors/${checkID(id, 'cookies')}/cookies?${q}`, opts);
    });
  }

  /**
   * cookieStream follows the connector's cookies: an async iterable of
   * Playwright storage states ({cookies, origins}), the whole set at once
   * and again whenever one of the connector's cookies changes in the user's
   * browser (GET /v1/connectors/{id}/cookies/stream). Iteration ends quietly
   * when opts.signal aborts (or the loop breaks); it rejects with
   * connection_lost when the agent goes away, and with the API's error when
   * the stream cannot start (e.g. browser_not_connected, access_not_granted),
   * and with access_not_granted when the user removes the connector's grant
   * in the browser (the agent ends the stream). opts.onError gets
   * the agent's in-stream errors (the set could not be read; the stream goes
   * on).
   */
  cookieStream(id, opts = {}) {
    return cookieStream(this, `/v1/connectors/${checkID(id, 'cookieStream')}/cookies/stream`, opts);
  }

  /**
   * refresh has the user's browser send one credentialed request to the
   * connector's verify URL (no tab), so it renews what only it can, and
   * answers the fresh cookies: a Playwright storage state with http_status
   * (the browser's answer, 0 when the request failed), fetch_error and url.
   */
  refresh(id, opts = {}) {
    return guard(() => this._call('POST', `/v1/connectors/${checkID(id, 'refresh')}/refresh`, { timeoutMs: 45_000, ...opts }));
  }

  /** verify checks the session now: {result, probe, row}. */
  verify(id, opts = {}) {
    return this._action(id, 'verify', opts);
  }

  /**
   * repair takes the browser's cookies now, verifies and stores them: {result, row, written}.
   * With inConnectorBrowser it signs in inside the connector's own browser instead (the action
   * of session_not_transferable): the agent opens a window on the connector's profile at its
   * login URL and answers once the person signed in there, or after signInTimeoutMs (default
   * 5 min: then `timeout`).
   */
  repair(id, opts = {}) {
    if (!opts.inConnectorBrowser) return this._action(id, 'repair', opts);
    return guard(() => {
      const wait = opts.signInTimeoutMs ?? DEFAULTS.interactiveWaitMs;
      const body = { in_connector_browser: true, timeout_ms: wait };
      if (opts.runId) body.run_id = opts.runId;
      return this._call('POST', `/v1/connectors/${checkID(id, 'repair')}/repair`, {
        timeoutMs: wait + DEFAULTS.actionTimeoutMs, ...opts, body,
      });
    });
  }

  /** clear removes the connector's stored session (never the browser's cookies): {row, cleared}. */
  clear(id, opts = {}) {
    return guard(() => this._call('POST', `/v1/connectors/${checkID(id, 'clear')}/clear`, opts));
  }

  /**
   * interactive opens the connector's login page in the connected browser:
   * {tab_id, login_url, row}. With wait, it resolves once the sign-in there
   * made the connector Healthy (row is then the healthy row), and rejects on
   * timeoutMs (default 5 min) or signal.
   */
  interactive(id, opts = {}) {
    return guard(async () => {
      const path = `/v1/connectors/${checkID(id, 'interactive')}/interactive`;
      const body = opts.runId ? { run_id: opts.runId } : undefined;
      if (!opts.wait) return this._call('POST', path, { ...opts, body });
      return waitInteractive(this, id, path, body, opts);
    });
  }

  /**
   * events sends dogfood events (one object, an array of objects, or JSON
   * lines as a string) and answers {accepted, duplicates} once all are stored.
   */
  events(list, opts = {}) {
    const text = eventLines(list);
    if (text === null) return Promise.reject(new AuthbridgeError('events: give an event object, an array of them or JSON lines', { code: 'bad_request' }));
    return this._call('POST', '/v1/events', {
      timeoutMs: DEFAULTS.eventsTimeoutMs, ...opts, raw: Buffer.from(text, 'utf8'), contentType: 'application/x-ndjson',
    });
  }

  /**
   * signedOut asks the agent why a run's site signed it out, from the cookies
   * its page was sent (Playwright cookies; their values are never sent, only
   * whether each is empty): {result} with the taxonomy reason.
   */
  signedOut(id, opts = {}) {
    return guard(() => {
      const body = { cookies: withoutValues(opts.cookies), ...(opts.runId ? { run_id: opts.runId } : {}) };
      return this._call('POST', `/v1/connectors/${checkID(id, 'signedOut')}/signed-out`, {
        timeoutMs: DEFAULTS.actionTimeoutMs, ...opts, body,
      });
    });
  }

  /** report answers the dogfood report; since is a duration ("24h") or an RFC 3339 time. */
  report(opts = {}) {
    const q = opts.since ? `?${new URLSearchParams({ since: opts.since })}` : '';
    return this._call('GET', `/v1/report${q}`, opts);
  }

  _action(id, name, opts) {
    return guard(() => {
      const body = opts.runId ? { run_id: opts.runId } : undefined;
      return this._call('POST', `/v1/connectors/${checkID(id, name)}/${name}`, {
        timeoutMs: DEFAULTS.actionTimeoutMs, ...opts, body,
      });
    });
  }

  async _call(method, path, opts) {
    const what = `${method} ${path.split('?')[0]}`;
    const dl = deadline(opts.signal, opts.timeoutMs ?? this._timeoutMs);
    try {
      return await request(this, method, path, opts, dl, what);
    } finally {
      dl.done();
    }
  }

  // _ensureAgent runs `authbridge serve`, which starts the agent in the
  // background under the CLI's start lock and returns once it listens.
  // Concurrent calls of one client share one start.
  _ensureAgent() {
    if (!this._starting) {
      this._starting = startAgent(this._bin, this._env, this._startTimeoutMs).finally(() => {
        this._starting = null;
      });
    }
    return this._starting;
  }
}

// eventLines is events' argument as JSON lines: a string as it is, an
// array or one object one line each; null for anything else.
function eventLines(list) {
  if (typeof list === 'string') return list;
  if (Array.isArray(list)) return list.map((e) => JSON.stringify(e)).join('\n') + (list.length ? '\n' : '');
  if (list && typeof list === 'object') return JSON.stringify(list) + '\n';
  return null;
}

// waitInteractive is Client#interactive with wait: it opens the sign-in,
// then polls the status until the connector is Healthy, the agent stops
// waiting, or the deadline fires.
async function waitInteractive(client, id, path, body, opts) {
  const what = `interactive ${id}`;
  const dl = deadline(opts.signal, opts.timeoutMs ?? DEFAULTS.interactiveWaitMs);
  let row;
  try {
    const opened = await request(client, 'POST', path, { body }, dl, what);
    row = opened.row;
    for (;;) {
      if (row && row.health_key === 'healthy' && !row.awaiting_interactive) return { ...opened, row };
      if (row && !row.awaiting_interactive && row !== opened.row) {
        throw new AuthbridgeError(`${what}: the agent stopped waiting for the sign-in and ${id} is not Healthy`, {
          code: ClientCodes.INTERACTIVE_CANCELLED, detail: row.detail, reason: row.reason, prompt: row.prompt,
        });
      }
      await sleep(opts.pollMs ?? DEFAULTS.pollMs, dl.signal);
      if (dl.signal.aborted) throw stopped(dl, what);
      const st = await request(client, 'GET', '/v1/status?all=1', {}, dl, what);
      row = (st.connectors || []).find((r) => r.id === id);
      if (!row) throw new AuthbridgeError(`${what}: connector ${id} is gone`, { code: 'not_found' });
    }
  } catch (err) {
    if (dl.signal.aborted) {
      const e = stopped(dl, what, err);
      e.message = dl.why() === 'timeout' ? `${what}: the sign-in did not complete within ${dl.ms} ms` : e.message;
      if (row && row.reason) e.reason = row.reason;
      if (row && row.prompt) e.prompt = row.prompt;
      throw e;
    }
    throw err;
  } finally {
    dl.done();
  }
}

module.exports = { Client, DEFAULTS };
