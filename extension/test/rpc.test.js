import test from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint, RpcError, splitForChunks } from '../lib/rpc.js';
import { FakeClock, quietLog, settle } from '../testkit/fakes.js';

function endpoint(opts = {}) {
  const clock = new FakeClock();
  const sent = [];
  const unhandled = [];
  const ep = new Endpoint({
    send: (m) => sent.push(JSON.parse(JSON.stringify(m))),
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    onUnhandled: (m) => unhandled.push(m),
    log: quietLog,
    ...opts,
  });
  return { ep, sent, clock, unhandled };
}

test('request ids are e<n> and results resolve the matching request', async () => {
  const { ep, sent } = endpoint();
  const a = ep.request('hello', { version: '1' });
  const b = ep.request('api', { method: 'GET', path: '/v1/status' });
  assert.deepEqual(sent.map((m) => [m.id, m.type]), [['e1', 'hello'], ['e2', 'api']]);
  await ep.receive({ id: 'e2', type: 'result', result: { status: 200 } });
  await ep.receive({ id: 'e1', type: 'result', result: { bridge_id: 'b1' } });
  assert.deepEqual(await a, { bridge_id: 'b1' });
  assert.deepEqual(await b, { status: 200 });
  assert.equal(ep.pending.size, 0);
});

test('an error reply rejects with its code', async () => {
  const { ep } = endpoint();
  const p = ep.request('api', {});
  await ep.receive({ id: 'e1', type: 'error', error: { code: 'not_found', message: 'no connector x' } });
  await assert.rejects(p, (e) => e instanceof RpcError && e.code === 'not_found' && e.message === 'no connector x');
});

test('a request without answer times out and is forgotten', async () => {
  const { ep, clock, unhandled } = endpoint();
  const p = ep.request('hello', {}, { timeoutMs: 1000 });
  clock.advance(999);
  assert.equal(ep.pending.size, 1);
  clock.advance(1);
  await assert.rejects(p, (e) => e.code === 'timeout');
  assert.equal(ep.pending.size, 0);
  // A late answer is not an error, just unhandled.
  await ep.receive({ id: 'e1', type: 'result', result: {} });
  assert.equal(unhandled.length, 1);
});

test('dispatch table answers requests with result or error', async () => {
  const { ep, sent } = endpoint({
    handlers: {
      ping: async () => ({}),
      boom: async () => {
        throw new RpcError('bad_request', 'domains missing');
      },
      crash: async () => {
        throw new Error('oops');
      },
    },
  });
  await ep.receive({ id: 'h1', type: 'ping' });
  await ep.receive({ id: 'h2', type: 'boom' });
  await ep.receive({ id: 'h3', type: 'crash' });
  await ep.receive({ id: 'h4', type: 'nope' });
  assert.deepEqual(sent, [
    { id: 'h1', type: 'result', result: {} },
    { id: 'h2', type: 'error', error: { code: 'bad_request', message: 'domains missing' } },
    { id: 'h3', type: 'error', error: { code: 'internal', message: 'oops' } },
    { id: 'h4', type: 'error', error: { code: 'unknown_type', message: 'unknown message type "nope"' } },
  ]);
});

test('notifications get no reply, even unknown or failing ones', async () => {
  const seen = [];
  const { ep, sent, unhandled } = endpoint({
    handlers: {
      'status.changed': async (m) => seen.push(m.connectors.length),
      bad: async () => {
        throw new Error('x');
      },
    },
  });
  await ep.receive({ type: 'status.changed', connectors: [{ id: 'a' }] });
  await ep.receive({ type: 'bad' });
  await ep.receive({ type: 'future.thing' });
  assert.deepEqual(seen, [1]);
  assert.deepEqual(sent, []);
  assert.deepEqual(unhandled.map((m) => m.type), ['future.thing']);
});

test('handlers cannot be reached through Object prototype names', async () => {
  const { ep, sent } = endpoint({ handlers: {} });
  await ep.receive({ id: 'h1', type: 'constructor' });
  await ep.receive({ id: 'h2', type: 'toString' });
  assert.deepEqual(sent.map((m) => m.error.code), ['unknown_type', 'unknown_type']);
});

test('malformed messages are dropped; with an id they get bad_request', async () => {
  const { ep, sent } = endpoint();
  await ep.receive(null);
  await ep.receive('hello');
  await ep.receive([1, 2]);
  await ep.receive({ id: 'h9' });
  assert.deepEqual(sent, [{ id: 'h9', type: 'error', error: { code: 'bad_request', message: 'message has no type' } }]);
});

test('chunks are reassembled in any order into one message', async () => {
  const got = [];
  const { ep, sent } = endpoint({ handlers: { 'cookies.get': async (m) => { got.push(m); return { cookies: [] }; } } });
  const text = JSON.stringify({ id: 'h5', type: 'cookies.get', domains: ['demo.test', 'ü.example'] });
  const parts = [text.slice(0, 10), text.slice(10, 30), text.slice(30)];
  await ep.receive({ type: 'chunk', chunk_id: 'c1', seq: 2, total: 3, data: parts[2] });
  await ep.receive({ type: 'chunk', chunk_id: 'c1', seq: 0, total: 3, data: parts[0] });
  assert.equal(got.length, 0);
  await ep.receive({ type: 'chunk', chunk_id: 'c1', seq: 0, total: 3, data: parts[0] }); // duplicate
  await ep.receive({ type: 'chunk', chunk_id: 'c1', seq: 1, total: 3, data: parts[1] });
  assert.equal(got.length, 1);
  assert.deepEqual(got[0].domains, ['demo.test', 'ü.example']);
  assert.deepEqual(sent, [{ id: 'h5', type: 'result', result: { cookies: [] } }]);
  assert.equal(ep.chunks.size, 0);
});

test('a chunked result resolves the pending request', async () => {
  const { ep } = endpoint();
  const p = ep.request('api', {});
  const text = JSON.stringify({ id: 'e1', type: 'result', result: { status: 200, body: { big: 'x'.repeat(100) } } });
  await ep.receive({ type: 'chunk', chunk_id: 'h-c1', seq: 0, total: 2, data: text.slice(0, 50) });
  await ep.receive({ type: 'chunk', chunk_id: 'h-c1', seq: 1, total: 2, data: text.slice(50) });
  assert.equal((await p).body.big.length, 100);
});

test('bad chunks are dropped and incomplete ones expire', async () => {
  const { ep, clock } = endpoint();
  await ep.receive({ type: 'chunk', chunk_id: 'c1', seq: 3, total: 3, data: 'x' });
  await ep.receive({ type: 'chunk', chunk_id: 'c2', seq: 0, total: 0, data: 'x' });
  await ep.receive({ type: 'chunk', chunk_id: 'c3', seq: 0, total: 1e9, data: 'x' });
  await ep.receive({ type: 'chunk', chunk_id: 'c4', seq: 0, total: 2, data: 5 });
  assert.equal(ep.chunks.size, 0);
  await ep.receive({ type: 'chunk', chunk_id: 'c5', seq: 0, total: 2, data: '{"a"' });
  await ep.receive({ type: 'chunk', chunk_id: 'c5', seq: 1, total: 3, data: ':1}' }); // total changed
  assert.equal(ep.chunks.size, 0);
  await ep.receive({ type: 'chunk', chunk_id: 'c6', seq: 0, total: 2, data: '{' });
  assert.equal(ep.chunks.size, 1);
  clock.advance(30_000);
  assert.equal(ep.chunks.size, 0);
  // Invalid JSON once complete: dropped quietly.
  await ep.receive({ type: 'chunk', chunk_id: 'c7', seq: 0, total: 1, data: '{nope' });
  assert.equal(ep.chunks.size, 0);
});

test('messages above the frame limit go out as chunks that rebuild the exact JSON', () => {
  const { ep, sent } = endpoint({ frameLimit: 200 });
  const body = { note: 'quotes " and \\ and \n newlines, ü, 😀 emoji, \u0001 control '.repeat(8) };
  ep.notify('cookies.changed', body);
  assert.ok(sent.length > 1);
  for (const f of sent) {
    assert.equal(f.type, 'chunk');
    assert.equal(f.total, sent.length);
    assert.ok(Buffer.byteLength(JSON.stringify(f)) <= 200, `frame of ${Buffer.byteLength(JSON.stringify(f))} bytes`);
    assert.ok(!/[\ud800-\udbff]$/.test(f.data), 'a chunk ends inside a surrogate pair');
  }
  const whole = JSON.parse(sent.map((f) => f.data).join(''));
  assert.deepEqual(whole, { ...body, type: 'cookies.changed' });
});

test('splitForChunks keeps surrogate pairs whole at every boundary', () => {
  const text = '😀'.repeat(300);
  for (const limit of [120, 121, 122, 123, 150]) {
    const pieces = splitForChunks(text, limit, 'e-c1');
    assert.equal(pieces.join(''), text);
    for (const p of pieces) assert.equal(p.length % 2, 0);
  }
});

test('close rejects pending requests and refuses new ones', async () => {
  const { ep, sent } = endpoint();
  const p = ep.request('api', {});
  ep.close('host_unreachable', 'Native host has exited.', { detail: 'exited' });
  await assert.rejects(p, (e) => e.code === 'host_unreachable' && e.detail === 'exited');
  await assert.rejects(ep.request('api', {}), (e) => e.code === 'host_unreachable');
  assert.equal(ep.notify('x'), false);
  assert.equal(sent.length, 1);
});

test('timers are called as plain functions (browsers throw "Illegal invocation" otherwise)', async () => {
  const calls = [];
  function strictSetTimeout(fn, ms) {
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
    calls.push(ms);
    return 1;
  }
  function strictClearTimeout() {
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
  }
  const sent = [];
  const ep = new Endpoint({ send: (m) => sent.push(m), setTimeout: strictSetTimeout, clearTimeout: strictClearTimeout, log: quietLog });
  const p = ep.request('hello', {}, { timeoutMs: 5 });
  await ep.receive({ id: 'e1', type: 'result', result: {} });
  await p;
  assert.deepEqual(calls, [5]);
});
