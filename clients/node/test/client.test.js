'use strict';
// The client against a real agent (bin/authbridge, started on demand in a
// temporary AUTHBRIDGE_HOME). The browser side, where a test needs one, is
// a scripted extension peer on the agent's bridge socket.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client, AuthbridgeError, ClientCodes, resolvePaths } = require('..');
const h = require('../testkit/helpers');

// rejectsWith asserts that p rejects with an AuthbridgeError of that code and
// returns the error.
async function rejectsWith(p, code) {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AuthbridgeError, `rejected with ${err && err.name}: ${err && err.message}, want an AuthbridgeError`);
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, `code of "${err.message}"`);
    return err;
  }
  assert.fail(`resolved, want a rejection with code ${code}`);
}

function client(t, env, opts = {}) {
  const c = new Client({ env, ...opts });
  t.after(() => c.close());
  return c;
}

test('starts the agent on demand, on the socket the CLI uses', async (t) => {
  const { home, env } = h.newHome(t);
  const c = client(t, env);
  assert.equal(c.socket, path.join(home, 'run', 'api.sock'));
  assert.equal(fs.existsSync(c.socket), false, 'an agent socket exists before the first call');
  const st = await c.status();
  assert.ok(st.agent.pid > 0);
  assert.equal(st.agent.socket, c.socket);
  assert.equal(st.agent.home, home);
  // The CLI finds the same agent.
  const cli = await h.run(env, 'status', '--json');
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).agent.pid, st.agent.pid);
});

test('clients racing to start the agent start one', async (t) => {
  const { env } = h.newHome(t);
  const pings = await Promise.all(Array.from({ length: 4 }, () => client(t, env).ping()));
  assert.equal(new Set(pings.map((p) => p.pid)).size, 1, `pids ${pings.map((p) => p.pid)}`);
});

test('the agent is started again after it stopped', async (t) => {
  const { env } = h.newHome(t);
  const c = client(t, env);
  const first = await c.ping();
  await h.stopAgent(c.socket);
  const second = await c.ping();
  assert.notEqual(second.pid, first.pid);
});

test('the socket is found as the CLI finds it', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'abn-paths-'));
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const deep = path.join(base, 'a'.repeat(60), 'b'.repeat(30));
  const xdg = path.join(base, 'xdg');
  fs.mkdirSync(xdg, { mode: 0o700 });
  const cases = [
    { name: 'explicit home', env: { AUTHBRIDGE_HOME: path.join(base, 'h1') } },
    { name: 'relative home', env: { AUTHBRIDGE_HOME: path.relative(process.cwd(), path.join(base, 'h2')) } },
    { name: 'home too deep for sun_path', env: { AUTHBRIDGE_HOME: deep } },
    { name: 'default home, XDG_RUNTIME_DIR', env: { HOME: path.join(base, 'u1'), XDG_RUNTIME_DIR: xdg } },
    { name: 'XDG_STATE_HOME', env: { HOME: path.join(base, 'u2'), XDG_STATE_HOME: path.join(base, 'state') } },
  ];
  for (const c of cases) {
    const env = h.cleanEnv({ XDG_RUNTIME_DIR: '', XDG_STATE_HOME: '', ...c.env });
    const mine = resolvePaths({ env }).socket;
    const cli = await h.run(env, 'status', '--json');
    assert.equal(cli.code, 0, `${c.name}: ${cli.stderr}`);
    const theirs = JSON.parse(cli.stdout).agent.socket;
    await h.stopAgent(theirs);
    if (theirs.startsWith('/tmp/authbridge-')) fs.rmSync(path.dirname(theirs), { recursive: true, force: true });
    assert.equal(mine, theirs, c.name);
  }
  // AUTHBRIDGE_SOCKET, then the socket option, win.
  assert.equal(resolvePaths({ env: { AUTHBRIDGE_HOME: '/x', AUTHBRIDGE_SOCKET: '/s.sock' } }).socket, '/s.sock');
  assert.equal(resolvePaths({ env: { AUTHBRIDGE_SOCKET: '/s.sock' }, socket: '/o.sock' }).socket, '/o.sock');
});

test('status and connectors answer the API shapes', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  fs.writeFileSync(path.join(home, 'connectors', 'broken.json'), '{"id": 3}', { mode: 0o600 });
  const c = client(t, env);
  const st = await c.status();
  assert.deepEqual(Object.keys(st).sort(), ['agent', 'bridges', 'connectors']);
  for (const k of ['pid', 'version', 'socket', 'home', 'started_at']) assert.ok(k in st.agent, `agent.${k}`);
  assert.deepEqual(st.bridges, []);
  const row = st.connectors.find((r) => r.id === 'demo');
  assert.ok(row, 'no demo row in status');
  assert.equal(row.name, 'Demo Site');
  assert.deepEqual(row.domains, ['demo.test']);
  assert.equal(row.health, 'Unknown');
  assert.equal(row.health_key, 'unknown');
  assert.equal(typeof row.prompt.what, 'string');
  assert.equal(typeof row.prompt.why, 'string');
  assert.equal(typeof row.prompt.action.id, 'string');
  assert.equal(typeof row.prompt.action.label, 'string');
  assert.equal(row.repair_in_progress, false);
  assert.equal(row.awaiting_interactive, false);
  const all = await c.status({ all: true });
  assert.ok(all.connectors.some((r) => r.id === 'github'), 'status({all: true}) lacks the built-in github');
  assert.ok(!st.connectors.some((r) => r.id === 'github'), 'status() lists the unused built-in github');

  const cs = await c.connectors();
  const demo = cs.connectors.find((d) => d.id === 'demo');
  assert.ok(demo);
  assert.deepEqual(demo.auth_cookies, ['sid']);
  assert.equal(demo.kind, 'native');
  assert.match(demo.source, /demo\.json$/);
  assert.ok(cs.connectors.some((d) => d.id === 'github' && d.kind === 'builtin'));
  assert.equal(cs.problems.length, 1);
  assert.match(cs.problems[0].file, /broken\.json$/);
  assert.ok(cs.problems[0].message.length > 0);
});

test('API errors reject with the PROTOCOL.md code, status and message', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  let e = await rejectsWith(c.cookies('nosuch'), 'not_found');
  assert.equal(e.status, 404);
  assert.match(e.message, /nosuch/);
  e = await rejectsWith(c.verify('nosuch'), 'not_found');
  e = await rejectsWith(c.cookies('demo', { format: 'yaml' }), 'bad_request');
  assert.equal(e.status, 400);
  assert.match(e.message, /format/);
  e = await rejectsWith(c.cookies('demo', { format: 'header' }), 'bad_request');
  assert.match(e.message, /url/);
  e = await rejectsWith(c.cookies(''), 'bad_request');
  assert.equal(e.status, undefined, 'a client-side refusal has no HTTP status');
  // A sign-in inside the connector's browser needs a connector with a profile of its own.
  e = await rejectsWith(c.repair('demo', { inConnectorBrowser: true, signInTimeoutMs: 1000 }), 'bad_request');
  assert.match(e.message, /session\.profile_dir/);
  e = await rejectsWith(c.events([{ type: 'run_started', connector_id: 'demo' }]), 'bad_request');
  assert.match(e.message, /line 1: run_id/);
});

test('with no browser connected: browser_not_connected', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  for (const [name, call] of [
    ['cookies', () => c.cookies('demo')],
    ['repair', () => c.repair('demo')],
    ['interactive', () => c.interactive('demo')],
    ['interactive wait', () => c.interactive('demo', { wait: true, timeoutMs: 5000 })],
  ]) {
    const e = await rejectsWith(call(), 'browser_not_connected');
    assert.equal(e.status, 503, name);
    assert.equal(e.reason, 'UNKNOWN', name);
    assert.match(e.message, /no browser is connected/, name);
  }
  // verify answers its result: the reason is the session's, not the call's.
  const v = await c.verify('demo');
  assert.equal(v.result.code, 'UNKNOWN');
  assert.equal(v.result.detail, 'browser_not_connected');
  assert.equal(typeof v.result.prompt.what, 'string');
  assert.equal(v.row.id, 'demo');
  const cl = await c.clear('demo');
  assert.equal(cl.row.health_key, 'unknown');
});

test('events are stored and counted in the report', async (t) => {
  const { env } = h.newHome(t);
  const c = client(t, env);
  const run = 'b6b2b7e4-5f5c-4c1e-9d64-2f4f2d1f0a11';
  const ev = (type, extra = {}) => ({ event_id: require('node:crypto').randomUUID(), type, connector_id: 'demo', run_id: run, ...extra });
  const started = ev('run_started');
  assert.deepEqual(await c.events([started, ev('run_succeeded', { auth_mode_used: 'headless_only' })]), { accepted: 2, duplicates: 0 });
  assert.deepEqual(await c.events(started), { accepted: 1, duplicates: 1 }); // a repeated event_id is stored once
  assert.deepEqual(await c.events(JSON.stringify(ev('auth_checked')) + '\n'), { accepted: 1, duplicates: 0 });
  const rep = await c.report({ since: '24h' });
  const demo = rep.connectors.find((x) => x.connector_id === 'demo');
  assert.equal(demo.runs, 1);
});

test('nothing answering and no agent to start: agent_unreachable', async (t) => {
  const { env } = h.newHome(t);
  let e = await rejectsWith(client(t, env, { autoStart: false }).status(), ClientCodes.AGENT_UNREACHABLE);
  assert.equal(e.detail, 'not_running');
  assert.match(e.message, /does not answer on .*api\.sock/);
  e = await rejectsWith(client(t, env, { bin: path.join(os.tmpdir(), 'no-such-authbridge') }).status(), ClientCodes.AGENT_UNREACHABLE);
  assert.equal(e.detail, 'binary_not_found');
  e = await rejectsWith(client(t, env, { bin: '/bin/false' }).status(), ClientCodes.AGENT_UNREACHABLE);
  assert.equal(e.detail, 'start_failed');
  // An explicit socket nobody listens on, even after the agent started.
  e = await rejectsWith(client(t, env, { socket: path.join(os.tmpdir(), 'abn-nobody.sock') }).status(), ClientCodes.AGENT_UNREACHABLE);
  assert.equal(e.detail, 'not_running');
});

test('timeout and abort, while the extension does not answer', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  await c.ping();
  const ext = await h.fakeExtension(home); // never answers cookies.get
  t.after(() => ext.close());
  await h.until(async () => (await c.status()).bridges.length === 1, 5000, 'the fake extension is connected');

  const asked = ext.on('cookies.get');
  let e = await rejectsWith(c.cookies('demo', { timeoutMs: 300 }), 'timeout');
  assert.match(e.message, /within 300 ms/);
  await asked; // the request did reach the extension

  const ctl = new AbortController();
  ext.on('cookies.get').then(() => ctl.abort());
  e = await rejectsWith(c.cookies('demo', { signal: ctl.signal, timeoutMs: 60_000 }), 'aborted');

  const pre = new AbortController();
  pre.abort(new Error('not needed'));
  const before = ext.requests.length;
  e = await rejectsWith(c.repair('demo', { signal: pre.signal }), 'aborted');
  assert.equal(e.cause.message, 'not needed');
  assert.equal(ext.requests.length, before, 'an aborted call still reached the agent');

  // The client is still usable afterwards.
  assert.ok((await c.ping()).pid > 0);
});

test('interactive opens the login tab; wait rejects on timeout, abort and clear', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  await c.ping();
  let tabs = 0;
  // A browser that is signed out of the demo site: the interactive repair's
  // preflight finds no auth cookie, so the login tab opens.
  const ext = await h.fakeExtension(home, { 'tabs.open': () => ({ tab_id: ++tabs }), 'cookies.get': () => ({ cookies: [] }) });
  t.after(() => ext.close());
  await h.until(async () => (await c.status()).bridges.length === 1, 5000, 'the fake extension is connected');

  const opened = ext.on('tabs.open');
  const res = await c.interactive('demo', { runId: 'demo-1764590000000' });
  assert.equal(res.tab_id, 1);
  assert.equal(res.login_url, h.demoConnector.login_url);
  assert.equal(res.row.awaiting_interactive, true);
  assert.equal((await opened).url, h.demoConnector.login_url);

  let e = await rejectsWith(c.interactive('demo', { wait: true, timeoutMs: 400 }), 'timeout');
  assert.match(e.message, /sign-in did not complete within 400 ms/);
  assert.equal(typeof e.prompt.what, 'string', 'the timeout carries the row prompt');

  const ctl = new AbortController();
  ext.on('tabs.open').then(() => ctl.abort());
  await rejectsWith(c.interactive('demo', { wait: true, signal: ctl.signal }), 'aborted');

  // Clearing the session ends the agent's wait: so does the client's.
  const waiting = rejectsWith(c.interactive('demo', { wait: true, timeoutMs: 20_000, pollMs: 20 }), ClientCodes.INTERACTIVE_CANCELLED);
  await ext.on('tabs.open');
  await h.until(async () => (await c.status()).connectors.find((r) => r.id === 'demo').awaiting_interactive, 5000, 'demo awaits the sign-in');
  await c.clear('demo');
  e = await waiting;
  assert.equal(e.detail, 'cleared');
});

test('cookieStream yields the set at once and again on each change, and ends on abort', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  await c.ping();
  let value = 'v1';
  const ext = await h.fakeExtension(home, {
    'cookies.get': () => ({ cookies: [{ name: 'sid', value, domain: 'demo.test', path: '/', hostOnly: true, secure: false, httpOnly: true, sameSite: 'lax', session: true }] }),
  });
  t.after(() => ext.close());
  await h.until(async () => (await c.status()).bridges.length === 1, 5000, 'the fake extension is connected');

  const ctl = new AbortController();
  const seen = [];
  const it = c.cookieStream('demo', { signal: ctl.signal })[Symbol.asyncIterator]();
  let r = await it.next();
  seen.push(r.value.cookies.map((k) => k.value).join());
  assert.deepEqual(r.value.cookies.map((k) => k.name), ['sid']);

  // A touch of another connector, or one that changes nothing, sends nothing.
  ext.notify('cookies.touched', { connectors: ['demo'] });
  value = 'v2';
  ext.notify('cookies.touched', { connectors: ['other'] });
  ext.notify('cookies.touched', { connectors: ['demo'] });
  r = await it.next();
  seen.push(r.value.cookies.map((k) => k.value).join());
  // An auth cookie change (cookies.changed) wakes the stream too.
  value = 'v3';
  ext.notify('cookies.changed', { changes: [{ removed: false, cause: 'explicit', cookie: { name: 'sid', domain: 'demo.test', path: '/' }, connectors: ['demo'] }] });
  r = await it.next();
  seen.push(r.value.cookies.map((k) => k.value).join());
  assert.deepEqual(seen, ['v1', 'v2', 'v3']);

  const pending = it.next();
  ctl.abort();
  assert.deepEqual(await pending, { value: undefined, done: true });
});

test('a grant removed in the browser: cookies() rejects with access_not_granted and an open stream ends with it', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  await c.ping();
  const ext = await h.fakeExtension(home, {
    'cookies.get': () => ({ cookies: [{ name: 'sid', value: 'v1', domain: 'demo.test', path: '/', hostOnly: true, secure: false, httpOnly: true, sameSite: 'lax', session: true }] }),
  });
  t.after(() => ext.close());
  await h.until(async () => (await c.status()).bridges.length === 1, 5000, 'the fake extension is connected');
  ext.notify('access.changed', { origins: ['*://*.demo.test/*'] });
  await h.until(async () => (await c.status()).connectors.find((r) => r.id === 'demo')?.access === 'granted', 5000, 'demo is granted');
  const it = c.cookieStream('demo')[Symbol.asyncIterator]();
  assert.deepEqual((await it.next()).value.cookies.map((k) => k.name), ['sid']);

  // The user removes the grant (popup, chrome://extensions): the extension says so.
  ext.notify('access.changed', { origins: [] });
  const e = await rejectsWith(it.next(), 'access_not_granted');
  assert.equal(e.status, 403);
  const e2 = await rejectsWith(c.cookies('demo'), 'access_not_granted');
  assert.equal(e2.status, 403);
  assert.equal(e2.prompt.action.id, 'allow_access');
  assert.equal(e2.detail, 'demo.test');
  assert.match(e2.message, /Allow in the authbridge popup/);
});

test('cookieStream rejects with the API error when the stream cannot start', async (t) => {
  const { env } = h.newHome(t);
  const c = client(t, env);
  const it = c.cookieStream('no-such-connector')[Symbol.asyncIterator]();
  await rejectsWith(it.next(), 'not_found');
});

test('refresh asks the browser for one request to the verify URL and answers the fresh cookies', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  await c.ping();
  const ext = await h.fakeExtension(home, {
    'cookies.refresh': () => ({ status: 200, cookies: [
      { name: 'sid', value: 'renewed', domain: 'demo.test', path: '/', hostOnly: true, secure: false, httpOnly: true, sameSite: 'lax', session: true },
      { name: 'x', value: 'y', domain: 'elsewhere.test', path: '/', hostOnly: true, secure: false, httpOnly: false, sameSite: 'lax', session: true },
    ] }),
  });
  t.after(() => ext.close());
  await h.until(async () => (await c.status()).bridges.length === 1, 5000, 'the fake extension is connected');
  const asked = ext.on('cookies.refresh');
  const r = await c.refresh('demo');
  const req = await asked;
  assert.equal(req.url, h.demoConnector.verify.url);
  assert.deepEqual(req.domains, ['demo.test']);
  assert.equal(r.http_status, 200);
  assert.equal(r.url, h.demoConnector.verify.url);
  assert.deepEqual(r.cookies.map((k) => `${k.name}=${k.value}`), ['sid=renewed'], 'only the connector\'s own domains');
  assert.deepEqual(r.origins, []);
});

test('a signed-out connector: the empty set, with a notice field saying why', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = client(t, env);
  await c.ping();
  let jar = [{ name: 'theme', value: 'dark', domain: 'demo.test', path: '/', hostOnly: true, secure: false, httpOnly: false, sameSite: 'lax', session: true }];
  const ext = await h.fakeExtension(home, { 'cookies.get': () => ({ cookies: jar }) });
  t.after(() => ext.close());
  await h.until(async () => (await c.status()).bridges.length === 1, 5000, 'the fake extension is connected');

  const st = await c.cookies('demo');
  assert.deepEqual(st.cookies.map((k) => k.name), ['theme']);
  assert.equal(st.notice.code, 'no_auth_cookie');
  assert.match(st.notice.message, /no sign-in cookie of demo \(sid\).*sign in to demo\.test/);
  assert.deepEqual(Object.keys(st), ['cookies', 'origins'], 'the notice is not enumerable: the storage state stays as it is');
  assert.equal((await c.cookies('demo', { format: 'cdp' })).notice.code, 'no_auth_cookie');
  let seen = null;
  const txt = await c.cookies('demo', { format: 'netscape-compat', onNotice: (n) => { seen = n; } });
  assert.match(txt, /^# Netscape HTTP Cookie File\n/);
  assert.equal(seen && seen.code, 'no_auth_cookie');

  // The CLI: the same set and status 0, and the sentence on stderr.
  const cli = await h.run(env, 'cookies', 'demo');
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /^authbridge: the browser holds no sign-in cookie of demo \(sid\).*\.\n$/);

  // Signed in: no notice.
  jar = [...jar, { name: 'sid', value: 's', domain: 'demo.test', path: '/', hostOnly: true, secure: false, httpOnly: true, sameSite: 'lax', session: true }];
  const in2 = await c.cookies('demo');
  assert.equal(in2.notice, undefined);
  const cli2 = await h.run(env, 'cookies', 'demo');
  assert.equal(cli2.stderr, '');
});
