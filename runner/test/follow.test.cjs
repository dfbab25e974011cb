'use strict';
// The follower against a hand-written fake of the runner's Sessions: sets
// from the stream are applied (changes and removals), and refresh is asked
// before the next expiry.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Follower, nextExpiry, REFRESH_LEAD_MS } = require('../lib/follow.cjs');

// channel is an async iterable the test pushes sets into.
function channel() {
  const queue = [];
  let wake = null;
  let closed = false;
  return {
    push(v) {
      queue.push(v);
      if (wake) wake();
    },
    close() {
      closed = true;
      if (wake) wake();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length) yield queue.shift();
        if (closed) return;
        await new Promise((r) => (wake = r));
        wake = null;
      }
    },
  };
}

const ck = (name, value, expires = -1) => ({ name, value, domain: 'demo.test', path: '/', expires });

test('nextExpiry ignores session cookies', () => {
  assert.equal(nextExpiry([ck('a', '1'), ck('b', '2', 100), ck('c', '3', 50)]), 50_000);
  assert.equal(nextExpiry([ck('a', '1')]), Infinity);
});

test('the follower applies each set, asks refresh before expiry, and stops on abort', async () => {
  const ch = channel();
  const applied = [];
  const refreshes = [];
  const timers = [];
  let now = 1_000_000;
  const ctl = new AbortController();
  const sessions = {
    stream: (id, { signal }) => {
      assert.equal(id, 'demo');
      assert.equal(signal, ctl.signal);
      return { ok: true, iterator: ch };
    },
    refresh: async (id) => {
      refreshes.push(id);
      return { ok: true, cookies: [ck('sid', 'S3', now / 1000 + 20)] };
    },
  };
  const f = new Follower({
    id: 'demo', sessions, signal: ctl.signal, now: () => now,
    apply: async (set) => applied.push({ cookies: set.cookies.map((c) => `${c.name}=${c.value}`), removed: set.removed.map((c) => c.name) }),
    setTimeout: (fn, ms) => timers.push({ fn, at: now + ms }) - 1,
    clearTimeout: (i) => {
      if (timers[i]) timers[i].fn = null;
    },
  });
  const done = f.start();
  ch.push({ cookies: [ck('sid', 'S1', now / 1000 + 20), ck('theme', 'dark')] });
  await new Promise((r) => setImmediate(r));
  ch.push({ cookies: [ck('sid', 'S2', now / 1000 + 20)] }); // a new sign-in; theme removed
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(applied, [
    { cookies: ['sid=S1', 'theme=dark'], removed: [] },
    { cookies: ['sid=S2'], removed: ['theme'] },
  ]);
  const t = timers.filter((x) => x.fn).at(-1);
  assert.equal(t.at, now + 20_000 - REFRESH_LEAD_MS, 'refresh is asked before the cookie expires');
  now = t.at;
  t.fn();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(refreshes, ['demo']);
  assert.deepEqual(applied.at(-1), { cookies: ['sid=S3'], removed: [] });
  ctl.abort();
  ch.close();
  await done;
  assert.equal(timers.filter((x) => x.fn && x.at > now).length <= 1, true);
  assert.equal(f.stopped, true);
});

test('without a stream the follower says so and ends', async () => {
  const logs = [];
  const f = new Follower({ id: 'demo', sessions: { stream: () => ({ ok: false, error: { code: 'unsupported' } }) }, apply: async () => {}, log: (m) => logs.push(m) });
  await f.start();
  assert.match(logs[0], /stream unavailable \(unsupported\)/);
});

test('a cookie the refresh does not renew is not asked for again', async () => {
  const ch = channel();
  const logs = [];
  const timers = [];
  let now = 1_000_000;
  let refreshes = 0;
  const ctl = new AbortController();
  // A cookie only the site (not the user's browser) could renew, beside one
  // that lives longer.
  const set = [ck('bound', 'B1', now / 1000 + 8), ck('sid', 'S1', now / 1000 + 60)];
  const sessions = {
    stream: () => ({ ok: true, iterator: ch }),
    refresh: async () => {
      refreshes++;
      return { ok: true, cookies: set };
    },
  };
  const f = new Follower({
    id: 'demo', sessions, signal: ctl.signal, now: () => now, log: (m) => logs.push(m),
    apply: async () => {},
    setTimeout: (fn, ms) => timers.push({ fn, at: now + ms }) - 1,
    clearTimeout: (i) => {
      if (timers[i]) timers[i].fn = null;
    },
  });
  const done = f.start();
  ch.push({ cookies: set });
  await new Promise((r) => setImmediate(r));
  const first = timers.filter((x) => x.fn).at(-1);
  assert.equal(first.at, now + 8_000 - REFRESH_LEAD_MS);
  now = first.at;
  const fire = first.fn;
  first.fn = null;
  fire();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(refreshes, 1);
  const next = timers.filter((x) => x.fn);
  assert.equal(next.length, 1, 'one timer left');
  assert.equal(next[0].at, 1_000_000 + 60_000 - REFRESH_LEAD_MS, 'the next refresh is for the cookie that can still be renewed');
  assert.equal(logs.filter((m) => /did not renew bound/.test(m)).length, 1);
  assert.equal(logs.filter((m) => /0 cookie\(s\) changed/.test(m)).length, 0, 'an unchanged refresh is not logged as a change');
  ctl.abort();
  ch.close();
  await done;
});

test('a stream that keeps failing the same way is said once and tried less often', async () => {
  const logs = [];
  const waits = [];
  let tries = 0;
  const ctl = new AbortController();
  const failing = { async *[Symbol.asyncIterator]() { throw Object.assign(new Error('no connector'), { code: 'not_found' }); } };
  const f = new Follower({
    id: 'demo', signal: ctl.signal, log: (m) => logs.push(m), apply: async () => {},
    sessions: { stream: () => { if (++tries === 6) ctl.abort(); return { ok: true, iterator: failing }; } },
    setTimeout: (fn, ms) => { waits.push(ms); fn(); return waits.length; },
    clearTimeout: () => {},
  });
  await f.start();
  assert.equal(logs.filter((m) => /stream broke \(not_found\)/.test(m)).length, 1);
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 15000]);
});
