'use strict';
// The stdio JSON-lines wire. The app reads protocol lines on the runner's
// stdout, and nothing else may reach it. Connector scripts run in this
// process, so the protocol does not travel on fd 1 here: index.cjs starts
// this process as a child whose fd 1 is the runner's stderr and whose
// protocol lines go out on a descriptor of their own
// (AUTHBRIDGE_RUNNER_PROTOCOL_FD), which the parent copies to the real
// stdout line by line. A script's console.log, process.stdout.write or
// fs.writeSync(1, ...) all end on stderr.

const { writeAll } = require('./lines.cjs');

const protocolFd = Number.parseInt(process.env.AUTHBRIDGE_RUNNER_PROTOCOL_FD || '', 10);
// Without the launcher (a test loading this module), fd 1.
const realWrite = Number.isInteger(protocolFd) && protocolFd > 2 ? (line) => writeAll(protocolFd, line) : process.stdout.write.bind(process.stdout);
if (Number.isInteger(protocolFd)) delete process.env.AUTHBRIDGE_RUNNER_PROTOCOL_FD;

let guarded = false;

/** guardStdout routes every write to stdout but send's to stderr. */
function guardStdout() {
  if (guarded) return;
  guarded = true;
  process.stdout.write = (chunk, encoding, cb) => process.stderr.write(chunk, encoding, cb);
  // console.* writes through process.stdout.write, so it follows; set them
  // explicitly too, in case a console was created before the guard.
  for (const m of ['log', 'info', 'debug']) console[m] = (...a) => console.error(...a);
}

/** send writes one protocol message as one line on the protocol stream. */
function send(msg) {
  realWrite(JSON.stringify(msg) + '\n');
}

/** log writes a diagnostic line to stderr (never stdout). */
function log(...parts) {
  process.stderr.write(`[authbridge-runner] ${parts.join(' ')}\n`);
}

module.exports = { guardStdout, send, log };
