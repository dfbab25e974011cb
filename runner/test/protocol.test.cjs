'use strict';
// The stdio protocol: ready first, every stdout line protocol JSON (the
// scripts' own output goes to stderr), malformed lines answered with an
// error line, driver requests (evaluate, screenshot, input-response), stop.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const { RunnerProcess } = require('./helpers/runner.cjs');

const CONNECTORS = path.join(__dirname, '..', 'testdata', 'connectors');

async function plainSite() {
  const server = http.createServer((req, res) => {
    if (req.url === '/api/data') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ answer: 42 }));
    } else if (req.url === '/api/cookie-names') {
      const names = (req.headers.cookie || '').split(';').map((s) => s.trim().split('=')[0]).filter(Boolean);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ names }));
    } else {
      res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'probe_sid=s3cret-value; Path=/; HttpOnly' });
      res.end(`<!doctype html><title>probe</title><input id="q">
<script>document.querySelector('#q').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') { const d = document.createElement('p'); d.id = 'done'; d.textContent = 'entered ' + e.target.value; document.body.append(d); }
});</script>`);
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/page`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
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

test('every stdout line is protocol JSON, ready first, bad input answered', async (t) => {
  const site = await plainSite();
  t.after(() => site.close());
  const r = newRunner(t);
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  assert.equal(r.lines[0].type, 'ready');

  r.send('this is not json');
  await r.waitFor((m) => m.type === 'error' && /malformed input line/.test(m.message), 60000, 'the malformed-line error');
  r.send('[1,2]');
  r.send({ type: 'launch-rockets' });
  await r.waitFor((m) => m.type === 'error' && /unknown message type "launch-rockets"/.test(m.message), 60000, 'unknown type');
  r.send({ type: 'run', connectorPath: path.join(CONNECTORS, 'protocol-probe.js') });
  await r.waitFor((m) => m.type === 'error' && /run: runId is required/.test(m.message), 60000, 'runId required');
  r.send({ type: 'evaluate', runId: 'nosuch', script: '1' });
  await r.waitFor((m) => m.type === 'evaluate-result' && m.runId === 'nosuch' && /no run nosuch/.test(m.error), 60000, 'no run');

  r.send({ type: 'run', runId: 'probe-1', connectorPath: path.join(CONNECTORS, 'protocol-probe.js'), url: site.url });
  const ask = await r.waitFor((m) => m.type === 'request-input' && m.runId === 'probe-1', 60000, 'request-input');
  assert.equal(ask.payload.message, 'Pick a colour');
  assert.ok(r.of('probe-1').some((m) => m.type === 'status' && m.status === 'WAITING_FOR_USER'));
  // The driver may look at the page while the script waits.
  r.send({ type: 'evaluate', runId: 'probe-1', script: 'document.title' });
  const ev = await r.waitFor((m) => m.type === 'evaluate-result' && m.runId === 'probe-1', 60000, 'evaluate-result');
  assert.equal(ev.result, 'probe');
  r.send({ type: 'screenshot', runId: 'probe-1' });
  const shot = await r.waitFor((m) => m.type === 'screenshot-result' && m.runId === 'probe-1', 60000, 'screenshot-result');
  assert.equal(Buffer.from(shot.data, 'base64').subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG');
  r.send({ type: 'input-response', runId: 'probe-1', requestId: 'wrong', data: {} });
  await r.waitFor((m) => m.type === 'error' && m.runId === 'probe-1' && /no pending request wrong/.test(m.message), 60000, 'wrong request id');
  r.send({ type: 'input-response', runId: 'probe-1', requestId: ask.requestId, data: { colour: 'blue' } });

  const res = await r.result('probe-1');
  assert.equal(res.classification.outcome, 'success', JSON.stringify(res.classification));
  const c = res.data['probe.checks'];
  assert.equal(c.pressed, 'entered hello');
  assert.deepEqual(c.captured.data, { answer: 42 });
  assert.match(c.captured.url, /\/api\/data$/);
  assert.ok(c.screenshotBytes > 100);
  assert.deepEqual(c.input, { colour: 'blue' });
  assert.deepEqual(c.fetch, { ok: true, status: 200, json: { names: ['probe_sid'] } }, 'httpFetch after closeBrowser sends the session cookie');
  assert.equal(c.clearedCapture, false);
  assert.ok(r.of('probe-1').some((m) => m.type === 'network-captured' && m.key === 'api'));

  r.send({ type: 'test' });
  const tr = await r.waitFor((m) => m.type === 'test-result', 60000, 'test-result');
  assert.equal(tr.data.ok, true, JSON.stringify(tr.data));

  // Nothing but protocol lines on stdout; the script's writes went to stderr.
  assert.deepEqual(r.badLines, []);
  assert.match(r.stderr, /console\.log from a connector script/);
  assert.match(r.stderr, /a raw write to stdout/);
  assert.doesNotMatch(JSON.stringify(r.lines) + r.stderr, /s3cret-value/, 'no cookie value in any line or log');
});

test('stop cancels a run; several runs run at once', async (t) => {
  const site = await plainSite();
  t.after(() => site.close());
  const r = newRunner(t);
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  const scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-scripts-'));
  t.after(() => fs.rmSync(scripts, { recursive: true, force: true }));
  for (const id of ['a', 'b']) {
    fs.copyFileSync(path.join(CONNECTORS, 'sleeper.js'), path.join(scripts, `sleeper-${id}.js`));
    r.send({ type: 'run', runId: `sleep-${id}`, connectorPath: path.join(scripts, `sleeper-${id}.js`), url: site.url });
  }
  await r.waitFor((m) => m.type === 'data' && m.runId === 'sleep-a' && m.value === 'sleeping', 60000, 'a sleeping');
  await r.waitFor((m) => m.type === 'data' && m.runId === 'sleep-b' && m.value === 'sleeping', 60000, 'b sleeping');
  r.send({ type: 'run', runId: 'sleep-a', connectorPath: path.join(scripts, 'sleeper-a.js') });
  await r.waitFor((m) => m.type === 'error' && m.runId === 'sleep-a' && /already running/.test(m.message), 60000, 'duplicate run id');
  r.send({ type: 'stop', runId: 'sleep-a' });
  const res = await r.result('sleep-a', 30000);
  assert.equal(res.classification.outcome, 'cancelled');
  assert.equal(res.data, undefined);
  await r.waitFor((m) => m.type === 'status' && m.runId === 'sleep-a' && m.status === 'STOPPED', 60000, 'STOPPED');
  // b is still running and answers.
  r.send({ type: 'evaluate', runId: 'sleep-b', script: 'document.title' });
  const ev = await r.waitFor((m) => m.type === 'evaluate-result' && m.runId === 'sleep-b', 60000, 'b evaluate');
  assert.equal(ev.result, 'probe');
  r.send({ type: 'quit' });
  const exit = await r.exited;
  assert.equal(exit.code, 0);
  assert.equal((await r.result('sleep-b', 1000)).classification.outcome, 'cancelled', 'quit stops every run');
  assert.deepEqual(r.badLines, []);
});

test('escalation with nobody there and no authbridge fails at once', async (t) => {
  const site = await plainSite();
  t.after(() => site.close());
  const r = newRunner(t);
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  r.send({ type: 'run', runId: 'esc-1', connectorPath: path.join(CONNECTORS, 'escalate.js'), url: site.url, allowHeaded: false });
  const res = await r.result('esc-1');
  assert.equal(res.classification.outcome, 'failure');
  assert.equal(res.classification.errorClass, 'auth_failed');
  assert.equal(res.classification.debug.source, 'authbridge');
  assert.ok(!r.of('esc-1').some((m) => m.type === 'status' && m.status === 'WAITING_FOR_USER'));
  assert.deepEqual(r.badLines, []);
});
