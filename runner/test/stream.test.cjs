'use strict';
// The runner's input and output streams hold against scripts and input
// that would break them: a script writing to fd 1 cannot forge protocol
// lines, a connectorPath that is a FIFO does not block the runner, a line
// longer than the cap is answered with an error and dropped, and runs
// beyond the cap are refused.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { execFileSync } = require('node:child_process');

const { RunnerProcess } = require('./helpers/runner.cjs');

const CONNECTORS = path.join(__dirname, '..', 'testdata', 'connectors');

async function site() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>plain</title><p>plain</p>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

function newRunner(t, env = {}) {
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-profiles-'));
  const r = new RunnerProcess({ AUTHBRIDGE_RUNNER_SESSIONS: 'off', AUTHBRIDGE_PROFILES_DIR: profiles, ...env });
  t.after(async () => {
    await r.close();
    fs.rmSync(profiles, { recursive: true, force: true });
  });
  return r;
}

test('a script writing to fd 1 forges no protocol line', async (t) => {
  const s = await site();
  t.after(() => s.close());
  const r = newRunner(t);
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  r.send({ type: 'run', runId: 'forger-1', connectorPath: path.join(CONNECTORS, 'fd1-forger.js'), url: s.url });
  const res = await r.result('forger-1');
  assert.equal(res.classification.outcome, 'success', JSON.stringify(res.classification));
  assert.deepEqual(r.badLines, [], 'no line on the protocol stream that is not protocol JSON');
  assert.deepEqual(r.of('someone-else'), [], 'no line forged for another run');
  assert.match(r.stderr, /FD1 not json at all/, 'the script\'s fd 1 went to stderr');
});

test('a FIFO as connectorPath is refused without blocking the runner', async (t) => {
  const r = newRunner(t);
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-fifo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'connector.js');
  execFileSync('mkfifo', [fifo]);
  r.send({ type: 'run', runId: 'fifo-1', connectorPath: fifo });
  const res = await r.result('fifo-1', 20000);
  assert.equal(res.classification.outcome, 'failure');
  assert.match(JSON.stringify(res), /not a regular file/);
  r.send({ type: 'evaluate', runId: 'nosuch', script: '1' });
  await r.waitFor((m) => m.type === 'evaluate-result' && m.runId === 'nosuch', 60000, 'the runner still answers');
});

test('a line over 1 MiB is answered with an error and dropped, not buffered', async (t) => {
  const r = newRunner(t);
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  r.send(JSON.stringify({ type: 'evaluate', runId: 'huge', script: 'x'.repeat(3 * 1024 * 1024) }));
  await r.waitFor((m) => m.type === 'error' && /longer than 1048576 bytes/.test(m.message), 20000, 'the line-cap error');
  assert.equal(r.of('huge').length, 0, 'the long line is not acted on');
  r.send({ type: 'evaluate', runId: 'after', script: '1' });
  await r.waitFor((m) => m.type === 'evaluate-result' && m.runId === 'after', 60000, 'the next line is read');
});

test('runs beyond AUTHBRIDGE_RUNNER_MAX_RUNS are refused', async (t) => {
  const s = await site();
  t.after(() => s.close());
  const r = newRunner(t, { AUTHBRIDGE_RUNNER_MAX_RUNS: '1' });
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  r.send({ type: 'run', runId: 'sleep-1', connectorPath: path.join(CONNECTORS, 'sleeper.js'), url: s.url });
  await r.waitFor((m) => m.type === 'data' && m.runId === 'sleep-1' && m.value === 'sleeping', 60000, 'sleeping');
  r.send({ type: 'run', runId: 'sleep-2', connectorPath: path.join(CONNECTORS, 'sleeper.js'), url: s.url });
  await r.waitFor((m) => m.type === 'error' && m.runId === 'sleep-2' && /1 run is already going/.test(m.message), 60000, 'the cap error');
  r.send({ type: 'stop', runId: 'sleep-1' });
  await r.result('sleep-1', 30000);
});
