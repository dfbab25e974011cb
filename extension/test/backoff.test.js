import test from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, BACKOFF_CAP_MS } from '../lib/backoff.js';

test('backoff doubles from 0.5 s and caps at 30 s', () => {
  const fixed = { random: () => 0.5 };
  const got = [0, 1, 2, 3, 4, 5, 6, 7, 20, 2000].map((n) => backoffDelay(n, fixed));
  assert.deepEqual(got, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

test('backoff jitter stays within ±10% and under the cap', () => {
  for (const r of [0, 0.25, 0.999]) {
    for (let n = 0; n < 10; n++) {
      const d = backoffDelay(n, { random: () => r });
      const base = Math.min(BACKOFF_CAP_MS, 500 * 2 ** n);
      assert.ok(d >= base * 0.9 - 1 && d <= Math.min(BACKOFF_CAP_MS, base * 1.1) + 1, `attempt ${n} r ${r}: ${d}`);
    }
  }
});

test('backoff treats bad attempts as the first', () => {
  assert.equal(backoffDelay(-3, { random: () => 0.5 }), 500);
  assert.equal(backoffDelay(NaN, { random: () => 0.5 }), 500);
});
