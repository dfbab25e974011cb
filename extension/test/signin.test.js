import test from 'node:test';
import assert from 'node:assert/strict';
import { buildView } from '../lib/viewmodel.js';

const opts = { now: Date.parse('2026-11-26T10:00:00Z'), browser: 'chromium', extensionId: 'ldpickkggldlkffgckonbokbiinckjpp', locale: 'en-GB', timeZone: 'UTC' };
const connected = { state: 'connected', agent_version: '0.1.0', bridge_id: 'b1' };

test('a row shows the sign-in domains a connector declares, before any tab opens', () => {
  const rows = [
    { id: 'corp', name: 'Corp', domains: ['corp.example'], sign_in_domains: ['login.sso.example'], health: 'Unknown', health_key: 'unknown' },
    { id: 'own', name: 'Own', domains: ['own.example'], health: 'Unknown', health_key: 'unknown' },
  ];
  const v = buildView({ connection: connected, rows, rowsComplete: true, busy: {}, confirming: {}, waiting: {}, notes: {} }, opts);
  assert.equal(v.rows[0].signIn, 'Signs in on login.sso.example');
  assert.equal(v.rows[1].signIn, '');
});
