import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { covers, coversHost, originFor, originsFor } from '../lib/access.js';
import { startWorker } from '../lib/worker.js';
import { badgeFor } from '../lib/status.js';
import { buildView } from '../lib/viewmodel.js';
import { FakeClock, cookie, fakeChrome, quietLog, settle } from '../testkit/fakes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NOW = 1_700_000_000_000;

test('one rule with the host: host/access/testdata/grants.json', () => {
  const table = JSON.parse(readFileSync(join(root, 'host', 'access', 'testdata', 'grants.json'), 'utf8'));
  assert.ok(table.cases.length > 0);
  for (const c of table.cases) {
    assert.equal(covers(c.origins, c.domain), c.covered, `covers(${JSON.stringify(c.origins)}, ${c.domain})`);
  }
});

test('the origins the popup requests cover the connector domains, IPs exactly', () => {
  assert.equal(originFor('.demo.test'), '*://*.demo.test/*');
  assert.equal(originFor('127.0.0.1'), '*://127.0.0.1/*');
  assert.deepEqual(originsFor(['a.test', 'a.test', 'b.test']), ['*://*.a.test/*', '*://*.b.test/*']);
  for (const d of ['demo.test', '127.0.0.1', 'x.y.example']) assert.ok(covers([originFor(d)], d), d);
  assert.ok(coversHost(['*://www.a.test/*'], 'www.a.test'), 'a cookie of a host granted exactly');
  assert.ok(!covers(['*://www.a.test/*'], 'www.a.test'), 'but not the scope with its subdomains');
});

function setup(cookies, origins) {
  const chrome = fakeChrome({ cookies, origins });
  const clock = new FakeClock(NOW);
  const w = startWorker({ chrome, log: quietLog, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, random: () => 0.5, userAgent: 'test-agent' });
  return { chrome, clock, w, native: () => chrome.natives.at(-1) };
}

async function connect(native) {
  await settle();
  const hello = native.last('hello');
  native.onMessage.emit({ id: hello.id, type: 'result', result: { agent_version: '1', bridge_id: 'b' } });
  await settle();
  const api = native.sent.find((m) => m.type === 'api' && m.path === '/v1/status');
  native.onMessage.emit({ id: api.id, type: 'result', result: { status: 200, body: { connectors: [] } } });
  await settle();
  return hello;
}

async function ask(native, msg) {
  native.onMessage.emit(msg);
  await settle(10);
  return native.sent.find((m) => m.id === msg.id && (m.type === 'result' || m.type === 'error'));
}

const jar = () => [
  cookie({ name: 'sid', domain: '.demo.test', hostOnly: false, value: 'DEMO-SECRET', session: false, expirationDate: NOW / 1000 + 3600 }),
  cookie({ name: 'gh', domain: 'github.test', value: 'GH-SECRET', session: false, expirationDate: NOW / 1000 + 3600 }),
];
const watch = { id: 'h0', type: 'watch.set', connectors: [{ id: 'demo', domains: ['demo.test'], auth_cookies: ['sid'] }, { id: 'gh', domains: ['github.test'], auth_cookies: ['gh'] }] };

test('nothing of a site not granted leaves the extension: cookies.get, refresh, meta, watch, changes', async () => {
  const { chrome, native } = setup(jar(), ['*://*.demo.test/*']);
  const hello = await connect(native());
  assert.deepEqual(hello.origins, ['*://*.demo.test/*'], 'the hello says what is granted');
  const ws = await ask(native(), watch);
  assert.equal(ws.result.indexed, 1, 'only the granted connector is indexed');
  const refused = await ask(native(), { id: 'h1', type: 'cookies.get', domains: ['github.test'] });
  assert.equal(refused.error.code, 'access_not_granted');
  assert.equal(refused.error.detail, 'github.test');
  const partial = await ask(native(), { id: 'h2', type: 'cookies.get', domains: ['demo.test', 'github.test'] });
  assert.equal(partial.error.code, 'access_not_granted', 'a partial grant answers nothing');
  const ok = await ask(native(), { id: 'h3', type: 'cookies.get', domains: ['demo.test'] });
  assert.deepEqual(ok.result.cookies.map((c) => c.name), ['sid']);
  const refresh = await ask(native(), { id: 'h4', type: 'cookies.refresh', url: 'http://github.test/', domains: ['github.test'] });
  assert.equal(refresh.error.code, 'access_not_granted');
  const meta = await ask(native(), { id: 'h5', type: 'cookies.meta', limit: 100 });
  assert.deepEqual(meta.result.cookies.map((c) => c.domain), ['.demo.test'], 'cookies.meta carries granted domains only');
  assert.equal(meta.result.total, 1);
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'gh', domain: 'github.test', value: 'GH-NEW' }) });
  await settle();
  const everything = JSON.stringify(native().sent);
  assert.doesNotMatch(everything, /GH-SECRET|GH-NEW/);
  assert.ok(!native().sent.some((m) => m.type === 'cookies.changed' && JSON.stringify(m).includes('github.test')), 'no change of a site not granted is forwarded');
});

test('a grant removed elsewhere purges the index, releases held answers and tells the host', async () => {
  const { chrome, native, w } = setup(jar(), ['*://*.demo.test/*', '*://*.github.test/*']);
  await connect(native());
  await ask(native(), watch);
  const held = await ask(native(), { id: 'h1', type: 'cookies.get', domains: ['demo.test'], hold: true });
  assert.equal(held.result.held, true);
  chrome.permissions.revoke(['*://*.demo.test/*']);
  await settle(10);
  const changed = native().sent.filter((m) => m.type === 'access.changed');
  assert.deepEqual(changed.at(-1).origins, ['*://*.github.test/*']);
  assert.ok(native().sent.some((m) => m.type === 'cookies.stale' && JSON.stringify(m.domains).includes('demo.test')), 'the held answer is released');
  assert.equal(w.index.covers('demo.test'), undefined, 'the index forgot the site');
  assert.equal(w.index.size, 1, 'and its cookies');
  const after = await ask(native(), { id: 'h2', type: 'cookies.get', domains: ['demo.test'] });
  assert.equal(after.error.code, 'access_not_granted');
  chrome.permissions.grant(['*://*.demo.test/*']);
  await settle(10);
  assert.ok(w.index.covers('demo.test'), 'a new grant primes the index');
  assert.deepEqual(native().sent.filter((m) => m.type === 'access.changed').at(-1).origins.sort(), ['*://*.demo.test/*', '*://*.github.test/*']);
});

test('badge and popup: connectors awaiting access are counted and listed first with one button', () => {
  const rows = [
    { id: 'ok', name: 'ok', domains: ['a.test'], health_key: 'healthy' },
    { id: 'new', name: 'new', domains: ['b.test'], health_key: 'unknown' },
  ];
  const access = { ok: 'granted', new: 'not_granted' };
  const badge = badgeFor(rows, { state: 'connected' }, access);
  assert.equal(badge.text, '1');
  assert.match(badge.title, /1 connector awaits access/);
  const view = buildView({ connection: { state: 'connected' }, rows, rowsComplete: true, access }, { now: NOW });
  assert.deepEqual(view.rows.map((r) => r.id), ['new', 'ok']);
  assert.equal(view.rows[0].primary.action, 'allow_access');
  assert.equal(view.rows[0].secondary.length, 0);
  assert.equal(view.rows[0].health.key, 'needs_attention');
  assert.match(view.rows[0].grant, /b\.test and its subdomains/);
  assert.ok(view.rows[1].secondary.some((b) => b.action === 'remove_access'));
});

test('a row names who last took its cookies', () => {
  const rows = [{ id: 'a', name: 'a', domains: ['a.test'], health_key: 'healthy',
    last_release: { at: new Date(NOW - 120_000).toISOString(), format: 'playwright', caller: { pid: 7, uid: 1000, executable: '/usr/bin/node', cmdline: 'node runner/index.cjs' } } }];
  const view = buildView({ connection: { state: 'connected' }, rows, rowsComplete: true, access: { a: 'granted' } }, { now: NOW });
  const lr = view.rows[0].lastRelease;
  assert.equal(lr.program, 'node');
  assert.equal(lr.text, '2 min ago');
  assert.match(lr.detail, /\/usr\/bin\/node\nnode runner\/index\.cjs/);
  const never = buildView({ connection: { state: 'connected' }, rows: [{ id: 'b', name: 'b', domains: ['b.test'] }], rowsComplete: true }, { now: NOW });
  assert.equal(never.rows[0].lastRelease, null);
  const repaired = buildView({ connection: { state: 'connected' }, rows: [{ id: 'c', name: 'c', domains: ['c.test'],
    last_release: { at: new Date(NOW).toISOString(), format: 'session-state', caller: { pid: 0, uid: 1000, via: 'repair:api' } } }], rowsComplete: true }, { now: NOW });
  assert.equal(repaired.rows[0].lastRelease.program, 'a repair', 'a repair is named in words, not by its channel');
});
