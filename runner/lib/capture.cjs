'use strict';
// Network capture (the page API's captureNetwork and getCapturedResponse)
// and the Node-side fetch (httpFetch) that carries the browser session's
// cookies.

const { cookieHeader } = require('./cookiejar.cjs');

const DEFAULT_FETCH_TIMEOUT_MS = 30000;

/** patternTest: a capture pattern matches as a substring, or as a regular expression. */
function patternTest(pattern, text) {
  if (!pattern) return true;
  if (text.includes(pattern)) return true;
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return false;
  }
}

/**
 * Captures holds a run's capture configurations by key and the last response
 * each one matched. A response matches when its URL matches urlPattern and
 * its body bodyPattern (patternTest); a JSON body is kept parsed.
 */
class Captures {
  /**
   * @param {object} o
   * @param {function} o.onHit called with (key, url) when a capture matched
   * @param {function} [o.ended] true once the run has ended: no more hits
   */
  constructor({ onHit, ended = () => false }) {
    this.map = new Map(); // key -> {config, hit}
    this.onHit = onHit;
    this.ended = ended;
  }

  /** add starts (or restarts) the capture config.key; it throws when the key is missing. */
  add(config = {}) {
    if (!config || typeof config.key !== 'string' || !config.key) throw new Error('captureNetwork: key is required');
    this.map.set(config.key, { config: { urlPattern: config.urlPattern || '', bodyPattern: config.bodyPattern || '' }, hit: null });
  }

  /** get is the capture's hit ({url, data, timestamp}), or null. */
  get(key) {
    const c = this.map.get(key);
    return c && c.hit ? c.hit : null;
  }

  has(key) {
    return this.get(key) !== null;
  }

  clear() {
    this.map.clear();
  }

  /** onResponse checks one Playwright response against every capture. */
  async onResponse(res) {
    if (this.map.size === 0 || this.ended()) return;
    const url = res.url();
    for (const [key, c] of this.map) {
      if (!patternTest(c.config.urlPattern, url)) continue;
      let text;
      try {
        text = await res.text();
      } catch {
        continue; // redirects and aborted requests have no body
      }
      if (c.config.bodyPattern && !patternTest(c.config.bodyPattern, text)) continue;
      let data = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      if (!this.map.has(key) || this.ended()) continue;
      c.hit = { url, data, timestamp: Date.now() };
      this.onHit(key, url);
    }
  }
}

/**
 * httpFetch makes a request from Node with the cookies of jar (Playwright
 * cookies) that a browser would send to url, unless the caller gives its own
 * Cookie header. A failed request is {ok: false, status: 0, error}.
 */
async function httpFetch(jar, url, options = {}, signal = null) {
  const headers = { ...(options.headers || {}) };
  const hasCookie = Object.keys(headers).some((h) => h.toLowerCase() === 'cookie');
  const cookie = cookieHeader(jar, url);
  if (cookie && !hasCookie) headers.cookie = cookie;
  try {
    const timeout = AbortSignal.timeout(options.timeout || DEFAULT_FETCH_TIMEOUT_MS);
    const res = await fetch(url, {
      method: options.method || 'GET',
      headers,
      body: options.body,
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    const h = {};
    res.headers.forEach((v, k) => { h[k] = v; });
    return { ok: res.ok, status: res.status, headers: h, text, json, error: null };
  } catch (err) {
    return { ok: false, status: 0, headers: {}, text: '', json: null, error: err.message };
  }
}

module.exports = { Captures, patternTest, httpFetch };
