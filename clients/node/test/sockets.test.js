'use strict';
// Where the agent's sockets are (Unix socket paths; Windows named pipes),
// checked against the table the Go test reads (host/paths/testdata/sockets.json):
// the Node client and the agent find the same socket.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { resolvePaths } = require('..');
const { pipeName } = require('../lib/paths');

const table = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'host', 'paths', 'testdata', 'sockets.json'), 'utf8'));
const PLATFORM = { linux: 'linux', darwin: 'darwin', windows: 'win32' };

test('the socket table has cases for every OS', () => {
  assert.deepEqual([...new Set(table.cases.map((c) => c.os))].sort(), ['darwin', 'linux', 'windows']);
});

for (const c of table.cases) {
  test(`sockets: ${c.name}`, () => {
    const p = resolvePaths({ env: c.env, platform: PLATFORM[c.os], uid: c.uid });
    assert.equal(p.home, c.home);
    assert.equal(p.socket, c.api);
    assert.equal(p.explicitSocket, false);
    assert.equal(p.explicitHome, c.env.AUTHBRIDGE_HOME !== undefined);
    if (c.os === 'windows') {
      assert.equal(pipeName(c.home, 'api'), c.api);
      assert.equal(pipeName(c.home, 'bridge'), c.bridge);
    } else {
      assert.equal(path.join(path.dirname(p.socket), 'bridge.sock'), c.bridge);
    }
  });
}

test('AUTHBRIDGE_SOCKET still wins on Windows', () => {
  const p = resolvePaths({ env: { AUTHBRIDGE_HOME: 'C:\\x', AUTHBRIDGE_SOCKET: '\\\\.\\pipe\\mine' }, platform: 'win32' });
  assert.equal(p.socket, '\\\\.\\pipe\\mine');
  assert.equal(p.explicitSocket, true);
});

test('AUTHBRIDGE_SOCKET wins on Unix too', () => {
  const p = resolvePaths({ env: { AUTHBRIDGE_HOME: '/srv/ab', AUTHBRIDGE_SOCKET: '/tmp/mine.sock' }, platform: 'linux', uid: 1000 });
  assert.equal(p.socket, '/tmp/mine.sock');
  assert.equal(p.explicitSocket, true);
});
