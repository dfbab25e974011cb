'use strict';
// The app's own conformance connector, unmodified, against a local page.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { RunnerProcess, FIXTURES } = require('./helpers/runner.cjs');
const { serve, browserArgs } = require('./helpers/sites.cjs');

const SCRIPT = path.join(FIXTURES, '_conformance', 'conformance-playwright.js');

test('the conformance connector reports every present method ok', async (t) => {
  const site = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Example Domain</title><body><h1>Example Domain</h1></body>');
  });
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-profiles-'));
  const r = new RunnerProcess({
    AUTHBRIDGE_RUNNER_SESSIONS: 'off',
    AUTHBRIDGE_PROFILES_DIR: profiles,
    AUTHBRIDGE_BROWSER_ARGS: browserArgs(site.port, ['example.com']),
  });
  t.after(async () => {
    await r.close();
    await site.close();
    fs.rmSync(profiles, { recursive: true, force: true });
  });
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  assert.equal(r.lines[0].type, 'ready', 'ready is the first line');
  r.send({ type: 'run', runId: 'conformance-1', connectorPath: SCRIPT, url: 'https://example.com/', requestedScopes: ['conformance.result'] });
  const res = await r.result('conformance-1');

  assert.equal(res.classification.outcome, 'success', JSON.stringify(res.classification));
  const methods = res.data['conformance.result'].methods;
  const names = Object.keys(methods);
  assert.ok(names.length >= 15, `probed ${names.length} methods`);
  for (const [name, m] of Object.entries(methods)) {
    assert.equal(m.present, true, `${name} is missing from the page API`);
    // fill and press are skipped by the fixture itself (it throws "skipped:"
    // before calling them); every other present method must be ok.
    if (m.error && m.error.startsWith('skipped:')) continue;
    assert.equal(m.ok, true, `${name}: ${m.error}`);
  }
  // The profile folder is the app's: <profiles>/<script base name>.
  assert.ok(fs.existsSync(path.join(profiles, 'conformance-playwright')), 'profile folder created');
  // setData and setProgress reached the driver.
  assert.ok(r.of('conformance-1').some((m) => m.type === 'data' && m.key === 'conformance_ping' && m.value === 1));
  assert.ok(r.of('conformance-1').some((m) => m.type === 'status' && m.status && m.status.type === 'COLLECTING' && m.status.phase.label === 'conformance'));
  assert.deepEqual(r.badLines, []);
});
