import test from 'node:test';
import assert from 'node:assert/strict';
import { HeldAnswers, MAX_HELD } from '../lib/held.js';
import { cookie } from '../testkit/fakes.js';

test('a change releases exactly the held lists that hold its domain, once', () => {
  const sent = [];
  const h = new HeldAnswers({ send: (lists) => sent.push(lists) });
  h.hold(['demo.test']);
  h.hold(['a.test', 'b.test']);
  h.hold(['other.test']);
  h.onChanged({ removed: false, cookie: cookie({ name: 'x', domain: '.www.b.test' }) });
  h.onChanged({ removed: false, cookie: cookie({ name: 'x', domain: 'evilb.test' }) });
  assert.deepEqual(sent, [[['a.test', 'b.test']]]);
  h.onChanged({ removed: true, cookie: cookie({ name: 'x', domain: 'b.test' }) });
  assert.equal(sent.length, 1, 'a released list is not released again until held again');
  h.hold(['a.test', 'b.test']);
  h.onChanged({ removed: true, cookie: cookie({ name: 'x', domain: 'demo.test' }) });
  assert.deepEqual(sent[1], [['demo.test']]);
  assert.equal(h.size, 2);
});

test('releaseOverlapping releases lists that overlap either way; drop forgets silently', () => {
  const sent = [];
  const h = new HeldAnswers({ send: (lists) => sent.push(lists) });
  h.hold(['app.demo.test']);
  h.hold(['demo.test']);
  h.hold(['other.test']);
  h.releaseOverlapping(['demo.test']);
  assert.deepEqual(sent, [[['app.demo.test'], ['demo.test']]]);
  h.drop();
  assert.equal(h.size, 0);
  h.onChanged({ removed: false, cookie: cookie({ name: 'x', domain: 'other.test' }) });
  assert.equal(sent.length, 1);
});

test('past MAX_HELD lists every held answer is released before holding another', () => {
  const sent = [];
  const h = new HeldAnswers({ send: (lists) => sent.push(lists) });
  for (let i = 0; i < MAX_HELD; i++) h.hold([`s${i}.test`]);
  assert.equal(sent.length, 0);
  h.hold(['s0.test']);
  assert.equal(sent.length, 0, 'holding a held list again takes no room');
  h.hold(['new.test']);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].length, MAX_HELD);
  assert.equal(h.size, 1);
});
