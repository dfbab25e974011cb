// The popup's messages, handled with a fake bridge (no worker, no host).
import test from 'node:test';
import assert from 'node:assert/strict';
import { makePopupHandlers, onPopupMessage, API_TIMEOUT_MS } from '../lib/popupport.js';
import { RpcError } from '../lib/rpc.js';
import { StatusStore } from '../lib/status.js';

function setup({ answer, connected = true } = {}) {
  const calls = [];
  const bridge = {
    connected,
    state: { state: connected ? 'connected' : 'disconnected' },
    reconnects: 0,
    async request(type, msg, opts) {
      calls.push({ type, msg, opts });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    reconnectNow() { this.reconnects++; },
  };
  const status = new StatusStore();
  const refreshed = [];
  let loads = 0;
  const handlers = makePopupHandlers({
    bridge, status, refresh: (x) => refreshed.push(x), snapshot: (x) => ({ type: 'state', ...x }), loadStatus: async () => { loads++; },
  });
  const port = { sent: [], postMessage(m) { this.sent.push(m); } };
  const send = (msg) => onPopupMessage(handlers, port, msg);
  return { bridge, status, refreshed, port, send, calls, loads: () => loads };
}

test('api relays a /v1/ call through the host and takes the row it answers', async () => {
  const s = setup({ answer: { status: 200, body: { row: { id: 'a', health_key: 'healthy' } } } });
  await s.send({ id: 'p1', type: 'api', method: 'POST', path: '/v1/connectors/a/verify', body: {} });
  assert.deepEqual(s.calls, [{ type: 'api', msg: { method: 'POST', path: '/v1/connectors/a/verify', body: {} }, opts: { timeoutMs: API_TIMEOUT_MS } }]);
  assert.deepEqual(s.port.sent, [{ id: 'p1', type: 'result', result: { status: 200, body: { row: { id: 'a', health_key: 'healthy' } } } }]);
  assert.deepEqual(s.status.list().map((r) => r.id), ['a']);
  assert.deepEqual(s.refreshed, [{ source: 'api', ids: ['a'] }]);
});

test('api refuses a path outside /v1/ without asking the host', async () => {
  const s = setup();
  for (const path of ['http://evil/', '/v2/x', '/v1/../x y', 7]) {
    await s.send({ id: 'p', type: 'api', method: 'GET', path });
  }
  assert.equal(s.calls.length, 0);
  assert.ok(s.port.sent.every((m) => m.type === 'error' && m.error.code === 'bad_request'));
});

test('api answers the host error, with the connection state when unreachable', async () => {
  const s = setup({ answer: new RpcError('host_unreachable', 'authbridge is not connected'), connected: false });
  await s.send({ id: 'p1', type: 'api', method: 'GET', path: '/v1/status' });
  assert.deepEqual(s.port.sent, [{ id: 'p1', type: 'error', error: { code: 'host_unreachable', message: 'authbridge is not connected', detail: 'disconnected' } }]);
  const t = setup({ answer: new Error('boom') });
  await t.send({ id: 'p2', type: 'api', method: 'GET', path: '/v1/status' });
  assert.deepEqual(t.port.sent[0].error, { code: 'internal', message: 'boom' });
});

test('reconnect and refresh; unknown types get unknown_type; non-objects are ignored', async () => {
  const s = setup({ connected: false });
  await s.send({ type: 'reconnect' });
  assert.equal(s.bridge.reconnects, 1);
  await s.send({ type: 'refresh' });
  assert.deepEqual(s.port.sent.at(-1), { type: 'state', source: 'refresh' });
  const c = setup({ connected: true });
  await c.send({ type: 'refresh' });
  assert.equal(c.loads(), 1);
  await c.send({ id: 'x', type: 'toString' });
  assert.deepEqual(c.port.sent.at(-1), { id: 'x', type: 'error', error: { code: 'unknown_type', message: 'unknown popup message toString' } });
  await c.send(null);
  await c.send('api');
  assert.equal(c.port.sent.length, 1);
});

test('a closed popup does not break the handler', async () => {
  const s = setup({ answer: { status: 200, body: {} } });
  s.port.postMessage = () => { throw new Error('Attempting to use a disconnected port object'); };
  await s.send({ id: 'p1', type: 'api', method: 'GET', path: '/v1/ping' });
});
