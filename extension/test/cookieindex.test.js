import test from 'node:test';
import assert from 'node:assert/strict';
import { CookieIndex, cookieKey, cookieMeta, domainInScope, isExpired, normalizeDomain, readScope, readStore, scopeOf } from '../lib/cookieindex.js';
import { FakeCookies, cookie, settle } from '../testkit/fakes.js';

test('domainInScope matches on label boundaries', () => {
  const cases = [
    ['demo.test', 'demo.test', true],
    ['.demo.test', 'demo.test', true],
    ['a.demo.test', 'demo.test', true],
    ['.a.b.demo.test', 'demo.test', true],
    ['DEMO.test', '.demo.TEST', true],
    ['evildemo.test', 'demo.test', false],
    ['demo.test.evil', 'demo.test', false],
    ['test', 'demo.test', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['demo.test', '', false],
  ];
  for (const [d, s, want] of cases) assert.equal(domainInScope(d, s), want, `domainInScope(${d}, ${s})`);
  assert.equal(normalizeDomain(' .Demo.Test '), 'demo.test');
});

test('cookieKey separates host-only from domain cookies, paths, stores and partitions', () => {
  const base = cookie({});
  const keys = new Set([
    base,
    cookie({ domain: '.demo.test', hostOnly: false }),
    cookie({ path: '/app' }),
    cookie({ storeId: '1' }),
    cookie({ partitionKey: { topLevelSite: 'https://top.test' } }),
    cookie({ partitionKey: { topLevelSite: 'https://top.test', hasCrossSiteAncestor: true } }),
    cookie({ partitionKey: { topLevelSite: 'https://other.test' } }),
  ].map(cookieKey));
  assert.equal(keys.size, 7);
  assert.equal(cookieKey(cookie({ value: 'changed', expirationDate: 5 })), cookieKey(base));
});

test('isExpired uses seconds and ignores session cookies', () => {
  const now = 1_700_000_000_000;
  assert.equal(isExpired(cookie({ session: false, expirationDate: now / 1000 }), now), true);
  assert.equal(isExpired(cookie({ session: false, expirationDate: now / 1000 + 0.5 }), now), false);
  assert.equal(isExpired(cookie({ session: true }), now), false);
});

test('cookieMeta never carries the value', () => {
  const m = cookieMeta(cookie({ value: 'TOPSECRET', session: false, expirationDate: 99, partitionKey: { topLevelSite: 'https://a.test' } }));
  assert.equal(JSON.stringify(m).includes('TOPSECRET'), false);
  assert.deepEqual(Object.keys(m).sort(), ['domain', 'expirationDate', 'hostOnly', 'httpOnly', 'name', 'partitionKey', 'path', 'sameSite', 'secure', 'session']);
});

test('readScope asks for every partition in one call', async () => {
  const store = new FakeCookies([
    cookie({ name: 'a' }),
    cookie({ name: 'p', partitionKey: { topLevelSite: 'https://top.test' } }),
    cookie({ name: 'x', domain: 'other.test' }),
  ]);
  const got = await readScope(store, 'demo.test');
  assert.deepEqual(got.map((c) => c.name).sort(), ['a', 'p']);
  assert.deepEqual(store.calls, [{ domain: 'demo.test', partitionKey: {} }]);
});

test('readScope survives a browser that rejects partitionKey', async () => {
  const api = {
    async getAll(d) {
      if (d.partitionKey) throw new Error('Unexpected property: partitionKey');
      return [cookie({})];
    },
  };
  assert.equal((await readScope(api, 'demo.test')).length, 1);
});

function newIndex(store, now = () => 1_700_000_000_000) {
  return new CookieIndex({ read: (d) => readScope(store, d), now });
}

test('get primes a scope once and answers subdomains from the index', async () => {
  const store = new FakeCookies([
    cookie({ name: 'sid', domain: '.demo.test', hostOnly: false }),
    cookie({ name: 'h', domain: 'www.demo.test' }),
    cookie({ name: 'p', domain: 'api.demo.test', partitionKey: { topLevelSite: 'https://embed.test' } }),
    cookie({ name: 'no', domain: 'evildemo.test' }),
  ]);
  const index = newIndex(store);
  const got = await index.get(['demo.test']);
  assert.deepEqual(got.map((c) => c.name).sort(), ['h', 'p', 'sid']);
  const calls = store.calls.length;
  assert.deepEqual((await index.get(['www.demo.test'])).map((c) => c.name), ['h']);
  assert.deepEqual((await index.get(['demo.test', 'www.demo.test'])).map((c) => c.name).sort(), ['h', 'p', 'sid']);
  assert.equal(store.calls.length, calls, 'covered scopes must not read the store again');
});

test('onChanged keeps the index exact: add, overwrite, removal causes', async () => {
  const store = new FakeCookies([cookie({ name: 'sid', value: 'v1' })]);
  const index = newIndex(store);
  await index.prime('demo.test');
  const v1 = cookie({ name: 'sid', value: 'v1' });
  const v2 = cookie({ name: 'sid', value: 'v2' });
  // An overwrite is a removal with cause "overwrite" followed by an add.
  index.apply({ removed: true, cause: 'overwrite', cookie: v1 });
  index.apply({ removed: false, cause: 'explicit', cookie: v2 });
  assert.deepEqual((await index.get(['demo.test'])).map((c) => c.value), ['v2']);
  index.apply({ removed: false, cause: 'explicit', cookie: cookie({ name: 'csrf', domain: 'a.demo.test' }) });
  assert.equal((await index.get(['demo.test'])).length, 2);
  for (const cause of ['explicit', 'expired', 'evicted', 'expired_overwrite']) {
    index.apply({ removed: false, cause: 'explicit', cookie: cookie({ name: cause }) });
    index.apply({ removed: true, cause, cookie: cookie({ name: cause }) });
  }
  assert.deepEqual((await index.get(['demo.test'])).map((c) => c.name).sort(), ['csrf', 'sid']);
  // Cookies outside every primed scope are not indexed.
  index.apply({ removed: false, cause: 'explicit', cookie: cookie({ name: 'z', domain: 'elsewhere.test' }) });
  assert.equal(index.size, 2);
});

test('expired cookies are dropped at answer time', async () => {
  let now = 1_700_000_000_000;
  const store = new FakeCookies([
    cookie({ name: 'soon', session: false, expirationDate: now / 1000 + 60 }),
    cookie({ name: 'session' }),
  ]);
  const index = newIndex(store, () => now);
  assert.equal((await index.get(['demo.test'])).length, 2);
  now += 60_000;
  assert.deepEqual((await index.get(['demo.test'])).map((c) => c.name), ['session']);
});

test('events during priming are replayed on top of the snapshot', async () => {
  const store = new FakeCookies([cookie({ name: 'sid', value: 'old' }), cookie({ name: 'gone' })]);
  let release;
  store.gate = new Promise((r) => (release = r));
  const index = newIndex(store);
  const priming = index.prime('demo.test');
  await settle();
  // These changes race the getAll that is in flight.
  index.apply({ removed: true, cause: 'overwrite', cookie: cookie({ name: 'sid', value: 'old' }) });
  index.apply({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', value: 'new' }) });
  index.apply({ removed: true, cause: 'explicit', cookie: cookie({ name: 'gone' }) });
  index.apply({ removed: false, cause: 'explicit', cookie: cookie({ name: 'fresh', domain: 'x.demo.test' }) });
  // A get during priming waits for it instead of answering half-built.
  const during = index.get(['demo.test']);
  release();
  await priming;
  const got = await during;
  assert.deepEqual(got.map((c) => `${c.name}=${c.value}`).sort(), ['fresh=secret-value', 'sid=new']);
});

test('an event that happened before the snapshot does not resurrect a cookie', async () => {
  // The store already reflects the removal, and the removal event arrives during priming.
  const store = new FakeCookies([]);
  let release;
  store.gate = new Promise((r) => (release = r));
  const index = newIndex(store);
  const priming = index.prime('demo.test');
  await settle();
  index.apply({ removed: false, cause: 'explicit', cookie: cookie({ name: 'tmp' }) });
  index.apply({ removed: true, cause: 'explicit', cookie: cookie({ name: 'tmp' }) });
  release();
  await priming;
  assert.equal((await index.get(['demo.test'])).length, 0);
});

test('concurrent primes share one read; a wider scope absorbs narrower ones', async () => {
  const store = new FakeCookies([cookie({ domain: 'a.demo.test' }), cookie({ name: 'top', domain: 'demo.test' })]);
  const index = newIndex(store);
  await Promise.all([index.prime('a.demo.test'), index.prime('a.demo.test')]);
  assert.equal(store.calls.length, 1);
  await index.prime('demo.test');
  assert.deepEqual([...index.scopes], ['demo.test']);
  assert.equal(index.size, 2);
});

test('retain forgets unwatched scopes and their cookies', async () => {
  const store = new FakeCookies([cookie({ domain: 'a.test' }), cookie({ domain: 'b.test' })]);
  const index = newIndex(store);
  await index.prime('a.test');
  await index.prime('b.test');
  index.retain(['b.test']);
  assert.deepEqual([...index.scopes], ['b.test']);
  assert.equal(index.size, 1);
  assert.equal(index.covers('a.test'), undefined);
});

test('scopeOf finds the scope of a cookie domain by its labels', () => {
  const scopes = new Set(['demo.test', 'a.other.test', '127.0.0.1']);
  const cases = [
    ['demo.test', 'demo.test'],
    ['.www.demo.test', 'demo.test'],
    ['evildemo.test', undefined],
    ['other.test', undefined],
    ['x.a.other.test', 'a.other.test'],
    ['127.0.0.1', '127.0.0.1'],
    ['1.127.0.0.1', undefined],
  ];
  for (const [d, want] of cases) assert.equal(scopeOf(d, scopes), want, `scopeOf(${d})`);
});

test('primeMany reads the store once for many scopes, and buffers changes made meanwhile', async () => {
  const store = new FakeCookies([
    cookie({ name: 'a', domain: 'one.test' }),
    cookie({ name: 'b', domain: '.two.test', hostOnly: false }),
    cookie({ name: 'p', domain: 'www.two.test', partitionKey: { topLevelSite: 'https://top.test' } }),
    cookie({ name: 'x', domain: 'three.test' }),
  ]);
  let release;
  store.gate = new Promise((r) => (release = r));
  const index = new CookieIndex({ read: (d) => readScope(store, d), readAll: () => readStore(store), now: () => 1_700_000_000_000 });
  const done = index.primeMany(['one.test', 'two.test', 'www.two.test', 'ONE.test']);
  index.apply({ removed: true, cookie: cookie({ name: 'a', domain: 'one.test' }) });
  index.apply({ removed: false, cookie: cookie({ name: 'c', domain: 'two.test' }) });
  release();
  await done;
  assert.deepEqual(store.calls, [{ partitionKey: {} }], 'one store scan, partitions included');
  assert.deepEqual(index.lookup(['one.test']).map((c) => c.name), []);
  assert.deepEqual(index.lookup(['two.test']).map((c) => c.name).sort(), ['b', 'c', 'p']);
  assert.deepEqual(index.lookup(['three.test']), [], 'an unwatched site is not indexed');
  assert.equal(index.covers('www.two.test'), 'two.test');
  await index.primeMany(['one.test', 'two.test']);
  assert.equal(store.calls.length, 1, 'primed scopes are not read again');
  await index.primeMany(['four.test']);
  assert.deepEqual(store.calls[1], { domain: 'four.test', partitionKey: {} }, 'a single new scope uses its domain query');
});

test('primeMany without readAll falls back to one query per scope', async () => {
  const store = new FakeCookies([cookie({ name: 'a', domain: 'one.test' })]);
  const index = new CookieIndex({ read: (d) => readScope(store, d) });
  await index.primeMany(['one.test', 'two.test']);
  assert.equal(store.calls.length, 2);
});

test('version changes with every change of a covering scope, and only then', async () => {
  const fake = new FakeCookies([cookie({ name: 'a', domain: 'demo.test' }), cookie({ name: 'b', domain: 'other.test' })]);
  const index = new CookieIndex({ read: (d) => readScope(fake, d), readAll: () => readStore(fake), epoch: 'E' });
  assert.equal(index.version(['demo.test']), '', 'an uncovered domain has no version');
  await index.primeMany(['demo.test', 'other.test']);
  const v1 = index.version(['demo.test']);
  assert.match(v1, /^E\.\d+$/);
  assert.equal(index.version(['www.demo.test']), v1, 'a subdomain shares its scope');
  index.apply({ removed: false, cookie: cookie({ name: 'b', domain: 'other.test', value: 'x' }) });
  index.apply({ removed: false, cookie: cookie({ name: 'c', domain: 'unwatched.test' }) });
  assert.equal(index.version(['demo.test']), v1, 'changes elsewhere leave it');
  const both = index.version(['demo.test', 'other.test']);
  index.apply({ removed: true, cookie: cookie({ name: 'a', domain: 'app.demo.test' }) });
  const v2 = index.version(['demo.test']);
  assert.notEqual(v2, v1, 'a removal inside the scope changes it');
  assert.notEqual(index.version(['demo.test', 'other.test']), both, 'a list changes when one of its scopes does');
  index.retain(['other.test']);
  await index.get(['demo.test']);
  assert.notEqual(index.version(['demo.test']), v2, 'priming a scope again gives it a new version');
  const other = new CookieIndex({ read: (d) => readScope(fake, d), epoch: 'F' });
  await other.get(['demo.test']);
  assert.notEqual(other.version(['demo.test']), index.version(['demo.test']), 'another index never shares a version');
});
