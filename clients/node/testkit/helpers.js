'use strict';
// Test helpers: a fresh AUTHBRIDGE_HOME per test, the real authbridge binary,
// stopping the agents the tests started, and a scripted extension peer on the
// agent's bridge socket (the agent is real; only the browser side is played).

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** bin is the authbridge binary under test: AUTHBRIDGE_BIN or bin/authbridge. */
function bin() {
  const b = process.env.AUTHBRIDGE_BIN || path.join(repoRoot, 'bin', 'authbridge');
  if (!fs.existsSync(b)) {
    throw new Error(`the authbridge binary is not at ${b}: run \`make build\` (or set AUTHBRIDGE_BIN)`);
  }
  return path.resolve(b);
}

/** cleanEnv is process.env without any authbridge variable. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AUTHBRIDGE_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * newHome makes a short temporary AUTHBRIDGE_HOME (so its sockets live in
 * HOME/run) and registers its cleanup, agent included, with t.after.
 */
function newHome(t) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'abn-'));
  const env = cleanEnv({ AUTHBRIDGE_HOME: home, AUTHBRIDGE_BIN: bin() });
  t.after(async () => {
    await stopAgent(path.join(home, 'run', 'api.sock'));
    fs.rmSync(home, { recursive: true, force: true });
  });
  return { home, env };
}

/** run runs the authbridge CLI and resolves {code, stdout, stderr}. */
function run(env, ...args) {
  return new Promise((resolve) => {
    execFile(bin(), args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * stopAgent stops the agent answering on socket, if any, and resolves once
 * its process is gone.
 */
async function stopAgent(socket) {
  const { Client } = require('..');
  const c = new Client({ socket, autoStart: false });
  let pid;
  try {
    ({ pid } = await c.ping({ timeoutMs: 5000 }));
  } catch {
    return;
  } finally {
    c.close();
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 10_000, `agent ${pid} exits`);
}

/** until polls cond (backing off to 100 ms) until it holds. */
async function until(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 100);
  }
}

/** writeConnector writes a native connector definition into the home. */
function writeConnector(home, def) {
  const dir = path.join(home, 'connectors');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, `${def.id}.json`), JSON.stringify(def, null, 2), { mode: 0o600 });
}

const demoConnector = {
  id: 'demo',
  name: 'Demo Site',
  domains: ['demo.test'],
  auth_cookies: ['sid'],
  login_url: 'http://demo.test:1/login',
  verify: { url: 'http://demo.test:1/account', logged_in_selector: '#account-name' },
};

const EXTENSION_ORIGIN = 'chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/';

/**
 * fakeExtension connects to the agent's bridge socket as a relay would and
 * plays the extension: it says hello, answers watch.set, cookies.meta and
 * ping, and answers other requests with answers[type] (a function of the
 * request returning a result); a request without an answer is never
 * answered. Every request is recorded; on(type) resolves at the next one.
 */
async function fakeExtension(home, answers = {}) {
  const sock = net.connect(path.join(home, 'run', 'bridge.sock'));
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const send = (msg) => {
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length);
    sock.write(Buffer.concat([head, body]));
  };
  const requests = [];
  const waiters = [];
  const builtin = {
    'watch.set': () => ({}),
    'cookies.meta': () => ({ cookies: [], total: 0 }),
    ping: () => ({}),
  };
  let helloDone;
  const hello = new Promise((r) => (helloDone = r));
  let buf = Buffer.alloc(0);
  sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const n = buf.readUInt32LE(0);
      if (buf.length < 4 + n) break;
      const msg = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
      buf = buf.subarray(4 + n);
      if (msg.type === 'result' && msg.id === 'e1') helloDone(msg.result);
      if (!msg.id || msg.type === 'result' || msg.type === 'error') continue;
      requests.push(msg);
      for (const w of waiters.splice(0)) {
        if (w.type === msg.type) w.resolve(msg);
        else waiters.push(w);
      }
      const f = answers[msg.type] || builtin[msg.type];
      if (f) send({ id: msg.id, type: 'result', result: f(msg) });
    }
  });
  sock.on('error', () => {});
  send({ type: 'bridge.hello', origin: EXTENSION_ORIGIN, relay_pid: process.pid, protocol: 1 });
  send({ id: 'e1', type: 'hello', extension_id: 'ldpickkggldlkffgckonbokbiinckjpp', version: '0.0.0-test', user_agent: 'node-test' });
  await hello;
  return {
    requests,
    /** notify sends a notification (no id) to the agent, as the extension does. */
    notify(type, fields = {}) {
      send({ type, ...fields });
    },
    on(type) {
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
    close() {
      sock.destroy();
    },
  };
}

module.exports = { bin, cleanEnv, newHome, run, stopAgent, until, writeConnector, demoConnector, fakeExtension, repoRoot };
