#!/usr/bin/env node
'use strict';
// authbridge-runner: a drop-in for the data-export app's Playwright runner.
// JSON lines on stdin and stdout (runner/PROTOCOL.md); connector scripts run
// unmodified against the page API v1, signed in by authbridge.

// The launcher: the runner proper runs as a child whose fd 1 is this
// process's stderr, its protocol on fd 3 (lib/protocol.cjs); only lines of
// protocol JSON from fd 3 reach this process's stdout.
if (!process.env.AUTHBRIDGE_RUNNER_PROTOCOL_FD) {
  require('./lib/launcher.cjs').launch(__filename);
  return;
}

const { readLines } = require('./lib/lines.cjs');
const { guardStdout, send, log } = require('./lib/protocol.cjs');
const { Run, launchScratch } = require('./lib/run.cjs');
const { Sessions } = require('./lib/session.cjs');
const { selfTest } = require('./lib/selftest.cjs');
const { ProfileSeed, seedDirFor } = require('./lib/seed.cjs');

guardStdout();

const sessions = new Sessions({ enabled: process.env.AUTHBRIDGE_RUNNER_SESSIONS !== 'off' });
const runs = new Map(); // runId -> Run
const seedDir = seedDirFor(process.env, authbridgeHome());
const seed = seedDir ? new ProfileSeed({ dir: seedDir, log }) : null;

// A run's end, with no other run going: the time to make the profile seed
// for the browser version the run saw, when there is none for it yet.
function ended(run) {
  runs.delete(String(run.runId));
  if (seed && runs.size === 0 && !quitting && seed.needed(run.browserVersion)) {
    seed.make((dir) => launchScratch(dir));
  }
}

process.on('unhandledRejection', (err) => log('unhandled rejection:', err && err.stack ? err.stack : String(err)));
process.on('uncaughtException', (err) => log('uncaught exception:', err && err.stack ? err.stack : String(err)));

/** authbridgeHome is authbridge's home as its client resolves it, '' without the client. */
function authbridgeHome() {
  try {
    return require('authbridge-client').resolvePaths({ env: process.env }).home;
  } catch {
    return '';
  }
}

function requireRunId(msg) {
  if (msg.runId === undefined || msg.runId === null || msg.runId === '') {
    send({ type: 'error', message: `${msg.type}: runId is required` });
    return null;
  }
  return msg.runId;
}

function runFor(msg, replyType) {
  const id = requireRunId(msg);
  if (id === null) return null;
  const run = runs.get(String(id));
  if (!run) {
    if (replyType) send({ type: replyType, runId: id, error: `no run ${id}` });
    else send({ type: 'error', runId: id, message: `${msg.type}: no run ${id}` });
    return null;
  }
  return run;
}

let quitting = false;

/** MAX_RUNS caps the runs going at once (each is a browser): AUTHBRIDGE_RUNNER_MAX_RUNS, default 16. */
const MAX_RUNS = (() => {
  const n = Number.parseInt(process.env.AUTHBRIDGE_RUNNER_MAX_RUNS || '', 10);
  return Number.isInteger(n) && n > 0 ? n : 16;
})();

async function quit(code = 0) {
  if (quitting) return;
  quitting = true;
  await Promise.all([...runs.values()].map((r) => r.stop().catch(() => {})));
  // A seed being made is finished (it takes one browser start) rather than
  // left half-made; bounded, so that quit never hangs on it.
  if (seed && seed.making) await Promise.race([seed.making, new Promise((r) => setTimeout(r, 15000).unref())]);
  process.exit(code);
}

// The launcher's end (killed, even with SIGKILL) closes fd 4: the runs
// stop and the runner exits rather than outlive it with its browsers.
if (process.env.AUTHBRIDGE_RUNNER_PARENT_FD) {
  const parent = new (require('node:net').Socket)({ fd: Number(process.env.AUTHBRIDGE_RUNNER_PARENT_FD), readable: true, writable: false });
  delete process.env.AUTHBRIDGE_RUNNER_PARENT_FD;
  parent.on('error', () => {});
  parent.on('close', () => quit(0));
  parent.resume();
}

const handlers = {
  run(msg) {
    const id = requireRunId(msg);
    if (id === null) return;
    if (runs.has(String(id))) {
      send({ type: 'error', runId: id, message: `run: run ${id} is already running` });
      return;
    }
    if (runs.size >= MAX_RUNS) {
      const going = runs.size === 1 ? '1 run is already going' : `${runs.size} runs are already going`;
      send({ type: 'error', runId: id, message: `run: ${going}, the most AUTHBRIDGE_RUNNER_MAX_RUNS allows (${MAX_RUNS}): start it when one ends` });
      return;
    }
    const run = new Run({ msg, send, log, sessions, seed, onEnd: ended });
    runs.set(String(id), run);
    run.start();
  },
  stop(msg) {
    const run = runFor(msg);
    if (run) run.stop();
  },
  quit() {
    quit(0);
  },
  async evaluate(msg) {
    const run = runFor(msg, 'evaluate-result');
    if (!run) return;
    send({ type: 'evaluate-result', runId: msg.runId, ...(await run.evaluateFromDriver(msg.script)) });
  },
  async screenshot(msg) {
    const run = runFor(msg, 'screenshot-result');
    if (!run) return;
    send({ type: 'screenshot-result', runId: msg.runId, ...(await run.screenshotFromDriver()) });
  },
  'input-response'(msg) {
    const run = runFor(msg);
    if (!run) return;
    if (!run.inputResponse(msg.requestId, msg.data, msg.error)) {
      send({ type: 'error', runId: msg.runId, message: `input-response: no pending request ${msg.requestId}` });
    }
  },
  async test() {
    send({ type: 'test-result', data: await selfTest(sessions) });
  },
};

function onLine(line) {
  const text = line.trim();
  if (!text) return;
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    send({ type: 'error', message: `malformed input line (not JSON): ${err.message}` });
    return;
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
    send({ type: 'error', message: 'malformed input line: want a JSON object with a "type"' });
    return;
  }
  const h = Object.prototype.hasOwnProperty.call(handlers, msg.type) ? handlers[msg.type] : null;
  if (!h) {
    send({ type: 'error', ...(msg.runId !== undefined ? { runId: msg.runId } : {}), message: `unknown message type ${JSON.stringify(msg.type)}` });
    return;
  }
  const p = Promise.resolve()
    .then(() => h(msg))
    .catch((err) => send({ type: 'error', ...(msg.runId !== undefined ? { runId: msg.runId } : {}), message: `${msg.type}: ${err.message}` }))
    .finally(() => pending.delete(p));
  pending.add(p);
}

// Replies still being worked on (a run is not one: it ends on quit).
const pending = new Set();

// Input lines are capped (lib/lines.cjs): a longer one is answered with an
// error line and dropped as it comes. End of input: answer what was asked,
// then stop every run and exit.
readLines(process.stdin, {
  onLine,
  onTooLong: (bytes) => send({ type: 'error', message: `malformed input line: ${bytes} bytes, longer than ${require('./lib/lines.cjs').MAX_LINE} bytes; dropped` }),
  onEnd: async () => {
    await Promise.all([...pending]);
    quit(0);
  },
});

send({ type: 'ready' });
