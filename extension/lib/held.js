// Held answers (PROTOCOL.md, cookies.get `hold` and cookies.stale): the
// host may answer a connector's cookies again from its last answer, without
// asking, until the extension tells it one of that answer's cookies
// changed. The notice is sent at once, from the cookies.onChanged handler
// that also updates the index, so it travels ahead of every later answer on
// the native port. Only domain lists travel, never cookie names or values.

import { domainInScope, normalizeDomain } from './cookieindex.js';

/** MAX_HELD bounds the domain lists held at once (one per connector in use). */
export const MAX_HELD = 2048;

/**
 * HeldAnswers remembers the domain lists of held answers.
 *
 * options: send(lists) posts one cookies.stale notification.
 */
export class HeldAnswers {
  constructor({ send }) {
    this.send = send;
    /** JSON of the domain list as the host sent it -> {domains, scopes} */
    this.lists = new Map();
  }

  /**
   * hold records that the host holds an answer for `domains` and returns
   * true. Past MAX_HELD lists, every held answer is released first (one
   * notice naming them all), so the host never keeps one the extension
   * forgot.
   */
  hold(domains) {
    const key = JSON.stringify(domains);
    if (!this.lists.has(key) && this.lists.size >= MAX_HELD) this.release([...this.lists.keys()]);
    this.lists.set(key, { domains: [...domains], scopes: domains.map(normalizeDomain) });
    return true;
  }

  /** onChanged takes a chrome.cookies.onChanged event of the default store. */
  onChanged(change) {
    const d = change?.cookie?.domain;
    if (typeof d !== 'string' || this.lists.size === 0) return;
    const hit = [];
    for (const [key, e] of this.lists) if (e.scopes.some((s) => domainInScope(d, s))) hit.push(key);
    if (hit.length > 0) this.release(hit);
  }

  /**
   * releaseOverlapping releases the held answers whose domains overlap
   * `domains` (one inside the other): cookies.refresh calls it, since the
   * cookies its fetch renewed may reach onChanged after its own answer.
   */
  releaseOverlapping(domains) {
    const ds = domains.map(normalizeDomain);
    const hit = [];
    for (const [key, e] of this.lists) {
      if (e.scopes.some((s) => ds.some((d) => domainInScope(d, s) || domainInScope(s, d)))) hit.push(key);
    }
    if (hit.length > 0) this.release(hit);
  }

  /**
   * releaseUnless releases the held answers of which some domain no longer
   * passes `granted` (a grant was removed): the host must ask again, and is
   * then refused.
   */
  releaseUnless(granted) {
    const hit = [];
    for (const [key, e] of this.lists) if (!e.domains.every((d) => granted(d))) hit.push(key);
    if (hit.length > 0) this.release(hit);
  }

  release(keys) {
    const lists = keys.map((k) => this.lists.get(k).domains);
    for (const k of keys) this.lists.delete(k);
    this.send(lists);
  }

  /** drop forgets everything: the port closed, and the host's answers with it. */
  drop() {
    this.lists.clear();
  }

  get size() {
    return this.lists.size;
  }
}
