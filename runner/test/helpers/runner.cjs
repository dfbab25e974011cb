'use strict';
// Test helper: the runner as the app starts it, a child process speaking
// JSON lines. Every stdout line is parsed as protocol JSON; a line that is
// not is recorded in badLines (tests assert there are none).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const INDEX = path.join(__dirname, '..', '..', 'index.cjs');
const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'data-connectors');
const CHROMIUM = process.env.AUTHBRIDGE_CHROMIUM || '/usr/bin/chromium';

// One profile seed per test file (runner/lib/seed.cjs), never the user's
// own: the runners of a file share it, so that every run after the file's
// first on a new profile starts from it, as runs do in use.
let seedDir = '';
function testSeedDir() {
  if (!seedDir) {
    seedDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runner-seed-')), 'profile-seed');
    process.on('exit', () => fs.rmSync(path.dirname(seedDir), { recursive: true, force: true }));
  }
  return seedDir;
}

const TYPES = new Set(['ready', 'log', 'status', 'data', 'network-captured', 'request-input',
  'evaluate-result', 'screenshot-result', 'test-result', 'error', 'result']);

class RunnerProcess {
  constructor(env = {}) {
    this.lines = [];
    this.badLines = [];
    this.stderr = '';
    this.waiters = [];
    this.child = spawn(process.execPath, [INDEX], {
      env: { ...process.env, AUTHBRIDGE_CHROMIUM: CHROMIUM, AUTHBRIDGE_RUNNER_SEED: testSeedDir(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        this.badLines.push(line);
        return;
      }
      if (!msg || typeof msg !== 'object' || !TYPES.has(msg.type)) {
        this.badLines.push(line);
        return;
      }
      this.lines.push(msg);
      this.waiters = this.waiters.filter((w) => !w.check());
    });
  }

  send(msg) {
    this.child.stdin.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n');
  }

  /** waitFor resolves with the first message matching pred (already seen or coming). */
  waitFor(pred, timeoutMs = 60000, what = 'a message') {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const m = this.lines.find(pred);
          if (m) {
            clearTimeout(w.timer);
            resolve(m);
            return true;
          }
          return false;
        },
      };
      if (w.check()) return;
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting for ${what}; got ${this.lines.length} lines:\n${this.lines.map((l) => JSON.stringify(l).slice(0, 300)).join('\n')}\nstderr:\n${this.stderr.slice(-3000)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  result(runId, timeoutMs = 90000) {
    return this.waitFor((m) => m.type === 'result' && m.runId === runId, timeoutMs, `the result of ${runId}`);
  }

  of(runId) {
    return this.lines.filter((m) => m.runId === runId);
  }

  async close() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.send({ type: 'quit' });
      const t = setTimeout(() => this.child.kill('SIGKILL'), 20000);
      await this.exited;
      clearTimeout(t);
    }
  }
}

module.exports = { RunnerProcess, FIXTURES, CHROMIUM, INDEX, testSeedDir };
