'use strict';
// The launch module's pure parts (launch.cjs); the launch itself runs in
// escalation.test.cjs, seed.test.cjs and the protocol tests on real Chromium.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { siteHosts, mergeCookies, envInt } = require('../lib/launch.cjs');

test('siteHosts: the run url, connect_url and the brand domain; what is not a URL is left out', () => {
  assert.deepEqual(siteHosts('https://www.linkedin.com/feed', {
    connect_url: 'https://login.linkedin.com/x', consumer_metadata: { brand_domain: 'https://linkedin.com/about' },
  }), ['www.linkedin.com', 'login.linkedin.com', 'linkedin.com']);
  assert.deepEqual(siteHosts('not a url', { connectURL: 'https://a.test/' }), ['a.test']);
  assert.deepEqual(siteHosts('', null), []);
});

test('mergeCookies: the later list wins for the same name, domain and path', () => {
  const a = { name: 'sid', domain: 'x.test', path: '/', value: 'old' };
  const b = { name: 'sid', domain: 'x.test', path: '/', value: 'new' };
  const c = { name: 'sid', domain: 'x.test', path: '/app', value: 'other path' };
  assert.deepEqual(mergeCookies([a, c], [b], null), [b, c]);
});

test('envInt: a positive whole number, the default when unset, an error naming the variable otherwise', () => {
  assert.equal(envInt({}, 'X_MS', 5), 5);
  assert.equal(envInt({ X_MS: '' }, 'X_MS', 5), 5);
  assert.equal(envInt({ X_MS: '250' }, 'X_MS', 5), 250);
  for (const bad of ['0', '-1', '1.5', 'soon']) {
    assert.throws(() => envInt({ X_MS: bad }, 'X_MS', 5), /X_MS must be a positive whole number of milliseconds/);
  }
});
