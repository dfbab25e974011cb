'use strict';
// Keeps a run's browser context in step with the user's browser: it follows
// the connector's cookie stream (GET /v1/connectors/{id}/cookies/stream)
// and applies each new set to the running context, and it asks authbridge
// to refresh through the user's browser (POST .../refresh) shortly before
// one of the session's cookies expires, so a renewing or short-lived
// session outlives its first copy. Cookie values are never logged.

/** REFRESH_LEAD_MS is how long before a cookie's expiry the refresh is asked. */
const REFRESH_LEAD_MS = 5000;
/** MIN_REFRESH_GAP_MS bounds how often refresh is asked. */
const MIN_REFRESH_GAP_MS = 2000;
/** RETRY_MS is the wait before following the stream again after it broke. */
const RETRY_MS = 1000;
/** MAX_RETRY_MS bounds the wait between tries while the stream keeps failing. */
const MAX_RETRY_MS = 15000;

const keyOf = (c) => `${c.domain}|${c.name}|${c.path || '/'}`;

/** expiryKey names one cookie at one expiry. */
const expiryKey = (c) => `${keyOf(c)}|${c.expires}`;

/**
 * nextExpiry returns the earliest expiry (ms since the epoch) of the
 * cookies that expire (session cookies, expires -1, do not), or Infinity.
 * Cookies whose expiryKey is in skip are left out.
 */
function nextExpiry(cookies, skip = null) {
  let t = Infinity;
  for (const c of cookies) {
    if (skip && skip.has(expiryKey(c))) continue;
    if (typeof c.expires === 'number' && c.expires > 0) t = Math.min(t, c.expires * 1000);
  }
  return t;
}

/**
 * Follower follows one connector for one run.
 *
 * options:
 *   id          the connector id
 *   sessions    the runner's Sessions (stream, refresh)
 *   apply(set)  async: put the cookies into the running context; removed
 *               lists {name, domain, path} gone from the set
 *   log(msg)    the run's log
 *   signal      ends following
 *   now, setTimeout, clearTimeout  (tests)
 */
class Follower {
  constructor(o) {
    this.id = o.id;
    this.sessions = o.sessions;
    this.apply = o.apply;
    this.log = o.log || (() => {});
    this.signal = o.signal;
    this.now = o.now || Date.now;
    this.setTimeout = o.setTimeout || setTimeout;
    this.clearTimeout = o.clearTimeout || clearTimeout;
    this.current = new Map();
    this.timer = null;
    this.lastRefresh = 0;
    // unrenewed holds the cookies (at their expiry) a refresh left as they
    // were: the browser cannot renew them, so asking again would loop.
    this.unrenewed = new Set();
    this.sets = 0;
    this.refreshes = 0;
    this.stopped = false;
    this.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /** start follows the stream until stop (resolves when following ends). */
  async start() {
    let retry = RETRY_MS;
    let lastWhy = '';
    while (!this.stopped) {
      const r = this.sessions.stream(this.id, { signal: this.signal });
      if (!r.ok) {
        this.log(`authbridge cookie stream unavailable (${r.error.code}): the run keeps its cookies`);
        return;
      }
      try {
        for await (const state of r.iterator) {
          if (this.stopped) break;
          retry = RETRY_MS;
          lastWhy = '';
          await this.take(Array.isArray(state?.cookies) ? state.cookies : [], 'stream');
        }
      } catch (err) {
        if (this.stopped) break;
        // The same failure again (a connector authbridge does not know
        // yet, an agent restarting) is said once, and tried less often.
        const why = String(err.code || err.message);
        if (why !== lastWhy) this.log(`authbridge cookie stream broke (${why}): following again`);
        lastWhy = why;
      }
      if (this.stopped) break;
      await new Promise((res) => this.setTimeout(res, retry));
      retry = Math.min(retry * 2, MAX_RETRY_MS);
    }
  }

  /** take applies one set: new and changed cookies, and the removed ones. */
  async take(cookies, via) {
    const next = new Map(cookies.map((c) => [keyOf(c), c]));
    const removed = [];
    for (const [k, c] of this.current) if (!next.has(k)) removed.push({ name: c.name, domain: c.domain, path: c.path || '/' });
    const changed = cookies.filter((c) => {
      const old = this.current.get(keyOf(c));
      return !old || old.value !== c.value || old.expires !== c.expires;
    });
    this.current = next;
    this.sets++;
    if (this.sets > 1 && (via === 'stream' || changed.length || removed.length)) {
      this.log(`authbridge: ${changed.length} cookie(s) changed, ${removed.length} removed in your browser (${via}): applied to the run`);
    }
    if (changed.length || removed.length) await this.apply({ cookies: changed, removed });
    this.schedule();
  }

  /** schedule sets the refresh timer REFRESH_LEAD_MS before the next expiry. */
  schedule() {
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    const at = nextExpiry([...this.current.values()], this.unrenewed);
    if (!Number.isFinite(at)) return;
    const wait = Math.max(at - REFRESH_LEAD_MS - this.now(), this.lastRefresh + MIN_REFRESH_GAP_MS - this.now(), 0);
    this.timer = this.setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, wait);
  }

  /** refresh asks authbridge to refresh through the user's browser. */
  async refresh() {
    if (this.stopped) return;
    this.lastRefresh = this.now();
    this.refreshes++;
    const r = await this.sessions.refresh(this.id);
    if (this.stopped) return;
    if (!r.ok) {
      this.log(`authbridge refresh failed (${r.error.code}): the session may expire`);
      this.schedule();
      return;
    }
    const due = [...this.current.values()].filter((c) => c.expires > 0 && c.expires * 1000 - REFRESH_LEAD_MS <= this.now());
    await this.take(r.cookies, 'refresh');
    const kept = due.filter((c) => {
      const now = this.current.get(keyOf(c));
      return now && now.expires === c.expires;
    });
    if (kept.length) {
      for (const c of kept) this.unrenewed.add(expiryKey(c));
      this.log(`authbridge refresh did not renew ${kept.map((c) => c.name).join(', ')}: the run keeps them until they expire`);
      this.schedule();
    }
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
  }
}

module.exports = { Follower, nextExpiry, REFRESH_LEAD_MS, MIN_REFRESH_GAP_MS };
