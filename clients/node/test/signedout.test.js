'use strict';
// signedOut against a real agent (bin/authbridge): the agent classifies why
// a run's site signed it out from the cookies its page was sent, and no
// cookie value leaves the client.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('..');
const h = require('../testkit/helpers');

test('signedOut: the agent\'s reason from the cookies a run\'s page was sent, without their values', async (t) => {
  const { home, env } = h.newHome(t);
  h.writeConnector(home, h.demoConnector);
  const c = new Client({ env });
  t.after(() => c.close());
  const sent = [];
  const orig = c._call.bind(c);
  c._call = (method, p, opts) => { sent.push(JSON.stringify(opts.body)); return orig(method, p, opts); };
  const future = Date.now() / 1000 + 3600;
  const cases = [
    { cookies: [], code: 'PROFILE_COOKIE_MISSING', detail: 'cookie_absent' },
    { cookies: [{ name: 'sid', value: '', domain: 'demo.test', path: '/', expires: -1 }], code: 'PROFILE_COOKIE_MISSING', detail: 'cookie_absent' },
    { cookies: [{ name: 'sid', value: 'secret-value-1', domain: 'demo.test', path: '/', expires: Date.now() / 1000 - 60 }], code: 'PROFILE_COOKIE_MISSING', detail: 'cookie_expired' },
    { cookies: [{ name: 'sid', value: 'secret-value-2', domain: '.demo.test', path: '/', expires: future }], code: 'SESSION_EXPIRED', detail: 'login_form' },
  ];
  for (const k of cases) {
    const r = await c.signedOut('demo', { runId: 'run-1', cookies: k.cookies });
    assert.equal(r.result.code, k.code, JSON.stringify(k.cookies));
    assert.equal(r.result.detail, k.detail, JSON.stringify(k.cookies));
  }
  assert.doesNotMatch(sent.join('\n'), /secret-value/, 'no cookie value in a request');
  await assert.rejects(c.signedOut('nosuch', { cookies: [] }), (err) => err.code === 'not_found');
});
