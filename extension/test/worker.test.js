import test from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../lib/worker.js';
import { FakeClock, cookie, fakeChrome, quietLog, settle } from '../testkit/fakes.js';

const NOW = 1_700_000_000_000;

function setup(cookies = [], extra = {}) {
  const chrome = fakeChrome({ cookies });
  const clock = new FakeClock(NOW);
  const w = startWorker({
    ...extra,
    chrome,
    log: quietLog,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: clock.now,
    random: () => 0.5,
    userAgent: 'test-agent',
    languages: ['en-GB', 'en'],
  });
  return { chrome, clock, w, native: () => chrome.natives.at(-1) };
}

/** host plays the host's side: it answers hello and GET /v1/status. */
async function connectHost(native, rows = []) {
  await settle(); // the hello waits for the grants to be read
  const hello = native.last('hello');
  native.onMessage.emit({ id: hello.id, type: 'result', result: { agent_version: '1.0.0', bridge_id: 'b7' } });
  await settle();
  const api = native.sent.find((m) => m.type === 'api' && m.path === '/v1/status');
  native.onMessage.emit({ id: api.id, type: 'result', result: { status: 200, body: { connectors: rows } } });
  await settle();
}

async function hostRequest(native, msg) {
  native.onMessage.emit(msg);
  await settle(10);
  return native.sent.find((m) => m.id === msg.id && (m.type === 'result' || m.type === 'error'));
}

const row = (id, health_key, extra = {}) => ({ id, name: id, health_key, health: { healthy: 'Healthy', needs_attention: 'Needs Attention', unknown: 'Unknown' }[health_key], ...extra });

test('hello carries the extension id, version, user agent and the granted origins', async () => {
  const { native } = setup();
  await settle();
  const hello = native().last('hello');
  assert.deepEqual(hello, { id: 'e1', type: 'hello', extension_id: 'ldpickkggldlkffgckonbokbiinckjpp', version: '0.1.0', user_agent: 'test-agent', accept_language: 'en-GB,en;q=0.9', browser: 'chromium', origins: ['*://*/*'] });
});

test('watch.set primes the index, cookies.get answers from it and follows onChanged', async () => {
  const { chrome, native, w } = setup([
    cookie({ name: 'sid', domain: '.demo.test', hostOnly: false, value: 'S1' }),
    cookie({ name: 'p', domain: 'demo.test', partitionKey: { topLevelSite: 'https://top.test' } }),
    cookie({ name: 'old', domain: 'demo.test', session: false, expirationDate: NOW / 1000 - 1 }),
    cookie({ name: 'x', domain: 'other.test' }),
  ]);
  await connectHost(native());
  const ws = await hostRequest(native(), { id: 'h1', type: 'watch.set', connectors: [{ id: 'demo', domains: ['demo.test'], auth_cookies: ['sid'] }] });
  assert.equal(ws.type, 'result');
  assert.deepEqual(Object.keys(ws.result).sort(), ['indexed', 'primed_ms']);
  assert.equal(ws.result.indexed, 3, 'sid, the partitioned p and the expired old (lookup drops it)');
  const reads = chrome.cookies.calls.length;
  const got = await hostRequest(native(), { id: 'h2', type: 'cookies.get', domains: ['demo.test'] });
  assert.deepEqual(got.result.cookies.map((c) => c.name).sort(), ['p', 'sid']);
  assert.equal(chrome.cookies.calls.length, reads, 'a watched domain is answered from the index');
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', domain: 'app.demo.test', value: 'S2' }) });
  const again = await hostRequest(native(), { id: 'h3', type: 'cookies.get', domains: ['app.demo.test'] });
  assert.deepEqual(again.result.cookies.map((c) => c.value), ['S2']);
  assert.deepEqual(w.watch.map((c) => c.id), ['demo']);
});

test('cookies.get for an unwatched domain reads live once, then indexes it', async () => {
  const { chrome, native } = setup([cookie({ name: 'a', domain: 'new.test' })]);
  await connectHost(native());
  const first = await hostRequest(native(), { id: 'h1', type: 'cookies.get', domains: ['new.test'] });
  assert.equal(first.result.cookies.length, 1);
  const reads = chrome.cookies.calls.length;
  await hostRequest(native(), { id: 'h2', type: 'cookies.get', domains: ['new.test'] });
  assert.equal(chrome.cookies.calls.length, reads);
});

test('bad requests and unknown types get stable error codes', async () => {
  const { native } = setup();
  await connectHost(native());
  assert.equal((await hostRequest(native(), { id: 'h1', type: 'cookies.get', domains: [] })).error.code, 'bad_request');
  assert.equal((await hostRequest(native(), { id: 'h2', type: 'watch.set', connectors: [{ id: 'a' }] })).error.code, 'bad_request');
  assert.equal((await hostRequest(native(), { id: 'h3', type: 'tabs.open', url: 'javascript:alert(1)' })).error.code, 'bad_request');
  assert.equal((await hostRequest(native(), { id: 'h4', type: 'cookies.delete' })).error.code, 'unknown_type');
  assert.deepEqual((await hostRequest(native(), { id: 'h5', type: 'ping' })).result, {});
});

test('tabs.open creates a tab and answers its id', async () => {
  const { chrome, native } = setup();
  await connectHost(native());
  const r = await hostRequest(native(), { id: 'h1', type: 'tabs.open', url: 'http://demo.test:8080/login' });
  assert.deepEqual(r.result, { tab_id: 42 });
  assert.deepEqual(chrome.tabsCreated, ['http://demo.test:8080/login']);
});

test('auth cookie changes are forwarded as one coalesced cookies.changed without values', async () => {
  const { chrome, native, clock } = setup();
  await connectHost(native());
  await hostRequest(native(), { id: 'h1', type: 'watch.set', connectors: [{ id: 'demo', domains: ['demo.test'], auth_cookies: ['sid'] }] });
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', value: 'VALUE1' }) });
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'other', value: 'VALUE2' }) });
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', domain: 'www.demo.test', value: 'VALUE3' }) });
  clock.advance(50);
  const changed = native().sent.filter((m) => m.type === 'cookies.changed');
  assert.equal(changed.length, 1);
  assert.equal(changed[0].id, undefined, 'a notification has no id');
  assert.deepEqual(changed[0].changes.map((c) => c.cookie.domain), ['demo.test', 'www.demo.test']);
  assert.equal(/VALUE/.test(JSON.stringify(native().sent)), false);
});

test('status rows drive the badge and reach an open popup live', async () => {
  const { chrome, native } = setup();
  const popup = chrome.openPopup();
  assert.equal(popup.sent[0].type, 'state');
  assert.equal(popup.sent[0].connection.state, 'connecting');
  await connectHost(native(), [row('a', 'healthy'), row('b', 'needs_attention')]);
  assert.equal(chrome.badge.text, '1');
  assert.equal(chrome.badge.title, 'authbridge: 1 connector needs attention');
  native().onMessage.emit({ type: 'status.changed', connectors: [row('a', 'needs_attention')] });
  await settle();
  assert.equal(chrome.badge.text, '2');
  const last = popup.last('state');
  assert.equal(last.source, 'status.changed');
  assert.deepEqual(last.ids, ['a']);
  assert.deepEqual(last.rows.map((r) => r.health_key), ['needs_attention', 'needs_attention']);
  native().onMessage.emit({ type: 'status.changed', complete: true, connectors: [row('b', 'healthy')] });
  await settle();
  assert.equal(chrome.badge.text, '');
  assert.deepEqual(popup.last('state').rows.map((r) => r.id), ['b']);
});

test('popup api calls go through the host and update rows; failures say host_unreachable', async () => {
  const { chrome, native } = setup();
  const popup = chrome.openPopup();
  popup.onMessage.emit({ id: 'p1', type: 'api', method: 'POST', path: '/v1/connectors/a/verify', body: {} });
  await settle();
  assert.deepEqual(popup.last('error'), { id: 'p1', type: 'error', error: { code: 'host_unreachable', message: 'authbridge is not connected', detail: 'connecting' } });

  chrome.disconnectNative('Specified native messaging host not found.');
  popup.onMessage.emit({ id: 'p2', type: 'api', method: 'POST', path: '/v1/connectors/a/verify', body: {} });
  await settle();
  assert.equal(popup.last('error').error.detail, 'not_installed');
  assert.equal(popup.last('state').connection.state, 'not_installed');

  popup.onMessage.emit({ type: 'reconnect' });
  await connectHost(native(), [row('a', 'unknown')]);
  popup.onMessage.emit({ id: 'p3', type: 'api', method: 'POST', path: '/v1/connectors/a/repair', body: {} });
  await settle();
  const req = native().last('api');
  assert.deepEqual({ method: req.method, path: req.path, body: req.body }, { method: 'POST', path: '/v1/connectors/a/repair', body: {} });
  native().onMessage.emit({ id: req.id, type: 'result', result: { status: 200, body: { row: row('a', 'healthy') } } });
  await settle();
  assert.equal(popup.last('result').id, 'p3');
  assert.equal(popup.last('state').rows[0].health_key, 'healthy');

  popup.onMessage.emit({ id: 'p4', type: 'api', method: 'GET', path: 'http://evil/' });
  await settle();
  assert.equal(popup.last('error').error.code, 'bad_request');
});

test('a popup from another extension is ignored', () => {
  const { chrome } = setup();
  const port = { name: 'popup', sender: { id: 'someone-else' }, sent: [], postMessage(m) { this.sent.push(m); }, onMessage: { addListener() {} }, onDisconnect: { addListener() {} } };
  chrome.runtime.onConnect.emit(port);
  assert.equal(port.sent.length, 0);
});

test('cookies.meta gives persistent, unexpired cookies of the whole profile without values', async () => {
  const { native } = setup([
    cookie({ name: 'keep', domain: '.a.test', session: false, expirationDate: NOW / 1000 + 3600, value: 'SECRET1' }),
    cookie({ name: 'sess', domain: 'b.test', session: true, value: 'SECRET2' }),
    cookie({ name: 'gone', domain: 'c.test', session: false, expirationDate: NOW / 1000 - 1, value: 'SECRET3' }),
  ]);
  await connectHost(native());
  const res = await hostRequest(native(), { id: 'h1', type: 'cookies.meta', limit: 10 });
  assert.deepEqual(res.result.cookies.map((c) => c.name), ['keep']);
  assert.equal(res.result.total, 3);
  assert.ok(!JSON.stringify(res).includes('SECRET'), 'a value reached the host');
  const bad = await hostRequest(native(), { id: 'h2', type: 'cookies.meta', limit: 0 });
  assert.equal(bad.error.code, 'bad_request');
});

test('watch.set with 50 connectors scans the cookie store once', async () => {
  const cookies = [];
  for (let i = 0; i < 200; i++) cookies.push(cookie({ name: `n${i}`, domain: `www.site${i}.test` }));
  const { chrome, native } = setup(cookies);
  await connectHost(native());
  const connectors = [];
  for (let i = 0; i < 50; i++) connectors.push({ id: `c${i}`, domains: [`site${i}.test`, `www.site${i}.test`], auth_cookies: ['sid'] });
  const before = chrome.cookies.calls.length;
  const ws = await hostRequest(native(), { id: 'h1', type: 'watch.set', connectors });
  assert.equal(ws.result.indexed, 50);
  const scans = chrome.cookies.calls.slice(before);
  assert.equal(scans.length, 1, `one getAll for 50 connectors, got ${scans.length}`);
  assert.equal(scans[0].domain, undefined, 'the one scan reads the whole store');
  const got = await hostRequest(native(), { id: 'h2', type: 'cookies.get', domains: ['site7.test'] });
  assert.deepEqual(got.result.cookies.map((c) => c.name), ['n7']);
  assert.equal(chrome.cookies.calls.length, before + 1, 'answered from the index');
});

test('any cookie change of a watched connector sends one cookies.touched with ids only', async () => {
  const { chrome, native, clock } = setup();
  await connectHost(native());
  await hostRequest(native(), { id: 'h1', type: 'watch.set', connectors: [
    { id: 'demo', domains: ['demo.test'], auth_cookies: ['sid'] },
    { id: 'other', domains: ['other.test'], auth_cookies: ['sid'] },
  ] });
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'theme', value: 'VALUE1' }) });
  chrome.cookies.onChanged.emit({ removed: true, cause: 'expired', cookie: cookie({ name: 'x', domain: 'www.demo.test', value: 'VALUE2' }) });
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'y', domain: 'unwatched.test', value: 'VALUE3' }) });
  clock.advance(50);
  const touched = native().sent.filter((m) => m.type === 'cookies.touched');
  assert.deepEqual(touched, [{ type: 'cookies.touched', connectors: ['demo'] }]);
  assert.equal(/VALUE|theme/.test(JSON.stringify(touched)), false);
});

test('cookies.refresh sends one credentialed fetch to the URL, then answers the fresh cookies', async () => {
  const fetches = [];
  let chrome;
  const fetch = async (url, init) => {
    fetches.push({ url, init });
    // The site renews its cookie in the response.
    chrome.cookies.cookies = chrome.cookies.cookies.map((c) => (c.name === 'sid' ? { ...c, value: 'RENEWED' } : c));
    return { status: 200, arrayBuffer: async () => new ArrayBuffer(0) };
  };
  const s = setup([cookie({ name: 'sid', value: 'OLD' }), cookie({ name: 'x', domain: 'other.test' })], { fetch });
  chrome = s.chrome;
  await connectHost(s.native());
  await hostRequest(s.native(), { id: 'h0', type: 'cookies.get', domains: ['demo.test'], hold: true });
  const r = await hostRequest(s.native(), { id: 'h1', type: 'cookies.refresh', url: 'http://demo.test:8080/account', domains: ['demo.test'] });
  const stale = s.native().sent.findIndex((m) => m.type === 'cookies.stale');
  assert.ok(stale >= 0 && stale < s.native().sent.indexOf(r), 'the held answer is released ahead of the refresh answer');
  assert.deepEqual(fetches, [{ url: 'http://demo.test:8080/account', init: { credentials: 'include', cache: 'no-store', redirect: 'manual' } }]);
  assert.equal(r.result.status, 200);
  assert.deepEqual(r.result.cookies.map((c) => `${c.name}=${c.value}`), ['sid=RENEWED']);
  assert.deepEqual(chrome.tabsCreated, [], 'no tab is opened');
  const bad = await hostRequest(s.native(), { id: 'h2', type: 'cookies.refresh', url: 'http://evil.test/', domains: ['demo.test'] });
  assert.equal(bad.error.code, 'bad_request');
  assert.equal(fetches.length, 1, 'a URL outside the domains is not fetched');
});

test('cookies.get with hold: versions, unchanged answers, and cookies.stale ahead of the next answer', async () => {
  const { chrome, native } = setup([cookie({ name: 'sid', domain: 'demo.test', value: 'S1' }), cookie({ name: 'x', domain: 'other.test' })]);
  await connectHost(native());
  const first = await hostRequest(native(), { id: 'h1', type: 'cookies.get', domains: ['demo.test'], hold: true });
  assert.equal(first.result.held, true);
  assert.deepEqual(first.result.cookies.map((c) => c.value), ['S1']);
  const v1 = first.result.version;
  assert.equal(typeof v1, 'string');
  const same = await hostRequest(native(), { id: 'h2', type: 'cookies.get', domains: ['demo.test'], hold: true, if_version: v1 });
  assert.deepEqual(same.result, { store_id: '0', unchanged: true, version: v1, held: true });

  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'x', domain: 'other.test', value: 'y' }) });
  assert.equal(native().sent.filter((m) => m.type === 'cookies.stale').length, 0, 'a change elsewhere releases nothing');
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', domain: 'demo.test', value: 'S2' }) });
  const staleAt = native().sent.findIndex((m) => m.type === 'cookies.stale');
  assert.ok(staleAt >= 0, 'the change is announced at once, from the event itself');
  assert.deepEqual(native().sent[staleAt], { type: 'cookies.stale', domains: [['demo.test']] });
  const after = await hostRequest(native(), { id: 'h3', type: 'cookies.get', domains: ['demo.test'], hold: true, if_version: v1 });
  assert.ok(native().sent.indexOf(after) > staleAt, 'the notice travels ahead of every later answer');
  assert.notEqual(after.result.version, v1);
  assert.equal(after.result.unchanged, undefined);
  assert.deepEqual(after.result.cookies.map((c) => c.value), ['S2']);
  chrome.cookies.onChanged.emit({ removed: true, cause: 'explicit', cookie: cookie({ name: 'sid', domain: 'demo.test', value: 'S2' }) });
  assert.equal(native().sent.filter((m) => m.type === 'cookies.stale').length, 2, 'held again by the last answer, released again');

  const plain = await hostRequest(native(), { id: 'h4', type: 'cookies.get', domains: ['other.test'] });
  assert.equal(plain.result.held, undefined, 'without hold nothing is held');
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'x', domain: 'other.test', value: 'z' }) });
  assert.equal(native().sent.filter((m) => m.type === 'cookies.stale').length, 2);
  assert.equal((await hostRequest(native(), { id: 'h5', type: 'cookies.get', domains: ['demo.test'], if_version: 7 })).error.code, 'bad_request');
  assert.equal((await hostRequest(native(), { id: 'h6', type: 'cookies.get', domains: ['demo.test'], hold: 'yes' })).error.code, 'bad_request');
});
