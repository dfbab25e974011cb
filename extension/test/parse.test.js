import test from 'node:test';
import assert from 'node:assert/strict';
import { RpcError } from '../lib/rpc.js';
import { badRequest, notGranted, optional, parseDomains, parseHttpURL, parseLimit, requireGranted } from '../lib/parse.js';

/** throwsCode asserts that f throws an RpcError with this code and a message matching re. */
function throwsCode(f, code, re) {
  assert.throws(f, (err) => err instanceof RpcError && err.code === code && re.test(err.message), `want ${code} ${re}`);
}

test('parseDomains takes a non-empty array of domain names', () => {
  assert.deepEqual(parseDomains(['demo.test', '.Other.test']), ['demo.test', '.Other.test']);
  for (const bad of [undefined, 'demo.test', [], [''], ['.'], [' '], [7], ['demo.test', null]]) {
    throwsCode(() => parseDomains(bad), 'bad_request', /^domains must be a non-empty array of domain names$/);
  }
});

test('parseHttpURL takes absolute http and https URLs only', () => {
  assert.equal(parseHttpURL('https://demo.test/a?b').href, 'https://demo.test/a?b');
  assert.equal(parseHttpURL('http://127.0.0.1:8080/').hostname, '127.0.0.1');
  for (const bad of [undefined, '', '/relative', 'demo.test']) throwsCode(() => parseHttpURL(bad), 'bad_request', /absolute URL/);
  for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://demo.test/', 'data:text/html,x']) {
    throwsCode(() => parseHttpURL(bad), 'bad_request', /http or https/);
  }
});

test('optional takes an absent field or one of the type', () => {
  assert.equal(optional({}, 'store', 'string'), undefined);
  assert.equal(optional({ store: 'Work' }, 'store', 'string'), 'Work');
  assert.equal(optional({ hold: false }, 'hold', 'boolean'), false);
  throwsCode(() => optional({ if_version: 7 }, 'if_version', 'string'), 'bad_request', /^if_version must be a string$/);
  throwsCode(() => optional({ hold: 'yes' }, 'hold', 'boolean'), 'bad_request', /^hold must be a boolean$/);
  throwsCode(() => optional({ store: null }, 'store', 'string'), 'bad_request', /^store must be a string$/);
});

test('parseLimit takes a whole number in range, the default when absent', () => {
  assert.equal(parseLimit(undefined, 500, 5000), 500);
  assert.equal(parseLimit(1, 500, 5000), 1);
  assert.equal(parseLimit(5000, 500, 5000), 5000);
  for (const bad of [0, -1, 5001, 1.5, '10', null, NaN]) throwsCode(() => parseLimit(bad, 500, 5000), 'bad_request', /^limit must be a whole number from 1 to 5000$/);
});

test('requireGranted names the domains not granted and who asked', () => {
  const grants = { missing: (ds) => ds.filter((d) => d !== 'demo.test') };
  requireGranted(grants, ['demo.test'], {});
  assert.throws(() => requireGranted(grants, ['demo.test', 'a.test', 'b.test'], { connector: 'github' }), (err) => {
    assert.equal(err.code, 'access_not_granted');
    assert.equal(err.detail, 'a.test b.test');
    assert.match(err.message, /^connector github: access to a\.test, b\.test is not granted/);
    return true;
  });
  assert.throws(() => requireGranted(grants, ['x.test'], { connector: 42 }), (err) => /^access to x\.test/.test(err.message));
});

test('badRequest and notGranted build wire errors', () => {
  assert.deepEqual(badRequest('x must be y').toWire(), { code: 'bad_request', message: 'x must be y' });
  assert.equal(notGranted(['a.test'], '').toWire().detail, 'a.test');
});
