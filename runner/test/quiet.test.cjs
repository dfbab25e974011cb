'use strict';
// A run's browser contacts the run's site and no host of Chromium's own
// services: every host name resolves to a loopback recorder (a loopback
// DNS, --host-resolver-rules=MAP * to its port), which records the Host of
// plain HTTP and the server name of TLS hellos.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const net = require('node:net');
const tls = require('node:tls');

const { RunnerProcess } = require('./helpers/runner.cjs');

const ECHO = path.join(__dirname, '..', 'testdata', 'connectors', 'echo-result.js');

async function recorder(own) {
  const hosts = new Map();
  const saw = (h) => hosts.set(h, (hosts.get(h) || 0) + 1);
  const web = http.createServer((req, res) => {
    const host = String(req.headers.host || '').replace(/:\d+$/, '');
    saw(host);
    if (host !== own) {
      res.writeHead(403);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(JSON.stringify({ 'quiet.page': { ok: true } }));
  });
  const secure = tls.createServer({ SNICallback: (name, cb) => { saw(name); cb(new Error('not serving TLS')); } });
  secure.on('tlsClientError', () => {});
  const server = net.createServer((socket) => {
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      (chunk[0] === 0x16 ? secure : web).emit('connection', socket);
      socket.resume();
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    hosts,
    close: () => new Promise((r) => { web.closeAllConnections(); server.close(() => r()); }),
  };
}

test('a run\'s browser contacts only the run\'s site', async (t) => {
  const rec = await recorder('quiet.test');
  t.after(() => rec.close());
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-profiles-'));
  const r = new RunnerProcess({
    AUTHBRIDGE_RUNNER_SESSIONS: 'off', AUTHBRIDGE_PROFILES_DIR: profiles,
    AUTHBRIDGE_BROWSER_ARGS: JSON.stringify([`--host-resolver-rules=MAP * 127.0.0.1:${rec.port}`]),
  });
  t.after(async () => {
    await r.close();
    fs.rmSync(profiles, { recursive: true, force: true });
  });
  await r.waitFor((m) => m.type === 'ready', 60000, 'ready');
  r.send({ type: 'run', runId: 'quiet-1', connectorPath: ECHO, url: `http://quiet.test:${rec.port}/` });
  const res = await r.result('quiet-1');
  assert.equal(res.classification.outcome, 'success', JSON.stringify(res.classification));
  const others = [...rec.hosts.keys()].filter((h) => h !== 'quiet.test').sort();
  assert.deepEqual(others, [], `hosts contacted: ${JSON.stringify([...rec.hosts])}`);
});
