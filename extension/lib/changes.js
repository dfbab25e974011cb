// Forwarding of cookie changes to the host (`cookies.changed`): only changes
// of a watched connector's auth cookies inside its domains, coalesced over a
// short window so a burst of Set-Cookie headers (a sign-in sets several)
// becomes one message. Values never leave this module: changes carry
// CookieMeta only.

import { isAuthCookie } from './authcookie.js';
import { cookieMeta } from './cookieindex.js';

export const COALESCE_MS = 50;
/** Most changes sent in one message; a longer burst is split. */
export const MAX_CHANGES_PER_MESSAGE = 500;

/**
 * normalizeWatch validates watch.set's `connectors` and returns
 * [{id, domains, auth_cookies}], or throws a TypeError naming the field.
 */
export function normalizeWatch(connectors) {
  if (!Array.isArray(connectors)) throw new TypeError('connectors must be an array');
  return connectors.map((c, i) => {
    if (!c || typeof c !== 'object') throw new TypeError(`connectors[${i}] must be an object`);
    if (typeof c.id !== 'string' || c.id === '') throw new TypeError(`connectors[${i}].id must be a non-empty string`);
    if (!Array.isArray(c.domains) || c.domains.some((d) => typeof d !== 'string' || d.trim() === '')) {
      throw new TypeError(`connectors[${i}].domains must be an array of domains`);
    }
    const auth = c.auth_cookies ?? [];
    if (!Array.isArray(auth) || auth.some((n) => typeof n !== 'string')) {
      throw new TypeError(`connectors[${i}].auth_cookies must be an array of names`);
    }
    return { id: c.id, domains: [...c.domains], auth_cookies: [...auth] };
  });
}

/**
 * matchConnectors returns the ids of the watched connectors for which this
 * cookie is an auth cookie (isAuthCookie).
 */
export function matchConnectors(watch, cookie) {
  return watch.filter((c) => isAuthCookie(c, cookie)).map((c) => c.id);
}

/**
 * Coalescer is what the change forwarders share: the watched connectors and
 * one timer that flushes COALESCE_MS (windowMs) after the first change of a
 * burst. A subclass collects in onChanged, calls schedule(), and sends in
 * flush().
 */
export class Coalescer {
  constructor({ setTimeout: setT = globalThis.setTimeout, clearTimeout: clearT = globalThis.clearTimeout, windowMs = COALESCE_MS }) {
    // Wrapped: a native timer called as a method of another object throws "Illegal invocation".
    this.setTimeout = (fn, ms) => setT(fn, ms);
    this.clearTimeout = (id) => clearT(id);
    this.windowMs = windowMs;
    this.watch = [];
    this.timer = null;
  }

  setWatch(watch) {
    this.watch = watch;
  }

  /** schedule starts the window at the first change of a burst. */
  schedule() {
    if (this.timer === null) this.timer = this.setTimeout(() => this.flush(), this.windowMs);
  }

  /** stopTimer cancels a pending flush. */
  stopTimer() {
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * ChangeForwarder collects matching onChanged events and flushes them as one
 * `cookies.changed` notification COALESCE_MS after the first of a burst.
 *
 * options: send(changes) posts the notification; setTimeout/clearTimeout.
 */
export class ChangeForwarder extends Coalescer {
  constructor(options) {
    super(options);
    this.send = options.send;
    this.queue = [];
  }

  /** onChanged takes a chrome.cookies.onChanged event. */
  onChanged(change) {
    const c = change?.cookie;
    if (!c) return;
    const ids = matchConnectors(this.watch, c);
    if (ids.length === 0) return;
    this.queue.push({ removed: !!change.removed, cause: change.cause, cookie: cookieMeta(c), connectors: ids });
    this.schedule();
  }

  flush() {
    this.stopTimer();
    while (this.queue.length > 0) {
      this.send(this.queue.splice(0, MAX_CHANGES_PER_MESSAGE));
    }
  }

  /** drop discards queued changes (the port closed). */
  drop() {
    this.stopTimer();
    this.queue = [];
  }
}
