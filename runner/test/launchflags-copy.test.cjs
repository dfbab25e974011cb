'use strict';
// The runner ships its own copy of authbridge's launch flags table
// (lib/launchflags.json) so that it can be packed alone; the copy must be
// byte for byte the host's (host/chromeprofile/launchflags.json). The Go
// side checks the same pair (host/chromeprofile TestRunnerCopyOfLaunchFlags).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { TABLE, loadTable, quietHosts, withQuietHosts } = require('../lib/launchflags.cjs');

const HOST_TABLE = path.join(__dirname, '..', '..', 'host', 'chromeprofile', 'launchflags.json');

test('launch flags: the runner\'s copy is byte for byte the host\'s table', () => {
  assert.equal(TABLE, path.join(__dirname, '..', 'lib', 'launchflags.json'), 'the runner reads its own copy');
  const host = fs.readFileSync(HOST_TABLE);
  const mine = fs.readFileSync(TABLE);
  assert.ok(host.equals(mine),
    'runner/lib/launchflags.json differs from host/chromeprofile/launchflags.json: change the host\'s table, then copy it: ' +
    'cp host/chromeprofile/launchflags.json runner/lib/launchflags.json');
});

test('launch flags: the runner is packed with its copy of the table', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  assert.ok(Array.isArray(pkg.files), 'package.json lists the files it ships');
  assert.ok(pkg.files.some((f) => f === 'lib/' || f === 'lib' || f === 'lib/launchflags.json'), `files ${JSON.stringify(pkg.files)} leave lib/launchflags.json out`);
});

test('quiet hosts: read from the table, spared inside the connector\'s sites, ahead of given rules', () => {
  const quiet = quietHosts();
  assert.ok(quiet.includes('accounts.google.com') && quiet.includes('*.gvt1.com'), JSON.stringify(quiet));
  assert.deepEqual(quiet, loadTable().quiet_hosts);
  const args = withQuietHosts(['--lang=en', '--host-resolver-rules=MAP x.test 127.0.0.1'], ['www.youtube.com'], ['accounts.youtube.com', 'dl.google.com', '*.gvt1.com']);
  assert.deepEqual(args, ['--lang=en', '--host-resolver-rules=MAP dl.google.com ~NOTFOUND, MAP *.gvt1.com ~NOTFOUND, MAP x.test 127.0.0.1']);
});
