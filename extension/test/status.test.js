import test from 'node:test';
import assert from 'node:assert/strict';
import { StatusStore, badgeFor, healthKey, needsAttentionCount } from '../lib/status.js';

test('healthKey prefers health_key and falls back to health', () => {
  assert.equal(healthKey({ health_key: 'healthy' }), 'healthy');
  assert.equal(healthKey({ health: 'Needs Attention' }), 'needs_attention');
  assert.equal(healthKey({ health: 'Healthy' }), 'healthy');
  assert.equal(healthKey({ health_key: 'weird' }), 'unknown');
  assert.equal(healthKey({}), 'unknown');
});

test('badge shows the count of rows needing attention, empty at zero', () => {
  const connected = { state: 'connected' };
  const rows = [{ id: 'a', health_key: 'needs_attention' }, { id: 'b', health_key: 'healthy' }, { id: 'c', health_key: 'needs_attention' }, { id: 'd', health_key: 'unknown' }];
  assert.equal(needsAttentionCount(rows), 2);
  assert.equal(badgeFor(rows, connected).text, '2');
  assert.equal(badgeFor(rows, connected).title, 'authbridge: 2 connectors need attention');
  assert.equal(badgeFor(rows.slice(1, 2), connected).text, '');
  assert.equal(badgeFor(rows.slice(1, 2), connected).title, 'authbridge: all sessions fine');
  assert.equal(badgeFor([], { state: 'not_installed' }).title, 'authbridge is not connected');
});

test('StatusStore upserts by id and replaces on a full list', () => {
  const s = new StatusStore();
  assert.deepEqual(s.upsert([{ id: 'a', v: 1 }, { id: 'b', v: 1 }, null, { v: 3 }]), ['a', 'b']);
  s.upsert([{ id: 'a', v: 2 }]);
  assert.deepEqual(s.list(), [{ id: 'a', v: 2 }, { id: 'b', v: 1 }]);
  assert.equal(s.complete, false);
  s.replace([{ id: 'c' }]);
  assert.deepEqual(s.list(), [{ id: 'c' }]);
  assert.equal(s.complete, true);
});
