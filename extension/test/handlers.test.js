// The host's request handlers, each built from fakes of its parts (no
// bridge, no worker).
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeHandlers, fetchOnce } from '../lib/handlers.js';
import { WatchSet } from '../lib/watchset.js';
import { StatusStore } from '../lib/status.js';
import { TYPES } from '../lib/protocol.js';
import { cookie, fakeChrome, quietLog } from '../testkit/fakes.js';

const NOW = 1_700_000_000_000;
const chromium = { name: 'chromium', defaultStore: '0', supports: { partitionKey: true, firstPartyDomain: false, containers: false } };

/** fakeGrants grants exactly the listed domains (and their subdomains' cookies). */
function fakeGrants(granted) {
  const norm = (d) => d.toLowerCase().replace(/^\./, '');
  const covers = (d) => granted.includes(norm(d));
  return { covers, coversHost: (d) => granted.some((g) => norm(d) === g || norm(d).endsWith('.' + g)), missing: (ds) => ds.filter((d) => !covers(d)) };
}

/** fakeIndex records calls and answers from a fixed list. */
function fakeIndex(cookies = [], version = 'v1') {
  return {
    calls: [], size: cookies.length,
    async primeMany(ds) { this.calls.push(['primeMany', ds]); },
    version() { return version; },
    lookup(ds) { this.calls.push(['lookup', ds]); return cookies; },
    retain(ds) { this.calls.push(['retain', ds]); },
  };
}

function fakeHeld() {
  return { holds: [], released: [], hold(ds) { this.holds.push(ds); return true; }, releaseOverlapping(ds) { this.released.push(ds); } };
}

function setup({ cookies = [], granted = ['demo.test'], fetch, index = fakeIndex(cookies) } = {}) {
  const chrome = fakeChrome({ cookies });
  const grants = fakeGrants(granted);
  const held = fakeHeld();
  const watched = { forwarder: [], touched: [] };
  const watch = new WatchSet({ grants, index, forwarder: { setWatch: (l) => watched.forwarder.push(l) }, touched: { setWatch: (l) => watched.touched.push(l) } });
  const status = new StatusStore();
  const refreshed = [];
  const h = makeHandlers({ chrome, info: chromium, now: () => NOW, fetch, grants, index, held, watch, status, refresh: (x) => refreshed.push(x), log: quietLog });
  return { h, chrome, index, held, watch, watched, status, refreshed };
}

test('the table has a handler for every host request and nothing else', () => {
  const { h } = setup();
  assert.deepEqual(Object.keys(h).sort(), [TYPES.COOKIES_GET, TYPES.COOKIES_META, TYPES.COOKIES_REFRESH, TYPES.PING, TYPES.STATUS_CHANGED, TYPES.TABS_OPEN, TYPES.WATCH_SET].sort());
});

test('cookies.get answers from the index with a version, holds when asked, and says unchanged', async () => {
  const { h, index, held } = setup({ cookies: [cookie({})] });
  const full = await h['cookies.get']({ domains: ['demo.test'], hold: true });
  assert.deepEqual(full, { store_id: '0', cookies: [cookie({})], version: 'v1', held: true });
  assert.deepEqual(index.calls.slice(0, 2), [['primeMany', ['demo.test']], ['lookup', ['demo.test']]]);
  assert.deepEqual(held.holds, [['demo.test']]);
  assert.deepEqual(await h['cookies.get']({ domains: ['demo.test'], if_version: 'v1' }), { store_id: '0', unchanged: true, version: 'v1' });
});

test('cookies.get refuses bad fields before it reads, and domains not granted', async () => {
  const { h, index } = setup({ granted: ['demo.test'] });
  await assert.rejects(h['cookies.get']({ domains: [] }), { code: 'bad_request' });
  await assert.rejects(h['cookies.get']({ domains: ['demo.test'], store: 3 }), { code: 'bad_request', message: 'store must be a string' });
  await assert.rejects(h['cookies.get']({ domains: ['demo.test'], store: 'Work' }), { code: 'store_unsupported' });
  await assert.rejects(h['cookies.get']({ domains: ['demo.test'], hold: 1 }), { code: 'bad_request', message: 'hold must be a boolean' });
  await assert.rejects(h['cookies.get']({ domains: ['demo.test', 'other.test'], connector: 'c' }), { code: 'access_not_granted', detail: 'other.test' });
  assert.deepEqual(index.calls, [], 'nothing was read');
});

test('watch.set keeps the granted connectors for the forwarders and primes their domains', async () => {
  const { h, index, watch, watched } = setup({ granted: ['demo.test'] });
  const r = await h['watch.set']({ connectors: [{ id: 'a', domains: ['Demo.test'], auth_cookies: ['sid'] }, { id: 'b', domains: ['other.test'] }] });
  assert.deepEqual(r, { primed_ms: 0, indexed: 0 });
  assert.deepEqual(watch.list.map((c) => c.id), ['a', 'b']);
  assert.deepEqual(watched.forwarder.at(-1).map((c) => c.id), ['a']);
  assert.deepEqual(watched.touched.at(-1).map((c) => c.id), ['a']);
  assert.deepEqual(index.calls, [['retain', ['demo.test']], ['primeMany', ['demo.test']]]);
  await assert.rejects(h['watch.set']({ connectors: [{ id: 'a' }] }), { code: 'bad_request', message: 'connectors[0].domains must be an array of domains' });
  assert.deepEqual(watch.list.map((c) => c.id), ['a', 'b'], 'a bad watch.set changes nothing');
});

test('cookies.meta answers the granted persistent cookies without values', async () => {
  const { h } = setup({
    granted: ['demo.test'],
    cookies: [
      cookie({ name: 'keep', domain: '.demo.test', session: false, expirationDate: NOW / 1000 + 60 }),
      cookie({ name: 'sess', domain: 'demo.test' }),
      cookie({ name: 'other', domain: 'other.test', session: false, expirationDate: NOW / 1000 + 60 }),
    ],
  });
  const r = await h['cookies.meta']({});
  assert.deepEqual(r.cookies.map((c) => c.name), ['keep']);
  assert.equal(r.total, 2);
  assert.equal(JSON.stringify(r).includes('secret-value'), false);
  await assert.rejects(h['cookies.meta']({ limit: 5001 }), { code: 'bad_request' });
});

test('cookies.refresh fetches the URL inside the domains once and answers the live cookies', async () => {
  const fetches = [];
  const fetch = async (url, init) => {
    fetches.push([url, init]);
    return { type: 'basic', status: 204, arrayBuffer: async () => new ArrayBuffer(0) };
  };
  const { h, held } = setup({ fetch, cookies: [cookie({ name: 'sid', value: 'v' })] });
  const r = await h['cookies.refresh']({ url: 'https://app.demo.test/me', domains: ['demo.test'] });
  assert.deepEqual(fetches, [['https://app.demo.test/me', { credentials: 'include', cache: 'no-store', redirect: 'manual' }]]);
  assert.equal(r.status, 204);
  assert.deepEqual(r.cookies.map((c) => c.name), ['sid']);
  assert.deepEqual(held.released, [['demo.test']]);
  await assert.rejects(h['cookies.refresh']({ url: 'https://evil.test/', domains: ['demo.test'] }), { message: 'url must be inside the domains' });
  await assert.rejects(h['cookies.refresh']({ url: 'https://x.other.test/', domains: ['other.test'] }), { code: 'access_not_granted' });
  assert.equal(fetches.length, 1);
});

test('fetchOnce reports a redirect and a network error instead of following or throwing', async () => {
  const url = new URL('https://demo.test/');
  assert.deepEqual(await fetchOnce(async () => ({ type: 'opaqueredirect', status: 0, arrayBuffer: async () => { throw new Error('x'); } }), url), { status: 0, redirected: true, error: '' });
  assert.deepEqual(await fetchOnce(async () => { throw new TypeError('Failed to fetch'); }, url), { status: 0, redirected: false, error: 'Failed to fetch' });
});

test('tabs.open opens http(s) URLs only', async () => {
  const { h, chrome } = setup();
  assert.deepEqual(await h['tabs.open']({ url: 'https://demo.test/login' }), { tab_id: 42 });
  assert.deepEqual(chrome.tabsCreated, ['https://demo.test/login']);
  await assert.rejects(h['tabs.open']({ url: 'chrome://settings' }), { code: 'bad_request' });
});

test('status.changed merges rows, or replaces them when complete, and tells the popups', async () => {
  const { h, status, refreshed } = setup();
  assert.deepEqual(await h['status.changed']({ connectors: [{ id: 'a', health_key: 'healthy' }] }), {});
  await h['status.changed']({ connectors: [{ id: 'b', health_key: 'unknown' }] });
  assert.deepEqual(status.list().map((r) => r.id).sort(), ['a', 'b']);
  await h['status.changed']({ complete: true, connectors: [{ id: 'c', health_key: 'unknown' }] });
  assert.deepEqual(status.list().map((r) => r.id), ['c']);
  assert.deepEqual(refreshed.map((x) => x.ids), [['a'], ['b'], ['c']]);
  await assert.rejects(h['status.changed']({}), { code: 'bad_request' });
});
