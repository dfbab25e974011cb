import test from 'node:test';
import assert from 'node:assert/strict';
import { NativeBridge, classifyDisconnect } from '../lib/bridge.js';
import { FakeClock, fakeChrome, quietLog, settle } from '../testkit/fakes.js';

test('classifyDisconnect tells a missing host from one that exited', () => {
  assert.equal(classifyDisconnect('Specified native messaging host not found.'), 'not_installed');
  assert.equal(classifyDisconnect('Access to the specified native messaging host is forbidden.'), 'forbidden');
  assert.equal(classifyDisconnect('Native host has exited.'), 'exited');
  assert.equal(classifyDisconnect('Error when communicating with the native messaging host.'), 'unreachable');
  assert.equal(classifyDisconnect(undefined), 'unreachable');
});

function setup() {
  const chrome = fakeChrome();
  const clock = new FakeClock();
  const states = [];
  const bridge = new NativeBridge({
    runtime: chrome.runtime,
    helloFields: () => ({ extension_id: chrome.runtime.id, version: '0.1.0', user_agent: 'test' }),
    onState: (s) => states.push(s.state),
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: clock.now,
    random: () => 0.5,
    log: quietLog,
  });
  return { chrome, clock, states, bridge };
}

async function answerHello(port, result = { agent_version: '1.2.3', bridge_id: 'b1' }) {
  const hello = port.last('hello');
  port.onMessage.emit({ id: hello.id, type: 'result', result });
  await settle();
}

test('connect says hello and becomes connected', async () => {
  const { chrome, bridge, states } = setup();
  bridge.connect();
  assert.equal(chrome.natives.length, 1);
  assert.equal(chrome.natives[0].name, 'com.authbridge.host');
  assert.deepEqual(chrome.natives[0].sent[0], { extension_id: chrome.runtime.id, version: '0.1.0', user_agent: 'test', id: 'e1', type: 'hello' });
  await answerHello(chrome.natives[0]);
  assert.equal(bridge.state.state, 'connected');
  assert.equal(bridge.state.bridge_id, 'b1');
  assert.deepEqual(states, ['connecting', 'connected']);
});

test('reconnects with backoff and resets it after a successful hello', async () => {
  const { chrome, bridge, clock } = setup();
  bridge.connect();
  const delays = [];
  for (let i = 0; i < 4; i++) {
    chrome.disconnectNative('Specified native messaging host not found.');
    assert.equal(bridge.state.state, 'not_installed');
    delays.push(bridge.state.retry_in_ms);
    const before = chrome.natives.length;
    clock.advance(bridge.state.retry_in_ms - 1);
    assert.equal(chrome.natives.length, before);
    clock.advance(1);
    assert.equal(chrome.natives.length, before + 1);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000]);
  await answerHello(chrome.natives.at(-1));
  chrome.disconnectNative('Native host has exited.');
  assert.equal(bridge.state.state, 'exited');
  assert.equal(bridge.state.retry_in_ms, 500);
});

test('a hello that times out drops the port and retries', async () => {
  const { chrome, bridge, clock } = setup();
  bridge.connect();
  clock.advance(10_000);
  await settle();
  assert.equal(chrome.natives[0].disconnected, true);
  assert.equal(bridge.state.state, 'unreachable');
  clock.advance(500);
  assert.equal(chrome.natives.length, 2);
});

test('requests fail fast with host_unreachable while disconnected, and pending ones fail on disconnect', async () => {
  const { chrome, bridge } = setup();
  bridge.connect();
  await assert.rejects(bridge.request('api', {}), (e) => e.code === 'host_unreachable' && e.detail === 'connecting');
  await answerHello(chrome.natives[0]);
  const p = bridge.request('api', { method: 'GET', path: '/v1/status' });
  chrome.disconnectNative('Native host has exited.');
  await assert.rejects(p, (e) => e.code === 'host_unreachable' && e.detail === 'exited');
  await assert.rejects(bridge.request('api', {}), (e) => e.code === 'host_unreachable' && e.detail === 'exited');
});

test('reconnectNow skips the wait and resets the backoff', async () => {
  const { chrome, bridge, clock } = setup();
  bridge.connect();
  chrome.disconnectNative('Specified native messaging host not found.');
  clock.advance(500);
  chrome.disconnectNative('Specified native messaging host not found.');
  assert.equal(bridge.state.retry_in_ms, 1000);
  bridge.reconnectNow();
  assert.equal(chrome.natives.length, 3);
  assert.equal(clock.pending, 1); // only the hello timeout
  chrome.disconnectNative('Specified native messaging host not found.');
  assert.equal(bridge.state.retry_in_ms, 500);
});

test('a stale port disconnecting does not disturb the current one', async () => {
  const { chrome, bridge } = setup();
  bridge.connect();
  const first = chrome.natives[0];
  bridge.reconnectNow();
  await answerHello(chrome.natives[1]);
  chrome.runtime.lastError = { message: 'Native host has exited.' };
  first.onDisconnect.emit(first);
  chrome.runtime.lastError = undefined;
  assert.equal(bridge.state.state, 'connected');
});
