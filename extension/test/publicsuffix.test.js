import test from 'node:test';
import assert from 'node:assert/strict';
import { isPublicSuffix } from '../lib/publicsuffix.js';
import { VERSION } from '../lib/publicsuffix_list.js';
import { scopeOf, domainInScope } from '../lib/cookieindex.js';

// The shared table (authcookie.test.js) tests the rule through
// isAuthCookie; these name the three kinds of rules directly.
test('isPublicSuffix reads exact, wildcard and exception rules', () => {
  assert.match(VERSION, /^golang\.org\/x\/net v/);
  for (const s of ['com', 'co.uk', 'github.io', 'anything.ck']) assert.equal(isPublicSuffix(s), true, s);
  for (const s of ['www.ck', 'demo.com', 'test', 'localhost', 'demo.test', 'nosuchtld', 'a.b.nosuchtld']) assert.equal(isPublicSuffix(s), false, s);
});

test('a public suffix scope buckets no cookie and covers none', () => {
  assert.equal(scopeOf('a.foo.com', new Set(['com'])), undefined);
  assert.equal(scopeOf('com', new Set(['com'])), undefined);
  assert.equal(scopeOf('a.foo.com', new Set(['com', 'foo.com'])), 'foo.com');
  assert.equal(domainInScope('.github.io', 'github.io'), false);
  assert.equal(domainInScope('127.0.0.1', '127.0.0.1'), true);
});
