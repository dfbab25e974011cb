import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAuthCookie } from '../lib/authcookie.js';

// The host's cookies.IsAuthCookie reads the same table.
const table = JSON.parse(readFileSync(new URL('../../host/cookies/testdata/auth_cookies.json', import.meta.url), 'utf8'));

test('the shared auth-cookie table has its cases', () => {
  assert.ok(table.cases.length >= 10, `only ${table.cases.length} cases`);
});

for (const c of table.cases) {
  test(`isAuthCookie: ${c.case}`, () => {
    const connector = { domains: c.domains };
    if (c.auth_cookies !== undefined) connector.auth_cookies = c.auth_cookies;
    assert.equal(isAuthCookie(connector, { name: c.name, domain: c.domain }), c.want,
      `isAuthCookie(${JSON.stringify(connector)}, ${c.name}@${c.domain})`);
  });
}
