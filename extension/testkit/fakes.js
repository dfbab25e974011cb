// Shared by the node --test files in ../test (kept outside test/ so the runner does not run it as a test).
// Hand-written fakes for the tests: a manual clock, chrome events, a cookie
// store with chrome.cookies' getAll semantics, and a native port.

export class FakeClock {
  constructor(start = 1_700_000_000_000) {
    this.t = start;
    this.timers = new Map();
    this.next = 1;
    this.setTimeout = (fn, ms) => {
      const id = this.next++;
      this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
      return id;
    };
    this.clearTimeout = (id) => this.timers.delete(id);
    this.now = () => this.t;
  }

  /** advance runs every timer due within ms, in order. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let best = null;
      for (const [id, tm] of this.timers) if (tm.at <= end && (!best || tm.at < best[1].at)) best = [id, tm];
      if (!best) break;
      this.timers.delete(best[0]);
      this.t = best[1].at;
      best[1].fn();
    }
    this.t = end;
  }

  get pending() {
    return this.timers.size;
  }
}

export class FakeEvent {
  constructor() {
    this.listeners = [];
  }
  addListener(fn) {
    this.listeners.push(fn);
  }
  removeListener(fn) {
    this.listeners = this.listeners.filter((l) => l !== fn);
  }
  emit(...args) {
    for (const l of [...this.listeners]) l(...args);
  }
}

export const tick = () => new Promise((r) => setImmediate(r));
export async function settle(n = 5) {
  for (let i = 0; i < n; i++) await tick();
}

const norm = (d) => (d.startsWith('.') ? d.slice(1) : d).toLowerCase();

/** cookie builds a chrome.cookies.Cookie with defaults. */
export function cookie(fields) {
  return {
    name: 'sid',
    value: 'secret-value',
    domain: 'demo.test',
    path: '/',
    hostOnly: true,
    secure: false,
    httpOnly: true,
    sameSite: 'lax',
    session: true,
    storeId: '0',
    ...fields,
  };
}

/**
 * FakeCookies mimics chrome.cookies (as Chromium 156 behaves): getAll({domain}) returns unpartitioned
 * cookies only, getAll({domain, partitionKey: {}}) returns all of them.
 */
export class FakeCookies {
  constructor(cookies = []) {
    this.cookies = cookies;
    this.onChanged = new FakeEvent();
    this.calls = [];
    this.gate = null; // a promise getAll waits for, to hold priming open
  }
  async getAll(details) {
    this.calls.push(details);
    const snapshot = this.cookies.filter((c) => {
      if (details.domain !== undefined) {
        const d = norm(c.domain);
        const s = norm(details.domain);
        if (!(d === s || d.endsWith('.' + s))) return false;
      }
      if (details.partitionKey) return true;
      return !c.partitionKey;
    });
    if (this.gate) await this.gate;
    return snapshot.map((c) => ({ ...c }));
  }
}

export class FakePort {
  constructor(name = 'native') {
    this.name = name;
    this.sent = [];
    this.onMessage = new FakeEvent();
    this.onDisconnect = new FakeEvent();
    this.disconnected = false;
  }
  postMessage(m) {
    if (this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.sent.push(JSON.parse(JSON.stringify(m)));
  }
  disconnect() {
    this.disconnected = true;
  }
  /** last returns the last sent message of a type. */
  last(type) {
    return [...this.sent].reverse().find((m) => m.type === type);
  }
}

/**
 * FakePermissions is chrome.permissions over a list of granted origins
 * (default: every site, as the development copy the tests load). grant and
 * revoke change it as the browser's prompt and settings page do.
 */
export class FakePermissions {
  constructor(origins = []) {
    this.origins = [...origins];
    this.onAdded = new FakeEvent();
    this.onRemoved = new FakeEvent();
    this.requests = [];
    this.answer = true; // what the user answers the next prompt
  }

  async getAll() {
    return { permissions: ['cookies', 'nativeMessaging'], origins: [...this.origins] };
  }

  async request({ origins = [] }) {
    this.requests.push(origins);
    if (!this.answer) return false;
    this.grant(origins);
    return true;
  }

  async remove({ origins = [] }) {
    this.revoke(origins);
    return true;
  }

  grant(origins) {
    const added = origins.filter((o) => !this.origins.includes(o));
    this.origins.push(...added);
    if (added.length) this.onAdded.emit({ origins: added });
  }

  revoke(origins) {
    const gone = this.origins.filter((o) => origins.includes(o));
    this.origins = this.origins.filter((o) => !origins.includes(o));
    if (gone.length) this.onRemoved.emit({ origins: gone });
  }
}

export const quietLog = { info() {}, warn() {}, error() {}, log() {} };

/**
 * fakeChrome builds the parts of `chrome` the worker uses. connectNative
 * returns a FakePort recorded in `natives`; `hostMissing` makes the next port
 * disconnect with Chrome's "not found" error.
 */
export function fakeChrome({ cookies = [], origins = ['*://*/*'] } = {}) {
  const natives = [];
  const chrome = {
    permissions: new FakePermissions(origins),
    natives,
    badge: { text: '', title: '' },
    tabsCreated: [],
    runtime: {
      id: 'ldpickkggldlkffgckonbokbiinckjpp',
      lastError: undefined,
      getManifest: () => ({ version: '0.1.0' }),
      onConnect: new FakeEvent(),
      onStartup: new FakeEvent(),
      onInstalled: new FakeEvent(),
      connectNative(name) {
        const p = new FakePort(name);
        natives.push(p);
        return p;
      },
    },
    cookies: new FakeCookies(cookies),
    tabs: {
      async create({ url }) {
        chrome.tabsCreated.push(url);
        return { id: 42 };
      },
    },
    action: {
      async setBadgeText({ text }) {
        chrome.badge.text = text;
      },
      async setBadgeBackgroundColor() {},
      async setBadgeTextColor() {},
      async setTitle({ title }) {
        chrome.badge.title = title;
      },
    },
  };
  /** disconnectNative ends the latest native port with a lastError message. */
  chrome.disconnectNative = (message) => {
    const p = natives.at(-1);
    chrome.runtime.lastError = { message };
    p.onDisconnect.emit(p);
    chrome.runtime.lastError = undefined;
  };
  /** openPopup connects a popup port as popup.js does. */
  chrome.openPopup = () => {
    const port = new FakePort('popup');
    port.sender = { id: chrome.runtime.id };
    chrome.runtime.onConnect.emit(port);
    return port;
  };
  return chrome;
}
