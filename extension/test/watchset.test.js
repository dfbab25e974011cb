import test from 'node:test';
import assert from 'node:assert/strict';
import { WatchSet } from '../lib/watchset.js';

test('WatchSet hands only fully granted connectors on, and their domains to the index', () => {
  let granted = ['demo.test'];
  const got = { forwarder: null, touched: null, retained: null };
  const w = new WatchSet({
    grants: { covers: (d) => granted.includes(d.toLowerCase().replace(/^\./, '')) },
    forwarder: { setWatch: (l) => { got.forwarder = l; } },
    touched: { setWatch: (l) => { got.touched = l; } },
    index: { retain: (ds) => { got.retained = ds; } },
  });
  const list = [
    { id: 'a', domains: ['demo.test', '.Demo.test'], auth_cookies: [] },
    { id: 'b', domains: ['demo.test', 'other.test'], auth_cookies: [] },
  ];
  assert.deepEqual(w.set(list), ['demo.test']);
  assert.deepEqual(got.forwarder.map((c) => c.id), ['a']);
  assert.deepEqual(got.touched.map((c) => c.id), ['a']);
  assert.deepEqual(got.retained, ['demo.test']);
  granted = ['demo.test', 'other.test'];
  assert.deepEqual(w.sync(), ['demo.test', 'other.test']);
  assert.deepEqual(got.forwarder.map((c) => c.id), ['a', 'b']);
  granted = [];
  assert.deepEqual(w.sync(), []);
  assert.deepEqual(got.retained, []);
  assert.equal(w.list, list);
});
