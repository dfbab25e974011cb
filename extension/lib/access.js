// Per-site grants: the browser's permission state is the only source of
// truth for which connector's cookies may leave the browser (PROTOCOL.md,
// "Consent"). The manifest requests no site at install; a connector's
// domains are granted with permissions.request from a click in the popup,
// and removed with permissions.remove or in the browser's own extension
// settings. Grants keeps a copy of permissions.getAll's origins, updated
// from permissions.onAdded / onRemoved, so that every check is synchronous.
//
// The rule, the same as host/access: a connector domain (a cookie scope: the
// domain and its subdomains) is granted when a granted origin pattern covers
// the whole scope: `<all_urls>`, `*://*/*`, or `*://*.D/*` where D is the
// domain or a parent of it (scheme `*`, `http` or `https`, path `/*`). An IP
// address (or a host name given exactly) is granted by its exact host too.
// A connector is granted when all of its domains are; with some granted it
// is not granted, and nothing of any of its domains is answered.

import { normalizeDomain } from './cookieindex.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** isIP reports whether a domain is an IP address (it covers only itself). */
export function isIP(d) {
  return IPV4.test(d) || d.includes(':') || d.startsWith('[');
}

/** originFor is the origin pattern the popup requests for one connector domain. */
export function originFor(domain) {
  const d = normalizeDomain(domain);
  if (isIP(d)) return `*://${d.includes(':') && !d.startsWith('[') ? `[${d}]` : d}/*`;
  return `*://*.${d}/*`;
}

/** originsFor is the origin patterns of a connector's domains, each once. */
export function originsFor(domains) {
  return [...new Set((domains ?? []).map(originFor))];
}

/** parsePattern splits a match pattern; null when it is not one a grant can be. */
function parsePattern(p) {
  if (p === '<all_urls>') return { all: true };
  const m = /^(\*|https?):\/\/([^/]*)(\/.*)$/.exec(String(p));
  if (!m) return null;
  return { host: m[2].toLowerCase().replace(/^\[|\]$/g, ''), path: m[3] };
}

/** covers reports whether the origin patterns grant the whole scope of `domain`. */
export function covers(origins, domain) {
  const d = normalizeDomain(domain).replace(/^\[|\]$/g, '');
  if (d === '') return false;
  for (const o of origins) {
    const p = parsePattern(o);
    if (!p) continue;
    if (p.all) return true;
    if (p.path !== '/*') continue;
    if (p.host === '*') return true;
    if (p.host.startsWith('*.')) {
      const base = p.host.slice(2);
      if (d === base || d.endsWith(`.${base}`)) return true;
    } else if (p.host === d && isIP(d)) return true;
  }
  return false;
}

/** coversHost reports whether a cookie of domain `cookieDomain` may be read (a host granted exactly counts). */
export function coversHost(origins, cookieDomain) {
  const d = normalizeDomain(cookieDomain).replace(/^\[|\]$/g, '');
  if (covers(origins, d)) return true;
  for (const o of origins) {
    const p = parsePattern(o);
    if (p && !p.all && p.path === '/*' && p.host === d) return true;
  }
  return false;
}

/**
 * Grants follows the browser's granted origins. onChange(added, removed) is
 * called after the copy changed, with the origins that came and went.
 */
export class Grants {
  constructor({ permissions, onChange = () => {}, log = console }) {
    this.permissions = permissions;
    this.onChange = onChange;
    this.log = log;
    /** @type {string[]} */
    this.origins = [];
    this.loaded = false;
  }

  /** load reads the granted origins from the browser. */
  async load() {
    try {
      const all = await this.permissions?.getAll?.();
      this.origins = [...new Set(all?.origins ?? [])];
    } catch (err) {
      this.log.warn?.(`authbridge: permissions.getAll failed: ${err?.message || err}`);
      this.origins = [];
    }
    this.loaded = true;
    return this.origins;
  }

  /** listen follows permissions.onAdded / onRemoved (registered synchronously). */
  listen() {
    this.permissions?.onAdded?.addListener((p) => this.changed());
    this.permissions?.onRemoved?.addListener((p) => this.changed());
  }

  /**
   * changed re-reads the state (events carry only what changed; the state
   * is the truth) and calls onChange when it differs from the copy.
   */
  async changed() {
    const before = new Set(this.origins);
    await this.load();
    const after = new Set(this.origins);
    const added = [...after].filter((o) => !before.has(o));
    const removed = [...before].filter((o) => !after.has(o));
    if (added.length > 0 || removed.length > 0) this.onChange(added, removed);
  }

  covers(domain) {
    return covers(this.origins, domain);
  }

  coversHost(cookieDomain) {
    return coversHost(this.origins, cookieDomain);
  }

  /** missing returns the domains not granted. */
  missing(domains) {
    return (domains ?? []).filter((d) => !this.covers(d));
  }
}
