'use strict';
// The stdio JSON-lines wire. stdout carries protocol lines and nothing else:
// every other write to it (a connector's console.log, a library's output) is
// sent to stderr instead, so the app never reads a line it cannot parse.

const realWrite = process.stdout.write.bind(process.stdout);

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

/** send writes one protocol message as one line on the real stdout. */
function send(msg) {
  realWrite(JSON.stringify(msg) + '\n');
}

/** log writes a diagnostic line to stderr (never stdout). */
function log(...parts) {
  process.stderr.write(`[authbridge-runner] ${parts.join(' ')}\n`);
}

module.exports = { guardStdout, send, log };
