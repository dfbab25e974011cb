import test from 'node:test';
import assert from 'node:assert/strict';
import { ChangeForwarder, matchConnectors, normalizeWatch } from '../lib/changes.js';
import { FakeClock, cookie } from '../testkit/fakes.js';

const watch = normalizeWatch([
  { id: 'demo', domains: ['demo.test'], auth_cookies: ['sid', 'remember'] },
  { id: 'shop', domains: ['shop.test', 'cdn.shop.test'], auth_cookies: ['session-id'] },
  { id: 'noauth', domains: ['demo.test'] },
]);

test('normalizeWatch names the bad field', () => {
  assert.throws(() => normalizeWatch('x'), /connectors must be an array/);
  assert.throws(() => normalizeWatch([{ id: '' }]), /connectors\[0\]\.id/);
  assert.throws(() => normalizeWatch([{ id: 'a', domains: [''] }]), /connectors\[0\]\.domains/);
  assert.throws(() => normalizeWatch([{ id: 'a', domains: ['a.test'], auth_cookies: [1] }]), /auth_cookies/);
  assert.deepEqual(normalizeWatch([{ id: 'a', domains: ['a.test'] }]), [{ id: 'a', domains: ['a.test'], auth_cookies: [] }]);
});

test('matchConnectors needs both the domain scope and the auth cookie name', () => {
  assert.deepEqual(matchConnectors(watch, cookie({ name: 'sid', domain: '.demo.test' })), ['demo']);
  assert.deepEqual(matchConnectors(watch, cookie({ name: 'sid', domain: 'www.demo.test' })), ['demo']);
  assert.deepEqual(matchConnectors(watch, cookie({ name: 'other', domain: 'demo.test' })), []);
  assert.deepEqual(matchConnectors(watch, cookie({ name: 'sid', domain: 'evildemo.test' })), []);
  assert.deepEqual(matchConnectors(watch, cookie({ name: 'session-id', domain: 'shop.test' })), ['shop']);
  assert.deepEqual(matchConnectors(watch, cookie({ name: 'sid', domain: 'shop.test' })), []);
});

test('a burst of changes becomes one cookies.changed after 50 ms, without values', () => {
  const clock = new FakeClock();
  const sent = [];
  const f = new ChangeForwarder({ send: (c) => sent.push(c), setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
  f.setWatch(watch);
  f.onChanged({ removed: true, cause: 'overwrite', cookie: cookie({ name: 'sid', value: 'OLDSECRET' }) });
  f.onChanged({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', value: 'NEWSECRET' }) });
  f.onChanged({ removed: false, cause: 'explicit', cookie: cookie({ name: 'tracking' }) });
  clock.advance(30);
  f.onChanged({ removed: false, cause: 'explicit', cookie: cookie({ name: 'remember', domain: '.demo.test' }) });
  assert.equal(sent.length, 0);
  clock.advance(20);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].map((c) => [c.removed, c.cause, c.cookie.name, c.connectors]), [
    [true, 'overwrite', 'sid', ['demo']],
    [false, 'explicit', 'sid', ['demo']],
    [false, 'explicit', 'remember', ['demo']],
  ]);
  assert.equal(/SECRET/.test(JSON.stringify(sent)), false);
  f.onChanged({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid' }) });
  clock.advance(50);
  assert.equal(sent.length, 2);
});

test('drop discards queued changes', () => {
  const clock = new FakeClock();
  const sent = [];
  const f = new ChangeForwarder({ send: (c) => sent.push(c), setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
  f.setWatch(watch);
  f.onChanged({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid' }) });
  f.drop();
  clock.advance(100);
  assert.equal(sent.length, 0);
  assert.equal(clock.pending, 0);
});
