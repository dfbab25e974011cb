'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { pickIdentity, userIdentity, identityOptions } = require('../lib/identity.cjs');

test('pickIdentity takes the most recently active browser that reported a user agent', () => {
  const bridges = [
    { user_agent: 'Old/1', accept_language: 'de', last_active_at: '2026-12-07T10:00:00Z' },
    { user_agent: 'Mozilla/5.0 Chrome/150', accept_language: 'en-GB,en;q=0.9', last_active_at: '2026-12-07T11:00:00Z' },
    { user_agent: '', last_active_at: '2026-12-07T12:00:00Z' },
  ];
  assert.deepEqual(pickIdentity(bridges), { userAgent: 'Mozilla/5.0 Chrome/150', acceptLanguage: 'en-GB,en;q=0.9' });
  assert.equal(pickIdentity([]), null);
  assert.equal(pickIdentity(undefined), null);
  assert.deepEqual(pickIdentity([{ user_agent: 'X/1', accept_language: 'en\r\nX-Evil: 1' }]), { userAgent: 'X/1' }, 'a header value with line breaks is left out');
});

test('identityOptions are launch options, none without an identity', () => {
  assert.deepEqual(identityOptions(null), {});
  assert.deepEqual(identityOptions({ userAgent: 'U/1', acceptLanguage: 'fr' }), { userAgent: 'U/1', extraHTTPHeaders: { 'Accept-Language': 'fr' } });
});

test('userIdentity asks the status, and not when switched off', async () => {
  let asked = 0;
  const sessions = { enabled: true, status: async () => { asked++; return { ok: true, bridges: [{ user_agent: 'U/2' }] }; } };
  assert.deepEqual(await userIdentity(sessions, {}), { userAgent: 'U/2' });
  assert.equal(await userIdentity(sessions, { AUTHBRIDGE_RUNNER_USER_AGENT: 'off' }), null);
  assert.equal(await userIdentity({ ...sessions, enabled: false }, {}), null);
  assert.equal(asked, 1);
  assert.equal(await userIdentity({ enabled: true, status: async () => ({ ok: false, error: { code: 'agent_unreachable' } }) }, {}), null);
});
