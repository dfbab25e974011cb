// Coalesced "some cookie of these connectors changed" notifications
// (cookies.touched): they drive the host's cookie streams, which re-read a
// connector's whole set when any of its cookies changes, not only an auth
// cookie. Only connector ids travel, never cookie names or values.

import { domainInScope } from './cookieindex.js';
import { Coalescer } from './changes.js';

/**
 * TouchForwarder collects the watched connectors whose domains hold a
 * changed cookie and sends them as one list COALESCE_MS after the first
 * change of a burst.
 *
 * options: send(ids); setTimeout/clearTimeout; windowMs.
 */
export class TouchForwarder extends Coalescer {
  constructor(options) {
    super(options);
    this.send = options.send;
    this.pending = new Set();
  }

  /** onChanged takes a chrome.cookies.onChanged event. */
  onChanged(change) {
    const d = change?.cookie?.domain;
    if (typeof d !== 'string') return;
    for (const c of this.watch) {
      if (c.domains.some((s) => domainInScope(d, s))) this.pending.add(c.id);
    }
    if (this.pending.size > 0) this.schedule();
  }

  flush() {
    this.stopTimer();
    if (this.pending.size === 0) return;
    const ids = [...this.pending].sort();
    this.pending.clear();
    this.send(ids);
  }

  drop() {
    this.stopTimer();
    this.pending.clear();
  }
}
