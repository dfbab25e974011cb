// The connectors the host asked to watch (watch.set), and what follows from
// them and the browser's grants: only the connectors whose every domain is
// granted have their cookies indexed, their changes forwarded and their
// touches reported.

import { normalizeDomain } from './cookieindex.js';

/**
 * WatchSet holds the watched connectors. sync() hands the granted ones to
 * the forwarders and trims the index to their domains; it runs after
 * watch.set and after every change of the grants.
 */
export class WatchSet {
  /**
   * @param {object} deps
   * @param {{covers(domain: string): boolean}} deps.grants
   * @param {{setWatch(list: object[]): void}} deps.forwarder cookies.changed
   * @param {{setWatch(list: object[]): void}} deps.touched cookies.touched
   * @param {{retain(domains: string[]): void}} deps.index
   */
  constructor({ grants, forwarder, touched, index }) {
    this.grants = grants;
    this.forwarder = forwarder;
    this.touched = touched;
    this.index = index;
    this.list = [];
  }

  /** granted is the watched connectors whose every domain is granted. */
  granted() {
    return this.list.filter((c) => c.domains.every((d) => this.grants.covers(d)));
  }

  /** grantedDomains is the granted connectors' domains, normalized, once each. */
  grantedDomains() {
    return [...new Set(this.granted().flatMap((c) => c.domains.map(normalizeDomain)))];
  }

  /** set replaces the watched connectors (already validated) and syncs. */
  set(list) {
    this.list = list;
    return this.sync();
  }

  /** sync applies the granted connectors and answers their domains. */
  sync() {
    const granted = this.granted();
    this.forwarder.setWatch(granted);
    this.touched.setWatch(granted);
    const domains = this.grantedDomains();
    this.index.retain(domains);
    return domains;
  }
}
