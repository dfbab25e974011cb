import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_STORE,
  allCookiesQuery,
  cookieQuery,
  detect,
  isDefaultStore,
  normalizeCookie,
  pickNamespace,
  resolveStore,
} from '../lib/browsercompat.js';
import { readScope } from '../lib/cookieindex.js';
import { startWorker } from '../lib/worker.js';
import { FakeClock, FakeEvent, cookie, fakeChrome, quietLog, settle } from '../testkit/fakes.js';

/**
 * FakeFirefoxCookies behaves as Firefox 153's browser.cookies does: one
 * store per container, getAll without storeId reads the default store, and
 * with first-party isolation on a query without firstPartyDomain throws.
 */
class FakeFirefoxCookies {
  constructor(cookies, { fpi = false } = {}) {
    this.cookies = cookies;
    this.fpi = fpi;
    this.calls = [];
    this.onChanged = new FakeEvent();
  }
  async getAll(d) {
    this.calls.push(d);
    if (this.fpi && !('firstPartyDomain' in d)) {
      throw new Error('First-Party Isolation is enabled, but the required \'firstPartyDomain\' attribute was not set.');
    }
    const store = d.storeId ?? 'firefox-default';
    return this.cookies
      .filter((c) => c.storeId === store)
      .filter((c) => d.domain === undefined || c.domain.replace(/^\./, '') === d.domain || c.domain.endsWith('.' + d.domain))
      .filter((c) => d.partitionKey !== undefined || !c.partitionKey)
      .filter((c) => d.firstPartyDomain === null || d.firstPartyDomain === undefined || c.firstPartyDomain === d.firstPartyDomain)
      .map((c) => ({ ...c }));
  }
}

function fakeFirefox(cookies, opts = {}) {
  const ns = fakeChrome();
  ns.runtime.id = 'authbridge@authbridge.dev';
  ns.runtime.getURL = (p) => `moz-extension://0b1c2d3e-aaaa-bbbb-cccc-000000000001/${p}`;
  ns.runtime.getBrowserInfo = async () => ({ name: 'Firefox', version: '153.8.0' });
  ns.cookies = new FakeFirefoxCookies(cookies, opts);
  ns.contextualIdentities = {
    async query({ name }) {
      return [
        { name: 'Work', cookieStoreId: 'firefox-container-2' },
        { name: 'Personal', cookieStoreId: 'firefox-container-1' },
      ].filter((c) => name === undefined || c.name === name);
    },
  };
  return ns;
}

const ff = (fields) => cookie({ storeId: 'firefox-default', firstPartyDomain: '', ...fields });

test('detect tells Firefox from Chromium by the namespace', () => {
  const chromium = detect(fakeChrome());
  assert.equal(chromium.name, 'chromium');
  assert.equal(chromium.defaultStore, '0');
  assert.equal(chromium.supports.firstPartyDomain, false);
  assert.equal(chromium.supports.containers, false);
  assert.equal(chromium.supports.serviceWorker, true);
  const firefox = detect(fakeFirefox([]));
  assert.equal(firefox.name, 'firefox');
  assert.equal(firefox.defaultStore, 'firefox-default');
  assert.equal(firefox.supports.firstPartyDomain, true);
  assert.equal(firefox.supports.containers, true);
  assert.equal(firefox.supports.serviceWorker, false);
  assert.equal(detect(undefined).name, 'chromium');
});

test('pickNamespace prefers Firefox\'s browser.* and falls back to chrome.*', () => {
  const chrome = { runtime: { id: 'x' } };
  const browser = { runtime: { id: 'y' } };
  assert.equal(pickNamespace({ chrome, browser }), browser);
  assert.equal(pickNamespace({ chrome }), chrome);
  assert.equal(pickNamespace({ chrome, browser: {} }), chrome, 'a browser object without runtime (a page global) is not the API');
});

test('cookieQuery: every partition everywhere; every first-party domain on Firefox; the store when named', () => {
  const c = detect(fakeChrome());
  const f = detect(fakeFirefox([]));
  const cases = [
    [c, 'shop.test', undefined, { domain: 'shop.test', partitionKey: {} }],
    [f, 'shop.test', undefined, { domain: 'shop.test', partitionKey: {}, firstPartyDomain: null }],
    [f, 'shop.test', 'firefox-container-2', { domain: 'shop.test', partitionKey: {}, firstPartyDomain: null, storeId: 'firefox-container-2' }],
    [f, 'shop.test', '', { domain: 'shop.test', partitionKey: {}, firstPartyDomain: null }],
  ];
  for (const [info, domain, store, want] of cases) {
    assert.deepEqual(cookieQuery(info, domain, store), want, `cookieQuery(${info.name}, ${domain}, ${store})`);
  }
  assert.deepEqual(allCookiesQuery(c), {});
  assert.deepEqual(allCookiesQuery(f), { firstPartyDomain: null });
});

test('isDefaultStore', () => {
  const f = detect(fakeFirefox([]));
  const c = detect(fakeChrome());
  for (const [info, id, want] of [
    [f, 'firefox-default', true],
    [f, undefined, true],
    [f, 'firefox-container-1', false],
    [f, 'firefox-private', false],
    [c, '0', true],
    [c, '1', false],
  ]) {
    assert.equal(isDefaultStore(info, id), want, `isDefaultStore(${info.name}, ${id})`);
  }
});

test('resolveStore maps a container name to its store id and refuses unknown names', async () => {
  const ns = fakeFirefox([]);
  const f = detect(ns);
  assert.equal(await resolveStore(ns, f, undefined), 'firefox-default');
  assert.equal(await resolveStore(ns, f, 'default'), 'firefox-default');
  assert.equal(await resolveStore(ns, f, 'Work'), 'firefox-container-2');
  assert.equal(await resolveStore(ns, f, 'firefox-container-7'), 'firefox-container-7');
  await assert.rejects(resolveStore(ns, f, 'Banking'), (e) => e.code === 'store_not_found' && /"Banking"/.test(e.message));
  await assert.rejects(resolveStore(ns, f, 'work'), (e) => e.code === 'store_not_found', 'names match exactly, as the user sees them');
  ns.contextualIdentities.query = async () => [{ name: 'Work', cookieStoreId: 'firefox-container-2' }, { name: 'Work', cookieStoreId: 'firefox-container-6' }];
  await assert.rejects(resolveStore(ns, f, 'Work'), (e) => e.code === 'store_ambiguous' && /firefox-container-2, firefox-container-6/.test(e.message));
  const cns = fakeChrome();
  await assert.rejects(resolveStore(cns, detect(cns), 'Work'), (e) => e.code === 'store_unsupported');
  assert.equal(await resolveStore(cns, detect(cns), ''), DEFAULT_STORE.chromium);
});

test('normalizeCookie drops Firefox\'s empty firstPartyDomain and empty partition keys only', () => {
  assert.deepEqual(normalizeCookie({ name: 'a', firstPartyDomain: '' }), { name: 'a' });
  assert.deepEqual(normalizeCookie({ name: 'a', firstPartyDomain: 'shop.test' }), { name: 'a', firstPartyDomain: 'shop.test' });
  assert.deepEqual(normalizeCookie({ name: 'a', partitionKey: {} }), { name: 'a' });
  assert.deepEqual(normalizeCookie({ name: 'a', partitionKey: { topLevelSite: 'https://top.test' } }), { name: 'a', partitionKey: { topLevelSite: 'https://top.test' } });
});

test('readScope works with first-party isolation on (a plain query would throw)', async () => {
  const ns = fakeFirefox([ff({ name: 'sid', firstPartyDomain: 'shop.test' }), ff({ name: 'chip', partitionKey: { topLevelSite: 'https://news.test' } })], { fpi: true });
  await assert.rejects(ns.cookies.getAll({ domain: 'demo.test' }), /firstPartyDomain/);
  const got = await readScope(ns.cookies, 'demo.test', detect(ns));
  assert.deepEqual(got.map((c) => c.name).sort(), ['chip', 'sid']);
  assert.equal(got.find((c) => c.name === 'chip').firstPartyDomain, undefined, 'empty firstPartyDomain dropped');
});

function firefoxWorker(cookies) {
  const ns = fakeFirefox(cookies);
  const clock = new FakeClock(1_700_000_000_000);
  const w = startWorker({ chrome: ns, log: quietLog, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, random: () => 0.5, userAgent: 'Firefox/153.0' });
  return { ns, w, native: () => ns.natives.at(-1) };
}

async function answerHello(native) {
  await settle(); // the hello waits for the grants to be read
  const hello = native.last('hello');
  native.onMessage.emit({ id: hello.id, type: 'result', result: { agent_version: '1', bridge_id: 'b' } });
  await settle();
}

async function ask(native, msg) {
  native.onMessage.emit(msg);
  await settle(10);
  return native.sent.find((m) => m.id === msg.id && (m.type === 'result' || m.type === 'error'));
}

test('Firefox worker: hello names the browser and the gecko id', async () => {
  const { native } = firefoxWorker([]);
  await settle();
  const hello = native().last('hello');
  assert.equal(hello.browser, 'firefox');
  assert.equal(hello.extension_id, 'authbridge@authbridge.dev');
});

test('Firefox worker: a container cookie is returned only for the store that names it', async () => {
  const { native, ns } = firefoxWorker([
    ff({ name: 'sid', domain: 'shop.test', value: 'DEFAULT' }),
    ff({ name: 'sid', domain: 'shop.test', value: 'WORK', storeId: 'firefox-container-2' }),
    ff({ name: 'personal', domain: 'shop.test', storeId: 'firefox-container-1' }),
  ]);
  await answerHello(native());
  const def = await ask(native(), { id: 'h1', type: 'cookies.get', domains: ['shop.test'] });
  assert.deepEqual(def.result.cookies.map((c) => `${c.name}=${c.value}`), ['sid=DEFAULT']);
  assert.equal(def.result.store_id, 'firefox-default');
  const work = await ask(native(), { id: 'h2', type: 'cookies.get', domains: ['shop.test'], store: 'Work' });
  assert.deepEqual(work.result.cookies.map((c) => `${c.name}=${c.value}`), ['sid=WORK']);
  assert.equal(work.result.store_id, 'firefox-container-2');
  const bad = await ask(native(), { id: 'h3', type: 'cookies.get', domains: ['shop.test'], store: 'Nope' });
  assert.equal(bad.type, 'error');
  assert.equal(bad.error.code, 'store_not_found');
  const badType = await ask(native(), { id: 'h4', type: 'cookies.get', domains: ['shop.test'], store: 3 });
  assert.equal(badType.error.code, 'bad_request');
  for (const q of ns.cookies.calls) assert.equal(q.firstPartyDomain, null, 'every Firefox query passes firstPartyDomain: null');
});

test('Firefox worker: a container cookie change does not enter the default store index', async () => {
  const { native, ns } = firefoxWorker([ff({ name: 'sid', domain: 'shop.test', value: 'A' })]);
  await answerHello(native());
  await ask(native(), { id: 'w', type: 'watch.set', connectors: [{ id: 'shop', domains: ['shop.test'], auth_cookies: ['sid'] }] });
  ns.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: ff({ name: 'other', domain: 'shop.test', storeId: 'firefox-container-2' }) });
  ns.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: ff({ name: 'fresh', domain: 'shop.test' }) });
  const got = await ask(native(), { id: 'g', type: 'cookies.get', domains: ['shop.test'] });
  assert.deepEqual(got.result.cookies.map((c) => c.name).sort(), ['fresh', 'sid']);
});

test('Chromium worker is unchanged: no firstPartyDomain in its queries', async () => {
  const chrome = fakeChrome({ cookies: [cookie({ name: 'sid' })] });
  startWorker({ chrome, log: quietLog, userAgent: 'x', connect: false });
  const info = detect(chrome);
  await readScope(chrome.cookies, 'demo.test', info);
  assert.ok(chrome.cookies.calls.every((q) => !('firstPartyDomain' in q)));
});
