// In-memory index of the cookies of watched domains, so that `cookies.get`
// answers from memory: chrome.cookies.getAll({domain}) scans the whole
// cookie store, while a lookup here only walks the cookies of the requested
// scope (figures: docs/benchmarks.md).
//
// The index is primed per scope with getAll and then kept exact with
// chrome.cookies.onChanged. Events that arrive while a scope is being primed
// are buffered and replayed on top of the snapshot: for every cookie key the
// last event wins, which gives the right final state whether the event
// happened before or after the snapshot was taken.
//
// The index lives in the service worker's memory and is lost when the worker
// stops; the host sends watch.set after every hello, which primes it again.

import { cookieQuery, normalizeCookie } from './browsercompat.js';
import { isPublicSuffix } from './publicsuffix.js';

/** normalizeDomain lowercases a domain and strips one leading dot. */
export function normalizeDomain(d) {
  const s = String(d ?? '').trim().toLowerCase();
  return s.startsWith('.') ? s.slice(1) : s;
}

/**
 * domainInScope reports whether cookie domain `cookieDomain` (with or without
 * its leading dot) is `scope` or one of its subdomains, on a label boundary:
 * "a.demo.test" is in "demo.test", "evildemo.test" is not. As in the host's
 * cookies.InScope, a scope that is a public suffix ("com", "co.uk",
 * "github.io": publicsuffix.js) covers nothing, and an IP address covers only
 * itself. Both are tested against host/cookies/testdata/auth_cookies.json.
 */
export function domainInScope(cookieDomain, scope) {
  const d = normalizeDomain(cookieDomain);
  const s = normalizeDomain(scope);
  if (!s) return false;
  if (isIP(s) || isIP(d)) return d === s;
  if (d !== s && !d.endsWith('.' + s)) return false;
  return !isPublicSuffix(s);
}

/** isIP reports whether a normalized host is an IPv4 or IPv6 address. */
function isIP(h) {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');
}

/**
 * cookieKey identifies a cookie the way the browser does: store, domain
 * (dot kept: host-only and domain cookies differ), name, path and partition.
 */
export function cookieKey(c) {
  const pk = c.partitionKey;
  const part = pk ? `${pk.topLevelSite ?? ''}+${pk.hasCrossSiteAncestor ?? ''}` : '';
  // Firefox with first-party isolation keeps one jar per first-party domain.
  const fpd = c.firstPartyDomain ? `|${c.firstPartyDomain}` : '';
  return `${c.storeId ?? ''}|${c.domain}|${c.name}|${c.path}|${part}${fpd}`;
}

/** isExpired reports whether a persistent cookie's expiry has passed. */
export function isExpired(c, nowMs) {
  return !c.session && typeof c.expirationDate === 'number' && c.expirationDate * 1000 <= nowMs;
}

/** cookieMeta returns the cookie without its value (PROTOCOL.md CookieMeta). */
export function cookieMeta(c) {
  const m = {
    name: c.name,
    domain: c.domain,
    path: c.path,
    hostOnly: !!c.hostOnly,
    secure: !!c.secure,
    httpOnly: !!c.httpOnly,
    sameSite: c.sameSite,
    session: !!c.session,
  };
  if (typeof c.expirationDate === 'number') m.expirationDate = c.expirationDate;
  if (c.partitionKey) m.partitionKey = { ...c.partitionKey };
  return m;
}

/**
 * readScope reads every cookie of one scope, partitioned (CHIPS) and session
 * cookies included: with `partitionKey: {}` Chrome 119+ returns the cookies of
 * every partition and the unpartitioned ones together (checked in Chromium
 * 156; without it, partitioned cookies are left out). A browser that rejects
 * the field gets the plain call. With `info` (browsercompat.detect) the
 * query is the browser's own (Firefox: every first-party domain); `storeId`
 * reads one cookie store (a Firefox container) instead of the default one.
 */
export async function readScope(cookiesApi, domain, info, storeId) {
  let cookies;
  const query = info ? cookieQuery(info, domain, storeId) : { domain, partitionKey: {} };
  try {
    cookies = await cookiesApi.getAll(query);
  } catch (err) {
    const { partitionKey: _ignored, ...plain } = query;
    if (storeId) throw err; // a container read never silently falls back to another store
    cookies = await cookiesApi.getAll(plain);
  }
  const byKey = new Map();
  for (const c of cookies) {
    const n = normalizeCookie(c);
    byKey.set(cookieKey(n), n);
  }
  return [...byKey.values()];
}

/**
 * readStore reads every cookie of the default store (or `storeId`) in one
 * getAll pass, partitioned cookies included: primeMany buckets it by scope
 * so that priming many connectors costs one store scan, not one per scope.
 */
export async function readStore(cookiesApi, info, storeId) {
  const query = info ? cookieQuery(info, undefined, storeId) : { partitionKey: {} };
  delete query.domain;
  let cookies;
  try {
    cookies = await cookiesApi.getAll(query);
  } catch (err) {
    if (storeId) throw err;
    const { partitionKey: _ignored, ...plain } = query;
    cookies = await cookiesApi.getAll(plain);
  }
  const byKey = new Map();
  for (const c of cookies) {
    const n = normalizeCookie(c);
    byKey.set(cookieKey(n), n);
  }
  return [...byKey.values()];
}

/**
 * scopeOf returns the scope of `scopes` (a Set of normalized scopes) that
 * holds cookie domain `d`: d itself or one of its parent domains, found by
 * walking d's labels, so bucketing a store costs one pass whatever the
 * number of scopes.
 */
export function scopeOf(cookieDomain, scopes) {
  const d = normalizeDomain(cookieDomain);
  if (scopes.has(d) && (isIP(d) || !isPublicSuffix(d))) return d;
  if (isIP(d)) return undefined;
  for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
    const parent = d.slice(i + 1);
    // An IP scope covers only itself, a public suffix nothing (domainInScope).
    if (scopes.has(parent) && !isIP(parent) && !isPublicSuffix(parent)) return parent;
  }
  return undefined;
}

/** newEpoch returns a name no other index of this browser is likely to have. */
function newEpoch() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID().slice(0, 8);
  return Math.random().toString(36).slice(2, 10);
}

/**
 * CookieSet stores cookies by key, with the keys of each cookie domain, so
 * that a lookup walks the domains of the asked scopes only.
 */
export class CookieSet {
  constructor({ now = Date.now } = {}) {
    this.now = now;
    /** key -> cookie */
    this.cookies = new Map();
    /** normalized cookie domain -> Set of keys */
    this.byDomain = new Map();
  }

  put(c) {
    const key = cookieKey(c);
    const d = normalizeDomain(c.domain);
    this.cookies.set(key, c);
    let keys = this.byDomain.get(d);
    if (!keys) this.byDomain.set(d, (keys = new Set()));
    keys.add(key);
  }

  delete(c) {
    const key = cookieKey(c);
    const d = normalizeDomain(c.domain);
    this.cookies.delete(key);
    const keys = this.byDomain.get(d);
    if (keys) {
      keys.delete(key);
      if (keys.size === 0) this.byDomain.delete(d);
    }
  }

  /** replay folds buffered chrome.cookies.onChanged events in, in order. */
  replay(changes) {
    for (const change of changes) {
      if (change.removed) this.delete(change.cookie);
      else this.put(change.cookie);
    }
  }

  /** dropUnless removes the cookies of every domain for which keep(domain) is false. */
  dropUnless(keep) {
    for (const [d, keys] of [...this.byDomain]) {
      if (keep(d)) continue;
      for (const k of keys) this.cookies.delete(k);
      this.byDomain.delete(d);
    }
  }

  /**
   * lookup returns the unexpired cookies of the given scopes.
   * Every scope must be covered (see ensure).
   */
  lookup(domains) {
    const now = this.now();
    const scopes = domains.map(normalizeDomain).filter(Boolean);
    const out = new Map();
    for (const [d, keys] of this.byDomain) {
      if (!scopes.some((s) => domainInScope(d, s))) continue;
      for (const k of keys) {
        const c = this.cookies.get(k);
        if (c && !isExpired(c, now)) out.set(k, c);
      }
    }
    return [...out.values()];
  }

  get size() {
    return this.cookies.size;
  }
}

/**
 * CookieIndex holds the cookies of its primed scopes.
 *
 * options:
 *   read(domain)  async, returns every cookie of that scope (readScope in the worker)
 *   readAll()     async, returns every cookie of the store (readStore); when
 *                 given, primeMany reads the store once for many scopes
 *   now()         milliseconds since the epoch
 */
export class CookieIndex extends CookieSet {
  constructor({ read, readAll, now = Date.now, epoch = newEpoch() }) {
    super({ now });
    this.read = read;
    this.readAll = readAll;
    /** names this index: versions of another index (a restarted worker) never match */
    this.epoch = epoch;
    /** last version handed out; every change of a primed scope takes the next */
    this.counter = 0;
    /** primed scope -> version of its last change (or of its priming) */
    this.scopeVersion = new Map();
    /** scope -> true once primed */
    this.scopes = new Set();
    /** scope -> {promise, buffer: events[]} while priming */
    this.priming = new Map();
  }

  /** covers returns the primed scope containing `domain`, if any. */
  covers(domain) {
    for (const s of this.scopes) if (domainInScope(domain, s)) return s;
    return undefined;
  }

  /** apply folds one chrome.cookies.onChanged event into the index. */
  apply(change) {
    const c = change?.cookie;
    if (!c || typeof c.domain !== 'string') return;
    for (const [scope, p] of this.priming) {
      if (domainInScope(c.domain, scope)) p.buffer.push(change);
    }
    if (!this.covers(c.domain)) return;
    if (change.removed) this.delete(c);
    else this.put(c);
    this.bump(c.domain);
  }

  /** bump gives every primed scope holding cookie domain `d` a new version. */
  bump(d) {
    for (const s of this.scopes) if (domainInScope(d, s)) this.scopeVersion.set(s, ++this.counter);
  }

  /**
   * version names the set lookup(domains) answers: it changes whenever a
   * cookie of one of the scopes covering `domains` is set or removed, or
   * when their scopes are primed again. Two equal versions of one index
   * mean the same cookies (expired ones aside, which lookup drops by the
   * clock). Every domain must be covered (see get).
   */
  version(domains) {
    let v = 0;
    for (const d of domains) {
      const n = normalizeDomain(d);
      let covered = false;
      for (const s of this.scopes) {
        if (!domainInScope(n, s)) continue;
        covered = true;
        v = Math.max(v, this.scopeVersion.get(s) ?? 0);
      }
      if (!covered) return '';
    }
    return `${this.epoch}.${v}`;
  }

  /**
   * prime reads a scope and indexes it, unless a primed scope already covers
   * it. Concurrent calls for the same scope share one read.
   */
  prime(domain) {
    const scope = normalizeDomain(domain);
    if (!scope) return Promise.resolve();
    if (this.covers(scope)) return Promise.resolve();
    for (const [s, p] of this.priming) if (domainInScope(scope, s)) return p.promise;
    const entry = { buffer: [], promise: null };
    entry.promise = (async () => {
      try {
        const snapshot = await this.read(scope);
        this.install(snapshot.filter((c) => domainInScope(c.domain, scope)), entry.buffer, [scope]);
      } finally {
        this.priming.delete(scope);
      }
    })();
    this.priming.set(scope, entry);
    return entry.promise;
  }

  /**
   * primeMany primes several scopes. Two or more scopes not yet covered are
   * read in one pass over the store (readAll) and bucketed by scope, so the
   * cost is one store scan whatever the number of connectors; one scope is
   * read with its own domain query (prime).
   */
  primeMany(domains) {
    const wanted = [...new Set(domains.map(normalizeDomain).filter(Boolean))];
    const waits = [];
    let fresh = [];
    for (const s of wanted) {
      if (this.covers(s)) continue;
      const busy = [...this.priming.keys()].find((p) => domainInScope(s, p));
      if (busy !== undefined) waits.push(this.priming.get(busy).promise);
      else fresh.push(s);
    }
    // Keep the widest scopes only: "demo.test" covers "www.demo.test".
    fresh = fresh.filter((s) => !fresh.some((o) => o !== s && domainInScope(s, o)));
    if (fresh.length === 0) return Promise.all(waits).then(() => {});
    if (fresh.length === 1 || typeof this.readAll !== 'function') {
      return Promise.all([...waits, ...fresh.map((s) => this.prime(s))]).then(() => {});
    }
    const buffer = [];
    const scopes = new Set(fresh);
    // One entry under every scope: apply pushes an event once per matching
    // scope, and scopes here never overlap, so each event lands once.
    const entry = { buffer, promise: null };
    entry.promise = (async () => {
      try {
        const snapshot = await this.readAll();
        this.install(snapshot.filter((c) => scopeOf(c.domain, scopes) !== undefined), buffer, fresh);
      } finally {
        for (const f of fresh) if (this.priming.get(f) === entry) this.priming.delete(f);
      }
    })();
    for (const f of fresh) this.priming.set(f, entry);
    return Promise.all([...waits, entry.promise]).then(() => {});
  }

  /**
   * install ends a priming: it indexes the snapshot's cookies, replays the
   * events buffered meanwhile on top, and makes `fresh` primed scopes (each
   * with a new version) in place of the narrower ones they cover.
   */
  install(cookies, buffer, fresh) {
    for (const c of cookies) this.put(c);
    this.replay(buffer);
    for (const s of [...this.scopes]) if (fresh.some((f) => domainInScope(s, f))) this.forgetScope(s);
    for (const f of fresh) {
      this.scopes.add(f);
      this.scopeVersion.set(f, ++this.counter);
    }
  }

  forgetScope(s) {
    this.scopes.delete(s);
    this.scopeVersion.delete(s);
  }

  /** retain forgets scopes not in `keep` (and not under one of them) and their cookies. */
  retain(keep) {
    const kept = keep.map(normalizeDomain).filter(Boolean);
    const inKept = (d) => kept.some((k) => domainInScope(d, k));
    for (const s of [...this.scopes]) if (!inKept(s)) this.forgetScope(s);
    this.dropUnless((d) => this.covers(d) !== undefined);
  }

  /**
   * get answers cookies.get: scopes not yet indexed are read live once (and
   * indexed from then on); the answer comes from the index.
   */
  async get(domains) {
    await this.primeMany(domains);
    return this.lookup(domains);
  }
}
