'use strict';
// Every call the runner makes to authbridge goes through this module (the
// authbridge-client package, clients/node). It never throws: each method
// answers {ok: true, ...} or {ok: false, error} where error is
// {code, reason, detail, prompt, message} (no cookie value ever).

let clientModule = null;
let clientLoadError = null;
try {
  clientModule = require('authbridge-client');
} catch (err) {
  clientLoadError = err;
}

/** normalize turns anything thrown into the runner's error shape. */
function normalize(err) {
  if (!err || typeof err !== 'object') return { code: 'internal', message: String(err) };
  const out = { code: err.code || 'internal', message: err.message || String(err) };
  if (err.reason) out.reason = err.reason;
  if (err.detail) out.detail = err.detail;
  if (err.prompt) out.prompt = err.prompt;
  if (err.status) out.status = err.status;
  return out;
}

/** Sessions is the runner's view of authbridge. */
class Sessions {
  /**
   * @param {object} o
   * @param {boolean} [o.enabled] false: authbridge is not asked (AUTHBRIDGE_RUNNER_SESSIONS=off)
   * @param {object} [o.client] a client with authbridge-client's methods (tests)
   */
  constructor(o = {}) {
    this.enabled = o.enabled !== false;
    this.client = o.client || null;
  }

  _client() {
    if (!this.enabled) {
      const e = new Error('authbridge is switched off for this runner (AUTHBRIDGE_RUNNER_SESSIONS=off)');
      e.code = 'disabled';
      throw e;
    }
    if (this.client) return this.client;
    if (!clientModule) {
      const e = new Error(`authbridge-client is not installed: ${clientLoadError && clientLoadError.message}`);
      e.code = 'client_missing';
      throw e;
    }
    this.client = new clientModule.Client();
    return this.client;
  }

  async _call(fn) {
    try {
      return { ok: true, value: await fn(this._client()) };
    } catch (err) {
      return { ok: false, error: normalize(err) };
    }
  }

  /** cookies: the connector's cookies as a Playwright storage state. */
  async cookies(id) {
    const r = await this._call((c) => c.cookies(id, { format: 'playwright' }));
    if (r.ok) r.cookies = (r.value && Array.isArray(r.value.cookies)) ? r.value.cookies : [];
    delete r.value;
    return r;
  }

  /** repair from the user's browser session; healthy says whether it worked. */
  async repair(id, runId) {
    const r = await this._call((c) => c.repair(id, { runId }));
    return withHealth(r);
  }

  /** status: the agent's status; bridges lists the connected browsers. */
  async status() {
    const r = await this._call((c) => c.status());
    if (r.ok) r.bridges = (r.value && Array.isArray(r.value.bridges)) ? r.value.bridges : [];
    delete r.value;
    return r;
  }

  /** verify the connector's session. */
  async verify(id, runId) {
    const r = await this._call((c) => c.verify(id, { runId }));
    return withHealth(r);
  }

  /**
   * interactive opens the login page in the user's browser and waits until
   * the row is Healthy (or the signal aborts, or timeoutMs passes).
   */
  async interactive(id, runId, { signal, timeoutMs } = {}) {
    return this._call((c) => c.interactive(id, { runId, wait: true, timeoutMs, signal }));
  }

  /** openInteractive opens the login page without waiting. */
  async openInteractive(id, runId) {
    return this._call((c) => c.interactive(id, { runId, wait: false }));
  }

  /**
   * stream follows the connector's cookies: {ok, iterator} where iterator
   * yields Playwright storage states (the client's cookieStream).
   */
  stream(id, { signal } = {}) {
    try {
      const c = this._client();
      if (typeof c.cookieStream !== 'function') {
        return { ok: false, error: { code: 'unsupported', message: 'this authbridge-client has no cookieStream' } };
      }
      return { ok: true, iterator: c.cookieStream(id, { signal }) };
    } catch (err) {
      return { ok: false, error: normalize(err) };
    }
  }

  /** refresh asks the user's browser to renew the session and answers its fresh cookies. */
  async refresh(id) {
    const r = await this._call((c) => c.refresh(id));
    if (r.ok) {
      r.cookies = (r.value && Array.isArray(r.value.cookies)) ? r.value.cookies : [];
      r.httpStatus = r.value && r.value.http_status;
    }
    delete r.value;
    return r;
  }

  /**
   * signedOut asks authbridge why the run's site signed it out, from the
   * cookies its page was sent (the client sends no value): {ok, reason,
   * detail} with the host's taxonomy reason.
   */
  async signedOut(id, runId, cookies) {
    const r = await this._call((c) => {
      if (typeof c.signedOut !== 'function') {
        throw Object.assign(new Error('this authbridge-client cannot ask why a run was signed out'), { code: 'unsupported' });
      }
      return c.signedOut(id, { runId, cookies });
    });
    if (r.ok) {
      const res = (r.value && r.value.result) || {};
      r.reason = res.code || '';
      r.detail = res.detail || '';
    }
    delete r.value;
    return r;
  }

  /** events records dogfood events (the app's run id, verbatim). */
  async events(list) {
    return this._call((c) => c.events(list));
  }
}

function withHealth(r) {
  if (r.ok) {
    const v = r.value || {};
    const res = v.result || {};
    const row = v.row || {};
    r.healthy = res.health === 'Healthy' || (!res.health && row.health === 'Healthy');
    r.reason = res.code || row.reason || '';
    r.detail = res.detail || row.detail || '';
    r.prompt = res.prompt || row.prompt || null;
    r.row = row;
  }
  delete r.value;
  return r;
}

module.exports = { Sessions, normalize };
