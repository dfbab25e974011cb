'use strict';
// require('authbridge-client') through the package's own "exports" (a
// package can name itself), as a runner that installed it would.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

test('require() loads the CommonJS entry point', () => {
  const m = require('authbridge-client');
  assert.equal(require.resolve('authbridge-client'), path.join(__dirname, '..', 'index.js'));
  assert.equal(typeof m.Client, 'function');
  assert.equal(typeof m.AuthbridgeError, 'function');
  const e = new m.AuthbridgeError('x', { code: 'not_found', status: 404 });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'AuthbridgeError');
  assert.equal(e.code, 'not_found');
  assert.equal(e.status, 404);
});

test('import() from CommonJS gets the same classes', async () => {
  const esm = await import('authbridge-client');
  assert.equal(esm.Client, require('authbridge-client').Client);
  assert.equal(esm.AuthbridgeError, require('authbridge-client').AuthbridgeError);
});

test('package.json: no dependencies, Node 18+, every exported file exists', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'authbridge-client');
  assert.equal(pkg.dependencies, undefined);
  assert.equal(pkg.devDependencies, undefined);
  assert.equal(pkg.engines.node, '>=18');
  const files = [pkg.main, pkg.types];
  for (const cond of Object.values(pkg.exports['.'])) files.push(cond.types, cond.default);
  for (const f of files) assert.ok(fs.existsSync(path.join(__dirname, '..', f)), `${f} is missing`);
});
