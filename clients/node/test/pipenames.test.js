'use strict';
// The Windows pipe-name rule, checked against the table the Go test reads
// (host/paths/testdata/pipenames.json): the Node client and the agent find
// the same pipe.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { resolvePaths } = require('..');
const { pipeName } = require('../lib/paths');

const table = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'host', 'paths', 'testdata', 'pipenames.json'), 'utf8'));

test('the pipe table has cases', () => {
  assert.ok(table.cases.length > 0);
});

for (const c of table.cases) {
  test(`pipe names: ${c.name}`, () => {
    assert.equal(pipeName(c.home, 'api'), c.api);
    assert.equal(pipeName(c.home, 'bridge'), c.bridge);
    const p = resolvePaths({ env: c.env, platform: 'win32' });
    assert.equal(p.home, c.home);
    assert.equal(p.socket, c.api);
    assert.equal(p.explicitSocket, false);
  });
}

test('AUTHBRIDGE_SOCKET still wins on Windows', () => {
  const p = resolvePaths({ env: { AUTHBRIDGE_HOME: 'C:\\x', AUTHBRIDGE_SOCKET: '\\\\.\\pipe\\mine' }, platform: 'win32' });
  assert.equal(p.socket, '\\\\.\\pipe\\mine');
  assert.equal(p.explicitSocket, true);
});
