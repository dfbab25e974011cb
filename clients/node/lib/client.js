'use strict';

const http = require('node:http');
const { spawn } = require('node:child_process');
const { resolvePaths } = require('./paths');
const { AuthbridgeError, ClientCodes, apiError } = require('./errors');

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

// deadline joins the caller's signal and a timer into one signal, and
// remembers which of them fired.
function deadline(signal, ms) {
  const ctl = new AbortController();
  let why = '';
  const onAbort = () => {
    if (!why) why = 'aborted';
    ctl.abort(signal.reason);
  };
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  let timer;
  if (Number.isFinite(ms) && ms > 0 && !ctl.signal.aborted) {
    timer = setTimeout(() => {
      if (!why) why = 'timeout';
      ctl.abort(new Error('timeout'));
    }, ms);
  }
  return {
    signal: ctl.signal,
    ms,
    why: () => why,
    done() {
      clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onAbort);
    },
  };
}

function stopped(dl, what, cause) {
  if (dl.why() === 'timeout') {
    return new AuthbridgeError(`${what}: no answer within ${dl.ms} ms`, { code: ClientCodes.TIMEOUT, cause });
  }
  return new AuthbridgeError(`${what}: aborted`, { code: ClientCodes.ABORTED, cause: dl.signal.reason ?? cause });
}

// sleep waits ms, or until signal aborts (then it resolves early; the caller
// looks at the signal).
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// raceSignal settles with p, or rejects as soon as signal aborts.
function raceSignal(p, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const isDown = (err) => err && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED');
const isReset = (err) => err && (err.code === 'ECONNRESET' || err.code === 'EPIPE');

function checkID(id, what) {
  if (typeof id !== 'string' || id === '') {
    throw new AuthbridgeError(`${what}: the connector id must be a non-empty string`, { code: 'bad_request' });
  }
  return encodeURIComponent(id);
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
    return this._guard(() => {
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
    return this._guard(() => this._call('POST', `/v1/connectors/${checkID(id, 'refresh')}/refresh`, { timeoutMs: 45_000, ...opts }));
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
    return this._guard(() => {
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
    return this._guard(() => this._call('POST', `/v1/connectors/${checkID(id, 'clear')}/clear`, opts));
  }

  /**
   * interactive opens the connector's login page in the connected browser:
   * {tab_id, login_url, row}. With wait, it resolves once the sign-in there
   * made the connector Healthy (row is then the healthy row), and rejects on
   * timeoutMs (default 5 min) or signal.
   */
  interactive(id, opts = {}) {
    return this._guard(async () => {
      const path = `/v1/connectors/${checkID(id, 'interactive')}/interactive`;
      const body = opts.runId ? { run_id: opts.runId } : undefined;
      if (!opts.wait) return this._call('POST', path, { ...opts, body });
      const what = `interactive ${id}`;
      const dl = deadline(opts.signal, opts.timeoutMs ?? DEFAULTS.interactiveWaitMs);
      let row;
      try {
        const opened = await this._request('POST', path, { body }, dl, what);
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
          const st = await this._request('GET', '/v1/status?all=1', {}, dl, what);
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
    });
  }

  /**
   * events sends dogfood events (one object, an array of objects, or JSON
   * lines as a string) and answers {accepted, duplicates} once all are stored.
   */
  events(list, opts = {}) {
    let text;
    if (typeof list === 'string') text = list;
    else if (Array.isArray(list)) text = list.map((e) => JSON.stringify(e)).join('\n') + (list.length ? '\n' : '');
    else if (list && typeof list === 'object') text = JSON.stringify(list) + '\n';
    else return Promise.reject(new AuthbridgeError('events: give an event object, an array of them or JSON lines', { code: 'bad_request' }));
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
    return this._guard(() => {
      const cookies = (opts.cookies || []).map((c) => ({
        name: String(c.name || ''), domain: String(c.domain || ''), path: String(c.path || '/'),
        expires: typeof c.expires === 'number' ? c.expires : -1, ...(c.value === '' ? { empty: true } : {}),
      }));
      const body = { cookies, ...(opts.runId ? { run_id: opts.runId } : {}) };
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
    return this._guard(() => {
      const body = opts.runId ? { run_id: opts.runId } : undefined;
      return this._call('POST', `/v1/connectors/${checkID(id, name)}/${name}`, {
        timeoutMs: DEFAULTS.actionTimeoutMs, ...opts, body,
      });
    });
  }

  // _guard turns a synchronous throw into a rejection.
  async _guard(f) {
    return f();
  }

  async _call(method, path, opts) {
    const what = `${method} ${path.split('?')[0]}`;
    const dl = deadline(opts.signal, opts.timeoutMs ?? this._timeoutMs);
    try {
      return await this._request(method, path, opts, dl, what);
    } finally {
      dl.done();
    }
  }

  async _request(method, path, opts, dl, what) {
    let data = opts.raw;
    let contentType = opts.contentType;
    if (!data && opts.body !== undefined) {
      data = Buffer.from(JSON.stringify(opts.body), 'utf8');
      contentType = 'application/json';
    }
    let started = false;
    let retried = false;
    let res;
    for (;;) {
      if (dl.signal.aborted) throw stopped(dl, what);
      try {
        res = await this._send(method, path, data, contentType, dl.signal);
        break;
      } catch (err) {
        if (dl.signal.aborted) throw stopped(dl, what, err);
        if (isDown(err)) {
          if (!this._autoStart || started) {
            throw new AuthbridgeError(`${what}: the authbridge agent does not answer on ${this.socket}`, {
              code: ClientCodes.AGENT_UNREACHABLE, detail: 'not_running', cause: err,
            });
          }
          started = true;
          try {
            await raceSignal(this._ensureAgent(), dl.signal);
          } catch (serr) {
            if (dl.signal.aborted) throw stopped(dl, what, serr);
            throw serr;
          }
          continue;
        }
        // A kept-alive connection the agent had closed, or an agent killed
        // with connections in its backlog: safe to send again when nothing
        // was processed (a reused socket) or the request only reads.
        if (isReset(err) && !retried && (method === 'GET' || err.reusedSocket)) {
          retried = true;
          continue;
        }
        if (isReset(err)) {
          throw new AuthbridgeError(`${what}: the connection to the agent broke before its answer`, {
            code: ClientCodes.CONNECTION_LOST, detail: err.code, cause: err,
          });
        }
        throw new AuthbridgeError(`${what}: cannot reach the agent on ${this.socket}: ${err.message}`, {
          code: ClientCodes.AGENT_UNREACHABLE, detail: err.code || 'unreachable', cause: err,
        });
      }
    }
    if (res.status >= 400) throw apiError(res.status, res.body, what);
    if (/json/i.test(res.type)) {
      let v;
      try {
        v = JSON.parse(res.body.toString('utf8'));
      } catch (err) {
        throw new AuthbridgeError(`${what}: the agent's answer is not JSON`, { code: ClientCodes.BAD_ANSWER, status: res.status, cause: err });
      }
      // A correct answer that is probably not what was hoped for (no auth
      // cookie in the browser) says why in a field, not an exception. It is
      // not enumerable, so JSON.stringify and Playwright see the answer as is.
      if (res.notice && v && typeof v === 'object') Object.defineProperty(v, 'notice', { value: res.notice, enumerable: false });
      return v;
    }
    if (opts.onNotice && res.notice) opts.onNotice(res.notice);
    return res.body.toString('utf8');
  }

  _send(method, path, data, contentType, signal) {
    return new Promise((resolve, reject) => {
      const headers = { Host: 'authbridge' };
      if (data) {
        headers['Content-Type'] = contentType;
        headers['Content-Length'] = data.length;
      }
      const req = http.request({ socketPath: this.socket, method, path, headers, agent: this._agent, signal }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({
          status: res.statusCode, type: res.headers['content-type'] || '', body: Buffer.concat(chunks),
          notice: res.headers['authbridge-notice'] ? { code: res.headers['authbridge-notice-code'] || '', message: res.headers['authbridge-notice'] } : null,
        }));
        res.on('error', (err) => reject(err));
        res.on('aborted', () => reject(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' })));
      });
      req.on('error', (err) => {
        err.reusedSocket = req.reusedSocket;
        reject(err);
      });
      req.end(data);
    });
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

function startAgent(bin, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true });
    } catch (err) {
      reject(startError(bin, err));
      return;
    }
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => {
      if (stderr.length < 4096) stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    let failed = null;
    child.on('error', (err) => {
      failed = err;
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (failed) return reject(startError(bin, failed));
      if (code === 0) return resolve();
      const why = sig ? `did not start within ${timeoutMs} ms` : `exited with status ${code}`;
      const said = stderr.trim().split('\n').pop();
      reject(new AuthbridgeError(`\`${bin} serve\` ${why}${said ? `: ${said}` : ''}`, {
        code: ClientCodes.AGENT_UNREACHABLE, detail: 'start_failed',
      }));
    });
  });
}

function startError(bin, err) {
  if (err.code === 'ENOENT') {
    return new AuthbridgeError(`cannot start the agent: ${bin} was not found (set AUTHBRIDGE_BIN or the bin option, or put authbridge on PATH)`, {
      code: ClientCodes.AGENT_UNREACHABLE, detail: 'binary_not_found', cause: err,
    });
  }
  return new AuthbridgeError(`cannot start the agent with ${bin}: ${err.message}`, {
    code: ClientCodes.AGENT_UNREACHABLE, detail: 'start_failed', cause: err,
  });
}

// cookieStream is Client#cookieStream: one dedicated connection (not the
// kept-alive pool), read as server-sent events.
async function* cookieStream(client, path, opts) {
  const signal = opts.signal;
  const what = `GET ${path}`;
  if (signal && signal.aborted) return;
  try {
    await client._call('GET', '/v1/ping', { signal }); // starts the agent when needed
  } catch (err) {
    if (signal && signal.aborted) return;
    throw err;
  }
  let res;
  try {
    res = await new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: client.socket, method: 'GET', path, signal, agent: false,
        headers: { Host: 'authbridge', Accept: 'text/event-stream' },
      }, resolve);
      req.on('error', reject);
      req.end();
    });
  } catch (err) {
    if (signal && signal.aborted) return;
    throw new AuthbridgeError(`${what}: cannot reach the agent on ${client.socket}: ${err.message}`, {
      code: ClientCodes.AGENT_UNREACHABLE, detail: err.code || 'unreachable', cause: err,
    });
  }
  try {
    if (res.statusCode >= 400) {
      const chunks = [];
      for await (const c of res) chunks.push(c);
      throw apiError(res.statusCode, Buffer.concat(chunks), what);
    }
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const c = line.indexOf(':');
            const field = c < 0 ? line : line.slice(0, c);
            const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          const body = JSON.parse(data.join('\n'));
          if (event === 'cookies') yield body;
          else if (event === 'error' && body && body.code === 'access_not_granted') {
            // The grant was removed in the browser: the agent ends the
            // stream, and so does the iteration, with that error.
            throw apiError(403, Buffer.from(JSON.stringify({ error: body })), what);
          } else if (event === 'error' && typeof opts.onError === 'function') opts.onError(apiError(500, Buffer.from(JSON.stringify({ error: body })), what));
        }
      }
    } catch (err) {
      if (signal && signal.aborted) return;
      if (err instanceof AuthbridgeError) throw err;
      throw new AuthbridgeError(`${what}: the stream broke: ${err.message}`, { code: ClientCodes.CONNECTION_LOST, cause: err });
    }
    if (signal && signal.aborted) return;
    throw new AuthbridgeError(`${what}: the agent closed the stream`, { code: ClientCodes.CONNECTION_LOST });
  } finally {
    res.destroy();
  }
}

module.exports = { Client, DEFAULTS };
