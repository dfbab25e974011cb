'use strict';
// The runner's launcher (see index.cjs): it starts the runner proper as a
// child with fd 0 shared, fd 1 and fd 2 on this process's stderr, and a pipe
// on fd 3 for the protocol; it copies each fd 3 line that is a JSON object
// with a string "type" to stdout, and anything else to stderr. It reads no
// input itself, forwards SIGINT and SIGTERM, and exits as the child did.

const { spawn } = require('node:child_process');
const { readLines, writeAll } = require('./lines.cjs');

/** MAX_OUT bounds one protocol line from the child (a screenshot is the largest). */
const MAX_OUT = 64 * 1024 * 1024;

function launch(index) {
  const child = spawn(process.execPath, [...process.execArgv, index, ...process.argv.slice(2)], {
    env: { ...process.env, AUTHBRIDGE_RUNNER_PROTOCOL_FD: '3', AUTHBRIDGE_RUNNER_PARENT_FD: '4' },
    // fd 4 is never written: it closes when this process ends, however it
    // ends, and the runner then stops its runs and exits.
    stdio: ['inherit', 2, 'inherit', 'pipe', 'pipe'],
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => child.kill(sig));
  }
  const out = (line) => writeAll(1, line + '\n');
  readLines(child.stdio[3], {
    max: MAX_OUT,
    onLine: (line) => {
      if (!line) return;
      let ok = false;
      try {
        const msg = JSON.parse(line);
        ok = !!msg && typeof msg === 'object' && !Array.isArray(msg) && typeof msg.type === 'string';
      } catch {
        // not JSON
      }
      if (ok) out(line);
      else process.stderr.write(`[authbridge-runner] dropped a protocol line that is not a JSON message (${line.length} bytes)\n`);
    },
    onTooLong: (bytes) => process.stderr.write(`[authbridge-runner] dropped a protocol line of ${bytes} bytes\n`),
  });
  child.on('error', (err) => {
    process.stderr.write(`[authbridge-runner] cannot start the runner: ${err.message}\n`);
    process.exit(1);
  });
  child.on('close', (code, signal) => {
    if (signal) {
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

module.exports = { launch };
