'use strict';
// Every case of the app's honest-telemetry corpus gets the expected
// classification. The corpus file is read here, so a new case is tested
// without code changes: once by the classifier, once through the runner.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { classifyResult } = require('../lib/classify.cjs');
const { RunnerProcess, FIXTURES } = require('./helpers/runner.cjs');
const { serve, browserArgs } = require('./helpers/sites.cjs');

const DIR = path.join(FIXTURES, '_conformance', 'honest-telemetry');
const corpus = JSON.parse(fs.readFileSync(path.join(DIR, 'corpus.json'), 'utf8'));
const load = (c) => JSON.parse(fs.readFileSync(path.join(DIR, c.fixture), 'utf8'));

function check(c, classification, data) {
  const want = c.expected.classification;
  assert.equal(classification.outcome, want.outcome, `${c.id}: outcome (${JSON.stringify(classification)})`);
  assert.equal(classification.errorClass, want.errorClass, `${c.id}: errorClass`);
  if (want.scopeSummary) assert.deepEqual(classification.scopeSummary, want.scopeSummary, `${c.id}: scopeSummary`);
  assert.equal(c.expected.validity === 'protocol_violation', classification.errorClass === 'protocol_violation', `${c.id}: validity ${c.expected.validity}`);
  const keep = want.outcome === 'success' || want.outcome === 'partial';
  assert.equal(data !== undefined, keep, `${c.id}: data only for success or partial`);
}

test('the corpus has cases', () => {
  assert.ok(corpus.cases.length >= 7, `${corpus.cases.length} cases`);
});

for (const c of corpus.cases) {
  test(`classifier: ${c.id}`, () => {
    const { classification, data } = classifyResult(load(c));
    check(c, classification, data);
  });
}

test('runner: every corpus case, all runs at once in one runner', async (t) => {
  const byId = new Map(corpus.cases.map((c) => [c.id, c]));
  const site = await serve((req, res) => {
    const c = byId.get(decodeURIComponent(req.url.slice(1)));
    if (!c) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(JSON.stringify(load(c)));
  });
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-profiles-'));
  // Each run needs its own profile folder: one script copy per case.
  const scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-scripts-'));
  const r = new RunnerProcess({
    AUTHBRIDGE_RUNNER_SESSIONS: 'off',
    AUTHBRIDGE_PROFILES_DIR: profiles,
    AUTHBRIDGE_BROWSER_ARGS: browserArgs(site.port, ['corpus.example.com']),
  });
  t.after(async () => {
    await r.close();
    await site.close();
    fs.rmSync(profiles, { recursive: true, force: true });
    fs.rmSync(scripts, { recursive: true, force: true });
  });
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  for (const c of corpus.cases) {
    const script = path.join(scripts, `${c.id}.js`);
    fs.copyFileSync(path.join(__dirname, '..', 'testdata', 'connectors', 'echo-result.js'), script);
    r.send({ type: 'run', runId: `corpus-${c.id}`, connectorPath: script, url: `https://corpus.example.com/${c.id}` });
  }
  for (const c of corpus.cases) {
    const res = await r.result(`corpus-${c.id}`, 120000);
    check(c, res.classification, res.data);
  }
  assert.deepEqual(r.badLines, []);
});
