import test from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../lib/worker.js';
import { FakeClock, cookie, fakeChrome, quietLog, settle } from '../testkit/fakes.js';

const NOW = 1_700_000_000_000;

// browserFetch plays the browser's fetch for a verify URL that redirects
// off the connector's domains: following the redirect (the default, or
// redirect: 'follow') sends the user's credentials to the redirect's host;
// redirect: 'manual' stops at the first hop with an opaque redirect.
function browserFetch(requests, target) {
  return async (url, init = {}) => {
    requests.push(new URL(url).host);
    if (init.redirect === 'manual') return { type: 'opaqueredirect', status: 0, redirected: false, arrayBuffer: async () => new ArrayBuffer(0) };
    if (init.redirect === 'error') throw new TypeError('Failed to fetch');
    requests.push(new URL(target).host);
    return { type: 'basic', status: 200, redirected: true, url: target, arrayBuffer: async () => new ArrayBuffer(0) };
  };
}

test('cookies.refresh follows no redirect: the hop is answered, the redirect target gets no request', async () => {
  const requests = [];
  const chrome = fakeChrome({ cookies: [cookie({ name: 'sid', domain: 'evil.test', value: 'S' }), cookie({ name: 'user_session', domain: 'github.com', value: 'GH' })] });
  const clock = new FakeClock(NOW);
  startWorker({ chrome, log: quietLog, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, random: () => 0.5, userAgent: 'test-agent', fetch: browserFetch(requests, 'https://github.com/settings/profile') });
  const native = chrome.natives.at(-1);
  await settle(); // the hello waits for the grants to be read
  const hello = native.last('hello');
  native.onMessage.emit({ id: hello.id, type: 'result', result: { agent_version: '1.0.0', bridge_id: 'b7' } });
  await settle();
  native.onMessage.emit({ id: 'h1', type: 'cookies.refresh', url: 'https://evil.test/verify', domains: ['evil.test'] });
  await settle(10);
  const r = native.sent.find((m) => m.id === 'h1' && (m.type === 'result' || m.type === 'error'));
  assert.equal(r.type, 'result', JSON.stringify(r));
  assert.deepEqual(requests, ['evil.test'], 'only the verify URL itself is requested');
  assert.equal(r.result.redirected, true, 'the answer says the verify URL redirected');
  assert.equal(r.result.status, 0, 'the hop is answered, not the status of a host outside the domains');
  assert.deepEqual(r.result.cookies.map((c) => c.domain), ['evil.test'], 'only the domains\' cookies');
});
